"""The events video customer service publishes: a model per type, and the JSON the screens read
(clients/shared/src/rtc.ts, the agent console, the monitor, the citizen's video page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.events.types import describe, model_of
from rtc import events
from rtc.models import (
    Agent,
    AgentStatus,
    AgentView,
    ChatMessage,
    QualitySample,
    Recording,
    Session,
    SessionDetail,
    SessionState,
    SessionView,
)

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
TYPES = {
    "rtc.position_changed",
    "rtc.callback_offered",
    "rtc.callback_requested",
    "rtc.call_offered",
    "rtc.offer_withdrawn",
    "rtc.agent_updated",
    "rtc.queue_changed",
    "rtc.call_accepted",
    "rtc.call_transferred",
    "rtc.call_ended",
    "rtc.signal_sent",
    "rtc.chat_posted",
    "rtc.quality_reported",
    "rtc.recording_changed",
}
SESSION_KEYS = {
    "id",
    "citizen_id",
    "citizen_name",
    "topic",
    "topic_name",
    "state",
    "created_at",
    "queued_at",
    "offered_to",
    "offer_expires",
    "agent_id",
    "agent_name",
    "answered_at",
    "ended_at",
    "end_reason",
    "transfers",
    "chat",
    "rating",
    "recording",
    "earlier_recordings",
    "version",
}


def session(**fields: object) -> Session:
    return Session.model_validate(
        {
            "_id": "a" * 20,
            "citizen_id": "c-1",
            "citizen_name": "张*",
            "topic": "shebao",
            "created_at": NOW,
            "queued_at": NOW,
            **fields,
        }
    )


def test_every_event_type_has_a_model_with_a_summary_and_its_topics() -> None:
    described = {t: d for t, d in describe().items() if t.startswith("rtc.")}
    assert set(described) == TYPES
    for type, doc in described.items():
        assert doc["summary"], type
        assert doc["topics"], type
        assert model_of(type).__module__ == "rtc.events"


def test_no_event_of_the_service_is_published_untyped() -> None:
    root = Path(events.__file__).parent
    sources = [*root.glob("*.py"), *root.glob("service/*.py")]
    assert sources
    for source in sources:
        assert "publish_untyped" not in source.read_text(encoding="utf-8"), source.name


def test_the_session_view_is_what_the_screens_read() -> None:
    recording = Recording(state="done", file="x-0.mkv", node="n1", started_at=NOW, size=10)
    stored = session(
        state=SessionState.WRAP_UP,
        notes="内部备注",
        callback_phone="13800138000",
        declined=["a"],
        quality=[QualitySample(at=NOW, party="citizen", level=4)],
        recording=recording,
        earlier_recordings=[recording],
    )
    data = events.CallEnded(session=SessionView.of(stored, "社保医保", (1, 6.0))).payload()
    view = data["session"]
    # No place once out of the line; never the agent's notes, the call-back number, who
    # declined, the quality samples or where a recording's file lies.
    assert set(view) == SESSION_KEYS
    assert view["state"] == "wrap_up"
    assert view["topic_name"] == "社保医保"
    assert view["created_at"] == "2026-11-26T02:00:00Z"
    assert set(view["recording"]) == {
        "state",
        "started_at",
        "ended_at",
        "duration_s",
        "size",
        "reason",
    }
    assert view["earlier_recordings"] == [view["recording"]]


def test_a_waiting_session_carries_its_place_once_placed() -> None:
    waiting = session()
    assert "position" not in SessionView.of(waiting, "社保医保").model_dump(mode="json")
    placed = SessionView.of(waiting, "社保医保", (2, 4.5)).model_dump(mode="json")
    assert (placed["position"], placed["estimate_minutes"]) == (2, 4.5)
    assert set(placed) == SESSION_KEYS | {"position", "estimate_minutes"}


def test_supervisors_see_quality_and_notes_in_one_session_only() -> None:
    stored = session(state=SessionState.ENDED, notes="已解答")
    party = SessionDetail.of(stored, "社保医保").model_dump(mode="json")
    assert set(party) == SESSION_KEYS
    supervisor = (
        SessionDetail.of(stored, "社保医保")
        .model_copy(update={"quality": stored.quality, "notes": stored.notes})
        .model_dump(mode="json")
    )
    assert (supervisor["quality"], supervisor["notes"]) == ([], "已解答")


def test_the_agent_view_and_the_offer() -> None:
    agent = Agent(
        id="agent-1",
        name="李强",
        skills=["shebao"],
        status=AgentStatus.AVAILABLE,
        status_since=NOW,
        idle_since=NOW,
        seen_at=NOW,
        consoles=1,
    )
    view = events.AgentUpdated(agent=AgentView.of(agent, present=True)).payload()["agent"]
    assert view == {
        "id": "agent-1",
        "name": "李强",
        "skills": ["shebao"],
        "status": "available",
        "status_since": "2026-11-26T02:00:00Z",
        "idle_since": "2026-11-26T02:00:00Z",
        "session_id": None,
        "consoles": 1,
        "present": True,
    }
    offered = session(state=SessionState.OFFERED, offer_expires=NOW + timedelta(seconds=20))
    data = events.CallOffered(
        session=SessionView.of(offered, "社保医保"), expires_at=NOW + timedelta(seconds=20)
    ).payload()
    assert data["expires_at"] == "2026-11-26T02:00:20Z"
    assert data["session"]["offer_expires"] == data["expires_at"]


def test_a_signal_is_sent_from_a_party_as_the_browser_wrote_it() -> None:
    candidate = {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host", "sdpMLineIndex": 0}
    data = events.SignalSent(
        sender="citizen", to=None, link="call", kind="candidate", sdp=None, candidate=candidate
    ).payload()
    assert data == {
        "from": "citizen",
        "to": None,
        "link": "call",
        "kind": "candidate",
        "sdp": None,
        "candidate": candidate,
    }
    assert "from" in describe()["rtc.signal_sent"]["data"]["properties"]
    assert events.SignalSent.model_validate(data).sender == "citizen"  # kept data checks again


def test_a_payload_that_does_not_fit_is_refused_where_it_is_made() -> None:
    with pytest.raises(ValidationError):
        events.QualityReported(party="supervisor", level=3, state="connected")
    with pytest.raises(ValidationError):
        events.CallbackRequested(
            session_id="s",
            citizen_id="c-1",
            citizen_name="张*",
            phone="010-1234",
            topic_name="社保医保",
        )
    message = ChatMessage(id="m1", at=NOW, sender="agent", sender_name="李强", text="您好")
    assert events.ChatPosted(message=message).payload()["message"] == {
        "id": "m1",
        "at": "2026-11-26T02:00:00Z",
        "sender": "agent",
        "sender_name": "李强",
        "text": "您好",
        "image_id": None,
        "image_type": None,
    }

"""Events video customer service publishes: one model per type, and the topics they go to.

On `citizen:<id>` (the caller): position_changed, callback_offered, callback_requested,
call_accepted, call_transferred, call_ended.
On `agent:<id>` (the agent's console): call_offered, offer_withdrawn, agent_updated, and
call_accepted, call_transferred, call_ended of the agent's call (a console that follows no call
yet, or another console of the agent's, keeps its call from this topic alone).
On `rtc:<session>` (the two parties; supervisors): call_accepted, signal_sent, chat_posted,
quality_reported, recording_changed, call_transferred, call_ended.
On `rtc:queue` (agents and supervisors): queue_changed.

    await bus.publish(events.session_topic(session.id), events.ChatPosted(message=message))
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import ConfigDict, Field

from hub.events.types import Event
from rtc.models import (
    ActiveEntry,
    AgentView,
    ChatMessage,
    IceCandidate,
    RecordingView,
    SessionView,
    WaitingEntry,
)

QUEUE_TOPIC: Final = "rtc:queue"

Party = Literal["citizen", "agent"]
ConnectionState = Literal["connected", "reconnecting", "failed"]


def citizen_topic(citizen_id: str) -> str:
    return f"citizen:{citizen_id}"


def agent_topic(agent_id: str) -> str:
    return f"agent:{agent_id}"


def session_topic(session_id: str) -> str:
    return f"rtc:{session_id}"


# -- the citizen waiting ----------------------------------------------------------------------


class PositionChanged(Event, type="rtc.position_changed", topics=("citizen",)):
    """A waiting citizen's place in their topic's line, or the expected wait, changed.

    Told only when it changed."""

    session_id: str
    position: int = Field(ge=1)  # 1: next
    estimate_minutes: float = Field(ge=0)


class CallbackOffered(Event, type="rtc.callback_offered", topics=("citizen",)):
    """A citizen waited long: the page offers a call-back or a message instead.

    Told once per consultation."""

    session_id: str
    waited_minutes: int = Field(ge=0)


class CallbackRequested(Event, type="rtc.callback_requested", topics=("citizen",)):
    """A citizen left the line asking to be called back on a phone number.

    The message center listens: it confirms to the citizen by SMS and in-app, keeps the number
    as the citizen's SMS address (`citizen:<citizen_id>`), and tells the video service's
    supervisors whom to call. Published once, on the citizen's topic only (the number goes
    to no agent's console)."""

    session_id: str
    citizen_id: str  # the citizen's account: the message center's `citizen:<id>`
    citizen_name: str  # masked
    phone: str = Field(pattern=r"^1[3-9]\d{9}$")  # a mainland mobile, as the citizen typed it
    topic_name: str


# -- the agent's console ----------------------------------------------------------------------


class CallOffered(Event, type="rtc.call_offered", topics=("agent",)):
    """A waiting consultation is offered to one agent, to accept before `expires_at`."""

    session: SessionView
    expires_at: datetime


class OfferWithdrawn(Event, type="rtc.offer_withdrawn", topics=("agent",)):
    """The call offered to the agent is no longer theirs.

    Declined, timed out, the citizen left, the agent went away or offline: `reason` says."""

    session_id: str
    reason: str


class AgentUpdated(Event, type="rtc.agent_updated", topics=("agent",)):
    """An agent's status, skills or current call changed."""

    agent: AgentView


class QueueChanged(Event, type="rtc.queue_changed", topics=("rtc",)):
    """The line changed: who waits (first come first), who is in a call, and every agent.

    Each request and call with what the monitor's board shows of it (the caller's name, the
    agent's, when the call was answered): the board follows the line without reloading."""

    waiting: list[WaitingEntry]
    active: list[ActiveEntry]
    agents: list[AgentView]


# -- the call ---------------------------------------------------------------------------------


class CallAccepted(Event, type="rtc.call_accepted", topics=("citizen", "rtc", "agent")):
    """An agent took the call: the parties start the call's peer connection.

    The session already says whether the call is recorded (`recording.state`)."""

    session: SessionView


class CallTransferred(Event, type="rtc.call_transferred", topics=("citizen", "rtc", "agent")):
    """The agent passed the call on: to the line of another topic, or offered to one agent."""

    session: SessionView


class CallEnded(Event, type="rtc.call_ended", topics=("citizen", "rtc", "agent")):
    """A consultation ended: hung up, left before an answer, or a party did not come back."""

    session: SessionView


class SignalSent(Event, type="rtc.signal_sent", topics=("rtc",)):
    """A signaling message relayed to the other party, or the hub's answer to a recorder offer.

    The hub's answer has `from: "hub"` and `to`: the party who offered. Each party drops its
    own."""

    # `from` is a Python keyword: the field's name on the wire is its alias.
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    sender: Literal["citizen", "agent", "hub"] = Field(alias="from")
    to: Party | None  # None: the other party of the call
    link: Literal["call", "recorder", "monitor"]
    kind: Literal["offer", "answer", "candidate", "renegotiate"]
    # The browser's own WebRTC data, relayed as it came (bounded by the command's input).
    sdp: str | None = Field(max_length=100_000)
    # A free-form JSON object: RTCIceCandidate.toJSON() (None: the end of candidates).
    candidate: IceCandidate | None


class ChatPosted(Event, type="rtc.chat_posted", topics=("rtc",)):
    """A text or a picture in the call's chat."""

    message: ChatMessage


class QualityReported(Event, type="rtc.quality_reported", topics=("rtc",)):
    """A party's connection quality: 0 (no connection) to 5 (excellent).

    A citizen whose page closed during the call is reported at level 0, `reconnecting`."""

    party: Party
    level: int = Field(ge=0, le=5)
    state: ConnectionState


class RecordingChanged(Event, type="rtc.recording_changed", topics=("rtc",)):
    """The call's recording was closed: done (with its length and size) or failed."""

    recording: RecordingView

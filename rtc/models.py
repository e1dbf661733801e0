"""Stored documents and value objects of video customer service (视频客服). No I/O."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
SessionId = Annotated[str, StringConstraints(pattern=r"^[a-f0-9]{20}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Topic(_Model):
    """What a citizen wants to talk about; agents have topics as skills."""

    id: Slug = Field(alias="_id")
    name: str = Field(min_length=1, max_length=40)
    description: str = Field("", max_length=200)
    # Minutes a call of this topic usually takes (the wait estimate until calls are measured).
    expected_minutes: float = Field(6.0, gt=0, le=120)
    active: bool = True


class AgentStatus(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"  # 空闲: may be offered a call
    BUSY = "busy"  # 通话中
    WRAP_UP = "wrap_up"  # 话后处理
    AWAY = "away"  # 小休


class Agent(_Model):
    """An agent's presence (collection `rtc_agents`, one per account)."""

    id: str = Field(alias="_id")  # the account
    name: str
    skills: list[Slug] = Field(default_factory=list)
    status: AgentStatus = AgentStatus.OFFLINE
    status_since: datetime
    idle_since: datetime  # since the last call ended (longest idle goes first)
    session_id: str | None = None  # the call they are on or being offered
    # Refreshed while a console of theirs is connected to any node: a reload keeps presence,
    # a console gone longer than the grace period is offline.
    seen_at: datetime
    consoles: int = 0  # consoles open on any node; 0: not offered calls (closed, reloading)
    version: int = 0


class SessionState(StrEnum):
    WAITING = "waiting"  # in the queue
    OFFERED = "offered"  # an agent is being asked
    ACTIVE = "active"  # talking
    WRAP_UP = "wrap_up"  # the call ended; the agent writes notes
    ENDED = "ended"
    ABANDONED = "abandoned"  # the citizen left before an answer
    CALLBACK = "callback"  # waited too long, asked to be called back / messaged


OPEN_STATES = frozenset({SessionState.WAITING, SessionState.OFFERED, SessionState.ACTIVE})


class Transfer(_Model):
    at: datetime
    from_agent: str
    to_agent: str | None = None
    to_topic: str | None = None
    note: str = ""


class ChatMessage(_Model):
    id: str
    at: datetime
    sender: Literal["citizen", "agent", "system"]
    sender_name: str
    text: str = ""
    image_id: str | None = None  # GridFS file
    image_type: str | None = None


class QualitySample(_Model):
    at: datetime
    party: Literal["citizen", "agent"]
    rtt_ms: float | None = None
    loss_pct: float | None = None
    bitrate_kbps: float | None = None
    level: int = Field(ge=0, le=5)


class Recording(_Model):
    state: Literal["recording", "done", "failed", "refused", "expired"]
    file: str | None = None  # under the data directory's recordings/
    node: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    size: int | None = None
    reason: str = ""


class Rating(_Model):
    stars: int = Field(ge=1, le=5)
    comment: str = ""
    at: datetime


class Session(_Model):
    """A consultation from request to rating (collection `rtc_sessions`)."""

    id: str = Field(alias="_id")
    citizen_id: str
    citizen_name: str  # masked
    topic: str
    state: SessionState = SessionState.WAITING
    created_at: datetime
    queued_at: datetime  # the wait counts from here (kept across a transfer to a topic)
    offered_to: str | None = None
    offer_expires: datetime | None = None
    declined: list[str] = Field(default_factory=list)  # agents who declined or let it time out
    agent_id: str | None = None
    agent_name: str = ""
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str = ""
    # A party whose connection dropped (ICE failed / socket gone): since when; cleared when it
    # comes back. After the grace period the call ends.
    dropped: dict[str, datetime] = Field(default_factory=dict)
    transfers: list[Transfer] = Field(default_factory=list)
    chat: list[ChatMessage] = Field(default_factory=list)
    quality: list[QualitySample] = Field(default_factory=list)
    notes: str = ""
    rating: Rating | None = None
    recording: Recording | None = None  # the current agent's part of the call
    earlier_recordings: list[Recording] = Field(default_factory=list)  # before transfers
    callback_phone: str = ""
    version: int = 0


# -- views: what the screens are sent, in events and answers alike ---------------------------


def _absent(value: object) -> bool:
    return value is None


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordingView(_View):
    """A recording as the screens see it (where its file lies is the hub's business)."""

    state: Literal["recording", "done", "failed", "refused", "expired"]
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    size: int | None = None
    reason: str = ""

    @classmethod
    def of(cls, recording: Recording) -> RecordingView:
        return cls(
            state=recording.state,
            started_at=recording.started_at,
            ended_at=recording.ended_at,
            duration_s=recording.duration_s,
            size=recording.size,
            reason=recording.reason,
        )


class SessionView(_View):
    """`<session>` of docs/rtc.md: a consultation as its parties and supervisors see it (not
    who declined it, the call-back number, quality samples or the agent's notes)."""

    id: str
    citizen_id: str
    citizen_name: str  # masked
    topic: str
    topic_name: str
    state: SessionState
    created_at: datetime
    queued_at: datetime
    offered_to: str | None
    offer_expires: datetime | None
    agent_id: str | None
    agent_name: str
    answered_at: datetime | None
    ended_at: datetime | None
    end_reason: str
    transfers: list[Transfer]
    chat: list[ChatMessage]
    rating: Rating | None
    recording: RecordingView | None
    earlier_recordings: list[RecordingView]  # the parts before a transfer
    version: int
    # While waiting, once placed: sent only then (a screen tells "not placed yet" by absence).
    position: int | None = Field(None, exclude_if=_absent)
    estimate_minutes: float | None = Field(None, exclude_if=_absent)

    @classmethod
    def of(cls, session: Session, topic_name: str, place: tuple[int, float] | None = None) -> Self:
        waiting = session.state in (SessionState.WAITING, SessionState.OFFERED)
        position, estimate = place if place is not None and waiting else (None, None)
        return cls(
            id=session.id,
            citizen_id=session.citizen_id,
            citizen_name=session.citizen_name,
            topic=session.topic,
            topic_name=topic_name,
            state=session.state,
            created_at=session.created_at,
            queued_at=session.queued_at,
            offered_to=session.offered_to,
            offer_expires=session.offer_expires,
            agent_id=session.agent_id,
            agent_name=session.agent_name,
            answered_at=session.answered_at,
            ended_at=session.ended_at,
            end_reason=session.end_reason,
            transfers=session.transfers,
            chat=session.chat,
            rating=session.rating,
            recording=RecordingView.of(session.recording) if session.recording else None,
            earlier_recordings=[RecordingView.of(r) for r in session.earlier_recordings],
            version=session.version,
            position=position,
            estimate_minutes=estimate,
        )


class SessionDetail(SessionView):
    """One consultation as `GET /rtc/sessions/{id}` answers: supervisors also see the call's
    quality samples and the agent's notes."""

    quality: list[QualitySample] | None = Field(None, exclude_if=_absent)
    notes: str | None = Field(None, exclude_if=_absent)


class AgentView(_View):
    """An agent as the consoles and the line show them."""

    id: str
    name: str
    skills: list[str]
    status: AgentStatus
    status_since: datetime
    idle_since: datetime
    session_id: str | None
    consoles: int
    present: bool

    @classmethod
    def of(cls, agent: Agent, present: bool) -> AgentView:
        return cls(
            id=agent.id,
            name=agent.name,
            skills=agent.skills,
            status=agent.status,
            status_since=agent.status_since,
            idle_since=agent.idle_since,
            session_id=agent.session_id,
            consoles=agent.consoles,
            present=present,
        )


class WaitingEntry(_View):
    """A request in the line, with what the monitor's board shows of it (no reload needed)."""

    session_id: str
    topic: str
    citizen_name: str  # masked
    state: SessionState  # waiting, or offered to an agent
    queued_at: datetime


class ActiveEntry(_View):
    """A call in progress, with what the monitor's board shows of it."""

    session_id: str
    topic: str
    citizen_name: str  # masked
    agent_id: str | None
    agent_name: str
    answered_at: datetime | None


class TopicNow(_View):
    """A topic as the citizen's page lists it: how many agents take it now, how many wait."""

    id: str
    name: str
    description: str
    expected_minutes: float
    active: bool
    agents_online: int
    waiting: int


class Overview(_View):
    """The line now (`GET /rtc/overview`): who waits, who talks, the agents."""

    waiting: list[SessionView]
    active: list[SessionView]
    agents: list[AgentView]


class Hello(_View):
    """An agent console's `rtc.agent_hello`: the agent and the call they are on, if any."""

    agent: AgentView
    session: SessionView | None


# -- inputs -----------------------------------------------------------------------------------


class RequestIn(_Input):
    topic: Slug
    name: str = Field("", max_length=40)


class SessionRef(_Input):
    session_id: SessionId


class StatusIn(_Input):
    status: Literal["available", "away", "wrap_up"]


class SkillsIn(_Input):
    skills: list[Slug] = Field(max_length=30)


# An ICE candidate as a browser's RTCIceCandidate.toJSON() writes it ({candidate, sdpMid,
# sdpMLineIndex, usernameFragment}); relayed to the other party, so bounded in size.
IceCandidate = Annotated[
    dict[
        Annotated[str, StringConstraints(max_length=32)],
        Annotated[str, StringConstraints(max_length=2000)] | int | None,
    ],
    Field(max_length=8),
]


class SignalIn(_Input):
    """One signaling message on a session: an SDP offer or answer, an ICE candidate (None:
    end of candidates), or a renegotiation request after a dropped connection."""

    session_id: SessionId
    kind: Literal["offer", "answer", "candidate", "renegotiate"]
    sdp: str | None = Field(None, max_length=100_000)
    candidate: IceCandidate | None = None
    # Which connection: the call between the two parties, or a party's to the hub's recorder,
    # or a supervisor's monitor.
    link: Literal["call", "recorder", "monitor"] = "call"
    # A monitor connection carries one party's audio and video (aiortc sends one video per
    # connection reliably): a supervisor opens one for each.
    party: Literal["citizen", "agent"] | None = None


class ChatIn(_Input):
    session_id: SessionId
    text: str = Field(min_length=1, max_length=2000)


class TransferIn(_Input):
    session_id: SessionId
    to_agent: str | None = Field(None, max_length=60)
    to_topic: Slug | None = None
    note: str = Field("", max_length=200)


class QualityIn(_Input):
    session_id: SessionId
    rtt_ms: float | None = Field(None, ge=0, le=60_000)
    loss_pct: float | None = Field(None, ge=0, le=100)
    bitrate_kbps: float | None = Field(None, ge=0, le=1_000_000)
    state: Literal["connected", "reconnecting", "failed"] = "connected"


class WrapUpIn(_Input):
    session_id: SessionId
    notes: str = Field("", max_length=4000)


class RatingIn(_Input):
    session_id: SessionId
    stars: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)


class CallbackIn(_Input):
    session_id: SessionId
    phone: str = Field(pattern=r"^1[3-9]\d{9}$")

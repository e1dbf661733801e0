"""Pure rules of video customer service. No I/O.

Routing (TaskRouter-style): the longest-waiting request goes to the longest-idle available
agent who has the request's topic as a skill and has not declined it; an agent has at most one
call (offered or active). An offer not accepted within OFFER_SECONDS counts as declined and
the request goes to the next agent; when every skilled agent has declined, the declines are
forgotten after DECLINE_COOLDOWN so the request is offered round again rather than stranded.
A transfer puts the call back in the queue of another topic (keeping its queue time) or
offers it to one named agent.

Presence: a node refreshes `seen_at` of the agents whose console is connected to it; an agent
not seen for PRESENCE_GRACE (a reload takes a second or two) is offline, and a call offered to
them goes back to the queue.

Calls: a party whose connection dropped has CALL_GRACE to come back (a new peer connection:
aiortc cannot restart ICE); after it the call ends.
"""

from __future__ import annotations

import statistics as stats
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.auth.models import Principal, Role
from rtc import errors
from rtc.models import (
    OPEN_STATES,
    Agent,
    AgentStatus,
    Session,
    SessionState,
)

OFFER_SECONDS = 20.0
DECLINE_COOLDOWN = timedelta(seconds=60)
PRESENCE_GRACE = timedelta(seconds=30)
CALL_GRACE = timedelta(seconds=30)
CALLBACK_AFTER = timedelta(minutes=10)


# -- routing ----------------------------------------------------------------------------------


def present(agent: Agent, now: datetime) -> bool:
    return agent.status is not AgentStatus.OFFLINE and now - agent.seen_at <= PRESENCE_GRACE


def can_take(agent: Agent, now: datetime) -> bool:
    """Offered a call now: available, free, present, and a console open to take it."""
    return (
        agent.status is AgentStatus.AVAILABLE
        and agent.session_id is None
        and agent.consoles > 0
        and present(agent, now)
    )


def route(
    waiting: Iterable[Session], agents: Iterable[Agent], now: datetime
) -> list[tuple[Session, Agent]]:
    """Offers to make now: (request, agent) pairs, longest-waiting request first, each to the
    longest-idle free agent with the skill who has not declined it."""
    free = sorted((a for a in agents if can_take(a, now)), key=lambda a: (a.idle_since, a.id))
    offers: list[tuple[Session, Agent]] = []
    queue = sorted(
        (s for s in waiting if s.state is SessionState.WAITING), key=lambda s: (s.queued_at, s.id)
    )
    for session in queue:
        skilled = [a for a in free if session.topic in a.skills]
        fresh = [a for a in skilled if a.id not in session.declined]
        cooled = session.offer_expires is None or now - session.offer_expires >= DECLINE_COOLDOWN
        pick = fresh[0] if fresh else (skilled[0] if skilled and cooled else None)
        if pick is not None:
            offers.append((session, pick))
            free.remove(pick)
    return offers


def offer(session: Session, agent: Agent, now: datetime) -> Session:
    declined = session.declined if agent.id not in session.declined else []
    return session.model_copy(
        update={
            "state": SessionState.OFFERED,
            "offered_to": agent.id,
            "offer_expires": now + timedelta(seconds=OFFER_SECONDS),
            "declined": declined,
        }
    )


def decline(session: Session, agent_id: str, now: datetime) -> Session:
    """The agent said no, or let the offer run out: back to the queue, that agent excluded."""
    if session.state is not SessionState.OFFERED or session.offered_to != agent_id:
        raise errors.NotOffered()
    return session.model_copy(
        update={
            "state": SessionState.WAITING,
            "offered_to": None,
            "offer_expires": now,
            "declined": [*session.declined, agent_id],
        }
    )


def accept(session: Session, agent: Agent, now: datetime) -> Session:
    if session.state is not SessionState.OFFERED or session.offered_to != agent.id:
        raise errors.NotOffered()
    if session.offer_expires is not None and now > session.offer_expires:
        raise errors.OfferExpired()
    return session.model_copy(
        update={
            "state": SessionState.ACTIVE,
            "agent_id": agent.id,
            "agent_name": agent.name,
            "answered_at": session.answered_at or now,
            "offered_to": None,
            "offer_expires": None,
        }
    )


def offer_expired(session: Session, now: datetime) -> bool:
    return (
        session.state is SessionState.OFFERED
        and session.offer_expires is not None
        and now > session.offer_expires
    )


# -- the queue as the citizen sees it ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    position: int  # 1: next
    estimate_minutes: float


def places(
    waiting: Sequence[Session],
    agents: Sequence[Agent],
    handle_minutes: dict[str, float],
) -> dict[str, Place]:
    """Each waiting request's place in its topic's line and the expected wait: the work ahead
    (calls ahead and the one before it, at the topic's handling time) shared among the agents
    online with the skill."""
    answer: dict[str, Place] = {}
    by_topic: dict[str, list[Session]] = {}
    for s in waiting:
        if s.state in (SessionState.WAITING, SessionState.OFFERED):
            by_topic.setdefault(s.topic, []).append(s)
    for topic, line in by_topic.items():
        line.sort(key=lambda s: (s.queued_at, s.id))
        online = sum(1 for a in agents if topic in a.skills and a.status is not AgentStatus.OFFLINE)
        minutes = handle_minutes.get(topic, 6.0)
        for index, session in enumerate(line):
            estimate = (
                (index + 1) * minutes / max(online, 1) if online else float(index + 1) * minutes
            )
            answer[session.id] = Place(index + 1, round(estimate, 1))
    return answer


def handle_minutes(recent: Iterable[Session], expected: float) -> float:
    """The median talk time of recent calls of a topic, or the configured one."""
    times = [
        (s.ended_at - s.answered_at).total_seconds() / 60
        for s in recent
        if s.answered_at is not None and s.ended_at is not None
    ]
    return round(stats.median(times), 1) if len(times) >= 3 else expected


def callback_due(session: Session, now: datetime) -> bool:
    return session.state is SessionState.WAITING and now - session.queued_at >= CALLBACK_AFTER


# -- calls ------------------------------------------------------------------------------------


class Party:
    CITIZEN = "citizen"
    AGENT = "agent"
    SUPERVISOR = "supervisor"


def party_of(principal: Principal, session: Session) -> str:
    """Who the caller is in this session; a stranger is refused (SESSION_FORBIDDEN)."""
    if principal.role is Role.CITIZEN and principal.sub == session.citizen_id:
        return Party.CITIZEN
    if principal.role is Role.AGENT and principal.sub in (session.agent_id, session.offered_to):
        return Party.AGENT
    if principal.role in (Role.SUPERVISOR, Role.ADMIN):
        return Party.SUPERVISOR
    raise errors.SessionForbidden()


def check_signal(party: str, session: Session, link: str) -> None:
    """Signaling is for the two parties of an active call (a supervisor only on a monitor
    link of their own)."""
    if session.state is not SessionState.ACTIVE:
        raise errors.NotInCall(state=session.state.value)
    if party == Party.SUPERVISOR and link != "monitor":
        raise errors.SessionForbidden("主管只能静默监听")
    if party != Party.SUPERVISOR and link == "monitor":
        raise errors.SessionForbidden()


def end(session: Session, reason: str, now: datetime) -> Session:
    if session.state in (SessionState.WAITING, SessionState.OFFERED):
        return session.model_copy(
            update={
                "state": SessionState.ABANDONED,
                "ended_at": now,
                "end_reason": reason,
                "offered_to": None,
            }
        )
    if session.state is not SessionState.ACTIVE:
        raise errors.NotInCall(state=session.state.value)
    return session.model_copy(
        update={"state": SessionState.WRAP_UP, "ended_at": now, "end_reason": reason, "dropped": {}}
    )


def transfer(
    session: Session,
    now: datetime,
    *,
    from_agent: str,
    to_agent: Agent | None,
    to_topic: str | None,
    note: str,
) -> Session:
    if session.state is not SessionState.ACTIVE or session.agent_id != from_agent:
        raise errors.NotInCall(state=session.state.value)
    if to_agent is None and to_topic is None:
        raise errors.TransferTarget()
    if to_agent is not None and to_agent.id == from_agent:
        raise errors.TransferTarget("不能转给自己")
    from rtc.models import Transfer

    record = Transfer(
        at=now,
        from_agent=from_agent,
        to_agent=to_agent.id if to_agent else None,
        to_topic=to_topic,
        note=note,
    )
    moved = session.model_copy(
        update={
            "state": SessionState.WAITING,
            "topic": to_topic or session.topic,
            "agent_id": None,
            "agent_name": "",
            "declined": [from_agent],
            "offered_to": None,
            # Counts as a decline just now: not offered back to the transferrer at once.
            "offer_expires": now,
            "dropped": {},
            "transfers": [*session.transfers, record],
        }
    )
    if to_agent is not None:
        moved = offer(moved, to_agent, now)
    return moved


def drop_expired(session: Session, now: datetime) -> str | None:
    """The party whose grace period to come back ran out, if any."""
    for party, since in session.dropped.items():
        if now - since > CALL_GRACE:
            return party
    return None


def is_open(session: Session) -> bool:
    return session.state in OPEN_STATES


# -- quality ----------------------------------------------------------------------------------


def quality_level(
    rtt_ms: float | None, loss_pct: float | None, bitrate_kbps: float | None, state: str
) -> int:
    """0 (no connection) to 5 (excellent), like Twilio Video's network quality levels: packet
    loss weighs most, then round-trip time, then a starved bitrate."""
    if state != "connected":
        return 0
    level = 5
    if loss_pct is not None:
        level -= 1 if loss_pct > 1 else 0
        level -= 1 if loss_pct > 3 else 0
        level -= 1 if loss_pct > 6 else 0
        level -= 1 if loss_pct > 12 else 0
    if rtt_ms is not None:
        level -= 1 if rtt_ms > 200 else 0
        level -= 1 if rtt_ms > 500 else 0
    if bitrate_kbps is not None and bitrate_kbps < 100:
        level -= 1
    return max(level, 1)


# -- statistics -------------------------------------------------------------------------------


@dataclass
class Stats:
    key: str
    requests: int = 0
    answered: int = 0
    abandoned: int = 0
    callbacks: int = 0
    mean_wait_s: float | None = None
    max_wait_s: float | None = None
    mean_talk_s: float | None = None
    mean_rating: float | None = None
    transfers: int = 0


def statistics(sessions: Iterable[Session], by: str) -> list[Stats]:
    """Per topic or agent ("topic" | "agent" | "all"): requests, answered, abandoned, call-backs,
    waits (queue to answer), talk time (answer to hang-up), ratings, transfers."""
    groups: dict[str, list[Session]] = {}
    for s in sessions:
        key = "all" if by == "all" else (s.topic if by == "topic" else (s.agent_id or "—"))
        groups.setdefault(key, []).append(s)
    rows = []
    for key in sorted(groups):
        line = groups[key]
        waits = [
            (s.answered_at - s.queued_at).total_seconds() for s in line if s.answered_at is not None
        ]
        talks = [
            (s.ended_at - s.answered_at).total_seconds()
            for s in line
            if s.answered_at is not None and s.ended_at is not None
        ]
        ratings = [s.rating.stars for s in line if s.rating is not None]
        rows.append(
            Stats(
                key=key,
                requests=len(line),
                answered=sum(s.answered_at is not None for s in line),
                abandoned=sum(s.state is SessionState.ABANDONED for s in line),
                callbacks=sum(s.state is SessionState.CALLBACK for s in line),
                mean_wait_s=round(stats.mean(waits), 1) if waits else None,
                max_wait_s=round(max(waits), 1) if waits else None,
                mean_talk_s=round(stats.mean(talks), 1) if talks else None,
                mean_rating=round(stats.mean(ratings), 2) if ratings else None,
                transfers=sum(len(s.transfers) for s in line),
            )
        )
    return rows

"""Video customer service rules (rtc/domain.py), pure: routing, offers, the queue as the
citizen sees it, call parties, transfers, quality and statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.auth.models import Principal, Role
from rtc import domain, errors
from rtc.domain import (
    CALL_GRACE,
    CALLBACK_AFTER,
    DECLINE_COOLDOWN,
    OFFER_SECONDS,
    PRESENCE_GRACE,
    Party,
    Place,
    Stats,
)
from rtc.models import Agent, AgentStatus, Rating, Session, SessionState, Transfer

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
OFFER = timedelta(seconds=OFFER_SECONDS)


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def make_agent(
    agent_id: str,
    *skills: str,
    status: AgentStatus = AgentStatus.AVAILABLE,
    idle_since: datetime = T0 - timedelta(minutes=5),
    seen_at: datetime = T0,
    session_id: str | None = None,
    name: str = "",
    consoles: int = 1,
) -> Agent:
    return Agent(
        id=agent_id,
        name=name or f"坐席{agent_id}",
        skills=list(skills or ("shebao",)),
        status=status,
        status_since=T0 - timedelta(hours=1),
        idle_since=idle_since,
        seen_at=seen_at,
        session_id=session_id,
        consoles=consoles,
    )


def make_session(
    session_id: str,
    topic: str = "shebao",
    *,
    queued_at: datetime = T0 - timedelta(minutes=1),
    state: SessionState = SessionState.WAITING,
    citizen_id: str = "c-1",
    **fields: Any,
) -> Session:
    return Session(
        id=session_id,
        citizen_id=citizen_id,
        citizen_name="张*",
        topic=topic,
        state=state,
        created_at=queued_at,
        queued_at=queued_at,
        **fields,
    )


def pairs(offers: list[tuple[Session, Agent]]) -> list[tuple[str, str]]:
    return [(s.id, a.id) for s, a in offers]


def offered_session(agent_id: str = "a1", *, at: datetime = T0, **fields: Any) -> Session:
    return make_session(
        "s1",
        state=SessionState.OFFERED,
        offered_to=agent_id,
        offer_expires=at + OFFER,
        **fields,
    )


def active_session(agent_id: str = "a1", **fields: Any) -> Session:
    fields.setdefault("answered_at", T0 - timedelta(minutes=3))
    return make_session(
        "s1",
        state=SessionState.ACTIVE,
        agent_id=agent_id,
        agent_name=f"坐席{agent_id}",
        **fields,
    )


# -- presence ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "seen_ago", "session_id", "consoles", "is_present", "takes"),
    [
        (AgentStatus.AVAILABLE, timedelta(0), None, 1, True, True),
        (AgentStatus.AVAILABLE, timedelta(0), None, 2, True, True),
        (AgentStatus.AVAILABLE, PRESENCE_GRACE, None, 1, True, True),
        (AgentStatus.AVAILABLE, PRESENCE_GRACE + _s(1), None, 1, False, False),
        (AgentStatus.AVAILABLE, timedelta(0), "s9", 1, True, False),
        (AgentStatus.AVAILABLE, timedelta(0), None, 0, True, False),
        (AgentStatus.BUSY, timedelta(0), None, 1, True, False),
        (AgentStatus.WRAP_UP, timedelta(0), None, 1, True, False),
        (AgentStatus.AWAY, timedelta(0), None, 1, True, False),
        (AgentStatus.OFFLINE, timedelta(0), None, 1, False, False),
    ],
    ids=[
        "available-fresh",
        "available-two-consoles",
        "available-seen-exactly-at-grace",
        "available-seen-past-grace",
        "available-with-a-call",
        "available-no-console-open",
        "busy",
        "wrap-up",
        "away",
        "offline",
    ],
)
def test_present_and_can_take(
    status: AgentStatus,
    seen_ago: timedelta,
    session_id: str | None,
    consoles: int,
    is_present: bool,
    takes: bool,
) -> None:
    agent = make_agent(
        "a1", status=status, seen_at=T0 - seen_ago, session_id=session_id, consoles=consoles
    )
    assert domain.present(agent, T0) is is_present
    assert domain.can_take(agent, T0) is takes


# -- route ------------------------------------------------------------------------------------


def test_route_nothing_waiting_or_nobody_free() -> None:
    assert domain.route([], [make_agent("a1")], T0) == []
    assert domain.route([make_session("s1")], [], T0) == []


def test_route_offers_the_longest_waiting_request_first() -> None:
    newer = make_session("s-new", queued_at=T0 - timedelta(minutes=1))
    older = make_session("s-old", queued_at=T0 - timedelta(minutes=5))
    assert pairs(domain.route([newer, older], [make_agent("a1")], T0)) == [("s-old", "a1")]


def test_route_breaks_queue_ties_by_session_id() -> None:
    same = T0 - timedelta(minutes=2)
    b = make_session("s-b", queued_at=same)
    a = make_session("s-a", queued_at=same)
    assert pairs(domain.route([b, a], [make_agent("a1")], T0)) == [("s-a", "a1")]


def test_route_ignores_sessions_not_waiting() -> None:
    sessions = [
        make_session("s-offered", state=SessionState.OFFERED, queued_at=T0 - timedelta(hours=1)),
        make_session("s-active", state=SessionState.ACTIVE, queued_at=T0 - timedelta(hours=1)),
        make_session("s-waiting"),
    ]
    assert pairs(domain.route(sessions, [make_agent("a1")], T0)) == [("s-waiting", "a1")]


def test_route_gives_the_request_to_the_longest_idle_agent() -> None:
    agents = [
        make_agent("a1", idle_since=T0 - timedelta(minutes=10)),
        make_agent("a2", idle_since=T0 - timedelta(minutes=30)),
        make_agent("a3", idle_since=T0 - timedelta(minutes=20)),
    ]
    assert pairs(domain.route([make_session("s1")], agents, T0)) == [("s1", "a2")]


def test_route_breaks_idle_ties_by_agent_id() -> None:
    same = T0 - timedelta(minutes=10)
    agents = [
        make_agent("a2", idle_since=same, name="Adam"),
        make_agent("a1", idle_since=same, name="Zoe"),
    ]
    assert pairs(domain.route([make_session("s1")], agents, T0)) == [("s1", "a1")]


def test_route_respects_skills() -> None:
    agents = [
        make_agent("a1", "shebao", idle_since=T0 - timedelta(hours=2)),
        make_agent("a2", "gongjijin", "hukou", idle_since=T0 - timedelta(minutes=1)),
    ]
    request = make_session("s1", "gongjijin")
    assert pairs(domain.route([request], agents, T0)) == [("s1", "a2")]


def test_route_leaves_requests_of_a_topic_nobody_has() -> None:
    agents = [make_agent("a1", "shebao"), make_agent("a2", "hukou")]
    assert domain.route([make_session("s1", "gongjijin")], agents, T0) == []


def test_route_offers_an_agent_one_call_per_round() -> None:
    sessions = [
        make_session("s1", queued_at=T0 - timedelta(minutes=3)),
        make_session("s2", queued_at=T0 - timedelta(minutes=2)),
        make_session("s3", queued_at=T0 - timedelta(minutes=1)),
    ]
    one = [make_agent("a1")]
    assert pairs(domain.route(sessions, one, T0)) == [("s1", "a1")]
    two = [
        make_agent("a1", idle_since=T0 - timedelta(minutes=9)),
        make_agent("a2", idle_since=T0 - timedelta(minutes=4)),
    ]
    assert pairs(domain.route(sessions, two, T0)) == [("s1", "a1"), ("s2", "a2")]


@pytest.mark.parametrize(
    "unavailable",
    [
        make_agent("a0", status=AgentStatus.BUSY),
        make_agent("a0", status=AgentStatus.AWAY),
        make_agent("a0", status=AgentStatus.WRAP_UP),
        make_agent("a0", status=AgentStatus.OFFLINE),
        make_agent("a0", seen_at=T0 - PRESENCE_GRACE - _s(1)),
        make_agent("a0", session_id="s-other"),
        make_agent("a0", consoles=0),
    ],
    ids=["busy", "away", "wrap-up", "offline", "not-present", "has-a-session", "no-console"],
)
def test_route_skips_agents_who_cannot_take_a_call(unavailable: Agent) -> None:
    # a0 would be first by idle time; the request waits or goes to the free one.
    longest = unavailable.model_copy(update={"idle_since": T0 - timedelta(hours=5)})
    request = make_session("s1")
    assert domain.route([request], [longest], T0) == []
    free = make_agent("a9", idle_since=T0 - timedelta(minutes=1))
    assert pairs(domain.route([request], [longest, free], T0)) == [("s1", "a9")]


def test_route_offers_an_agent_seen_exactly_at_the_presence_grace() -> None:
    agent = make_agent("a1", seen_at=T0 - PRESENCE_GRACE)
    assert pairs(domain.route([make_session("s1")], [agent], T0)) == [("s1", "a1")]


def test_route_skips_a_decliner_while_another_skilled_agent_is_free() -> None:
    agents = [
        make_agent("a1", idle_since=T0 - timedelta(hours=1)),
        make_agent("a2", idle_since=T0 - timedelta(minutes=1)),
    ]
    request = make_session("s1", declined=["a1"], offer_expires=T0)
    assert pairs(domain.route([request], agents, T0)) == [("s1", "a2")]
    # Even long after the cooldown a fresh agent goes first.
    later = T0 + DECLINE_COOLDOWN * 10
    seen = [a.model_copy(update={"seen_at": later}) for a in agents]
    assert pairs(domain.route([request], seen, later)) == [("s1", "a2")]


@pytest.mark.parametrize(
    ("since_expiry", "offered"),
    [
        (timedelta(0), False),
        (_s(1), False),
        (DECLINE_COOLDOWN - _s(1), False),
        (DECLINE_COOLDOWN, True),
        (DECLINE_COOLDOWN + _s(1), True),
        (timedelta(hours=1), True),
    ],
    ids=[
        "just-expired",
        "1s-after",
        "1s-before-cooldown",
        "exactly-at-cooldown",
        "1s-after-cooldown",
        "long-after",
    ],
)
def test_route_offers_only_decliners_again_after_the_cooldown(
    since_expiry: timedelta, offered: bool
) -> None:
    now = T0 + since_expiry
    agents = [
        make_agent("a1", idle_since=T0 - timedelta(minutes=30), seen_at=now),
        make_agent("a2", idle_since=T0 - timedelta(minutes=40), seen_at=now),
        make_agent("a3", "hukou", idle_since=T0 - timedelta(hours=3), seen_at=now),  # unskilled
    ]
    request = make_session("s1", declined=["a1", "a2"], offer_expires=T0)
    result = pairs(domain.route([request], agents, now))
    # After the cooldown: the longest-idle decliner.
    assert result == ([("s1", "a2")] if offered else [])


def test_route_greedy_order_longest_waiting_takes_the_longest_idle_agent() -> None:
    # s1 (oldest, shebao) takes a1, the longest idle, although a1 is the only one who could
    # serve s2 (gongjijin): routing is greedy, not a matching, so s2 stays.
    sessions = [
        make_session("s2", "gongjijin", queued_at=T0 - timedelta(minutes=2)),
        make_session("s1", "shebao", queued_at=T0 - timedelta(minutes=5)),
    ]
    agents = [
        make_agent("a2", "shebao", idle_since=T0 - timedelta(minutes=3)),
        make_agent("a1", "shebao", "gongjijin", idle_since=T0 - timedelta(minutes=20)),
    ]
    assert pairs(domain.route(sessions, agents, T0)) == [("s1", "a1")]


def test_route_several_requests_and_agents_with_overlapping_skills() -> None:
    sessions = [
        make_session("s1", "shebao", queued_at=T0 - timedelta(minutes=9)),
        make_session("s2", "hukou", queued_at=T0 - timedelta(minutes=8)),
        make_session("s3", "shebao", queued_at=T0 - timedelta(minutes=7)),
        make_session("s4", "gongjijin", queued_at=T0 - timedelta(minutes=6)),
        make_session("s5", "hukou", queued_at=T0 - timedelta(minutes=5)),
        make_session(
            "s6", "shebao", queued_at=T0 - timedelta(minutes=4), declined=["a4"], offer_expires=T0
        ),
    ]
    agents = [
        make_agent("a1", "shebao", "hukou", idle_since=T0 - timedelta(minutes=50)),
        make_agent("a2", "hukou", idle_since=T0 - timedelta(minutes=40)),
        make_agent("a3", "shebao", "gongjijin", idle_since=T0 - timedelta(minutes=30)),
        make_agent("a4", "shebao", idle_since=T0 - timedelta(minutes=20)),
        make_agent("a5", "gongjijin", idle_since=T0 - timedelta(minutes=10)),
        make_agent("a6", "shebao", status=AgentStatus.BUSY, idle_since=T0 - timedelta(hours=1)),
    ]
    # s1 → a1 (longest idle with shebao); s2 → a2 (a1 is taken); s3 → a3; s4 → a5 (a3 taken);
    # s5: nobody left with hukou; s6: only a4 has shebao free, but declined it just now.
    offers = domain.route(sessions, agents, T0)
    assert pairs(offers) == [("s1", "a1"), ("s2", "a2"), ("s3", "a3"), ("s4", "a5")]


# -- offer / decline / accept -----------------------------------------------------------------


def test_offer_sets_the_offer_fields() -> None:
    session = make_session("s1", declined=["a7"], offer_expires=T0 - timedelta(minutes=5))
    offered = domain.offer(session, make_agent("a1"), T0)
    assert offered.state is SessionState.OFFERED
    assert offered.offered_to == "a1"
    assert offered.offer_expires == T0 + timedelta(seconds=20)
    assert offered.declined == ["a7"]
    assert session.state is SessionState.WAITING  # a copy
    assert session.offered_to is None


def test_offer_to_an_agent_who_declined_before_forgets_the_declines() -> None:
    session = make_session("s1", declined=["a1", "a2"], offer_expires=T0 - DECLINE_COOLDOWN)
    offered = domain.offer(session, make_agent("a2"), T0)
    assert offered.declined == []
    assert offered.offered_to == "a2"
    assert offered.offer_expires == T0 + OFFER


def test_decline_puts_the_request_back_and_excludes_the_agent() -> None:
    session = offered_session("a1", declined=["a7"])
    back = domain.decline(session, "a1", T0 + _s(5))
    assert back.state is SessionState.WAITING
    assert back.offered_to is None
    assert back.offer_expires == T0 + _s(5)
    assert back.declined == ["a7", "a1"]
    assert back.queued_at == session.queued_at


@pytest.mark.parametrize(
    ("session", "agent_id"),
    [
        (offered_session("a1"), "a2"),
        (make_session("s1"), "a1"),
        (active_session("a1"), "a1"),
    ],
    ids=["another-agent", "waiting", "active"],
)
def test_decline_of_what_was_not_offered(session: Session, agent_id: str) -> None:
    with pytest.raises(errors.NotOffered) as caught:
        domain.decline(session, agent_id, T0)
    assert caught.value.code == "NOT_OFFERED"


def test_accept_starts_the_call() -> None:
    session = offered_session("a1")
    agent = make_agent("a1", name="李四")
    active = domain.accept(session, agent, T0 + _s(3))
    assert active.state is SessionState.ACTIVE
    assert active.agent_id == "a1"
    assert active.agent_name == "李四"
    assert active.answered_at == T0 + _s(3)
    assert active.offered_to is None
    assert active.offer_expires is None


@pytest.mark.parametrize(
    "after", [timedelta(0), OFFER - _s(1), OFFER], ids=["at-once", "1s-before", "at-deadline"]
)
def test_accept_until_the_deadline(after: timedelta) -> None:
    active = domain.accept(offered_session("a1"), make_agent("a1"), T0 + after)
    assert active.state is SessionState.ACTIVE
    assert active.answered_at == T0 + after


@pytest.mark.parametrize(
    "after", [OFFER + timedelta(microseconds=1), OFFER + _s(1)], ids=["1us-late", "1s-late"]
)
def test_accept_after_the_deadline_is_expired(after: timedelta) -> None:
    with pytest.raises(errors.OfferExpired) as caught:
        domain.accept(offered_session("a1"), make_agent("a1"), T0 + after)
    assert caught.value.code == "OFFER_EXPIRED"


@pytest.mark.parametrize(
    ("session", "agent_id"),
    [
        (offered_session("a1"), "a2"),
        (make_session("s1"), "a1"),
        (make_session("s1", offered_to="a1"), "a1"),
        (active_session("a1"), "a1"),
    ],
    ids=["another-agent", "waiting", "waiting-with-stale-offered-to", "already-active"],
)
def test_accept_of_what_was_not_offered(session: Session, agent_id: str) -> None:
    with pytest.raises(errors.NotOffered) as caught:
        domain.accept(session, make_agent(agent_id), T0)
    assert caught.value.code == "NOT_OFFERED"


def test_accept_after_a_transfer_keeps_the_first_answer_time() -> None:
    first = domain.accept(offered_session("a1"), make_agent("a1"), T0 + _s(2))
    moved = domain.transfer(
        first,
        T0 + timedelta(minutes=4),
        from_agent="a1",
        to_agent=make_agent("a2"),
        to_topic=None,
        note="",
    )
    second = domain.accept(
        moved, make_agent("a2", name="王五"), T0 + timedelta(minutes=4, seconds=5)
    )
    assert second.answered_at == T0 + _s(2)
    assert second.agent_id == "a2"
    assert second.agent_name == "王五"


@pytest.mark.parametrize(
    ("state", "after", "expired"),
    [
        (SessionState.OFFERED, OFFER - _s(1), False),
        (SessionState.OFFERED, OFFER, False),
        (SessionState.OFFERED, OFFER + timedelta(microseconds=1), True),
        (SessionState.OFFERED, OFFER + _s(30), True),
        (SessionState.WAITING, OFFER + _s(30), False),
        (SessionState.ACTIVE, OFFER + _s(30), False),
    ],
    ids=["before", "at-deadline", "just-after", "long-after", "waiting", "active"],
)
def test_offer_expired(state: SessionState, after: timedelta, expired: bool) -> None:
    session = make_session("s1", state=state, offered_to="a1", offer_expires=T0 + OFFER)
    assert domain.offer_expired(session, T0 + after) is expired


def test_offer_expired_without_a_deadline() -> None:
    session = make_session("s1", state=SessionState.OFFERED, offered_to="a1")
    assert domain.offer_expired(session, T0 + timedelta(days=1)) is False


# -- the queue as the citizen sees it ---------------------------------------------------------


def test_places_per_topic_by_queue_time() -> None:
    waiting = [
        make_session("s3", "shebao", queued_at=T0 - timedelta(minutes=1)),
        make_session("s1", "shebao", queued_at=T0 - timedelta(minutes=9)),
        make_session("g1", "gongjijin", queued_at=T0 - timedelta(minutes=2)),
        make_session(
            "s2", "shebao", queued_at=T0 - timedelta(minutes=5), state=SessionState.OFFERED
        ),
        make_session("x1", "shebao", queued_at=T0 - timedelta(hours=1), state=SessionState.ACTIVE),
        make_session("g0", "gongjijin", queued_at=T0 - timedelta(minutes=3)),
    ]
    agents = [
        make_agent("a1", "shebao", "gongjijin"),
        make_agent("a2", "shebao", status=AgentStatus.BUSY),
        make_agent("a3", "shebao", status=AgentStatus.AWAY),
        make_agent("a4", "shebao", "gongjijin", status=AgentStatus.OFFLINE),
        make_agent("a5", "hukou"),
    ]
    minutes = {"shebao": 4.5, "gongjijin": 5.0}
    # shebao: 3 online (a1, a2, a3); gongjijin: 1 online (a1).
    assert domain.places(waiting, agents, minutes) == {
        "s1": Place(1, 1.5),
        "s2": Place(2, 3.0),
        "s3": Place(3, 4.5),
        "g0": Place(1, 5.0),
        "g1": Place(2, 10.0),
    }


def test_places_rounds_and_defaults_to_six_minutes() -> None:
    waiting = [make_session(f"s{i}", queued_at=T0 - timedelta(minutes=10 - i)) for i in range(3)]
    agents = [make_agent(f"a{i}") for i in range(3)]
    assert domain.places(waiting, agents, {"shebao": 7.0}) == {
        "s0": Place(1, 2.3),
        "s1": Place(2, 4.7),
        "s2": Place(3, 7.0),
    }
    assert domain.places(waiting, agents, {}) == {
        "s0": Place(1, 2.0),
        "s1": Place(2, 4.0),
        "s2": Place(3, 6.0),
    }


def test_places_ties_by_session_id() -> None:
    same = T0 - timedelta(minutes=3)
    waiting = [make_session("s-b", queued_at=same), make_session("s-a", queued_at=same)]
    assert domain.places(waiting, [make_agent("a1")], {"shebao": 2.0}) == {
        "s-a": Place(1, 2.0),
        "s-b": Place(2, 4.0),
    }


@pytest.mark.parametrize(
    "agents",
    [
        [],
        [make_agent("a1", "shebao", status=AgentStatus.OFFLINE)],
        [make_agent("a1", "hukou")],
    ],
    ids=["no-agents", "only-offline", "none-skilled"],
)
def test_places_with_nobody_online(agents: list[Agent]) -> None:
    waiting = [
        make_session("s1", queued_at=T0 - timedelta(minutes=2)),
        make_session("s2", queued_at=T0 - timedelta(minutes=1)),
    ]
    assert domain.places(waiting, agents, {"shebao": 3.0}) == {
        "s1": Place(1, 3.0),
        "s2": Place(2, 6.0),
    }


def test_places_of_nothing() -> None:
    assert domain.places([], [make_agent("a1")], {}) == {}


def _talk(minutes: float) -> Session:
    answered = T0 - timedelta(hours=1)
    return make_session(
        f"t{minutes}",
        state=SessionState.ENDED,
        answered_at=answered,
        ended_at=answered + timedelta(minutes=minutes),
    )


@pytest.mark.parametrize(
    ("recent", "expected"),
    [
        ([], 6.0),
        ([_talk(2), _talk(4)], 6.0),
        ([_talk(2), _talk(4), _talk(30)], 4.0),
        ([_talk(2), _talk(3), _talk(4), _talk(10)], 3.5),
        ([_talk(2.34), _talk(2.34), _talk(9)], 2.3),
        (
            [_talk(2), _talk(4), make_session("w1"), make_session("w2", answered_at=T0)],
            6.0,
        ),
    ],
    ids=["none", "two", "median-of-three", "median-of-four", "rounded", "unfinished-ignored"],
)
def test_handle_minutes(recent: list[Session], expected: float) -> None:
    assert domain.handle_minutes(recent, 6.0) == expected


@pytest.mark.parametrize(
    ("state", "waited", "due"),
    [
        (SessionState.WAITING, CALLBACK_AFTER - _s(1), False),
        (SessionState.WAITING, CALLBACK_AFTER, True),
        (SessionState.WAITING, CALLBACK_AFTER + _s(1), True),
        (SessionState.OFFERED, CALLBACK_AFTER + _s(1), False),
        (SessionState.ACTIVE, CALLBACK_AFTER + _s(1), False),
        (SessionState.CALLBACK, CALLBACK_AFTER + _s(1), False),
    ],
    ids=["1s-before", "exactly", "1s-after", "offered", "active", "already-callback"],
)
def test_callback_due(state: SessionState, waited: timedelta, due: bool) -> None:
    session = make_session("s1", state=state, queued_at=T0 - waited)
    assert domain.callback_due(session, T0) is due


def test_callback_after_is_ten_minutes() -> None:
    assert timedelta(minutes=10) == CALLBACK_AFTER


# -- parties ----------------------------------------------------------------------------------


def _who(role: Role, sub: str) -> Principal:
    return Principal(sub=sub, role=role)


@pytest.mark.parametrize(
    ("principal", "session", "party"),
    [
        (_who(Role.CITIZEN, "c-1"), make_session("s1", citizen_id="c-1"), Party.CITIZEN),
        (_who(Role.AGENT, "a1"), active_session("a1"), Party.AGENT),
        (_who(Role.AGENT, "a1"), offered_session("a1"), Party.AGENT),
        (_who(Role.SUPERVISOR, "boss"), active_session("a1"), Party.SUPERVISOR),
        (_who(Role.ADMIN, "root"), make_session("s1"), Party.SUPERVISOR),
    ],
    ids=["own-citizen", "assigned-agent", "offered-agent", "supervisor", "admin"],
)
def test_party_of(principal: Principal, session: Session, party: str) -> None:
    assert domain.party_of(principal, session) == party


@pytest.mark.parametrize(
    ("principal", "session"),
    [
        (_who(Role.CITIZEN, "c-2"), make_session("s1", citizen_id="c-1")),
        (_who(Role.CITIZEN, "a1"), active_session("a1")),
        (_who(Role.AGENT, "a2"), active_session("a1")),
        (_who(Role.AGENT, "a2"), offered_session("a1")),
        (_who(Role.AGENT, "c-1"), make_session("s1", citizen_id="c-1")),
        (_who(Role.AGENT, "a1"), make_session("s1")),
        (_who(Role.STAFF, "a1"), active_session("a1")),
        (_who(Role.DISPLAY, "c-1"), make_session("s1", citizen_id="c-1")),
    ],
    ids=[
        "stranger-citizen",
        "citizen-with-the-agents-id",
        "other-agent-active",
        "other-agent-offered",
        "agent-with-the-citizens-id",
        "agent-on-a-waiting-request",
        "staff",
        "display",
    ],
)
def test_party_of_a_stranger_is_forbidden(principal: Principal, session: Session) -> None:
    with pytest.raises(errors.SessionForbidden) as caught:
        domain.party_of(principal, session)
    assert caught.value.code == "SESSION_FORBIDDEN"
    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("party", "link"),
    [
        (Party.CITIZEN, "call"),
        (Party.CITIZEN, "recorder"),
        (Party.AGENT, "call"),
        (Party.AGENT, "recorder"),
        (Party.SUPERVISOR, "monitor"),
    ],
    ids=["citizen-call", "citizen-recorder", "agent-call", "agent-recorder", "supervisor-monitor"],
)
def test_check_signal_allows(party: str, link: str) -> None:
    domain.check_signal(party, active_session("a1"), link)


@pytest.mark.parametrize(
    ("party", "link"),
    [
        (Party.SUPERVISOR, "call"),
        (Party.SUPERVISOR, "recorder"),
        (Party.CITIZEN, "monitor"),
        (Party.AGENT, "monitor"),
    ],
    ids=["supervisor-call", "supervisor-recorder", "citizen-monitor", "agent-monitor"],
)
def test_check_signal_forbids(party: str, link: str) -> None:
    with pytest.raises(errors.SessionForbidden) as caught:
        domain.check_signal(party, active_session("a1"), link)
    assert caught.value.code == "SESSION_FORBIDDEN"


@pytest.mark.parametrize(
    "state",
    [s for s in SessionState if s is not SessionState.ACTIVE],
    ids=[s.value for s in SessionState if s is not SessionState.ACTIVE],
)
@pytest.mark.parametrize("party", [Party.CITIZEN, Party.AGENT, Party.SUPERVISOR])
def test_check_signal_only_in_an_active_call(state: SessionState, party: str) -> None:
    session = make_session("s1", state=state, agent_id="a1")
    link = "monitor" if party == Party.SUPERVISOR else "call"
    with pytest.raises(errors.NotInCall) as caught:
        domain.check_signal(party, session, link)
    assert caught.value.code == "NOT_IN_CALL"
    assert caught.value.details == {"state": state.value}


# -- end / transfer / drops -------------------------------------------------------------------


@pytest.mark.parametrize(
    "session",
    [make_session("s1"), offered_session("a1")],
    ids=["waiting", "offered"],
)
def test_end_before_an_answer_is_abandoned(session: Session) -> None:
    ended = domain.end(session, "市民挂断", T0 + _s(7))
    assert ended.state is SessionState.ABANDONED
    assert ended.ended_at == T0 + _s(7)
    assert ended.end_reason == "市民挂断"
    assert ended.offered_to is None
    assert ended.agent_id is None


def test_end_of_an_active_call_goes_to_wrap_up() -> None:
    session = active_session("a1", dropped={"citizen": T0 - _s(10)})
    ended = domain.end(session, "坐席挂断", T0)
    assert ended.state is SessionState.WRAP_UP
    assert ended.ended_at == T0
    assert ended.end_reason == "坐席挂断"
    assert ended.dropped == {}
    assert ended.agent_id == "a1"
    assert ended.answered_at == session.answered_at


@pytest.mark.parametrize(
    "state",
    [SessionState.WRAP_UP, SessionState.ENDED, SessionState.ABANDONED, SessionState.CALLBACK],
    ids=["wrap-up", "ended", "abandoned", "callback"],
)
def test_end_of_a_closed_session(state: SessionState) -> None:
    with pytest.raises(errors.NotInCall) as caught:
        domain.end(make_session("s1", state=state), "x", T0)
    assert caught.value.code == "NOT_IN_CALL"
    assert caught.value.details == {"state": state.value}


def test_transfer_to_a_topic_queues_the_call_again() -> None:
    queued = T0 - timedelta(minutes=8)
    session = active_session(
        "a1",
        queued_at=queued,
        declined=["a7"],
        dropped={"agent": T0 - _s(3)},
        transfers=[Transfer(at=T0 - timedelta(minutes=6), from_agent="a0", to_agent="a1")],
    )
    moved = domain.transfer(
        session, T0, from_agent="a1", to_agent=None, to_topic="gongjijin", note="公积金问题"
    )
    assert moved.state is SessionState.WAITING
    assert moved.topic == "gongjijin"
    assert moved.queued_at == queued
    assert moved.agent_id is None
    assert moved.agent_name == ""
    assert moved.declined == ["a1"]
    assert moved.offered_to is None
    assert moved.offer_expires == T0  # counts as declined just now: no bounce back
    assert moved.dropped == {}
    assert moved.answered_at == session.answered_at
    assert moved.transfers == [
        session.transfers[0],
        Transfer(at=T0, from_agent="a1", to_agent=None, to_topic="gongjijin", note="公积金问题"),
    ]


def test_transfer_to_an_agent_offers_the_call_to_them() -> None:
    session = active_session("a1")
    moved = domain.transfer(
        session, T0, from_agent="a1", to_agent=make_agent("a2"), to_topic=None, note="请接"
    )
    assert moved.state is SessionState.OFFERED
    assert moved.offered_to == "a2"
    assert moved.offer_expires == T0 + OFFER
    assert moved.topic == "shebao"
    assert moved.agent_id is None
    assert moved.declined == ["a1"]
    assert moved.transfers == [
        Transfer(at=T0, from_agent="a1", to_agent="a2", to_topic=None, note="请接")
    ]


def test_transfer_to_an_agent_and_a_topic() -> None:
    moved = domain.transfer(
        active_session("a1"),
        T0,
        from_agent="a1",
        to_agent=make_agent("a2", "hukou"),
        to_topic="hukou",
        note="",
    )
    assert moved.state is SessionState.OFFERED
    assert moved.offered_to == "a2"
    assert moved.topic == "hukou"


def test_transfer_without_a_target() -> None:
    with pytest.raises(errors.TransferTarget) as caught:
        domain.transfer(
            active_session("a1"), T0, from_agent="a1", to_agent=None, to_topic=None, note=""
        )
    assert caught.value.code == "TRANSFER_TARGET_INVALID"
    assert caught.value.status == 422


def test_transfer_to_oneself() -> None:
    with pytest.raises(errors.TransferTarget) as caught:
        domain.transfer(
            active_session("a1"),
            T0,
            from_agent="a1",
            to_agent=make_agent("a1"),
            to_topic=None,
            note="",
        )
    assert caught.value.code == "TRANSFER_TARGET_INVALID"
    assert caught.value.message == "不能转给自己"


@pytest.mark.parametrize(
    ("session", "from_agent"),
    [
        (active_session("a1"), "a2"),
        (offered_session("a1"), "a1"),
        (make_session("s1", agent_id="a1"), "a1"),
        (make_session("s1", state=SessionState.WRAP_UP, agent_id="a1"), "a1"),
    ],
    ids=["another-agents-call", "offered", "waiting", "wrap-up"],
)
def test_transfer_of_a_call_one_is_not_in(session: Session, from_agent: str) -> None:
    with pytest.raises(errors.NotInCall) as caught:
        domain.transfer(
            session, T0, from_agent=from_agent, to_agent=None, to_topic="hukou", note=""
        )
    assert caught.value.code == "NOT_IN_CALL"
    assert caught.value.details == {"state": session.state.value}


def test_a_call_transferred_to_a_topic_goes_to_another_agent() -> None:
    moved = domain.transfer(
        active_session("a1"), T0, from_agent="a1", to_agent=None, to_topic="shebao", note=""
    )
    agents = [
        make_agent("a1", idle_since=T0 - timedelta(hours=1)),  # first by idle time
        make_agent("a2", idle_since=T0 - _s(1)),
    ]
    assert pairs(domain.route([moved], agents, T0)) == [("s1", "a2")]


def test_a_call_transferred_away_is_not_offered_back_to_the_transferrer_at_once() -> None:
    moved = domain.transfer(
        active_session("a1"), T0, from_agent="a1", to_agent=None, to_topic="shebao", note=""
    )
    # The service makes the transferring agent available right away (idle since now).
    transferrer = make_agent("a1", idle_since=T0)
    assert domain.route([moved], [transferrer], T0 + _s(1)) == []


@pytest.mark.parametrize(
    ("dropped", "expected"),
    [
        ({}, None),
        ({"citizen": T0 - CALL_GRACE + _s(1)}, None),
        ({"citizen": T0 - CALL_GRACE}, None),
        ({"citizen": T0 - CALL_GRACE - timedelta(microseconds=1)}, "citizen"),
        ({"agent": T0 - CALL_GRACE - _s(1)}, "agent"),
        ({"citizen": T0 - _s(5), "agent": T0 - CALL_GRACE - _s(1)}, "agent"),
    ],
    ids=[
        "nobody-dropped",
        "within-grace",
        "exactly-at-grace",
        "just-past-grace",
        "agent-past-grace",
        "only-the-expired-one",
    ],
)
def test_drop_expired(dropped: dict[str, datetime], expected: str | None) -> None:
    assert domain.drop_expired(active_session("a1", dropped=dropped), T0) == expected


@pytest.mark.parametrize(
    ("state", "is_open"),
    [
        (s, s in (SessionState.WAITING, SessionState.OFFERED, SessionState.ACTIVE))
        for s in SessionState
    ],
    ids=[s.value for s in SessionState],
)
def test_is_open(state: SessionState, is_open: bool) -> None:
    assert domain.is_open(make_session("s1", state=state)) is is_open


# -- quality ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rtt", "loss", "bitrate", "state", "level"),
    [
        (20.0, 0.0, 1500.0, "connected", 5),
        (None, None, None, "connected", 5),
        (200.0, 1.0, 100.0, "connected", 5),
        (20.0, 2.0, 1500.0, "connected", 4),
        (20.0, 4.0, 1500.0, "connected", 3),
        (20.0, 7.0, 1500.0, "connected", 2),
        (20.0, 13.0, 1500.0, "connected", 1),
        (300.0, 0.0, 1500.0, "connected", 4),
        (600.0, 0.0, 1500.0, "connected", 3),
        (20.0, 0.0, 99.9, "connected", 4),
        (300.0, 7.0, 1500.0, "connected", 1),  # 5 - 3 (loss > 1, 3, 6) - 1 (rtt > 200)
        (300.0, 2.0, 50.0, "connected", 2),  # 5 - 1 - 1 - 1
        (900.0, 50.0, 10.0, "connected", 1),  # 5 - 4 - 2 - 1 = -2, floored
        (20.0, 0.0, 1500.0, "reconnecting", 0),
        (20.0, 0.0, 1500.0, "failed", 0),
        (None, None, None, "new", 0),
    ],
    ids=[
        "perfect",
        "nothing-measured",
        "all-at-thresholds",
        "loss-2pct",
        "loss-4pct",
        "loss-7pct",
        "loss-13pct",
        "rtt-300",
        "rtt-600",
        "starved-bitrate",
        "loss-7pct-rtt-300",
        "loss-rtt-bitrate",
        "everything-bad-floored",
        "reconnecting",
        "failed",
        "other-state",
    ],
)
def test_quality_level(
    rtt: float | None, loss: float | None, bitrate: float | None, state: str, level: int
) -> None:
    assert domain.quality_level(rtt, loss, bitrate, state) == level


# -- statistics -------------------------------------------------------------------------------


def _call(
    session_id: str,
    topic: str,
    agent_id: str | None,
    *,
    wait_s: float | None,
    talk_s: float | None = None,
    stars: int | None = None,
    state: SessionState = SessionState.ENDED,
    transfers: int = 0,
) -> Session:
    queued = T0 - timedelta(hours=1)
    answered = queued + _s(wait_s) if wait_s is not None else None
    ended = answered + _s(talk_s) if answered is not None and talk_s is not None else None
    return make_session(
        session_id,
        topic,
        queued_at=queued,
        state=state,
        agent_id=agent_id,
        answered_at=answered,
        ended_at=ended,
        rating=Rating(stars=stars, at=T0) if stars is not None else None,
        transfers=[Transfer(at=T0, from_agent="a0", to_topic=topic) for _ in range(transfers)],
    )


CALLS = [
    _call("s1", "shebao", "a1", wait_s=30, talk_s=300, stars=5),
    _call("s2", "shebao", "a2", wait_s=90, talk_s=120, stars=4, transfers=1),
    _call("s3", "shebao", None, wait_s=None, state=SessionState.ABANDONED),
    _call("s4", "gongjijin", "a1", wait_s=45, talk_s=None, state=SessionState.ACTIVE),
    _call("s5", "gongjijin", None, wait_s=None, state=SessionState.CALLBACK),
    _call("s6", "hukou", "a2", wait_s=10, talk_s=61, stars=2, transfers=2),
]


def test_statistics_by_topic() -> None:
    assert domain.statistics(CALLS, "topic") == [
        Stats(
            key="gongjijin",
            requests=2,
            answered=1,
            abandoned=0,
            callbacks=1,
            mean_wait_s=45.0,
            max_wait_s=45.0,
            mean_talk_s=None,
            mean_rating=None,
            transfers=0,
        ),
        Stats(
            key="hukou",
            requests=1,
            answered=1,
            mean_wait_s=10.0,
            max_wait_s=10.0,
            mean_talk_s=61.0,
            mean_rating=2.0,
            transfers=2,
        ),
        Stats(
            key="shebao",
            requests=3,
            answered=2,
            abandoned=1,
            callbacks=0,
            mean_wait_s=60.0,
            max_wait_s=90.0,
            mean_talk_s=210.0,
            mean_rating=4.5,
            transfers=1,
        ),
    ]


def test_statistics_by_agent() -> None:
    assert domain.statistics(CALLS, "agent") == [
        Stats(
            key="a1",
            requests=2,
            answered=2,
            mean_wait_s=37.5,
            max_wait_s=45.0,
            mean_talk_s=300.0,
            mean_rating=5.0,
        ),
        Stats(
            key="a2",
            requests=2,
            answered=2,
            mean_wait_s=50.0,
            max_wait_s=90.0,
            mean_talk_s=90.5,
            mean_rating=3.0,
            transfers=3,
        ),
        Stats(key="—", requests=2, abandoned=1, callbacks=1),
    ]


def test_statistics_all() -> None:
    assert domain.statistics(CALLS, "all") == [
        Stats(
            key="all",
            requests=6,
            answered=4,
            abandoned=1,
            callbacks=1,
            mean_wait_s=43.8,  # (30 + 90 + 45 + 10) / 4 = 43.75
            max_wait_s=90.0,
            mean_talk_s=160.3,  # (300 + 120 + 61) / 3 = 160.33
            mean_rating=3.67,  # (5 + 4 + 2) / 3
            transfers=3,
        )
    ]


def test_statistics_of_a_group_never_answered() -> None:
    calls = [
        _call("s1", "hukou", None, wait_s=None, state=SessionState.ABANDONED),
        _call("s2", "hukou", None, wait_s=None, state=SessionState.WAITING),
    ]
    [row] = domain.statistics(calls, "topic")
    assert row == Stats(key="hukou", requests=2, abandoned=1)
    assert row.mean_wait_s is None
    assert row.max_wait_s is None
    assert row.mean_talk_s is None
    assert row.mean_rating is None


def test_statistics_of_nothing() -> None:
    assert domain.statistics([], "topic") == []
    assert domain.statistics([], "all") == []

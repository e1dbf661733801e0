"""Topic subscriptions ask the topic's access row: the mechanism, with a table of its own."""

from __future__ import annotations

import pytest

from hub.access import AccessTable, Reach, Scope, grant, topic_key
from hub.auth.models import Principal, Role
from hub.errors import InvalidTopic, TopicForbidden
from hub.topics import TopicPolicy

ADMIN = Principal("root", Role.ADMIN)
STAFF_A = Principal("clerk", Role.STAFF, hall="a")
STAFF_CITY = Principal("roving", Role.STAFF)
DISPLAY_A = Principal("screen", Role.DISPLAY, hall="a")
CITIZEN_1 = Principal("c1", Role.CITIZEN)
TICKET_T1 = Principal("ticket-t1", Role.TICKET, ticket="t1")

HALLS = {"t1": "a", "t2": "b"}
HOLDERS = {"t1": "c1", "t2": "c2"}
looked_up: list[str] = []


async def ticket_scope(ticket_id: str) -> Scope | None:
    looked_up.append(ticket_id)
    if ticket_id not in HALLS:
        return None
    return Scope.of(HALLS[ticket_id], f"citizen:{HOLDERS[ticket_id]}", f"ticket:{ticket_id}")


async def hall_scope(hall_id: str) -> Scope:
    return Scope(hall_id)


def policy() -> TopicPolicy:
    table = AccessTable()
    table.add(
        "test",
        {
            topic_key("hall"): grant(admin=Reach.ANY, staff=Reach.HALL, citizen=Reach.ANY),
            topic_key("ticket"): grant(
                admin=Reach.ANY, staff=Reach.HALL, citizen=Reach.OWN, ticket=Reach.OWN
            ),
        },
    )
    topics = TopicPolicy(table)
    topics.register("hall", hall_scope)
    topics.register("ticket", ticket_scope)
    return topics


ALLOWED = [
    (ADMIN, "hall:b"),
    (ADMIN, "ticket:t2"),
    (STAFF_A, "hall:a"),
    (STAFF_CITY, "hall:z"),
    (STAFF_A, "ticket:t1"),
    (CITIZEN_1, "hall:b"),
    (CITIZEN_1, "ticket:t1"),
    (TICKET_T1, "ticket:t1"),
]
FORBIDDEN = [
    (STAFF_A, "hall:b"),
    (STAFF_A, "ticket:t2"),
    (DISPLAY_A, "hall:a"),
    (CITIZEN_1, "ticket:t2"),
    (TICKET_T1, "ticket:t2"),
    (TICKET_T1, "hall:a"),
    (STAFF_A, "ticket:gone"),
]


@pytest.mark.parametrize(("principal", "topic"), ALLOWED)
async def test_allowed(principal: Principal, topic: str) -> None:
    await policy().check(principal, topic)


@pytest.mark.parametrize(("principal", "topic"), FORBIDDEN)
async def test_forbidden(principal: Principal, topic: str) -> None:
    with pytest.raises(TopicForbidden):
        await policy().check(principal, topic)


async def test_a_role_that_reaches_every_topic_of_a_kind_needs_no_lookup() -> None:
    looked_up.clear()
    await policy().check(ADMIN, "ticket:t9")
    assert looked_up == []
    await policy().check(STAFF_A, "ticket:t1")
    assert looked_up == ["t1"]


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "hall",
        "hall:",
        ":x",
        "Hall:a",
        "hall:a b",
        "x" * 300,
        "hall:a:b",
        "planet:earth",
        "hall:-a",
    ],
)
async def test_malformed_or_unknown_topics(topic: str) -> None:
    with pytest.raises(InvalidTopic):
        await policy().check(ADMIN, topic)


def test_a_kind_registers_once() -> None:
    topics = policy()
    with pytest.raises(ValueError, match="twice"):
        topics.register("hall", hall_scope)
    assert sorted(topics.keys()) == ["topic hall:{id}", "topic ticket:{id}"]

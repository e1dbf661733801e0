"""Who may read which topic: the hub's role rules, table-driven."""

from __future__ import annotations

import pytest

from hub.auth.models import Principal, Role
from hub.errors import InvalidTopic, TopicForbidden
from hub.topics import TopicPolicy

ADMIN = Principal("root", Role.ADMIN)
SUPERVISOR = Principal("sup", Role.SUPERVISOR, hall="a")
STAFF_A = Principal("clerk", Role.STAFF, hall="a")
STAFF_ANY = Principal("roving", Role.STAFF)
DISPLAY_A = Principal("screen", Role.DISPLAY, hall="a")
CITIZEN_1 = Principal("c1", Role.CITIZEN)
AGENT_1 = Principal("ag1", Role.AGENT)

ALLOWED = [
    (ADMIN, "hall:b"),
    (ADMIN, "citizen:c9"),
    (ADMIN, "rtc:s1"),
    (SUPERVISOR, "hall:b"),
    (STAFF_A, "hall:a"),
    (STAFF_ANY, "hall:z"),
    (STAFF_A, "counter:w1"),
    (STAFF_A, "case:k1"),
    (DISPLAY_A, "hall:a"),
    (CITIZEN_1, "citizen:c1"),
    (CITIZEN_1, "hall:a"),
    (AGENT_1, "agent:ag1"),
    (STAFF_A, "user:clerk"),
    (AGENT_1, "user:ag1"),
]
FORBIDDEN = [
    (STAFF_A, "hall:b"),
    (DISPLAY_A, "hall:b"),
    (DISPLAY_A, "counter:w1"),
    (DISPLAY_A, "citizen:c1"),
    (CITIZEN_1, "citizen:c2"),
    (CITIZEN_1, "case:k1"),
    (CITIZEN_1, "counter:w1"),
    (CITIZEN_1, "user:c1"),
    (AGENT_1, "agent:ag2"),
    (AGENT_1, "hall:a"),
    (STAFF_A, "user:other"),
    (STAFF_A, "rtc:s1"),
    (CITIZEN_1, "rtc:s1"),
]


@pytest.mark.parametrize(("principal", "topic"), ALLOWED)
async def test_allowed(principal: Principal, topic: str) -> None:
    await TopicPolicy().check(principal, topic)


@pytest.mark.parametrize(("principal", "topic"), FORBIDDEN)
async def test_forbidden(principal: Principal, topic: str) -> None:
    with pytest.raises(TopicForbidden):
        await TopicPolicy().check(principal, topic)


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
        await TopicPolicy().check(ADMIN, topic)


async def test_a_domain_can_refine_a_kind_with_an_async_rule() -> None:
    policy = TopicPolicy()

    async def only_w1(principal: Principal, counter_id: str) -> bool:
        return counter_id == "w1"

    policy.register("counter", only_w1)
    await policy.check(DISPLAY_A, "counter:w1")
    with pytest.raises(TopicForbidden):
        await policy.check(ADMIN, "counter:w2")

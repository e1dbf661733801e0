"""The calling policy, table-driven: who a counter calls next and why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from queueing.domain import Reason, choose_next, next_streak, queue_order
from queueing.models import CallingPolicy, Ticket, TicketStatus
from tests.queueing.factories import POLICY, T0, counter, ticket

W1 = counter(("s1", 1), ("s2", 1))


def pick(
    tickets: list[Ticket],
    streak: int = 0,
    policy: CallingPolicy = POLICY,
    at: timedelta = timedelta(0),
) -> tuple[str, Reason] | None:
    choice = choose_next(tickets, W1, streak, policy, T0 + at)
    return (choice.ticket.id, choice.reason) if choice else None


CASES = [
    # (name, tickets, streak, expected)
    (
        "first come first served",
        [ticket(2, minutes_ago=5), ticket(1, minutes_ago=10)],
        0,
        ("t1", Reason.NORMAL),
    ),
    (
        "ties by issue time then number, never LIFO",
        [ticket(3, minutes_ago=5), ticket(2, minutes_ago=5)],
        0,
        ("t2", Reason.NORMAL),
    ),
    (
        "a priority ticket waits for its turn",
        [ticket(1, minutes_ago=10), ticket(2, minutes_ago=1, priority=1)],
        0,
        ("t1", Reason.NORMAL),
    ),
    (
        "after two normal calls a priority ticket goes",
        [ticket(1, minutes_ago=10), ticket(2, minutes_ago=1, priority=1)],
        2,
        ("t2", Reason.PRIORITY),
    ),
    (
        "with no normal ticket, priority goes at once",
        [ticket(2, minutes_ago=1, priority=1)],
        0,
        ("t2", Reason.PRIORITY),
    ),
    (
        "among priority: higher weight first",
        [ticket(2, minutes_ago=9, priority=1), ticket(3, minutes_ago=1, priority=3)],
        2,
        ("t3", Reason.PRIORITY),
    ),
    (
        "among equal priority: longer wait first",
        [ticket(3, minutes_ago=1, priority=2), ticket(2, minutes_ago=9, priority=2)],
        2,
        ("t2", Reason.PRIORITY),
    ),
    (
        "an appointment in its window beats everyone not overdue",
        [ticket(1, minutes_ago=50), ticket(2, priority=3), ticket(3, slot_in_minutes=-2)],
        2,
        ("t3", Reason.APPOINTMENT),
    ),
    (
        "an appointment too early waits like a normal ticket",
        [ticket(1, minutes_ago=5), ticket(3, slot_in_minutes=40)],
        0,
        ("t1", Reason.NORMAL),
    ),
    (
        "the window opens at the slot: five minutes before, it waits",
        [ticket(1, minutes_ago=5), ticket(3, slot_in_minutes=5)],
        0,
        ("t1", Reason.NORMAL),
    ),
    (
        "the hall's maximum wait holds against appointments too",
        [ticket(3, slot_in_minutes=-2), ticket(1, minutes_ago=61)],
        0,
        ("t1", Reason.OVERDUE),
    ),
    (
        "a priority booking waiting for its slot is not a priority case yet",
        [ticket(1, minutes_ago=2), ticket(3, priority=2, slot_in_minutes=20, minutes_ago=-15)],
        2,
        ("t1", Reason.NORMAL),
    ),
    (
        "late, but inside the window",
        [ticket(1, minutes_ago=5), ticket(3, slot_in_minutes=-14)],
        0,
        ("t3", Reason.APPOINTMENT),
    ),
    (
        "too late: outside the window, a normal ticket",
        [ticket(1, minutes_ago=30), ticket(3, slot_in_minutes=-16, minutes_ago=2)],
        0,
        ("t1", Reason.NORMAL),
    ),
    (
        "earliest slot first among appointments",
        [ticket(4, slot_in_minutes=10), ticket(3, slot_in_minutes=-5)],
        0,
        ("t3", Reason.APPOINTMENT),
    ),
    (
        "escalation: waited over the maximum goes first",
        [ticket(2, minutes_ago=10, priority=3), ticket(1, minutes_ago=61)],
        5,
        ("t1", Reason.OVERDUE),
    ),
    (
        "other services are not this counter's",
        [ticket(1, service="s3", minutes_ago=30), ticket(2, minutes_ago=1)],
        0,
        ("t2", Reason.NORMAL),
    ),
    (
        "a ticket sent to another counter is not called here",
        [ticket(1, minutes_ago=30, target="w9"), ticket(2, minutes_ago=1)],
        0,
        ("t2", Reason.NORMAL),
    ),
    (
        "a ticket sent here is called here, by its original place",
        [ticket(1, service="s3", minutes_ago=30, target="w1"), ticket(2, minutes_ago=1)],
        0,
        ("t1", Reason.NORMAL),
    ),
    (
        "parked and called tickets are not waiting",
        [
            ticket(1, minutes_ago=30, status=TicketStatus.PARKED),
            ticket(2, minutes_ago=20, status=TicketStatus.CALLED),
            ticket(3),
        ],
        0,
        ("t3", Reason.NORMAL),
    ),
    ("nothing to call", [ticket(1, service="s3")], 0, None),
]


@pytest.mark.parametrize(
    ("tickets", "streak", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_choose_next(tickets: list[Ticket], streak: int, expected: object) -> None:
    assert pick(tickets, streak) == expected


def test_service_weight_favours_the_counters_main_service() -> None:
    weighted = counter(("s1", 3), ("s2", 1))
    tickets = [ticket(1, service="s2", minutes_ago=10), ticket(2, service="s1", minutes_ago=5)]
    choice = choose_next(tickets, weighted, 0, POLICY, T0)
    assert choice is not None
    assert choice.ticket.id == "t2"  # 5 min x 3 beats 10 min x 1
    even = counter(("s1", 1), ("s2", 1))
    choice = choose_next(tickets, even, 0, POLICY, T0)
    assert choice is not None
    assert choice.ticket.id == "t1"


def test_ratio_over_a_day_two_normal_one_priority() -> None:
    """Nine normal and nine priority tickets waiting: calls go N, N, P, N, N, P, ..."""
    tickets = [ticket(i, minutes_ago=30 - i) for i in range(1, 10)]
    tickets += [ticket(100 + i, minutes_ago=30 - i, priority=1) for i in range(1, 10)]
    streak, order = 0, []
    while True:
        choice = choose_next(tickets, W1, streak, POLICY, T0)
        if choice is None:
            break
        order.append("P" if choice.ticket.priority else "N")
        streak = next_streak(streak, choice)
        tickets = [t for t in tickets if t.id != choice.ticket.id]
    assert "".join(order[:9]) == "NNPNNPNNP"
    assert order.count("P") == 9


def test_ratio_zero_means_priority_always_first() -> None:
    policy = CallingPolicy(normal_per_priority=0)
    tickets = [ticket(1, minutes_ago=30), ticket(2, priority=1)]
    assert pick(tickets, 0, policy) == ("t2", Reason.PRIORITY)


def test_queue_order_matches_the_calls() -> None:
    tickets = [ticket(i, minutes_ago=30 - i) for i in range(1, 5)]
    tickets += [ticket(100, minutes_ago=1, priority=2), ticket(200, slot_in_minutes=0)]
    order = [t.id for t in queue_order(tickets, POLICY, T0)]
    assert order == ["t200", "t1", "t2", "t100", "t3", "t4"]


def test_only_priority_bookings_waiting_for_their_slots_are_still_called() -> None:
    """An idle counter with nothing but early priority bookings calls one (never an error)."""
    waiting = [ticket(3, priority=2, slot_in_minutes=20, minutes_ago=-15)]
    assert pick(waiting, 0) == ("t3", Reason.NORMAL)

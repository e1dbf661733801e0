"""过号重新排队: a citizen who missed their call comes back and the clerk puts the no-show ticket
back in the queue, as far back and as often as the hall's policy says. Pure rules first, then
through the hub (the queue's order, the screens' events, REST, refusals that change nothing)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hub import keys
from hub.auth.models import Principal, Role
from queueing import HALLS, QUEUE, domain, errors
from queueing.models import (
    CallingPolicy,
    Channel,
    CounterState,
    CounterStatus,
    Hall,
    Service,
    Ticket,
    TicketStatus,
)
from tests.queueing.factories import T0, counter, setup, ticket
from tests.support import RunningHub

W1 = counter(("s1", 1))
S1 = Service(id="s1", hall_id="h1", name="户籍", prefix="A")
CLERK_1 = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
CLERK_2 = Principal("clerk2", Role.STAFF, hall="h1", name="刘洋")
OPEN = CounterState(id="w1", hall_id="h1", status=CounterStatus.OPEN, staff_id="clerk1")


def hall(**policy: Any) -> Hall:
    return Hall(id="h1", name="测试大厅", policy=CallingPolicy(**policy))


def missed(number: int = 1, minutes_ago: float = 30) -> Ticket:
    gone = ticket(number, minutes_ago=minutes_ago, status=TicketStatus.NO_SHOW)
    return gone.model_copy(update={"counter_id": "w1", "staff_id": "clerk1"})


def order(waiting: list[Ticket], back: Ticket, policy: CallingPolicy) -> list[str]:
    """The codes in the order the counter will call them, the requeued ticket among them."""
    return [t.code for t in domain.calling_order([*waiting, back], W1, 0, policy, T0)]


# -- the rules, pure ----------------------------------------------------------------------------


@pytest.mark.parametrize(("behind", "expected_place"), [(0, 0), (1, 1), (3, 3), (10, 5), (None, 5)])
def test_it_goes_behind_as_many_waiting_tickets_as_the_policy_says(
    behind: int | None, expected_place: int
) -> None:
    waiting = [ticket(n, minutes_ago=20 - n) for n in range(2, 7)]  # A002 … A006, in order
    policy = CallingPolicy(requeue_behind=behind)
    back, out = domain.requeue(missed(), hall(requeue_behind=behind), W1, S1, waiting, "c", T0)
    assert back.status is TicketStatus.WAITING
    codes = order(waiting, back, policy)
    assert codes.index("A001") == expected_place, codes
    assert [c for c in codes if c != "A001"] == ["A002", "A003", "A004", "A005", "A006"]
    assert back.queue_time.microsecond % 1000 == 0  # the store keeps milliseconds
    [on_hall, on_own] = out
    assert (on_hall.topic, on_own.topic) == ("hall:h1", "ticket:t1")
    assert on_hall.type == "queueing.ticket_requeued"
    assert on_hall.data["queued_behind"] == expected_place
    assert on_hall.data["counter_number"] == 1


def test_only_its_own_services_queue_counts_and_it_is_called_afresh() -> None:
    waiting = [ticket(2, minutes_ago=10), ticket(3, minutes_ago=5, service="s2")]
    back, _ = domain.requeue(missed(), hall(requeue_behind=1), W1, S1, waiting, "clerk2", T0)
    # Behind the one s1 ticket: at its end, not placed among another service's tickets.
    assert back.queue_time > waiting[0].queue_time
    assert (back.calls, back.called_at, back.counter_id, back.near_notified_at) == (
        [],
        None,
        None,
        None,
    )
    assert [(r.counter_id, r.by) for r in back.requeues] == [("w1", "clerk2")]
    assert back.requeues[0].queue_time == missed().queue_time
    # It waits like any ticket: a counter calls it and it needs its calls again for a no-show.
    step = domain.call(back, OPEN, W1, S1, CallingPolicy(), T0)
    with pytest.raises(errors.TooFewCalls):
        domain.no_show(step.ticket, step.counter, W1, S1, CallingPolicy(), T0)


def test_the_policy_limits_how_often_and_whether_at_all() -> None:
    back, _ = domain.requeue(missed(), hall(requeue_limit=1), W1, S1, [], "c", T0)
    again = back.model_copy(update={"status": TicketStatus.NO_SHOW})
    with pytest.raises(errors.RequeueLimitReached) as refused:
        domain.requeue(again, hall(requeue_limit=1), W1, S1, [], "c", T0)
    assert "1 次" in refused.value.message
    with pytest.raises(errors.RequeueLimitReached) as never:
        domain.requeue(missed(), hall(requeue_limit=0), W1, S1, [], "c", T0)
    assert "不允许" in never.value.message
    twice, _ = domain.requeue(again, hall(requeue_limit=2), W1, S1, [], "c", T0)
    assert len(twice.requeues) == 2


@pytest.mark.parametrize(
    "status",
    [TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.FINISHED, TicketStatus.CANCELLED],
)
def test_only_a_no_show_of_today_goes_back(status: TicketStatus) -> None:
    with pytest.raises(errors.InvalidTransition):
        domain.requeue(ticket(1, status=status), hall(), W1, S1, [], "c", T0)
    yesterday = missed().model_copy(update={"day": "2026-11-25"})
    with pytest.raises(errors.InvalidTransition):
        domain.requeue(yesterday, hall(), W1, S1, [], "c", T0)


def test_neighbours_within_a_millisecond_never_let_it_pass_the_first() -> None:
    first = ticket(2, minutes_ago=1)
    second = first.model_copy(
        update={"id": "t3", "number": 3, "code": "A003", "queue_time": first.queue_time}
    )
    back, _ = domain.requeue(missed(), hall(requeue_behind=1), W1, S1, [first, second], "c", T0)
    assert order([first, second], back, CallingPolicy(requeue_behind=1)) == [
        "A002",
        "A003",
        "A001",
    ]


def test_the_desk_ticket_says_how_often_it_was_put_back() -> None:
    back, _ = domain.requeue(missed(), hall(), W1, S1, [], "c", T0)
    assert domain.desk_ticket(back, "户籍").requeued == 1
    assert domain.desk_ticket(missed(), "户籍").requeued == 0


# -- through the hub ----------------------------------------------------------------------------


@pytest.fixture
async def hall_hub(hub: RunningHub) -> RunningHub:
    await hub.app[HALLS].apply_setup(setup(policy={"no_show_min_calls": 1, "requeue_behind": 2}))
    return hub


async def test_a_clerk_puts_a_no_show_back_where_the_policy_says(hall_hub: RunningHub) -> None:
    queue = hall_hub.app[QUEUE]
    await queue.open_counter("w1", CLERK_1)
    await queue.open_counter("w2", CLERK_2)
    first = await queue.take_ticket("h1", "s1", Channel.KIOSK, None)
    for _ in range(4):
        await queue.take_ticket("h1", "s1", Channel.KIOSK, None)
    assert (await queue.call_next("w2", CLERK_2)).id == first.id
    await queue.no_show("w2", CLERK_2)
    seen: list[Any] = []

    async def record(envelope: Any) -> None:
        seen.append(envelope)

    hall_hub.app[keys.BUS].listen(record)
    # The citizen comes back to counter 1: its clerk puts the ticket back.
    back = await queue.requeue("w1", first.id, CLERK_1)
    assert back.status is TicketStatus.WAITING
    view = await queue.desk("h1", "w1", CLERK_1)
    assert [t["number"] for t in view["waiting"]] == ["A002", "A003", "A001", "A004", "A005"]
    types = {e.type for e in seen if e.topic in ("hall:h1", "desk:h1")}
    assert {"queueing.ticket_requeued", "queueing.desk_ticket_changed"} <= types
    desk = next(e for e in seen if e.type == "queueing.desk_ticket_changed")
    assert (desk.data["ticket"]["status"], desk.data["ticket"]["requeued"]) == ("waiting", 1)
    # Once (the default limit); the refusal changes nothing.
    await queue.call_ticket("w1", first.id, CLERK_1)
    await queue.no_show("w1", CLERK_1)
    with pytest.raises(errors.RequeueLimitReached):
        await queue.requeue("w1", first.id, CLERK_1)
    stored = await queue.ticket(first.id)
    assert (stored.status, len(stored.requeues)) == (TicketStatus.NO_SHOW, 1)


async def test_rest_route_and_refusals(hall_hub: RunningHub) -> None:
    queue = hall_hub.app[QUEUE]
    await queue.open_counter("w1", CLERK_1)
    waiting = await queue.take_ticket("h1", "s1", Channel.KIOSK, None)
    gone = await queue.take_ticket("h1", "s1", Channel.KIOSK, None)
    await queue.call_ticket("w1", gone.id, CLERK_1)
    await queue.no_show("w1", CLERK_1)
    token = hall_hub.token(Role.STAFF, sub="clerk1", hall="h1")
    other = hall_hub.token(Role.STAFF, sub="clerk9", hall="h1")
    url = f"{hall_hub.url}/api/v1/halls/h1/counters/w1/requeue"
    async with aiohttp.ClientSession() as http:
        # A waiting ticket is not a no-show; a clerk not signed in at w1 may not.
        for who, ticket_id, code in (
            (token, waiting.id, "INVALID_TRANSITION"),
            (other, gone.id, "NOT_YOUR_COUNTER"),
        ):
            async with http.post(
                url, json={"ticket_id": ticket_id}, headers={"Authorization": f"Bearer {who}"}
            ) as response:
                body = await response.json()
                assert response.status in (403, 409), body
                assert body["code"] == code
                assert body["detail"]
        async with http.post(
            url, json={"ticket_id": gone.id}, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 200, await response.text()
            answer = await response.json()
    assert (answer["number"], answer["status"], answer["call_count"]) == ("A002", "waiting", 0)
    # Behind the one ticket waiting (the policy says two: fewer wait, so at the end).
    assert (await queue.call_next("w1", CLERK_1)).id == waiting.id

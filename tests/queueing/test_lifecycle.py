"""Tickets and counters moving through their states, pure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.privacy import valid_id_number
from queueing import domain, errors
from queueing.models import (
    CallingPolicy,
    CounterState,
    CounterStatus,
    Service,
    TicketStatus,
)
from tests.queueing.factories import POLICY, T0, counter, ticket

W1 = counter(("s1", 1))
S1 = Service(id="s1", hall_id="h1", name="户籍", prefix="A")
S2 = Service(id="s2", hall_id="h1", name="社保", prefix="B")
OPEN = CounterState(id="w1", hall_id="h1", status=CounterStatus.OPEN, staff_id="clerk")


def test_call_then_recall_then_start_then_finish() -> None:
    step = domain.call(ticket(1), OPEN, W1, S1, POLICY, T0)
    assert step.ticket.status is TicketStatus.CALLED
    assert step.counter.current_ticket_id == "t1"
    assert [e.type for e in step.events] == ["queueing.ticket_called", "queueing.ticket_called"]
    hall_event = step.events[0]
    assert hall_event.topic == "hall:h1"
    assert hall_event.data["number"] == "A001"
    assert hall_event.data["counter_number"] == 1
    assert "citizen" not in hall_event.data
    again = domain.recall(step.ticket, step.counter, W1, S1, POLICY, T0 + timedelta(minutes=1))
    assert len(again.ticket.calls) == 2
    assert again.events[0].type == "queueing.ticket_recalled"
    serving = domain.start(again.ticket, again.counter, W1, S1, T0 + timedelta(minutes=2))
    assert serving.ticket.status is TicketStatus.SERVING
    done = domain.finish(
        serving.ticket, serving.counter, W1, S1, T0 + timedelta(minutes=9), "CASE-1"
    )
    assert done.ticket.status is TicketStatus.FINISHED
    assert done.ticket.case_id == "CASE-1"
    assert done.counter.current_ticket_id is None


def test_a_counter_holds_one_ticket() -> None:
    busy = domain.call(ticket(1), OPEN, W1, S1, POLICY, T0).counter
    with pytest.raises(errors.CounterBusy):
        domain.call(ticket(2), busy, W1, S1, POLICY, T0)


@pytest.mark.parametrize(
    ("status", "error"),
    [(CounterStatus.CLOSED, errors.CounterClosed), (CounterStatus.PAUSED, errors.CounterPaused)],
)
def test_a_closed_or_paused_counter_cannot_call(status: CounterStatus, error: type) -> None:
    with pytest.raises(error):
        domain.call(ticket(1), OPEN.model_copy(update={"status": status}), W1, S1, POLICY, T0)


@pytest.mark.parametrize(
    "status",
    [
        TicketStatus.FINISHED,
        TicketStatus.CALLED,
        TicketStatus.NO_SHOW,
        TicketStatus.CANCELLED,
        TicketStatus.SERVING,
    ],
)
def test_only_waiting_tickets_can_be_called(status: TicketStatus) -> None:
    with pytest.raises(errors.TicketNotCallable):
        domain.call(ticket(1, status=status), OPEN, W1, S1, POLICY, T0)


def test_no_show_needs_enough_calls() -> None:
    step = domain.call(ticket(1), OPEN, W1, S1, POLICY, T0)
    with pytest.raises(errors.TooFewCalls):
        domain.no_show(step.ticket, step.counter, W1, S1, POLICY, T0)
    again = domain.recall(step.ticket, step.counter, W1, S1, POLICY, T0)
    gone = domain.no_show(again.ticket, again.counter, W1, S1, POLICY, T0)
    assert gone.ticket.status is TicketStatus.NO_SHOW
    assert gone.counter.current_ticket_id is None
    one_call = CallingPolicy(no_show_min_calls=1)
    assert domain.no_show(step.ticket, step.counter, W1, S1, one_call, T0).ticket.status is (
        TicketStatus.NO_SHOW
    )


def test_transfer_keeps_the_place_in_the_queue() -> None:
    original = ticket(1, minutes_ago=40)
    step = domain.call(original, OPEN, W1, S1, POLICY, T0)
    moved = domain.transfer(step.ticket, step.counter, W1, S1, S2, None, T0)
    assert moved.ticket.status is TicketStatus.WAITING
    assert moved.ticket.service_id == "s2"
    assert moved.ticket.queue_time == original.queue_time
    assert moved.counter.current_ticket_id is None
    other = counter(("s2", 1), ident="w2")
    to_counter = domain.transfer(step.ticket, step.counter, W1, S1, S1, other, T0)
    assert to_counter.ticket.target_counter_id == "w2"
    assert domain.eligible(to_counter.ticket, other)
    assert not domain.eligible(to_counter.ticket, W1)
    with pytest.raises(errors.InvalidTransition):
        domain.transfer(step.ticket, step.counter, W1, S1, S1, None, T0)


def test_park_and_call_back() -> None:
    step = domain.call(ticket(1), OPEN, W1, S1, POLICY, T0)
    parked = domain.park(step.ticket, step.counter, W1, S1, T0)
    assert parked.ticket.status is TicketStatus.PARKED
    assert parked.counter.current_ticket_id is None
    # The counter calls someone else meanwhile, finishes, then calls the parked one back.
    other = domain.call(ticket(2), parked.counter, W1, S1, POLICY, T0)
    freed = domain.finish(other.ticket, other.counter, W1, S1, T0, None).counter
    back = domain.call(parked.ticket, freed, W1, S1, POLICY, T0 + timedelta(minutes=5))
    assert back.ticket.status is TicketStatus.CALLED
    assert len(back.ticket.calls) == 2
    elsewhere = OPEN.model_copy(update={"id": "w2"})
    with pytest.raises(errors.TicketNotCallable):
        domain.call(parked.ticket, elsewhere, counter(("s1", 1), ident="w2"), S1, POLICY, T0)


def test_actions_on_a_ticket_the_counter_does_not_hold() -> None:
    with pytest.raises(errors.NoCurrentTicket):
        domain.finish(ticket(1, status=TicketStatus.CALLED), OPEN, W1, S1, T0, None)


def test_counter_open_pause_resume_close() -> None:
    closed = CounterState(id="w1", hall_id="h1")
    opened, out = domain.open_counter(W1, closed, "clerk", "王芳", T0)
    assert opened.status is CounterStatus.OPEN
    assert [e.type for e in out] == ["queueing.counter_opened", "queueing.counter_updated"]
    with pytest.raises(errors.CounterTaken):
        domain.open_counter(W1, opened, "someone-else", "李", T0)
    paused, out = domain.pause(W1, opened, "午休", T0)
    assert paused.pause_reason == "午休"
    assert out[0].data["pause_reason"] == "午休"
    resumed, _ = domain.resume(W1, paused, T0)
    assert resumed.status is CounterStatus.OPEN
    busy = domain.call(ticket(1), resumed, W1, S1, POLICY, T0).counter
    with pytest.raises(errors.CounterBusy):
        domain.pause(W1, busy, "午休", T0)
    with pytest.raises(errors.CounterBusy):
        domain.close_counter(W1, busy, T0)
    closed_again, _ = domain.close_counter(W1, resumed, T0)
    assert closed_again.status is CounterStatus.CLOSED


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("11010519491231002X", True),
        ("110105194912310021", False),
        ("11010519491331002X", False),
        ("1101051949123100", False),
        ("44030119900307003x", False),
        ("440301199003070035", True),
    ],
)
def test_resident_id_check_digit(value: str, valid: bool) -> None:
    assert valid_id_number(value) is valid


def test_numbers_and_codes() -> None:
    service = Service(id="s1", hall_id="h1", name="户籍", prefix="A", daily_cap=50)
    assert domain.ticket_code(service, 1) == (1, "A001")
    assert domain.capacity(service) == 50
    wide = service.model_copy(update={"first_number": 1000, "last_number": 1999, "daily_cap": None})
    assert domain.ticket_code(wide, 5) == (1004, "A1004")
    assert domain.capacity(wide) == 1000


def test_local_day_turns_at_the_halls_midnight() -> None:
    late = T0.replace(hour=15, minute=59)  # 23:59 in Shanghai
    assert domain.local_day(late, "Asia/Shanghai").isoformat() == "2026-11-26"
    assert domain.local_day(late + timedelta(minutes=1), "Asia/Shanghai").isoformat() == (
        "2026-11-27"
    )


def test_estimate() -> None:
    assert domain.minutes_per_ticket([], 8.0) == 8.0
    assert 8.0 < domain.minutes_per_ticket([12, 12, 12], 8.0) < 12
    assert domain.estimate_minutes(4, 10.0, 2.0) == 22.5
    assert domain.estimate_minutes(0, 10.0, 0.0) == 5.0
    counters = [counter(("s1", 1)), counter(("s1", 1), ("s2", 3), ident="w2")]
    assert domain.serving_capacity("s1", counters, {"w1", "w2"}) == 1.25
    assert domain.serving_capacity("s1", counters, {"w2"}) == 0.25

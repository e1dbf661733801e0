"""A booking sent again with the same request id (the page never got the answer: its node
died, the network dropped) is the first booking, not ALREADY_BOOKED and not a second one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.errors import HubError, IdempotencyConflict, RequestInProgress
from tests.appointments.conftest import Center, booking, citizen
from tests.appointments.test_codes import plans


async def test_a_booking_sent_twice_is_one_booking(center: Center) -> None:
    await plans(center, "s1", "s2")
    request = booking(1, request_id="book-0001")
    first = await center.service.book(citizen(1), request)
    again = await center.service.book(citizen(1), request)
    assert (again.id, again.code, again.state) == (first.id, first.code, first.state)
    assert len(await center.service.mine(citizen(1).sub)) == 1
    with pytest.raises(IdempotencyConflict):
        await center.service.book(citizen(1), booking(1, service="s2", request_id="book-0001"))
    # Without an id, the same booking again is refused as it always was.
    with pytest.raises(HubError) as refused:
        await center.service.book(citizen(1), booking(1))
    assert refused.value.code == "ALREADY_BOOKED"


async def test_a_refused_booking_can_be_sent_again_with_its_id(center: Center) -> None:
    """Refused (no plan for the service yet): nothing made, so the repeat runs and books."""
    request = booking(2, request_id="book-0002")
    with pytest.raises(HubError):
        await center.service.book(citizen(2), request)
    await plans(center, "s1")
    made = await center.service.book(citizen(2), request)
    assert made.code == "Y0001"


async def test_a_repeat_of_a_booking_cut_off_midway_waits_for_it_to_be_settled(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt stopped after the booking was written (pending, holding the person's
    day): the repeat must not be refused as ALREADY_BOOKED; it is told to wait until the
    clockwork settles the booking, then answers it."""
    await plans(center, "s1")
    calendar = center.service._booking._calendar
    real_take_place = calendar.take_place

    async def cut_off(*args: object) -> bool:
        await real_take_place(*args)  # type: ignore[arg-type]
        raise RuntimeError("the node stopped here")

    monkeypatch.setattr(calendar, "take_place", cut_off)
    request = booking(3, request_id="book-0003")
    with pytest.raises(RuntimeError):
        await center.service.book(citizen(3), request)
    monkeypatch.setattr(calendar, "take_place", real_take_place)
    with pytest.raises(RequestInProgress):
        await center.service.book(citizen(3), request)
    center.at(center.now + timedelta(seconds=90))
    assert await center.service.settle_pending() == 1
    settled = await center.service.book(citizen(3), request)
    assert settled.state.value == "booked"
    assert len(await center.service.mine(citizen(3).sub)) == 1

"""A booking sent again with the same request id (the page never got the answer: its node
died, the network dropped) is the first booking, not ALREADY_BOOKED and not a second one."""

from __future__ import annotations

import pytest

from hub.errors import HubError, IdempotencyConflict
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

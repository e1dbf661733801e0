"""A booking's code identifies it: one counter per hall and day across the hall's services
(`$inc` on one document, so any number of bookings and nodes at once get distinct numbers),
told with its day ("11月27日 Y0003": the same code on another day is another booking), and
a clerk checking in by the code finds that booking."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from appointments import domain, errors
from appointments.models import BookingPlan, ChangeIn, CheckInIn
from appointments.service import AppointmentService
from hub import keys
from hub.auth.models import Principal, Role
from hub.errors import HubError
from tests.appointments.conftest import FRIDAY_0930, Center, booking, citizen

CLERK = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")


async def plans(center: Center, *services: str) -> None:
    for service in services:
        await center.service.save_plan(
            BookingPlan.model_validate(
                {
                    "_id": f"h1:{service}",
                    "hall_id": "h1",
                    "service_id": service,
                    "capacity": 20,
                    "backup_share": 0,
                    "dynamic": False,
                }
            )
        )


def another_node(center: Center) -> AppointmentService:
    """A second hub node's appointment center: its own caches, the same database."""
    core = center.service._core
    return AppointmentService(
        center.hub.app[keys.DB],
        center.hub.app[keys.BUS],
        center.queue,
        pepper=core.pepper,
        checkin_secret=core.secret,
        clock=lambda: center.now,
    )


async def test_many_bookings_at_once_on_two_nodes_and_three_services_get_distinct_codes(
    center: Center,
) -> None:
    await plans(center, "s1", "s2", "s3")
    nodes = [center.service, another_node(center)]
    slots = [FRIDAY_0930, FRIDAY_0930 + timedelta(minutes=30)]

    async def attempt(n: int) -> str:
        node = nodes[n % 2]
        request = booking(n, slots[n % 2], service=f"s{n % 3 + 1}")
        return (await node.book(citizen(n), request)).code

    codes = await asyncio.gather(*(attempt(n) for n in range(60)))
    # One hall day, one sequence: every booking its own number, none skipped.
    assert sorted(codes) == [f"Y{n:04d}" for n in range(1, 61)]


async def test_a_code_is_told_with_its_day_and_a_move_to_another_day_renumbers_it(
    center: Center,
) -> None:
    await plans(center, "s1", "s2")
    friday = await center.service.book(citizen(1), booking(1))
    other = await center.service.book(citizen(1), booking(1, service="s2"))
    monday = await center.service.book(citizen(1), booking(1, FRIDAY_0930 + timedelta(days=3)))
    assert (friday.code, other.code, monday.code) == ("Y0001", "Y0002", "Y0001")
    shown = [(await center.service.public(a))["code_text"] for a in (friday, other, monday)]
    # The two Y0001 are told apart by their day: what the citizen remembers is unique.
    assert shown == ["11月27日 Y0001", "11月27日 Y0002", "11月30日 Y0001"]

    # Moved to Monday, Friday's Y0002 would be a second Y0002 there: it takes Monday's next.
    moved = await center.service.change(
        citizen(1), ChangeIn(appointment_id=other.id, slot_start=FRIDAY_0930 + timedelta(days=3))
    )
    assert (moved.day, moved.code) == ("2026-11-30", "Y0002")
    moved_again = await center.service.change(
        citizen(1),
        ChangeIn(appointment_id=other.id, slot_start=FRIDAY_0930 + timedelta(days=3, hours=1)),
    )
    assert moved_again.code == "Y0002"  # the same day: the code stays


async def test_a_clerk_checks_in_the_booking_whose_code_the_citizen_shows(center: Center) -> None:
    await plans(center, "s1", "s2")
    first = await center.service.book(citizen(1), booking(1))
    second = await center.service.book(citizen(2), booking(2, service="s2"))
    await center.service.book(citizen(3), booking(3, FRIDAY_0930 + timedelta(days=3)))
    assert (first.code, second.code) == ("Y0001", "Y0002")
    center.at(FRIDAY_0930 - timedelta(minutes=10))

    # Monday's Y0001 is not today's: the clerk typing "Y0001" on Friday gets Friday's.
    for typed in ("y0002", " Y2 ", "11月27日 Y0002"):
        answer = await center.service.check_in(CLERK, CheckInIn(hall_id="h1", code=typed))
        assert answer["appointment"]["id"] == second.id
        assert answer["appointment"]["code_text"] == "11月27日 Y0002"
    assert answer["repeat"] is True
    answer = await center.service.check_in(CLERK, CheckInIn(hall_id="h1", code="Y0001"))
    assert (answer["appointment"]["id"], answer["repeat"]) == (first.id, False)

    with pytest.raises(errors.AppointmentNotFound, match="Y0009"):
        await center.service.check_in(CLERK, CheckInIn(hall_id="h1", code="Y0009"))
    with pytest.raises(errors.AppointmentNotFound, match="字母加数字"):
        await center.service.check_in(CLERK, CheckInIn(hall_id="h1", code="预约"))
    # A citizen checks in with the booking and the hall's QR code, never by a code alone.
    with pytest.raises(HubError) as refused:
        await center.service.check_in(citizen(2), CheckInIn(hall_id="h1", code="Y0002"))
    assert refused.value.code == "APPOINTMENT_NOT_FOUND"
    # Another hall's clerk is refused before anything of this hall is looked up.
    other_hall = Principal("clerk9", Role.STAFF, hall="h2")
    with pytest.raises(HubError) as foreign:
        await center.service.check_in(other_hall, CheckInIn(hall_id="h1", code="Y0001"))
    assert foreign.value.code == "FORBIDDEN"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("Y0003", "Y0003"),
        ("y3", "Y0003"),
        ("１２月４日　Ｙ０００３", "Y0003"),
        ("YA0012", "YA0012"),
        ("Y12345", "Y12345"),
        ("0003", None),
        ("预约号", None),
        ("", None),
    ],
)
def test_a_typed_code_is_read_as_stored(typed: str, read: str | None) -> None:
    assert domain.read_code(typed) == read

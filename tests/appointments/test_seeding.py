"""The demo's booking for today (citizens book from the next working day, so a demo would have
nothing to check in): config/demo.yaml seeded at any hour gives the demo citizen a booking
they can check in with at once; seeded again it is the same booking while it can still be
checked in, and a new one once its window passed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from appointments.models import AppointmentQuery, CheckInIn
from hub import demo
from hub.auth.models import Principal, Role
from tests.appointments.conftest import Center

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_CITIZEN = Principal("demo-citizen-001", Role.CITIZEN)


def local(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def demo_data() -> demo.DemoData:
    """config/demo.yaml without its accounts and contacts (slow to make, not used here)."""
    return demo.load().model_copy(update={"accounts": [], "contacts": []})


@pytest.mark.parametrize(
    "moment",
    [
        local(27, 0, 1),
        local(27, 8, 59),
        local(27, 12, 44),
        local(27, 17, 40),
        local(27, 23, 29),
        local(27, 23, 46),
        local(27, 23, 59),
        local(28, 10, 0),  # a Saturday
    ],
    ids=lambda m: f"{m:%a-%H%M}",
)
async def test_the_demo_citizen_can_check_in_todays_booking_whenever_the_demo_starts(
    center: Center, moment: datetime
) -> None:
    center.at(moment)
    data = demo_data()
    await demo.seed(center.hub.app, data)
    [today] = data.seeded
    assert "预约号" in today.text
    [booking] = await center.service.search(AppointmentQuery(hall_id="xc-01"))
    assert booking.day == moment.date().isoformat()
    assert booking.citizen_id == "demo-citizen-001"
    # The clockwork may run before anyone checks in: it takes nothing from the booking.
    await center.service.release_places()
    await center.service.record_no_shows()
    answer = await center.service.check_in(
        DEMO_CITIZEN,
        CheckInIn(
            hall_id="xc-01",
            appointment_id=booking.id,
            hall_code=center.service.hall_code("xc-01"),
        ),
    )
    assert answer["late"] is False
    assert answer["ticket_code"].startswith("YE")


async def test_seeded_again_it_is_the_same_booking_until_its_window_passed(
    center: Center,
) -> None:
    center.at(local(27, 10, 7))
    data = demo_data()
    await demo.seed(center.hub.app, data)
    [first] = await center.service.search(AppointmentQuery(hall_id="xc-01"))
    center.later(minutes=20)
    await demo.seed(center.hub.app, data)
    assert [a.id for a in await center.service.search(AppointmentQuery(hall_id="xc-01"))] == [
        first.id
    ]

    center.later(hours=3)  # the first one was never checked in
    await demo.seed(center.hub.app, data)
    found = {a.id: a for a in await center.service.search(AppointmentQuery(hall_id="xc-01"))}
    assert found[first.id].state.value == "cancelled"  # let go quietly: demo data
    [fresh] = [a for a in found.values() if a.id != first.id]
    assert fresh.state.value == "booked"
    assert fresh.slot_start > center.now - timedelta(minutes=30)

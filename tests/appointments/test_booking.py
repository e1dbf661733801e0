"""Booking, changing, cancelling and checking in against the real store, bus and queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from appointments import errors
from appointments.models import (
    AppointmentQuery,
    AppointmentRef,
    AppointmentState,
    ChangeIn,
    CheckInIn,
)
from hub.auth.models import Principal, Role
from hub.errors import Forbidden, HubError
from queueing import HALLS
from queueing.models import Service
from tests.appointments.conftest import FRIDAY_0930, Center, booking, citizen, id_number

CLERK = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
FRIDAY = FRIDAY_0930.date()


async def free(center: Center, start: datetime = FRIDAY_0930) -> int:
    slots = await center.service.slots("h1", "s1", start.astimezone(UTC).date())
    [slot] = [s for s in slots["slots"] if datetime.fromisoformat(s["start"]) == start]
    return int(slot["free"])


async def states(center: Center) -> list[str]:
    found = await center.service.search(AppointmentQuery(limit=1000))
    return sorted(a.state.value for a in found)


async def test_100_citizens_for_the_last_10_places_make_exactly_10_bookings(
    center: Center,
) -> None:
    await center.plan(capacity=10, backup_share=0)

    async def attempt(n: int) -> str:
        try:
            await center.service.book(citizen(n), booking(n))
        except HubError as exc:
            return exc.code
        return "OK"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(100)))
    assert outcomes.count("OK") == 10
    assert outcomes.count("SLOT_FULL") == 90
    assert await free(center) == 0
    slot = await center.store.slot("h1:s1:20261127T0130")
    assert slot is not None
    assert len(slot.holders) == 10
    found = await center.service.search(AppointmentQuery(limit=200))
    booked = [a for a in found if a.state.value == "booked"]
    assert len(booked) == 10
    assert {a.id for a in booked} == set(slot.holders)


async def test_one_booking_per_person_service_and_day(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    first = await center.service.book(citizen(1), booking(1))
    assert first.code == "Y0001"
    with pytest.raises(errors.AlreadyBooked):
        await center.service.book(citizen(1), booking(1, FRIDAY_0930 + timedelta(hours=1)))
    # The same person from another account is the same person.
    with pytest.raises(errors.AlreadyBooked):
        await center.service.book(citizen(99), booking(1, FRIDAY_0930 + timedelta(hours=1)))
    monday = await center.service.book(citizen(1), booking(1, FRIDAY_0930 + timedelta(days=3)))
    assert monday.day == "2026-11-30"
    assert await free(center) == 4  # the refused attempts took nothing
    assert await states(center) == ["booked", "booked", "failed", "failed"]


@pytest.mark.parametrize(
    ("start", "error"),
    [
        (datetime(2026, 11, 26, 6, 0, tzinfo=UTC), errors.SlotInPast),  # today 14:00
        (datetime(2026, 11, 25, 1, 30, tzinfo=UTC), errors.SlotInPast),  # yesterday
        (datetime(2026, 11, 28, 1, 30, tzinfo=UTC), errors.ClosedDay),  # Saturday
        (datetime(2026, 11, 27, 1, 40, tzinfo=UTC), errors.NoSuchSlot),  # 09:40
        (datetime(2026, 11, 27, 4, 30, tzinfo=UTC), errors.NoSuchSlot),  # 12:30 lunch
        (datetime(2026, 12, 4, 1, 30, tzinfo=UTC), errors.NotOpenYet),  # opens Fri 08:00
        (datetime(2026, 12, 10, 1, 30, tzinfo=UTC), errors.BeyondHorizon),
    ],
    ids=["today", "yesterday", "saturday", "misaligned", "lunch", "not-open", "horizon"],
)
async def test_a_slot_that_cannot_be_booked_is_refused_and_nothing_changes(
    center: Center, start: datetime, error: type[HubError]
) -> None:
    await center.plan(capacity=5, backup_share=0)
    with pytest.raises(error):
        await center.service.book(citizen(1), booking(1, start))
    assert await states(center) == []
    assert await center.store.holder("x") is None


async def test_bad_identity_and_unknown_plans_are_refused(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    bad = booking(1).model_copy(update={"id_number": id_number(1)[:-1] + "0"})
    if bad.id_number == id_number(1):
        bad = booking(1).model_copy(update={"id_number": id_number(1)[:-1] + "1"})
    with pytest.raises(errors.InvalidIdNumber):
        await center.service.book(citizen(1), bad)
    with pytest.raises(errors.PlanNotFound):
        await center.service.book(citizen(1), booking(1, service="s2"))
    with pytest.raises(Forbidden):
        await center.service.book(CLERK, booking(1))
    assert await states(center) == []
    assert await free(center) == 5


async def test_cancel_gives_the_place_back_before_the_deadline_only(center: Center) -> None:
    await center.plan(capacity=2, backup_share=0)
    mine = await center.service.book(citizen(1), booking(1))
    with pytest.raises(Forbidden):
        await center.service.cancel(citizen(2), AppointmentRef(appointment_id=mine.id))
    assert await free(center) == 1
    cancelled = await center.service.cancel(citizen(1), AppointmentRef(appointment_id=mine.id))
    assert cancelled.state is AppointmentState.CANCELLED
    assert await free(center) == 2
    with pytest.raises(errors.NotCancellable):
        await center.service.cancel(citizen(1), AppointmentRef(appointment_id=mine.id))
    # Booked again, then too close to the slot to cancel (deadline: 2 h before 09:30).
    again = await center.service.book(citizen(1), booking(1))
    center.at(FRIDAY_0930 - timedelta(hours=2, seconds=-1))
    with pytest.raises(errors.CancelTooLate):
        await center.service.cancel(citizen(1), AppointmentRef(appointment_id=again.id))
    assert (await center.store.get(again.id)).state is AppointmentState.BOOKED  # type: ignore[union-attr]


async def test_change_moves_the_place_and_keeps_one_booking(center: Center) -> None:
    await center.plan(capacity=1, backup_share=0)
    mine = await center.service.book(citizen(1), booking(1))
    later = FRIDAY_0930 + timedelta(hours=1)
    await center.service.book(citizen(2), booking(2, later))
    with pytest.raises(errors.SlotFull):  # 10:30 is taken
        await center.service.change(citizen(1), ChangeIn(appointment_id=mine.id, slot_start=later))
    assert await free(center) == 0
    monday = FRIDAY_0930 + timedelta(days=3)
    moved = await center.service.change(
        citizen(1), ChangeIn(appointment_id=mine.id, slot_start=monday)
    )
    assert (moved.day, moved.slot_start) == ("2026-11-30", monday)
    assert await free(center) == 1  # Friday's place is free again
    assert await free(center, monday) == 0
    # The hold moved with it: Friday can be booked again by the same person.
    await center.service.book(citizen(1), booking(1))


async def test_check_in_windows_make_the_right_ticket(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    on_time = await center.service.book(citizen(1), booking(1))
    late = await center.service.book(citizen(2), booking(2))
    early = await center.service.book(citizen(3), booking(3))
    code = center.service.hall_code("h1")

    def ref(appointment_id: str) -> CheckInIn:
        return CheckInIn(hall_id="h1", appointment_id=appointment_id, hall_code=code)

    center.at(FRIDAY_0930 - timedelta(minutes=30, seconds=1))  # 08:59:59
    with pytest.raises(errors.TooEarly) as too_early:
        await center.service.check_in(citizen(3), ref(early.id))
    assert "09:00" in too_early.value.message

    center.at(FRIDAY_0930 - timedelta(minutes=30))  # 09:00 exactly: the window opens
    answer = await center.service.check_in(citizen(1), ref(on_time.id))
    assert answer["ticket_code"] == "YA001"
    assert answer["late"] is False
    ticket = await center.queue.ticket(answer["ticket_id"])
    assert ticket.appointment is not None
    assert ticket.appointment.slot_start == FRIDAY_0930
    assert ticket.queue_time == FRIDAY_0930 - timedelta(minutes=5)
    again = await center.service.check_in(citizen(1), ref(on_time.id))
    assert (again["ticket_id"], again["repeat"]) == (answer["ticket_id"], True)

    center.at(FRIDAY_0930 + timedelta(minutes=15, seconds=1))  # too late: a walk-in ticket
    walk_in = await center.service.check_in(citizen(2), ref(late.id))
    assert walk_in["late"] is True
    assert walk_in["ticket_code"] == "A001"
    walk_in_ticket = await center.queue.ticket(walk_in["ticket_id"])
    assert walk_in_ticket.appointment is None
    assert walk_in_ticket.queue_time == center.now


async def test_check_in_by_the_citizen_needs_the_halls_code_and_staff_use_the_id_number(
    center: Center,
) -> None:
    await center.plan(capacity=5, backup_share=0)
    mine = await center.service.book(citizen(1), booking(1))
    center.at(FRIDAY_0930 - timedelta(minutes=10))
    for code in (None, "h1.0000000000000000", "h2." + center.service.hall_code("h1")[3:]):
        with pytest.raises(errors.HallCodeInvalid):
            await center.service.check_in(
                citizen(1), CheckInIn(hall_id="h1", appointment_id=mine.id, hall_code=code)
            )
    with pytest.raises(Forbidden):
        await center.service.check_in(
            citizen(2),
            CheckInIn(
                hall_id="h1", appointment_id=mine.id, hall_code=center.service.hall_code("h1")
            ),
        )
    with pytest.raises(errors.AppointmentNotFound):
        await center.service.check_in(CLERK, CheckInIn(hall_id="h1", id_number=id_number(2)))
    answer = await center.service.check_in(CLERK, CheckInIn(hall_id="h1", id_number=id_number(1)))
    assert answer["ticket_code"] == "YA001"
    assert answer["appointment"]["state"] == "checked_in"


async def test_a_booking_for_another_day_is_not_checked_in_today(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    mine = await center.service.book(citizen(1), booking(1, FRIDAY_0930 + timedelta(days=3)))
    center.at(FRIDAY_0930)
    with pytest.raises(errors.NotToday):
        await center.service.check_in(
            citizen(1),
            CheckInIn(
                hall_id="h1", appointment_id=mine.id, hall_code=center.service.hall_code("h1")
            ),
        )


async def test_unbooked_places_go_to_walk_ins_before_the_slot(center: Center) -> None:
    hall = center.hub.app[HALLS]
    detail = await hall.hall("h1")
    s1 = next(s for s in detail.services if s.id == "s1")
    await hall.save_service(
        Service.model_validate({**s1.model_dump(by_alias=True), "daily_cap": 2})
    )
    await center.plan(capacity=4, backup_share=0)
    await center.service.book(citizen(1), booking(1))
    center.at(FRIDAY_0930 - timedelta(minutes=31))
    await center.jobs()
    slot = await center.store.slot("h1:s1:20261127T0130")
    assert slot is not None
    assert (slot.free, slot.walkin_released) == (3, None)
    center.at(FRIDAY_0930 - timedelta(minutes=30))  # walkin_release_minutes
    await center.jobs()
    slot = await center.store.slot("h1:s1:20261127T0130")
    assert slot is not None
    assert (slot.free, slot.walkin_released) == (0, 3)
    # The walk-in cap was 2; the slots released before 09:30 add their free places.
    places = await center.store.walkin_places("h1", "s1", "2026-11-27")
    tickets = []
    for _ in range(2 + places):
        tickets.append(await center.queue.take_ticket("h1", "s1", _kiosk(), None))
    from queueing.errors import DailyCapReached

    with pytest.raises(DailyCapReached):
        await center.queue.take_ticket("h1", "s1", _kiosk(), None)
    assert len(tickets) == 2 + places
    assert await free(center) == 0


async def test_backup_places_open_when_the_rest_is_booked_out(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0.4)  # 3 regular, 2 held back
    assert await free(center) == 3
    for n in range(3):
        await center.service.book(citizen(n), booking(n))
    assert await free(center) == 0
    await center.service.book(citizen(3), booking(3))  # booked out: the backup opens
    assert await free(center) == 1
    await center.service.book(citizen(4), booking(4))
    with pytest.raises(errors.SlotFull):
        await center.service.book(citizen(5), booking(5))


async def test_backup_places_open_a_day_before(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0.4, backup_when_full=False)
    assert await free(center) == 3
    center.at(FRIDAY_0930 - timedelta(hours=24, seconds=1))
    await center.jobs()
    assert await free(center) == 3
    center.at(FRIDAY_0930 - timedelta(hours=24))
    await center.jobs()
    assert await free(center) == 5


async def test_a_day_opens_at_eight_five_working_days_ahead(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    friday_next = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
    center.at(datetime(2026, 11, 26, 23, 59, tzinfo=UTC))  # Friday 07:59 in Shanghai
    await center.jobs()
    assert await center.store.slots("h1", "s1", "2026-12-04") == {}
    center.at(datetime(2026, 11, 27, 0, 0, tzinfo=UTC))  # Friday 08:00
    opened = await center.jobs()
    assert opened["opened"] == 13
    assert await free(center, friday_next) == 5


async def test_dynamic_share_follows_the_load_of_recent_weeks(center: Center) -> None:
    """Busy Friday mornings in the last four weeks raise the share at 09:30, within bounds."""
    await center.plan(dynamic=True, share=0.2, min_share=0.1, max_share=0.3, backup_share=0)
    for week in range(1, 5):
        center.at(FRIDAY_0930 - timedelta(weeks=week) + timedelta(minutes=5))
        for _ in range(12):
            await center.queue.take_ticket("h1", "s1", _kiosk(), None)
    center.at(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    friday = await center.store.slots("h1", "s1", "2026-11-27")
    assert friday == {}
    await center.service.slots("h1", "s1", FRIDAY)
    friday = await center.store.slots("h1", "s1", "2026-11-27")
    busy = friday["h1:s1:20261127T0130"]
    quiet = friday["h1:s1:20261127T0600"]  # 14:00: nobody came then
    assert busy.share == 0.3  # 12 arrivals a week for 7.5 places in that half hour: the most
    assert quiet.share == 0.1  # nobody came at 14:00 these weeks: the least
    assert busy.capacity > quiet.capacity


async def test_two_no_shows_suspend_booking_until_lifted(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    first = await center.service.book(citizen(1), booking(1))
    center.at(FRIDAY_0930 + timedelta(minutes=16))
    assert (await center.jobs())["no_shows"] == 1
    assert (await center.store.get(first.id)).state is AppointmentState.NO_SHOW  # type: ignore[union-attr]
    assert await center.store.blacklisting(first.person) is None
    monday = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    second = await center.service.book(citizen(1), booking(1, monday))
    center.at(monday + timedelta(minutes=16))
    await center.jobs()
    assert (await center.jobs())["no_shows"] == 0  # recorded once
    entry = await center.store.blacklisting(second.person)
    assert entry is not None
    assert "爽约 2 次" in entry.reason
    with pytest.raises(errors.Blacklisted) as refused:
        await center.service.book(citizen(1), booking(1, monday + timedelta(days=2)))
    assert "爽约 2 次" in refused.value.message
    lifted = await center.service.lift(second.person, "大厅主管", "系统故障导致未能签到")
    assert lifted.audit[-1].what == "解除：系统故障导致未能签到"
    await center.service.book(citizen(1), booking(1, monday + timedelta(days=2)))
    with pytest.raises(errors.NotBlacklisted):
        await center.service.lift(second.person, "大厅主管", "再次解除")


async def test_five_cancellations_suspend_booking(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    for day in (0, 3, 4, 5, 6):  # Friday, then Monday to Thursday
        mine = await center.service.book(citizen(1), booking(1, FRIDAY_0930 + timedelta(days=day)))
        await center.service.cancel(citizen(1), AppointmentRef(appointment_id=mine.id))
    with pytest.raises(errors.Blacklisted) as refused:
        await center.service.book(citizen(1), booking(1))
    assert "取消预约 5 次" in refused.value.message


async def test_a_fourth_booking_of_one_service_in_a_day_is_refused_and_suspends(
    center: Center,
) -> None:
    await center.plan(capacity=5, backup_share=0)
    for _ in range(3):
        mine = await center.service.book(citizen(1), booking(1))
        await center.service.cancel(citizen(1), AppointmentRef(appointment_id=mine.id))
    with pytest.raises(errors.SameMatterLimit):
        await center.service.book(citizen(1), booking(1))
    with pytest.raises(errors.Blacklisted):
        await center.service.book(citizen(1), booking(1, FRIDAY_0930 + timedelta(days=3)))


async def test_events_go_to_the_citizen_and_the_hall_and_reminders_once(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    seen: list[tuple[str, str, dict[str, Any]]] = []

    async def listener(envelope: Any) -> None:
        if envelope.type.startswith("appointments."):
            seen.append((envelope.topic, envelope.type, envelope.data))

    from hub import keys

    center.hub.app[keys.BUS].listen(listener)
    mine = await center.service.book(citizen(1), booking(1))
    booked = [(t, d) for t, ty, d in seen if ty == "appointments.appointment_booked"]
    assert {t for t, _ in booked} == {"citizen:c-1", "hall:h1"}
    personal = next(d for t, d in booked if t == "citizen:c-1")
    assert personal["code"] == mine.code
    assert personal["slot_text"] == "11月27日 09:30"
    assert personal["phone"] == "138****0001"
    public = next(d for t, d in booked if t == "hall:h1")
    assert public == {
        "hall_id": "h1",
        "service_id": "s1",
        "day": "2026-11-27",
        "slots": [{"id": "h1:s1:20261127T0130", "free": 4, "walkin_released": None}],
    }
    center.at(FRIDAY_0930 - timedelta(hours=18))
    await center.jobs()
    await center.jobs()
    reminders = [d for _, ty, d in seen if ty == "appointments.reminder_sent"]
    assert len(reminders) == 1


async def test_an_interrupted_booking_is_settled_by_the_jobs(center: Center) -> None:
    """A node died between taking the place and marking the booking booked."""
    await center.plan(capacity=5, backup_share=0)
    done = await center.service.book(citizen(1), booking(1))
    store = center.store
    # Rewind it to "pending" and not yet numbered, as the crash left it, and a second one that
    # never got a place.
    pending = done.model_copy(update={"state": AppointmentState.PENDING, "code": ""})
    await store._bookings.replace_one({"_id": done.id}, {**pending.model_dump(by_alias=True)})
    orphan = done.model_copy(
        update={
            "id": "orphan",
            "code": "Y0099",
            "person": "p-orphan",
            "hold": "p-orphan:s1:2026-11-27",
            "state": AppointmentState.PENDING,
        }
    )
    await store.add(orphan)
    await store.hold(orphan.hold, orphan.id)
    center.later(seconds=61)
    assert (await center.jobs())["settled"] == 2
    settled = await store.get(done.id)
    assert settled is not None
    assert (settled.state, settled.code) == (AppointmentState.BOOKED, "Y0002")  # numbered now
    assert (await store.get("orphan")).state is AppointmentState.FAILED  # type: ignore[union-attr]
    assert await store.holder(orphan.hold) is None
    assert await free(center) == 4


def _kiosk() -> Any:
    from queueing import TicketChannel

    return TicketChannel.KIOSK

"""Demo data: a booking for today that can be checked in at once.

Citizens book from the next working day on (`domain.check_slot`), so a demo started today
would have nothing to check in. `today` makes the booking a citizen would have made earlier:
for a slot of today whose check-in window holds the current time
(`domain.slots_to_check_in_now`), with a place taken from the slot like any booking's, its
code from the hall day's counter, and the booker told. Run again (a demo started again), it
answers the same booking while it can still be checked in; one whose window passed is let go
quietly (demo data: no strike, no message) and a new one is made.
"""

from __future__ import annotations

import secrets
from datetime import UTC

from appointments import domain, events
from appointments.models import Appointment, AppointmentState, BookingPlan
from appointments.service.booking import Booking
from appointments.service.calendar import Calendar
from appointments.service.core import Core


class Seeding:
    def __init__(self, core: Core, calendar: Calendar, booking: Booking) -> None:
        self._core = core
        self._store = core.store
        self._calendar = calendar
        self._booking = booking

    async def today(
        self,
        citizen_id: str,
        hall_id: str,
        service_id: str,
        *,
        name: str,
        id_number: str,
        phone: str,
    ) -> Appointment | None:
        """The citizen's booking for a slot of today that can be checked in now, made if need
        be; None when the plan has no such slot today (or no place in one)."""
        now = self._core.now()
        plan = await self._core.plan(hall_id, service_id)
        zone = await self._core.zone(hall_id)
        id_number = domain.check_id_number(id_number)
        person = domain.person_key(id_number, self._core.pepper)
        today = domain.local_day(now, zone).isoformat()
        for earlier in await self._store.for_checkin(hall_id, today, person):
            if earlier.service_id != service_id:
                continue
            if earlier.state is AppointmentState.CHECKED_IN:
                return earlier
            if earlier.state is AppointmentState.BOOKED:
                if domain.arrival(plan, earlier, now) is not domain.Arrival.LATE:
                    return earlier
                await self._let_go(earlier)
        candidates = domain.slots_to_check_in_now(plan, now, zone)
        if not candidates:
            return None
        await self._calendar.open_day(plan, today)
        start, end = candidates[0]
        appointment = Appointment(
            id=secrets.token_hex(10),
            hall_id=hall_id,
            service_id=service_id,
            day=today,
            slot_id=domain.slot_id(hall_id, service_id, start),
            slot_start=start,
            slot_end=end,
            citizen_id=citizen_id,
            name=name,
            id_number=id_number,
            phone=phone,
            person=person,
            notify_sms=False,
            hold=domain.hold_key(person, service_id, today),
            created_at=now,
            updated_at=now,
        )
        await self._store.add(appointment)
        if not await self._store.hold(appointment.hold, appointment.id):
            await self._core.fail(appointment, "当天已有该事项的预约")
            return None
        for start, end in candidates:
            slot_id = domain.slot_id(hall_id, service_id, start)
            if await self._take(plan, slot_id, appointment.id):
                seq = await self._store.next_code(hall_id, today)
                booked = appointment.model_copy(
                    update={
                        "slot_id": slot_id,
                        "slot_start": start.astimezone(UTC),
                        "slot_end": end.astimezone(UTC),
                        "state": AppointmentState.BOOKED,
                        "code": domain.appointment_code(plan, seq),
                    }
                )
                saved = await self._booking.booked(booked, "system", "预约成功（演示数据）")
                await self._core.tell_hall(events.AppointmentBooked, plan, today, [slot_id])
                return saved
        await self._store.unhold(appointment.hold, appointment.id)
        await self._core.fail(appointment, "该时段已约满")
        return None

    async def _take(self, plan: BookingPlan, slot_id: str, appointment_id: str) -> bool:
        # A slot under way may have handed its places to walk-ins already: one is taken back.
        return await self._calendar.take_place(
            plan, slot_id, appointment_id
        ) or await self._store.take_released_place(slot_id, appointment_id)

    async def _let_go(self, stale: Appointment) -> None:
        """An earlier demo booking whose window passed unused: cancelled without a strike or a
        message, its place and its hold given back."""
        now = self._core.now()
        gone = stale.model_copy(
            update={
                "state": AppointmentState.CANCELLED,
                "reason": "演示数据更新",
                "updated_at": now,
            }
        )
        if await self._store.save(gone, "system", "演示数据更新") is not None:
            await self._store.give_back(stale.slot_id, stale.id)
            await self._store.unhold(stale.hold, stale.id)

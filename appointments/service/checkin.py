"""Check-in at the hall: a booking becomes a ticket of the queue (its published
`take_ticket`), found by the booking (the citizen's phone, having scanned the hall's QR code),
by the ID number or by the code the citizen shows (a kiosk or a counter)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from appointments import access, domain, errors, events
from appointments.models import Appointment, AppointmentState, CheckInIn
from appointments.service.core import STATE_TEXT, Core
from hub.auth.models import Principal, Role
from queueing import CitizenIn, TicketAppointment, TicketChannel

REPEAT_SECONDS = 30  # a check-in claimed longer ago than this, with no ticket, was interrupted


class CheckIn:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

    def hall_code(self, hall_id: str) -> str:
        """What the hall's check-in QR code carries."""
        return domain.hall_code(hall_id, self._core.secret)

    async def check_in_code(self, hall_id: str) -> str:
        """The hall's code, for a hall that exists (HALL_NOT_FOUND for a made-up one)."""
        await self._core.config(hall_id)
        return self.hall_code(hall_id)

    async def check_in(self, principal: Principal, request: CheckInIn) -> dict[str, Any]:
        """A booking becomes a ticket: on time, queued just before its slot and called first
        from then; too late, an ordinary walk-in ticket (or refused, as the plan says); too
        early, refused with the time to come back. A repeat answers the same ticket."""
        # Another hall's people are refused before anything of that hall is looked up.
        access.CHECK_IN.require_hall(principal, request.hall_id)
        now = self._core.now()
        zone = await self._core.zone(request.hall_id)
        today = domain.local_day(now, zone).isoformat()
        appointment = await self._find(principal, request, today)
        if appointment.hall_id != request.hall_id:
            raise errors.WrongHall(hall_id=appointment.hall_id)
        if appointment.state is AppointmentState.CHECKED_IN and appointment.ticket_id:
            return await self._answer(appointment, repeat=True)
        if appointment.state is not AppointmentState.BOOKED and not (
            appointment.state is AppointmentState.CHECKED_IN
            and now - (appointment.checked_in_at or now) > timedelta(seconds=REPEAT_SECONDS)
        ):
            raise errors.NotCancellable(
                f"该预约状态为{STATE_TEXT[appointment.state]}", state=appointment.state.value
            )
        if appointment.day != today:
            raise errors.NotToday(day=appointment.day)
        plan = await self._core.plan(appointment.hall_id, appointment.service_id)
        arrival = domain.arrival(plan, appointment, now)
        if arrival is domain.Arrival.EARLY:
            when = domain.check_in_from(plan, appointment)
            raise errors.TooEarly(
                f"请于 {domain.local_text(when, zone)} 后签到", check_in_from=when.isoformat()
            )
        if arrival is domain.Arrival.LATE and not plan.late_becomes_walkin:
            raise errors.TooLate()
        # Claimed first (guarded by version): two check-ins at once make one ticket.
        claimed = await self._store.save(
            appointment.model_copy(
                update={
                    "state": AppointmentState.CHECKED_IN,
                    "checked_in_at": now,
                    "updated_at": now,
                }
            ),
            principal.sub,
            "签到中",
        )
        if claimed is None:
            return await self._answer(await self._core.get(appointment.id), repeat=True)
        on_time = arrival is domain.Arrival.ON_TIME
        channel = (
            TicketChannel.APPOINTMENT if principal.role is Role.CITIZEN else TicketChannel.STAFF
        )
        try:
            # On time: a booking's ticket (its own numbers, queued just before its slot);
            # late: an ordinary walk-in's (take_ticket's defaults).
            ticket = await self._core.queue.take_ticket(
                appointment.hall_id,
                appointment.service_id,
                channel,
                CitizenIn(
                    name=appointment.name, id_number=appointment.id_number, phone=appointment.phone
                ),
                citizen_id=appointment.citizen_id,
                appointment=TicketAppointment(
                    appointment_id=appointment.id,
                    slot_start=appointment.slot_start,
                    slot_end=appointment.slot_end,
                )
                if on_time
                else None,
                queue_time=domain.queue_time(plan, appointment) if on_time else None,
                number_prefix=plan.prefix if on_time else "",
            )
        except Exception:
            # No ticket: the booking stands as it was.
            await self._store.save(
                claimed.model_copy(
                    update={"state": AppointmentState.BOOKED, "checked_in_at": None}
                ),
                principal.sub,
                "签到未成功",
            )
            raise
        late = arrival is domain.Arrival.LATE
        done = claimed.model_copy(
            update={
                "ticket_id": ticket.id,
                "ticket_code": ticket.code,
                "reason": "迟到，按现场取号排队" if late else "",
                "updated_at": now,
            }
        )
        told = events.AppointmentCheckedIn(**await self._core.booker_view(done))
        what = f"签到，号码 {ticket.code}" + ("（迟到）" if late else "")
        saved = await self._core.save(done, principal.sub, what, told)
        return await self._answer(saved, repeat=False)

    async def _find(self, principal: Principal, request: CheckInIn, today: str) -> Appointment:
        if request.appointment_id:
            appointment = await self._core.get(request.appointment_id)
            access.CHECK_IN.require(principal, access.of_booking(appointment))
            if principal.role is Role.CITIZEN:
                # At the hall: the phone scanned the code posted there.
                domain.check_hall_code(request.hall_code or "", request.hall_id, self._core.secret)
            return appointment
        if principal.role is Role.CITIZEN:
            raise errors.AppointmentNotFound("请出示预约或身份证")
        if request.code:
            return await self._by_code(principal, request.hall_id, request.code, today)
        if not request.id_number:
            raise errors.AppointmentNotFound("请出示预约号或身份证")
        person = domain.person_key(domain.check_id_number(request.id_number), self._core.pepper)
        found = [
            a
            for a in await self._store.for_checkin(request.hall_id, today, person)
            if a.state in (AppointmentState.BOOKED, AppointmentState.CHECKED_IN)
        ]
        if not found:
            raise errors.AppointmentNotFound("今天在本大厅没有此人的预约")
        return min(found, key=lambda a: a.slot_start)

    async def _by_code(
        self, principal: Principal, hall_id: str, raw: str, today: str
    ) -> Appointment:
        """Today's booking at this hall with the code the citizen shows (a code is unique
        within the hall's day)."""
        code = domain.read_code(raw)
        if code is None:
            raise errors.AppointmentNotFound("预约号应为字母加数字，如 Y0003")
        unmade = (AppointmentState.PENDING, AppointmentState.FAILED)
        found = [
            a for a in await self._store.by_code(hall_id, today, code) if a.state not in unmade
        ]
        if not found:
            raise errors.AppointmentNotFound(f"今天在本大厅没有预约号为 {code} 的预约")
        access.CHECK_IN.require(principal, access.of_booking(found[0]))
        return found[0]

    async def _answer(self, appointment: Appointment, *, repeat: bool) -> dict[str, Any]:
        return {
            "appointment": await self._core.public(appointment),
            "ticket_id": appointment.ticket_id,
            "ticket_code": appointment.ticket_code,
            "late": bool(appointment.reason),
            "repeat": repeat,
        }

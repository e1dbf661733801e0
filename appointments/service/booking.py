"""A booking made, moved and cancelled; interrupted bookings settled; reminders before the slot.

A booking takes three atomic steps, each a single-document update: the booking written as
pending, a hold on (person, service, day) by its unique `_id` (one booking a day), a place
taken from the slot (`free > 0` in the filter: never overbooked). A step that fails undoes the
earlier ones; a crash between them leaves a pending booking that `settle_pending` finishes or
undoes from what the slot says. Events go in the booking's outbox with the change that causes
them and are published after (and again by the sweep after a crash; repeats are dropped by
event id).
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, timedelta

from appointments import access, domain, errors, events
from appointments.models import (
    Appointment,
    AppointmentRef,
    AppointmentState,
    BookIn,
    ChangeIn,
    StrikeKind,
)
from appointments.service.calendar import Calendar
from appointments.service.core import Core
from appointments.service.people import People
from hub.access import Scope
from hub.auth.models import Principal
from hub.errors import HubError
from hub.idempotency import RequestKey

PENDING_SECONDS = 60  # a booking pending longer than this was interrupted
REMINDER_HORIZON = timedelta(hours=72, minutes=1)  # past the longest `reminder_hours`
SLACK = timedelta(minutes=1)  # past a plan's `reminder_hours`: the slot at the limit is read


class Booking:
    def __init__(self, core: Core, calendar: Calendar, people: People) -> None:
        self._core = core
        self._store = core.store
        self._calendar = calendar
        self._people = people

    async def book(self, principal: Principal, request: BookIn) -> Appointment:
        """Book a slot. With the page's `request_id`, a repeat (the page never got the answer)
        answers the booking first made instead of ALREADY_BOOKED."""
        access.BOOK.require(principal, Scope(), "请在市民端以本人身份预约")
        if not request.request_id:
            return await self._book(principal, request, "")
        content = request.model_dump(mode="json", exclude={"request_id"})
        key = RequestKey.of(f"book:{principal.sub}", request.request_id, content, self._core.pepper)
        return await self._store.requests.once(
            key,
            now=self._core.now(),
            make=lambda claim: self._book(principal, request, claim),
            made_by=self._store.booked_by_request,
            load=self._core.get,
            id_of=lambda appointment: appointment.id,
        )

    async def _book(self, principal: Principal, request: BookIn, claim: str) -> Appointment:
        now = self._core.now()
        plan = await self._core.plan(request.hall_id, request.service_id)
        zone = await self._core.zone(request.hall_id)
        id_number = domain.check_id_number(request.id_number)
        person = domain.person_key(id_number, self._core.pepper)
        await self._people.refuse_blacklisted(person, now, zone)
        start = request.slot_start.astimezone(UTC)
        day, end = domain.check_slot(plan, start, now, zone)
        await self._calendar.open_day(plan, day.isoformat())
        rules = await self._core.abuse_rules()
        earlier = await self._store.of_person_day(person, plan.service_id, day.isoformat())
        made = [a for a in earlier if a.state is not AppointmentState.FAILED]
        if len(made) >= rules.same_matter_daily_limit:
            await self._people.strike(
                StrikeKind.SAME_MATTER,
                f"{person}:{plan.service_id}:{day}:matter",
                made[-1],
                now,
                rules,
                name=request.name,
            )
            raise errors.SameMatterLimit(limit=rules.same_matter_daily_limit)
        appointment = Appointment(
            id=secrets.token_hex(10),
            hall_id=plan.hall_id,
            service_id=plan.service_id,
            day=day.isoformat(),
            slot_id=domain.slot_id(plan.hall_id, plan.service_id, start),
            slot_start=start,
            slot_end=end.astimezone(UTC),
            citizen_id=principal.sub,
            name=request.name.strip(),
            id_number=id_number,
            phone=request.phone,
            person=person,
            notify_sms=request.notify_sms,
            hold=domain.hold_key(person, plan.service_id, day.isoformat()),
            request=claim,
            created_at=now,
            updated_at=now,
        )
        await self._store.add(appointment)
        if not await self._store.hold(appointment.hold, appointment.id):
            await self._core.fail(appointment, "当天已有该事项的预约")
            raise errors.AlreadyBooked(day=day.isoformat())
        if not await self._calendar.take_place(plan, appointment.slot_id, appointment.id):
            await self._store.unhold(appointment.hold, appointment.id)
            await self._core.fail(appointment, "该时段已约满")
            raise errors.SlotFull(slot_id=appointment.slot_id)
        # Numbered once it holds a place: refused attempts leave no gaps in the codes.
        seq = await self._store.next_code(plan.hall_id, day.isoformat())
        booked = appointment.model_copy(
            update={"state": AppointmentState.BOOKED, "code": domain.appointment_code(plan, seq)}
        )
        saved = await self.booked(booked, principal.sub, "预约成功")
        await self._core.tell_hall(events.AppointmentBooked, plan, saved.day, [saved.slot_id])
        return saved

    async def booked(self, booked: Appointment, by: str, what: str) -> Appointment:
        """Saved as booked, the booker told: with the booker's account, and with the phone when
        they asked for SMS (the message center keeps it as their SMS address)."""
        told = events.AppointmentBooked(
            **await self._core.booker_change(booked),
            citizen_id=booked.citizen_id,
            sms_phone=booked.phone if booked.notify_sms else None,
        )
        return await self._core.save(booked, by, what, told)

    async def change(self, principal: Principal, request: ChangeIn) -> Appointment:
        """Move a booking to another slot of the same service (same deadline as a
        cancellation); the old place is given back only once the new one is held."""
        now = self._core.now()
        current = await self._core.get(request.appointment_id)
        access.CHANGE_BOOKING.require(principal, access.of_booking(current))
        plan = await self._core.plan(current.hall_id, current.service_id)
        domain.check_cancel(plan, current, now)
        zone = await self._core.zone(current.hall_id)
        start = request.slot_start.astimezone(UTC)
        if start == current.slot_start:
            return current
        day, end = domain.check_slot(plan, start, now, zone)
        await self._calendar.open_day(plan, day.isoformat())
        new_slot = domain.slot_id(plan.hall_id, plan.service_id, start)
        new_hold = domain.hold_key(current.person, plan.service_id, day.isoformat())
        moving_day = new_hold != current.hold
        if moving_day and not await self._store.hold(new_hold, current.id):
            raise errors.AlreadyBooked(day=day.isoformat())
        if not await self._calendar.take_place(plan, new_slot, current.id):
            if moving_day:
                await self._store.unhold(new_hold, current.id)
            raise errors.SlotFull(slot_id=new_slot)
        # A code is unique within its hall day only: moved to another day, the booking gets
        # that day's next one (the old one may be another booking's there).
        code = (
            domain.appointment_code(
                plan, await self._store.next_code(plan.hall_id, day.isoformat())
            )
            if day.isoformat() != current.day
            else current.code
        )
        moved = current.model_copy(
            update={
                "slot_id": new_slot,
                "slot_start": start,
                "slot_end": end.astimezone(UTC),
                "day": day.isoformat(),
                "code": code,
                "hold": new_hold,
                "reminded": False,
                "updated_at": now,
            }
        )
        old_text = domain.local_text(current.slot_start, zone)
        told = events.AppointmentChanged(**await self._core.booker_change(moved))
        what = f"改约：原 {old_text}" + (
            f"，原预约号 {current.code}" if code != current.code else ""
        )
        saved = await self._core.save(moved, principal.sub, what, told)
        await self._store.give_back(current.slot_id, current.id)
        if moving_day:
            await self._store.unhold(current.hold, current.id)
        await self._core.tell_hall(events.AppointmentChanged, plan, current.day, [current.slot_id])
        await self._core.tell_hall(events.AppointmentChanged, plan, saved.day, [saved.slot_id])
        return saved

    async def cancel(self, principal: Principal, request: AppointmentRef) -> Appointment:
        now = self._core.now()
        current = await self._core.get(request.appointment_id)
        access.CHANGE_BOOKING.require(principal, access.of_booking(current))
        plan = await self._core.plan(current.hall_id, current.service_id)
        domain.check_cancel(plan, current, now)
        cancelled = current.model_copy(
            update={"state": AppointmentState.CANCELLED, "updated_at": now}
        )
        told = events.AppointmentCancelled(**await self._core.booker_change(cancelled))
        saved = await self._core.save(cancelled, principal.sub, "取消预约", told)
        await self._store.give_back(current.slot_id, current.id)
        await self._store.unhold(current.hold, current.id)
        await self._core.tell_hall(
            events.AppointmentCancelled, plan, current.day, [current.slot_id]
        )
        await self._people.strike(StrikeKind.CANCEL, f"{current.id}:cancel", current, now)
        return saved

    # -- the clockwork ----------------------------------------------------------------------

    async def settle_pending(self) -> int:
        """A booking interrupted between its steps: finished if it holds a place, else undone."""
        now = self._core.now()
        settled = 0
        for appointment in await self._store.stale_pending(
            now - timedelta(seconds=PENDING_SECONDS)
        ):
            holder = await self._store.holder(appointment.hold)
            if holder == appointment.id and await self._store.holds_place(
                appointment.slot_id, appointment.id
            ):
                booked = appointment.model_copy(
                    update={
                        "state": AppointmentState.BOOKED,
                        "code": appointment.code or await self._code(appointment),
                        "updated_at": now,
                    }
                )
                with contextlib.suppress(HubError):
                    await self.booked(booked, "system", "预约成功（恢复）")
            else:
                await self._store.give_back(appointment.slot_id, appointment.id)
                await self._store.unhold(appointment.hold, appointment.id)
                await self._core.fail(appointment, "预约未完成")
            settled += 1
        return settled

    async def _code(self, appointment: Appointment) -> str:
        """The code of a booking interrupted before it was numbered."""
        plan = await self._core.cached.plan(appointment.hall_id, appointment.service_id)
        seq = await self._store.next_code(appointment.hall_id, appointment.day)
        return domain.appointment_code(plan, seq) if plan else f"Y{seq:04d}"

    async def send_reminders(self) -> int:
        """Each booking reminded once, its plan's `reminder_hours` before the slot."""
        now = self._core.now()
        sent = 0
        plans = await self._core.plans()
        if not plans:
            return 0
        # Only the bookings whose slot is near enough for some plan's reminder are read.
        ahead = max(timedelta(hours=p.reminder_hours) for p in plans.values())
        due = await self._store.unreminded(now + min(ahead + SLACK, REMINDER_HORIZON))
        for appointment in due:
            plan = plans.get(f"{appointment.hall_id}:{appointment.service_id}")
            if plan is None:
                plan = await self._core.cached.plan(appointment.hall_id, appointment.service_id)
            if plan is None or appointment.slot_start <= now:
                continue
            if now < domain.reminder_at(plan, appointment):
                continue
            # Told first, marked after: with the event log down it is not marked and goes out
            # on a later round; told twice (two nodes, a crash before the mark) it is one
            # event (its id) and one SMS (the message center keys it by the event).
            await self._core.tell_booker(
                appointment.citizen_id,
                events.ReminderSent(**await self._core.booker_view(appointment)),
                event_id=f"appt:{appointment.id}:reminder:{appointment.slot_start:%Y%m%d%H%M}",
            )
            if await self._store.mark_reminded(appointment.id):
                sent += 1
        return sent

    async def sweep(self) -> int:
        """Outboxes a crash left unpublished, published; the events published."""
        swept = 0
        for appointment in await self._store.with_outbox():
            await self._core.flush(appointment)
            swept += len(appointment.outbox)
        return swept

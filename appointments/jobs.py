"""The appointment center's clockwork, run every JOB_SECONDS on every node: days opened when
their time comes (放号), backup places and unbooked places released, no-shows recorded,
reminders sent, interrupted bookings settled, outboxes swept. Each step is a guarded update
that succeeds once, so any number of nodes may run them."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from appointments import domain, events
from appointments.models import AppointmentState, Strike, StrikeKind
from appointments.service import PENDING_SECONDS, AppointmentService
from hub.errors import HubError
from hub.logs import get_logger

log = get_logger("appointments.jobs")

JOB_SECONDS = 15.0


class AppointmentJobs:
    def __init__(self, service: AppointmentService) -> None:
        self._service = service

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("appointment_jobs_failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(JOB_SECONDS):
                    await stop.wait()

    async def run_once(self) -> dict[str, int]:
        done = {
            "opened": await self.open_days(),
            "released": await self.release(),
            "no_shows": await self.no_shows(),
            "reminders": await self.reminders(),
            "settled": await self.settle_pending(),
            "swept": await self.sweep(),
        }
        return done

    async def open_days(self) -> int:
        service = self._service
        opened = 0
        now = service._now()
        for plan in await service.store.plans():
            if not plan.enabled:
                continue
            try:
                zone = (await service._queue.config(plan.hall_id)).hall.timezone
            except HubError:
                continue  # the hall is gone; its plan waits to be removed
            for day in domain.bookable_days(plan, now, zone):
                newly, _ = await service.open_day(plan, day.isoformat())
                opened += len(newly)
        return opened

    async def release(self) -> int:
        """Backup places when due; free places to walk-ins shortly before their slot."""
        service = self._service
        released = 0
        now = service._now()
        for plan in await service.store.plans():
            try:
                zone = (await service._queue.config(plan.hall_id)).hall.timezone
            except HubError:
                continue
            today = domain.local_day(now, zone)
            days = [today, *domain.working_days_after(plan, today, plan.horizon_days + 1)]
            for day in days:
                slots = await service.store.slots(plan.hall_id, plan.service_id, day.isoformat())
                backups = [
                    r
                    for s in slots.values()
                    if domain.backup_due(plan, s, now)
                    and (r := await service.store.release_backup(s)) is not None
                ]
                walkins = [
                    r
                    for s in slots.values()
                    if domain.walkin_due(plan, s, now)
                    and (r := await service.store.release_to_walkins(s)) is not None
                ]
                if backups:
                    await service._slots_event(plan, day.isoformat(), "backup", backups)
                if walkins:
                    await service._slots_event(plan, day.isoformat(), "walkin", walkins)
                released += len(backups) + len(walkins)
        return released

    async def no_shows(self) -> int:
        """Bookings not checked in by the end of their window: a strike, a warning after the
        first, a suspension at the limit."""
        service = self._service
        now = service._now()
        recorded = 0
        latest = now - timedelta(minutes=1)  # plans differ: each booking is checked below
        booked = await service.store.in_state(AppointmentState.BOOKED, latest)
        if not booked:
            return 0
        plans = {p.id: p for p in await service.store.plans()}
        rules = await service.store.abuse_rules()
        for appointment in booked:
            plan = plans.get(f"{appointment.hall_id}:{appointment.service_id}")
            if plan is None or not domain.no_show_due(plan, appointment, now):
                continue
            strikes = await service.store.strikes(appointment.person)
            warning = domain.warning_due(
                rules,
                [
                    *strikes,
                    Strike(
                        id="new",
                        person=appointment.person,
                        kind=StrikeKind.NO_SHOW,
                        appointment_id=appointment.id,
                        at=now,
                    ),
                ],
                now,
            )
            missed = appointment.model_copy(
                update={
                    "state": AppointmentState.NO_SHOW,
                    "updated_at": now,
                    "reason": "未在签到时间内到场",
                }
            )
            try:
                await service._save(
                    missed, "system", "爽约", events.NO_SHOW_RECORDED, extra={"warning": warning}
                )
            except HubError:
                continue  # changed meanwhile (checked in at the last second)
            await service.store.unhold(appointment.hold, appointment.id)
            await service._strike(
                appointment.person,
                StrikeKind.NO_SHOW,
                f"{appointment.id}:no_show",
                appointment,
                appointment.name,
                now,
                rules,
            )
            await service._hall_event(
                plan, events.NO_SHOW_RECORDED, appointment.day, [appointment.slot_id]
            )
            recorded += 1
        return recorded

    async def reminders(self) -> int:
        service = self._service
        now = service._now()
        sent = 0
        horizon = now + timedelta(hours=72)
        due = await service.store.unreminded(horizon)
        if not due:
            return 0
        plans = {p.id: p for p in await service.store.plans()}
        for appointment in due:
            plan = plans.get(f"{appointment.hall_id}:{appointment.service_id}")
            if plan is None or appointment.slot_start <= now:
                continue
            if now < domain.reminder_at(plan, appointment):
                continue
            if await service.store.mark_reminded(appointment.id):
                await service._bus.publish_untyped(
                    events.citizen_topic(appointment.citizen_id),
                    events.REMINDER_DUE,
                    await service.personal(appointment),
                    event_id=f"appt:{appointment.id}:reminder:{appointment.slot_start:%Y%m%d%H%M}",
                )
                sent += 1
        return sent

    async def settle_pending(self) -> int:
        """A booking interrupted between its steps: finished if it holds a place, else undone."""
        service = self._service
        now = service._now()
        settled = 0
        for appointment in await service.store.stale_pending(
            now - timedelta(seconds=PENDING_SECONDS)
        ):
            holder = await service.store.holder(appointment.hold)
            if holder == appointment.id and await service.store.holds_place(
                appointment.slot_id, appointment.id
            ):
                booked = appointment.model_copy(
                    update={"state": AppointmentState.BOOKED, "updated_at": now}
                )
                with contextlib.suppress(HubError):
                    await service._save(booked, "system", "预约成功（恢复）", events.BOOKED)
            else:
                await service.store.give_back(appointment.slot_id, appointment.id)
                await service.store.unhold(appointment.hold, appointment.id)
                await service._fail(appointment, "预约未完成")
            settled += 1
        return settled

    async def sweep(self) -> int:
        swept = 0
        for appointment in await self._service.store.with_outbox():
            await self._service.flush(appointment)
            swept += len(appointment.outbox)
        if swept:
            log.warning("outbox_swept", events=swept)
        return swept

"""What every part of the appointment center's service shares: the store, the bus, the queue's
published methods and the clock; plans and bookings loaded or refused; a booking saved with
its booker's event in its outbox and published after; the hall's copies of events; the views
of a booking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from appointments import domain, errors, events
from appointments.models import (
    AbuseRules,
    Appointment,
    AppointmentState,
    BookingPlan,
    KeptEvent,
    SlotState,
)
from appointments.service.config import ConfigCache
from appointments.store import AppointmentStore
from hub.clock import Clock
from hub.events import EventBus
from hub.events.types import Event
from hub.outages import event_log_down, note_deferred
from hub.privacy import mask_id_number, mask_name, mask_phone
from queueing import HallConfig, QueueingService

# A booking's ticket is known only from its check-in: the events of the changes before it
# (booked, changed, cancelled, no-show) carry the booking without it.
_TICKET_FIELDS = ("ticket_id", "ticket_code", "checked_in_at")

STATE_TEXT = {
    AppointmentState.PENDING: "处理中",
    AppointmentState.BOOKED: "已预约",
    AppointmentState.CHECKED_IN: "已签到",
    AppointmentState.CANCELLED: "已取消",
    AppointmentState.NO_SHOW: "已爽约",
    AppointmentState.FAILED: "未成功",
}


class Core:
    def __init__(
        self,
        store: AppointmentStore,
        bus: EventBus,
        queue: QueueingService,
        now: Clock,
        *,
        pepper: bytes,
        checkin_secret: bytes,
    ) -> None:
        self.store = store
        self.queue = queue
        self.now = now
        self.pepper = pepper
        self.secret = checkin_secret
        self._bus = bus
        # The plans and the abuse rules as bookings and jobs read them (service/config.py).
        self.cached = ConfigCache(store)

    # -- loading ----------------------------------------------------------------------------

    async def config(self, hall_id: str) -> HallConfig:
        """The hall's services, counters and time zone (HALL_NOT_FOUND for a made-up hall)."""
        return await self.queue.config(hall_id)

    async def zone(self, hall_id: str) -> str:
        return (await self.config(hall_id)).hall.timezone

    async def plan(self, hall_id: str, service_id: str) -> BookingPlan:
        plan = await self.cached.plan(hall_id, service_id)
        if plan is None or not plan.enabled:
            raise errors.PlanNotFound(hall_id=hall_id, service_id=service_id)
        return plan

    async def plans(self) -> dict[str, BookingPlan]:
        """Every plan (enabled or not) by id, as the jobs use them."""
        return (await self.cached.current()).plans

    async def abuse_rules(self) -> AbuseRules:
        return await self.cached.rules()

    async def get(self, appointment_id: str) -> Appointment:
        appointment = await self.store.get(appointment_id)
        if appointment is None:
            raise errors.AppointmentNotFound(appointment_id=appointment_id)
        return appointment

    # -- views ------------------------------------------------------------------------------

    async def check_in_window(self, appointment: Appointment) -> tuple[datetime, datetime]:
        """The booking's check-in window by its plan as it is now (a plan never saved: the
        defaults), so a change of the plan's setting changes what every screen says."""
        plan = await self.cached.plan(appointment.hall_id, appointment.service_id)
        if plan is None:
            plan = BookingPlan.model_validate(
                {
                    "_id": f"{appointment.hall_id}:{appointment.service_id}",
                    "hall_id": appointment.hall_id,
                    "service_id": appointment.service_id,
                }
            )
        return domain.check_in_window(plan, appointment.slot_start)

    async def public(self, appointment: Appointment) -> dict[str, Any]:
        """What the booker and the staff see: personal data masked, the code with its day
        (`code_text`), and when the booking can be checked in."""
        opens, closes = await self.check_in_window(appointment)
        return {
            "id": appointment.id,
            "code": appointment.code,
            "code_text": domain.code_text(appointment.day, appointment.code)
            if appointment.code
            else "",
            "hall_id": appointment.hall_id,
            "service_id": appointment.service_id,
            "day": appointment.day,
            "slot_start": appointment.slot_start,
            "slot_end": appointment.slot_end,
            "checkin_from": opens,
            "checkin_until": closes,
            "name": mask_name(appointment.name),
            "id_number": mask_id_number(appointment.id_number),
            "phone": mask_phone(appointment.phone),
            "state": appointment.state.value,
            "ticket_id": appointment.ticket_id,
            "ticket_code": appointment.ticket_code,
            "checked_in_at": appointment.checked_in_at,
            "created_at": appointment.created_at,
            "reason": appointment.reason,
            "notify_sms": appointment.notify_sms,
        }

    async def booker_view(self, appointment: Appointment) -> dict[str, Any]:
        """The fields of the booker's copy of an event (`events.BookerView`): the booking as
        they see it, and what its messages say."""
        config = await self.config(appointment.hall_id)
        zone = config.hall.timezone
        service = config.services.get(appointment.service_id)
        view = await self.public(appointment)
        return {
            **view,
            "slot_text": domain.local_text(appointment.slot_start, zone),
            "checkin_text": domain.window_text(view["checkin_from"], view["checkin_until"], zone),
            "hall_name": config.hall.name,
            "hall_address": config.hall.address,
            "service_name": service.name if service else appointment.service_id,
        }

    async def booker_change(self, appointment: Appointment) -> dict[str, Any]:
        """The fields of the booker's copy of a booking's change (`events.BookingChange`)."""
        view = await self.booker_view(appointment)
        return {k: v for k, v in view.items() if k not in _TICKET_FIELDS}

    # -- saving and telling -----------------------------------------------------------------

    async def save(self, appointment: Appointment, by: str, what: str, event: Event) -> Appointment:
        """Save with the booker's event in the outbox, then publish it; NOT_CANCELLABLE when
        the booking changed meanwhile."""
        stamp = f"{appointment.id}:{appointment.version + 1}:{event.event_type}"
        kept = KeptEvent(
            id=f"appt:{stamp}:citizen",
            topic=events.citizen_topic(appointment.citizen_id),
            type=event.event_type,
            data=event.payload(),
        )
        outbox = [*appointment.outbox, kept]
        saved = await self.store.save(appointment.model_copy(update={"outbox": outbox}), by, what)
        if saved is None:
            raise errors.NotCancellable("预约刚被其他操作修改，请刷新后重试")
        await self.flush(saved)
        return saved

    async def flush(self, appointment: Appointment) -> None:
        """Publish the booking's outbox (again after a crash: repeats are dropped by id). With
        the event log down the outbox stays for the sweeper; the booking stands."""
        try:
            for event in appointment.outbox:
                await self._bus.republish(event.topic, event.type, event.data, event_id=event.id)
        except Exception as exc:
            if not event_log_down(exc):
                raise
            note_deferred(len(appointment.outbox), exc)
            return
        if appointment.outbox:
            await self.store.clear_outbox(appointment.id, appointment.version)

    async def fail(self, appointment: Appointment, reason: str) -> None:
        await self.store.save(
            appointment.model_copy(update={"state": AppointmentState.FAILED, "reason": reason}),
            "system",
            reason,
        )

    async def tell_booker(self, citizen_id: str, event: Event, *, event_id: str) -> None:
        """An event of the booker's that changes no booking (a reminder, a suspension)."""
        await self._bus.publish(events.citizen_topic(citizen_id), event, event_id=event_id)

    async def tell_hall(
        self, kind: type[events.BookingChange], plan: BookingPlan, day: str, slot_ids: list[str]
    ) -> None:
        """The hall's copy of a booking's change, for anyone viewing the day's slots: no
        personal data, only the slots' places now."""
        slots = [s for i in slot_ids if (s := await self.store.slot(i)) is not None]
        try:
            await self._bus.publish(
                events.hall_topic(plan.hall_id),
                kind(
                    hall_id=plan.hall_id,
                    service_id=plan.service_id,
                    day=day,
                    slots=[events.SlotPlaces.of(s) for s in slots],
                ),
            )
        except Exception as exc:
            # Places shown to viewers only; the booking stands and the viewers reload when
            # the event log is back (its epoch changed, or they reconnect).
            if not event_log_down(exc):
                raise
            note_deferred(1, exc)

    async def slots_released(
        self, plan: BookingPlan, day: str, why: events.Why, slots: list[SlotState]
    ) -> None:
        await self._bus.publish(
            events.hall_topic(plan.hall_id),
            events.SlotsReleased(
                hall_id=plan.hall_id,
                service_id=plan.service_id,
                day=day,
                why=why,
                slots=[events.SlotPlaces.of(s) for s in slots],
            ),
        )

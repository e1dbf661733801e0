"""The appointment center's orchestration: load -> domain -> save -> publish.

A booking takes three atomic steps, each a single-document update: the booking written as
pending, a hold on (person, service, day) by its unique `_id` (one booking a day), a place
taken from the slot (`free > 0` in the filter: never overbooked). A step that fails undoes the
earlier ones; a crash between them leaves a pending booking that `settle_pending` finishes or
undoes from what the slot says. Events go in the booking's outbox with the change that causes
them and are published after (and again by the sweep after a crash; repeats are dropped by
event id).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from appointments import access, domain, errors, events
from appointments.models import (
    AbuseRules,
    Appointment,
    AppointmentRef,
    AppointmentState,
    Blacklisting,
    BookIn,
    BookingPlan,
    Change,
    ChangeIn,
    CheckInIn,
    Slot,
    SlotState,
    Strike,
    StrikeKind,
)
from appointments.store import AppointmentStore
from hub.access import Scope
from hub.auth.models import Principal, Role
from hub.events import EventBus
from hub.logs import get_logger
from hub.privacy import mask_id_number, mask_name, mask_phone
from queueing import (
    CitizenIn,
    HallConfig,
    QueueingService,
    Ticket,
    TicketAppointment,
    TicketChannel,
)

log = get_logger("appointments")

Clock = Callable[[], datetime]
PENDING_SECONDS = 60  # a booking pending longer than this was interrupted


def utc_now() -> datetime:
    return datetime.now(UTC)


class QuotaRule(Protocol):
    """The load a slot's hour had in recent weeks (arrivals over the counters' capacity), or
    None when unknown. A forecast can replace the default through the same interface."""

    async def load(self, plan: BookingPlan, start: datetime, capacity: float) -> float | None: ...


class RecentLoad:
    """Arrivals in the same hour on the same weekday of the last four weeks."""

    WEEKS = 4

    def __init__(self, queue: QueueingService) -> None:
        self._queue = queue
        self._days: dict[tuple[str, str], list[Ticket]] = {}

    async def load(self, plan: BookingPlan, start: datetime, capacity: float) -> float | None:
        if capacity <= 0:
            return None
        config = await self._queue.config(plan.hall_id)
        local = start.astimezone(ZoneInfo(config.hall.timezone))
        end = local + timedelta(minutes=plan.slot_minutes)
        counts = []
        for week in range(1, self.WEEKS + 1):
            day = (local - timedelta(weeks=week)).date().isoformat()
            key = (plan.hall_id, day)
            if key not in self._days:
                if len(self._days) > 256:  # past days do not change; keep the cache bounded
                    self._days.clear()
                self._days[key] = await self._queue.tickets.of_day(plan.hall_id, day)
            tickets = self._days[key]
            if not tickets:
                continue
            counts.append(
                sum(
                    t.service_id == plan.service_id
                    and local.time() <= t.issued_at.astimezone(local.tzinfo).time() < end.time()
                    for t in tickets
                )
            )
        if not counts:
            return None
        return sum(counts) / len(counts) / capacity


class AppointmentService:
    def __init__(
        self,
        store: AppointmentStore,
        bus: EventBus,
        queue: QueueingService,
        *,
        pepper: bytes,
        checkin_secret: bytes,
        clock: Clock = utc_now,
        quota: QuotaRule | None = None,
        remember_phone: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self._bus = bus
        self._queue = queue
        self._pepper = pepper
        self._secret = checkin_secret
        self._now = clock  # replaceable in tests
        self._quota = quota or RecentLoad(queue)
        # The message center learns the booking's phone, to send its SMS to.
        self._remember_phone = remember_phone

    # -- plans ------------------------------------------------------------------------------

    async def save_plan(self, plan: BookingPlan) -> BookingPlan:
        config = await self._queue.config(plan.hall_id)
        if plan.service_id not in config.services:
            raise errors.InvalidPlan(f"大厅没有事项 {plan.service_id}")
        if plan.id != f"{plan.hall_id}:{plan.service_id}":
            raise errors.InvalidPlan("预约设置编号应为 <大厅>:<事项>")
        await self.store.save_plan(plan)
        return plan

    async def _plan(self, hall_id: str, service_id: str) -> BookingPlan:
        plan = await self.store.plan(hall_id, service_id)
        if plan is None or not plan.enabled:
            raise errors.PlanNotFound(hall_id=hall_id, service_id=service_id)
        return plan

    def hall_code(self, hall_id: str) -> str:
        return domain.hall_code(hall_id, self._secret)

    # -- slots ------------------------------------------------------------------------------

    def counter_capacity(self, config: HallConfig, plan: BookingPlan) -> float:
        service = config.services[plan.service_id]
        loads = [
            domain.CounterLoad(service.expected_minutes, len(c.services))
            for c in config.counters.values()
            if any(s.service_id == plan.service_id for s in c.services)
        ]
        return domain.counter_places(plan.slot_minutes, loads)

    async def open_day(
        self, plan: BookingPlan, day: str
    ) -> tuple[list[SlotState], dict[str, SlotState] | None]:
        """Write the day's slots with their places (放号): the ones newly opened, and the day's
        slots by id as they stand after (None when another node opened one meanwhile: read
        them again)."""
        config = await self._queue.config(plan.hall_id)
        zone = config.hall.timezone
        capacity = self.counter_capacity(config, plan)
        existing = await self.store.slots(plan.hall_id, plan.service_id, day)
        opened = []
        raced = False
        now = self._now()
        for start, end in domain.slot_times(plan, date.fromisoformat(day), zone):
            ident = domain.slot_id(plan.hall_id, plan.service_id, start)
            if ident in existing:
                continue
            share = domain.dynamic_share(plan, await self._quota.load(plan, start, capacity))
            slot = domain.new_slot(
                plan,
                start.astimezone(UTC),
                end.astimezone(UTC),
                date.fromisoformat(day),
                capacity,
                share,
                now,
            )
            if await self.store.open_slot(slot):
                opened.append(slot)
            else:
                raced = True
        if opened:
            await self._slots_event(plan, day, "opened", opened)
        return opened, None if raced else {**existing, **{s.id: s for s in opened}}

    async def slots(self, hall_id: str, service_id: str, day: date) -> dict[str, Any]:
        """A day's slots as a citizen sees them (opening the day if it is due)."""
        plan = await self._plan(hall_id, service_id)
        config = await self._queue.config(hall_id)
        zone = config.hall.timezone
        now = self._now()
        times = domain.slot_times(plan, day, zone)
        states = None
        if times and domain.opens_at(plan, day, zone) <= now:
            _, states = await self.open_day(plan, day.isoformat())
        if states is None:
            states = await self.store.slots(hall_id, service_id, day.isoformat())
        views: list[Slot] = [
            domain.view(
                plan,
                start,
                end,
                states.get(domain.slot_id(hall_id, service_id, start)),
                now,
                zone,
            )
            for start, end in times
        ]
        return {
            "hall_id": hall_id,
            "service_id": service_id,
            "day": day.isoformat(),
            "working_day": domain.is_working_day(plan, day),
            "opens_at": domain.opens_at(plan, day, zone).astimezone(UTC),
            "slots": [v.model_dump(mode="json") for v in views],
        }

    async def calendar(self, hall_id: str, service_id: str) -> dict[str, Any]:
        """The days a citizen can book now, and when the next one opens."""
        plan = await self._plan(hall_id, service_id)
        zone = (await self._queue.config(hall_id)).hall.timezone
        now = self._now()
        days = domain.bookable_days(plan, now, zone)
        upcoming = domain.working_days_after(
            plan, domain.local_day(now, zone), plan.horizon_days + 1
        )
        later = [d for d in upcoming if d not in days]
        rules = await self.store.abuse_rules()
        return {
            "days": [d.isoformat() for d in days],
            "next_opening": (
                {
                    "day": later[0].isoformat(),
                    "opens_at": domain.opens_at(plan, later[0], zone).astimezone(UTC),
                }
                if later
                else None
            ),
            "plan": _public_plan(plan),
            "rules": rules.model_dump(by_alias=False, exclude={"id"}),
        }

    # -- booking ----------------------------------------------------------------------------

    async def book(self, principal: Principal, request: BookIn) -> Appointment:
        access.BOOK.require(principal, Scope(), "请在市民端以本人身份预约")
        now = self._now()
        plan = await self._plan(request.hall_id, request.service_id)
        config = await self._queue.config(request.hall_id)
        zone = config.hall.timezone
        id_number = domain.check_id_number(request.id_number)
        person = domain.person_key(id_number, self._pepper)
        await self._refuse_blacklisted(person, now, zone)
        start = request.slot_start.astimezone(UTC)
        day, end = domain.check_slot(plan, start, now, zone)
        await self.open_day(plan, day.isoformat())
        rules = await self.store.abuse_rules()
        earlier = await self.store.of_person_day(person, plan.service_id, day.isoformat())
        made = [a for a in earlier if a.state is not AppointmentState.FAILED]
        if len(made) >= rules.same_matter_daily_limit:
            await self._strike(
                person,
                StrikeKind.SAME_MATTER,
                f"{person}:{plan.service_id}:{day}:matter",
                made[-1],
                request.name,
                now,
                rules,
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
            created_at=now,
            updated_at=now,
        )
        await self.store.add(appointment)
        if not await self.store.hold(appointment.hold, appointment.id):
            await self._fail(appointment, "当天已有该事项的预约")
            raise errors.AlreadyBooked(day=day.isoformat())
        if not await self._take_place(plan, appointment.slot_id, appointment.id):
            await self.store.unhold(appointment.hold, appointment.id)
            await self._fail(appointment, "该时段已约满")
            raise errors.SlotFull(slot_id=appointment.slot_id)
        if self._remember_phone is not None and request.notify_sms:
            try:
                await self._remember_phone(f"citizen:{principal.sub}", request.phone)
            except Exception:  # the message center's trouble must not undo a booking
                log.exception("remember_phone_failed")
        # Numbered once it holds a place: refused attempts leave no gaps in the codes.
        seq = await self.store.next_code(plan.hall_id, day.isoformat())
        booked = appointment.model_copy(
            update={"state": AppointmentState.BOOKED, "code": domain.appointment_code(plan, seq)}
        )
        saved = await self._save(booked, principal.sub, "预约成功", events.BOOKED)
        await self._hall_event(plan, events.BOOKED, saved.day, [saved.slot_id])
        return saved

    async def _take_place(self, plan: BookingPlan, slot_id: str, appointment_id: str) -> bool:
        if await self.store.take_place(slot_id, appointment_id):
            return True
        slot = await self.store.slot(slot_id)
        # Booked out: the backup places go now when the plan says so.
        if slot is not None and domain.backup_due(plan, slot, self._now()):
            released = await self.store.release_backup(slot)
            if released is not None:
                await self._slots_event(plan, slot.day, "backup", [released])
            return await self.store.take_place(slot_id, appointment_id)
        return False

    async def change(self, principal: Principal, request: ChangeIn) -> Appointment:
        """Move a booking to another slot of the same service (same deadline as a
        cancellation); the old place is given back only once the new one is held."""
        now = self._now()
        current = await self._get(request.appointment_id)
        access.CHANGE_BOOKING.require(principal, access.of_booking(current))
        plan = await self._plan(current.hall_id, current.service_id)
        domain.check_cancel(plan, current, now)
        zone = (await self._queue.config(current.hall_id)).hall.timezone
        start = request.slot_start.astimezone(UTC)
        if start == current.slot_start:
            return current
        day, end = domain.check_slot(plan, start, now, zone)
        await self.open_day(plan, day.isoformat())
        new_slot = domain.slot_id(plan.hall_id, plan.service_id, start)
        new_hold = domain.hold_key(current.person, plan.service_id, day.isoformat())
        moving_day = new_hold != current.hold
        if moving_day and not await self.store.hold(new_hold, current.id):
            raise errors.AlreadyBooked(day=day.isoformat())
        if not await self._take_place(plan, new_slot, current.id):
            if moving_day:
                await self.store.unhold(new_hold, current.id)
            raise errors.SlotFull(slot_id=new_slot)
        moved = current.model_copy(
            update={
                "slot_id": new_slot,
                "slot_start": start,
                "slot_end": end.astimezone(UTC),
                "day": day.isoformat(),
                "hold": new_hold,
                "reminded": False,
                "updated_at": now,
            }
        )
        old_text = domain.local_text(current.slot_start, zone)
        saved = await self._save(moved, principal.sub, f"改约：原 {old_text}", events.CHANGED)
        await self.store.give_back(current.slot_id, current.id)
        if moving_day:
            await self.store.unhold(current.hold, current.id)
        await self._hall_event(plan, events.CHANGED, current.day, [current.slot_id])
        await self._hall_event(plan, events.CHANGED, saved.day, [saved.slot_id])
        return saved

    async def cancel(self, principal: Principal, request: AppointmentRef) -> Appointment:
        now = self._now()
        current = await self._get(request.appointment_id)
        access.CHANGE_BOOKING.require(principal, access.of_booking(current))
        plan = await self._plan(current.hall_id, current.service_id)
        domain.check_cancel(plan, current, now)
        cancelled = current.model_copy(
            update={"state": AppointmentState.CANCELLED, "updated_at": now}
        )
        saved = await self._save(cancelled, principal.sub, "取消预约", events.CANCELLED)
        await self.store.give_back(current.slot_id, current.id)
        await self.store.unhold(current.hold, current.id)
        await self._hall_event(plan, events.CANCELLED, current.day, [current.slot_id])
        await self._strike(
            current.person, StrikeKind.CANCEL, f"{current.id}:cancel", current, current.name, now
        )
        return saved

    # -- check-in ---------------------------------------------------------------------------

    async def check_in(self, principal: Principal, request: CheckInIn) -> dict[str, Any]:
        """A booking becomes a ticket: on time, queued just before its slot and called first
        from then; too late, an ordinary walk-in ticket (or refused, as the plan says); too
        early, refused with the time to come back. A repeat answers the same ticket."""
        # Another hall's people are refused before anything of that hall is looked up.
        access.CHECK_IN.require_hall(principal, request.hall_id)
        now = self._now()
        config = await self._queue.config(request.hall_id)
        zone = config.hall.timezone
        today = domain.local_day(now, zone).isoformat()
        appointment = await self._find_for_checkin(principal, request, today)
        if appointment.hall_id != request.hall_id:
            raise errors.WrongHall(hall_id=appointment.hall_id)
        if appointment.state is AppointmentState.CHECKED_IN and appointment.ticket_id:
            return await self._checked_in_answer(appointment, repeat=True)
        if appointment.state is not AppointmentState.BOOKED and not (
            appointment.state is AppointmentState.CHECKED_IN
            and now - (appointment.checked_in_at or now) > timedelta(seconds=30)
        ):
            raise errors.NotCancellable(
                f"该预约状态为{_STATE_TEXT[appointment.state]}", state=appointment.state.value
            )
        if appointment.day != today:
            raise errors.NotToday(day=appointment.day)
        plan = await self._plan(appointment.hall_id, appointment.service_id)
        arrival = domain.arrival(plan, appointment, now)
        if arrival is domain.Arrival.EARLY:
            when = domain.check_in_from(plan, appointment)
            raise errors.TooEarly(
                f"请于 {domain.local_text(when, zone)} 后签到", check_in_from=when.isoformat()
            )
        if arrival is domain.Arrival.LATE and not plan.late_becomes_walkin:
            raise errors.TooLate()
        # Claimed first (guarded by version): two check-ins at once make one ticket.
        claimed = await self.store.save(
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
            return await self._checked_in_answer(await self._get(appointment.id), repeat=True)
        channel = (
            TicketChannel.APPOINTMENT if principal.role is Role.CITIZEN else TicketChannel.STAFF
        )
        citizen = CitizenIn(
            name=appointment.name, id_number=appointment.id_number, phone=appointment.phone
        )
        # On time: a booking's ticket (its own numbers, queued just before its slot); late: an
        # ordinary walk-in's (take_ticket's defaults).
        on_time = arrival is domain.Arrival.ON_TIME
        try:
            ticket = await self._queue.take_ticket(
                appointment.hall_id,
                appointment.service_id,
                channel,
                citizen,
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
            await self.store.save(
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
        saved = await self._save(
            done,
            principal.sub,
            f"签到，号码 {ticket.code}" + ("（迟到）" if late else ""),
            events.CHECKED_IN,
        )
        return await self._checked_in_answer(saved, repeat=False)

    async def _find_for_checkin(
        self, principal: Principal, request: CheckInIn, today: str
    ) -> Appointment:
        if request.appointment_id:
            appointment = await self._get(request.appointment_id)
            access.CHECK_IN.require(principal, access.of_booking(appointment))
            if principal.role is Role.CITIZEN:
                # At the hall: the phone scanned the code posted there.
                domain.check_hall_code(request.hall_code or "", request.hall_id, self._secret)
            return appointment
        if principal.role is Role.CITIZEN or not request.id_number:
            raise errors.AppointmentNotFound("请出示预约或身份证")
        person = domain.person_key(domain.check_id_number(request.id_number), self._pepper)
        found = [
            a
            for a in await self.store.for_checkin(request.hall_id, today, person)
            if a.state in (AppointmentState.BOOKED, AppointmentState.CHECKED_IN)
        ]
        if not found:
            raise errors.AppointmentNotFound("今天在本大厅没有此人的预约")
        return min(found, key=lambda a: a.slot_start)

    async def _checked_in_answer(self, appointment: Appointment, *, repeat: bool) -> dict[str, Any]:
        return {
            "appointment": self.public(appointment),
            "ticket_id": appointment.ticket_id,
            "ticket_code": appointment.ticket_code,
            "late": bool(appointment.reason),
            "repeat": repeat,
        }

    # -- people -----------------------------------------------------------------------------

    async def _refuse_blacklisted(self, person: str, now: datetime, zone: str) -> None:
        entry = await self.store.blacklisting(person)
        if entry is not None and entry.lifted_at is None and entry.until > now:
            until = domain.local_text(entry.until, zone)
            raise errors.Blacklisted(
                f"{entry.reason}，预约资格暂停至 {until}", until=entry.until.isoformat()
            )

    async def _strike(
        self,
        person: str,
        kind: StrikeKind,
        strike_id: str,
        appointment: Appointment,
        name: str,
        now: datetime,
        rules: AbuseRules | None = None,
    ) -> None:
        """Record a strike; suspend booking when it brings the person to a limit. `rules`: the
        abuse rules when the caller has already read them."""
        await self.store.add_strike(
            Strike(id=strike_id, person=person, kind=kind, appointment_id=appointment.id, at=now)
        )
        if rules is None:
            rules = await self.store.abuse_rules()
        strikes = await self.store.strikes(person)
        verdict = domain.abuse_verdict(rules, strikes, now)
        if verdict is None:
            return
        current = await self.store.blacklisting(person)
        if current is not None and current.lifted_at is None and current.until > now:
            return
        since_lift = current.lifted_at if current is not None else None
        if since_lift is not None and not any(s.at > since_lift for s in strikes):
            return  # lifted after these strikes: only new ones count
        entry = Blacklisting(
            id=person,
            name=mask_name(name),
            since=now,
            until=now + timedelta(days=rules.blacklist_days),
            reason=verdict[1],
            audit=[
                *(current.audit if current else []),
                Change(at=now, by="system", what=verdict[1]),
            ],
        )
        await self.store.save_blacklisting(entry)
        log.info("person_blacklisted", reason=verdict[0].value)
        await self._bus.publish_untyped(
            events.citizen_topic(appointment.citizen_id),
            events.BLACKLISTED,
            {"until": entry.until, "reason": entry.reason, "days": rules.blacklist_days},
            event_id=f"blacklist:{person}:{now.timestamp():.0f}",
        )

    async def lift(self, person: str, by: str, reason: str) -> Blacklisting:
        entry = await self.store.blacklisting(person)
        now = self._now()
        if entry is None or entry.lifted_at is not None or entry.until <= now:
            raise errors.NotBlacklisted(person=person)
        lifted = entry.model_copy(
            update={
                "lifted_at": now,
                "lifted_by": by,
                "lift_reason": reason,
                "audit": [*entry.audit, Change(at=now, by=by, what=f"解除：{reason}")],
            }
        )
        await self.store.save_blacklisting(lifted)
        log.info("blacklist_lifted", by=by)
        return lifted

    async def abuse_rules(self) -> AbuseRules:
        return await self.store.abuse_rules()

    # -- queries ----------------------------------------------------------------------------

    async def mine(self, citizen_id: str) -> list[dict[str, Any]]:
        """The citizen's bookings (not attempts that never held a place)."""
        shown = (AppointmentState.PENDING, AppointmentState.FAILED)
        return [
            self.public(a) for a in await self.store.of_citizen(citizen_id) if a.state not in shown
        ]

    async def get(self, principal: Principal, appointment_id: str) -> dict[str, Any]:
        appointment = await self._get(appointment_id)
        access.READ_BOOKING.require(principal, access.of_booking(appointment))
        return self.public(appointment)

    def public(self, appointment: Appointment) -> dict[str, Any]:
        """What the booker and the staff see: personal data masked."""
        return {
            "id": appointment.id,
            "code": appointment.code,
            "hall_id": appointment.hall_id,
            "service_id": appointment.service_id,
            "day": appointment.day,
            "slot_start": appointment.slot_start,
            "slot_end": appointment.slot_end,
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

    async def _get(self, appointment_id: str) -> Appointment:
        appointment = await self.store.get(appointment_id)
        if appointment is None:
            raise errors.AppointmentNotFound(appointment_id=appointment_id)
        return appointment

    # -- saving and telling -----------------------------------------------------------------

    async def _save(
        self,
        appointment: Appointment,
        by: str,
        what: str,
        event_type: str,
        extra: dict[str, Any] | None = None,
    ) -> Appointment:
        """Save with the events it causes in its outbox, then publish them."""
        personal = {**await self.personal(appointment), **(extra or {})}
        outbox = [*appointment.outbox, *self._events(appointment, event_type, personal)]
        saved = await self.store.save(appointment.model_copy(update={"outbox": outbox}), by, what)
        if saved is None:
            raise errors.NotCancellable("预约刚被其他操作修改，请刷新后重试")
        await self.flush(saved)
        return saved

    async def personal(self, appointment: Appointment) -> dict[str, Any]:
        """What the booker's own events carry (and their messages say)."""
        config = await self._queue.config(appointment.hall_id)
        service = config.services.get(appointment.service_id)
        return {
            **self.public(appointment),
            "slot_text": domain.local_text(appointment.slot_start, config.hall.timezone),
            "hall_name": config.hall.name,
            "hall_address": config.hall.address,
            "service_name": service.name if service else appointment.service_id,
        }

    def _events(
        self, appointment: Appointment, event_type: str, personal: dict[str, Any]
    ) -> list[dict[str, Any]]:
        stamp = f"{appointment.id}:{appointment.version + 1}:{event_type}"
        return [
            {
                "id": f"appt:{stamp}:citizen",
                "topic": events.citizen_topic(appointment.citizen_id),
                "type": event_type,
                "data": personal,
            }
        ]

    async def flush(self, appointment: Appointment) -> None:
        for event in appointment.outbox:
            await self._bus.publish_untyped(
                event["topic"], event["type"], event["data"], event_id=event["id"]
            )
        if appointment.outbox:
            await self.store.clear_outbox(appointment.id, appointment.version)

    async def _fail(self, appointment: Appointment, reason: str) -> None:
        await self.store.save(
            appointment.model_copy(update={"state": AppointmentState.FAILED, "reason": reason}),
            "system",
            reason,
        )

    async def _hall_event(
        self, plan: BookingPlan, event_type: str, day: str, slot_ids: list[str]
    ) -> None:
        """The same event on the hall's topic, for anyone viewing the day's slots: no personal
        data, only the slots' free places now."""
        slots = [s for i in slot_ids if (s := await self.store.slot(i)) is not None]
        await self._bus.publish_untyped(
            events.hall_topic(plan.hall_id),
            event_type,
            {"service_id": plan.service_id, "day": day, "slots": [_availability(s) for s in slots]},
        )

    async def _slots_event(
        self, plan: BookingPlan, day: str, why: str, slots: list[SlotState]
    ) -> None:
        await self._bus.publish_untyped(
            events.hall_topic(plan.hall_id),
            events.SLOTS_RELEASED,
            {
                "service_id": plan.service_id,
                "day": day,
                "why": why,
                "slots": [_availability(s) for s in slots],
            },
        )


def _availability(slot: SlotState) -> dict[str, Any]:
    return {
        "id": slot.id,
        "free": 0 if slot.walkin_released is not None else slot.free,
        "walkin_released": slot.walkin_released,
    }


_STATE_TEXT = {
    AppointmentState.PENDING: "处理中",
    AppointmentState.BOOKED: "已预约",
    AppointmentState.CHECKED_IN: "已签到",
    AppointmentState.CANCELLED: "已取消",
    AppointmentState.NO_SHOW: "已爽约",
    AppointmentState.FAILED: "未成功",
}


def _public_plan(plan: BookingPlan) -> dict[str, Any]:
    return {
        "slot_minutes": plan.slot_minutes,
        "horizon_days": plan.horizon_days,
        "opens_at": plan.opens_at.isoformat(),
        "cancel_deadline_minutes": plan.cancel_deadline_minutes,
        "checkin_early_minutes": plan.checkin_early_minutes,
        "checkin_late_minutes": plan.checkin_late_minutes,
        "late_becomes_walkin": plan.late_becomes_walkin,
    }


__all__ = ["AppointmentService", "QuotaRule", "RecentLoad"]

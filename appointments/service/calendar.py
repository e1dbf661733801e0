"""Plans, days and slots: a plan saved; a day's slots written with their places when the day
opens (放号); places taken and given back; backup places released and free places handed to
walk-ins when due; the read models a citizen chooses from (the services taking bookings, the
bookable days, a day's slots).

The jobs find their work without scanning the calendar: a day whose slots this node has seen
all written is not read again for the same plan (slots are never removed), and a slot carries
when it next has places to release (`domain.next_release`, set when it opens, moved on with
each release, again when its plan changes), so only the slots due are read."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, timedelta
from typing import Any

from appointments import domain, errors
from appointments.models import BookingPlan, Slot, SlotState
from appointments.service.core import Core
from appointments.service.quota import QuotaRule
from hub.errors import HubError
from queueing import HallConfig

OPENED_LIMIT = 20_000  # (plan, day)s known to be opened, kept on this node
RETRY_GONE = timedelta(hours=1)  # a due slot of a hall gone is looked at again after this


class Calendar:
    def __init__(self, core: Core, quota: QuotaRule) -> None:
        self._core = core
        self._store = core.store
        self._quota = quota
        # Days whose slots are all written, by (plan as saved, time zone, day).
        self._opened: set[tuple[str, str, str]] = set()

    # -- plans ------------------------------------------------------------------------------

    async def save_plan(self, plan: BookingPlan) -> BookingPlan:
        config = await self._core.config(plan.hall_id)
        if plan.service_id not in config.services:
            raise errors.InvalidPlan(f"大厅没有事项 {plan.service_id}")
        if plan.id != f"{plan.hall_id}:{plan.service_id}":
            raise errors.InvalidPlan("预约设置编号应为 <大厅>:<事项>")
        await self._store.save_plan(plan)
        self._core.cached.forget()
        await self.reschedule(plan)
        return plan

    async def reschedule(self, plan: BookingPlan) -> int:
        """The plan's slots with places still to release, their next release set again by the
        plan as it is now (its release times may have moved); how many changed."""
        now = self._core.now()
        moved = 0
        for slot, due_ts in await self._store.pending_slots(plan.hall_id, plan.service_id):
            due = domain.next_release(plan, slot, now)
            moved += int(await self._store.reschedule(slot, due, was=due_ts))
        return moved

    async def schedule_unscheduled(self) -> int:
        """Slots opened before slots carried their next release (from yesterday on: the jobs
        never look at earlier days), scheduled; how many."""
        scheduled = 0
        plans = await self._core.plans()
        yesterday = (self._core.now() - timedelta(days=1)).date().isoformat()
        for slot in await self._store.unscheduled_slots(yesterday):
            plan = plans.get(f"{slot.hall_id}:{slot.service_id}")
            if plan is not None:
                due = domain.next_release(plan, slot, self._core.now())
                scheduled += int(await self._store.reschedule(slot, due))
        return scheduled

    async def plans(self, hall_id: str | None = None) -> list[BookingPlan]:
        return await self._store.plans(hall_id)

    async def offered(self, hall_id: str) -> list[dict[str, Any]]:
        """The services of a hall that take bookings, in the hall's order (as every screen
        lists them)."""
        config = await self._core.config(hall_id)
        plans = {
            p.service_id: p
            for p in (await self._core.plans()).values()
            if p.hall_id == hall_id and p.enabled
        }
        return [
            {
                "service_id": service.id,
                "name": service.name,
                "expected_minutes": service.expected_minutes,
                "slot_minutes": plans[service.id].slot_minutes,
            }
            for service in config.services.values()
            if service.id in plans
        ]

    # -- days and slots ---------------------------------------------------------------------

    @staticmethod
    def counter_capacity(config: HallConfig, plan: BookingPlan) -> float:
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
        slots by id as they stand after (None when another node opened one meanwhile, or the
        day was known to be opened and nothing was read: read them)."""
        config = await self._core.config(plan.hall_id)
        zone = config.hall.timezone
        known = (plan.model_dump_json(), zone, day)
        if known in self._opened:
            return [], None
        capacity = self.counter_capacity(config, plan)
        existing = await self._store.slots(plan.hall_id, plan.service_id, day)
        opened = []
        raced = False
        now = self._core.now()
        for start, end in domain.slot_times(plan, date.fromisoformat(day), zone):
            ident = domain.slot_id(plan.hall_id, plan.service_id, start)
            if ident in existing:
                continue
            # Only a dynamic share sized from the counters moves with the load.
            moves = plan.dynamic and plan.capacity is None
            load = await self._quota.load(plan, start, capacity) if moves else None
            slot = domain.new_slot(
                plan,
                start.astimezone(UTC),
                end.astimezone(UTC),
                date.fromisoformat(day),
                capacity,
                domain.dynamic_share(plan, load),
                now,
            )
            if await self._store.open_slot(slot, domain.next_release(plan, slot, now)):
                opened.append(slot)
            else:
                raced = True
        # Every slot of the day is written now (by this node or another): not read again.
        if len(self._opened) >= OPENED_LIMIT:
            self._opened.clear()
        self._opened.add(known)
        if opened:
            await self._core.slots_released(plan, day, "opened", opened)
        return opened, None if raced else {**existing, **{s.id: s for s in opened}}

    async def day_slots(self, hall_id: str, service_id: str, day: date) -> dict[str, Any]:
        """A day's slots as a citizen sees them (opening the day if it is due)."""
        plan = await self._core.plan(hall_id, service_id)
        zone = await self._core.zone(hall_id)
        now = self._core.now()
        times = domain.slot_times(plan, day, zone)
        states = None
        if times and domain.opens_at(plan, day, zone) <= now:
            _, states = await self.open_day(plan, day.isoformat())
        if states is None:
            states = await self._store.slots(hall_id, service_id, day.isoformat())
        views: list[Slot] = [
            domain.view(
                plan, start, end, states.get(domain.slot_id(hall_id, service_id, start)), now, zone
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
        plan = await self._core.plan(hall_id, service_id)
        zone = await self._core.zone(hall_id)
        now = self._core.now()
        days = domain.bookable_days(plan, now, zone)
        upcoming = domain.working_days_after(
            plan, domain.local_day(now, zone), plan.horizon_days + 1
        )
        later = [d for d in upcoming if d not in days]
        rules = await self._core.abuse_rules()
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

    # -- places -----------------------------------------------------------------------------

    async def take_place(self, plan: BookingPlan, slot_id: str, appointment_id: str) -> bool:
        now = self._core.now()
        taken = await self._store.take_place(slot_id, appointment_id)
        if taken is not None:
            if taken.free == 0 and domain.backup_due(plan, taken, now):
                await self._store.due_now(slot_id, now)  # booked out: the jobs release the backup
            return True
        slot = await self._store.slot(slot_id)
        # Booked out: the backup places go now when the plan says so.
        if slot is not None and domain.backup_due(plan, slot, now):
            released = await self._store.release_backup(
                slot, domain.release_after_backup(plan, slot, now)
            )
            if released is not None:
                await self._core.slots_released(plan, slot.day, "backup", [released])
            return await self._store.take_place(slot_id, appointment_id) is not None
        return False

    async def walkin_places(self, hall_id: str, service_id: str, day: str) -> int:
        """Places handed to walk-ins on a day (the queue's walk-in daily cap grows by them)."""
        return await self._store.walkin_places(hall_id, service_id, day)

    # -- the clockwork ----------------------------------------------------------------------

    async def open_days(self) -> int:
        """Every plan's days whose time has come opened (放号); the slots newly opened."""
        opened = 0
        now = self._core.now()
        for plan in (await self._core.plans()).values():
            if not plan.enabled:
                continue
            try:
                zone = await self._core.zone(plan.hall_id)
            except HubError:
                continue  # the hall is gone; its plan waits to be removed
            for day in domain.bookable_days(plan, now, zone):
                newly, _ = await self.open_day(plan, day.isoformat())
                opened += len(newly)
        return opened

    async def release(self) -> int:
        """Backup places when due; free places to walk-ins shortly before their slot. Only
        the slots due are read (by their next release); a slot found due with nothing to
        release (its plan changed, a place was given back) is scheduled again."""
        released = 0
        now = self._core.now()
        plans = dict(await self._core.plans())
        days: dict[tuple[str, str], list[tuple[SlotState, float]]] = defaultdict(list)
        for slot, due_ts in await self._store.due_slots(now):
            plan_id = f"{slot.hall_id}:{slot.service_id}"
            if plan_id not in plans and (
                found := await self._store.plan(slot.hall_id, slot.service_id)
            ):
                plans[plan_id] = found
            try:
                zone = await self._core.zone(slot.hall_id)
            except HubError:
                zone = None
            if plan_id not in plans or zone is None:  # the hall or its plan is gone
                await self._store.reschedule(slot, now + RETRY_GONE, was=due_ts)
            elif date.fromisoformat(slot.day) < domain.local_day(now, zone):
                # A day gone by: its places stay as they are (the jobs only look ahead).
                await self._store.reschedule(slot, None, was=due_ts)
            else:
                days[(plan_id, slot.day)].append((slot, due_ts))
        for (plan_id, day), due in sorted(days.items()):
            plan = plans[plan_id]
            current = {slot.id: slot for slot, _ in due}
            backups = []
            for slot, _ in due:
                if domain.backup_due(plan, slot, now) and (
                    r := await self._store.release_backup(
                        slot, domain.release_after_backup(plan, slot, now)
                    )
                ):
                    backups.append(r)
                    current[r.id] = r
            walkins = []
            for slot in list(current.values()):
                if domain.walkin_due(plan, slot, now) and (
                    r := await self._store.release_to_walkins(slot)
                ):
                    walkins.append(r)
                    current[r.id] = r
            for slot, due_ts in due:
                then = domain.next_release(plan, slot, now)
                if current[slot.id] is slot and (then is None or then > now):
                    # Nothing was due after all: looked at again when something is.
                    await self._store.reschedule(slot, then, was=due_ts)
            if backups:
                await self._core.slots_released(plan, day, "backup", backups)
            if walkins:
                await self._core.slots_released(plan, day, "walkin", walkins)
            released += len(backups) + len(walkins)
        return released


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

"""The jobs find their work without scanning the calendar: a day seen opened is not read again,
only slots whose next release has come are read, a plan's change moves its slots' releases,
a slot booked out has its backup released by the next round. The plans and abuse rules are
kept a few seconds: a change made here is used at once, another node's within
CONFIG_SECONDS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from appointments import errors
from appointments.models import AbuseRules, AppointmentRef, BookingPlan
from appointments.service.config import CONFIG_SECONDS, ConfigCache
from appointments.store import AppointmentStore
from hub import keys
from tests.appointments.conftest import FRIDAY_0930, Center, booking, citizen
from tests.appointments.test_booking import free

SLOT = "h1:s1:20261127T0130"
FRIDAY = "2026-11-27"
# Monday 30 November, 09:30 in Shanghai: its backup places are released on Sunday.
MONDAY_0930 = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
MONDAY_SLOT = "h1:s1:20261130T0130"


class Calls:
    """Counts calls of some of a store's methods."""

    def __init__(self, store: AppointmentStore, *names: str) -> None:
        self.counts = dict.fromkeys(names, 0)
        for name in names:
            method = getattr(store, name)

            async def counted(*args: Any, _name: str = name, _method: Any = method) -> Any:
                self.counts[_name] += 1
                return await _method(*args)

            setattr(store, name, counted)


async def test_the_jobs_read_only_what_is_due(center: Center) -> None:
    await center.plan(capacity=4, backup_share=0)
    await center.jobs()  # opens the bookable days
    calls = Calls(center.store, "slots", "due_slots")
    await center.jobs()
    await center.jobs()
    # Days known to be opened are not read again; one query for the slots due.
    assert calls.counts["slots"] == 0
    assert calls.counts["due_slots"] >= 2
    assert await center.store.due_slots(center.now) == []
    # The first release of Friday 09:30: 30 minutes before (no backup places).
    center.at(FRIDAY_0930 - timedelta(minutes=31))
    assert SLOT not in [s.id for s, _ in await center.store.due_slots(center.now)]
    center.at(FRIDAY_0930 - timedelta(minutes=30))
    assert SLOT in [s.id for s, _ in await center.store.due_slots(center.now)]
    assert (await center.jobs())["released"] >= 1
    slot = await center.store.slot(SLOT)
    assert slot is not None
    assert slot.walkin_released == 4
    # Released: never due again.
    assert SLOT not in [
        s.id for s, _ in await center.store.due_slots(center.now + timedelta(days=9))
    ]


async def test_a_plans_change_moves_its_slots_releases(center: Center) -> None:
    plan = await center.plan(capacity=4, backup_share=0)
    await center.service.book(citizen(1), booking(1))
    await center.service.save_plan(plan.model_copy(update={"walkin_release_minutes": 60}))
    center.at(FRIDAY_0930 - timedelta(minutes=61))
    await center.jobs()
    slot = await center.store.slot(SLOT)
    assert slot is not None
    assert (slot.free, slot.walkin_released) == (3, None)
    center.at(FRIDAY_0930 - timedelta(minutes=60))
    await center.jobs()
    slot = await center.store.slot(SLOT)
    assert slot is not None
    assert (slot.free, slot.walkin_released) == (0, 3)


async def test_a_slot_booked_out_has_its_backup_released_by_the_next_round(
    center: Center,
) -> None:
    await center.plan(capacity=5, backup_share=0.4)  # 3 regular, 2 held back
    for n in range(3):
        await center.service.book(citizen(n), booking(n, MONDAY_0930))
    assert await free(center, MONDAY_0930) == 0
    await center.jobs()  # no fourth booking needed
    assert await free(center, MONDAY_0930) == 2
    slot = await center.store.slot(MONDAY_SLOT)
    assert slot is not None
    assert slot.backup_released
    # Next: the walk-ins' release, 30 minutes before.
    assert MONDAY_SLOT not in [
        s.id for s, _ in await center.store.due_slots(MONDAY_0930 - timedelta(minutes=31))
    ]
    assert MONDAY_SLOT in [
        s.id for s, _ in await center.store.due_slots(MONDAY_0930 - timedelta(minutes=30))
    ]


async def test_a_place_given_back_after_the_slot_was_booked_out_keeps_the_backup(
    center: Center,
) -> None:
    await center.plan(capacity=5, backup_share=0.4)
    made = [await center.service.book(citizen(n), booking(n, MONDAY_0930)) for n in range(3)]
    await center.service.cancel(citizen(0), AppointmentRef(appointment_id=made[0].id))
    await center.jobs()  # due when booked out; not any more: scheduled again, nothing released
    assert await free(center, MONDAY_0930) == 1
    slot = await center.store.slot(MONDAY_SLOT)
    assert slot is not None
    assert not slot.backup_released
    assert MONDAY_SLOT not in [s.id for s, _ in await center.store.due_slots(center.now)]
    # Its backup goes on Sunday at 09:30, as the plan says.
    sunday = MONDAY_0930 - timedelta(hours=24)
    assert MONDAY_SLOT in [s.id for s, _ in await center.store.due_slots(sunday)]


async def test_slots_opened_before_they_carried_their_release_are_scheduled_at_start(
    center: Center,
) -> None:
    await center.plan(capacity=4, backup_share=0)
    await free(center)  # opens Friday
    slots = center.hub.app[keys.DB]["appointments_slots"]
    await slots.update_many({"day": FRIDAY}, {"$unset": {"due_ts": ""}})
    center.at(FRIDAY_0930 - timedelta(minutes=30))
    assert await center.store.due_slots(center.now) == []
    await center.service.start()  # as the next start of the hub does
    assert SLOT in [s.id for s, _ in await center.store.due_slots(center.now)]
    await center.jobs()
    slot = await center.store.slot(SLOT)
    assert slot is not None
    assert slot.walkin_released == 4


async def test_a_slot_of_a_day_gone_by_is_left_as_it_is(center: Center) -> None:
    await center.plan(capacity=4, backup_share=0)
    await free(center)
    center.at(FRIDAY_0930 + timedelta(days=1))  # Saturday: the jobs did not run on Friday
    await center.jobs()
    slot = await center.store.slot(SLOT)
    assert slot is not None
    assert slot.walkin_released is None  # as before: the jobs only look ahead
    assert SLOT not in [s.id for s, _ in await center.store.due_slots(center.now)]


# -- the plans and rules kept ------------------------------------------------------------------


async def test_a_change_made_here_is_used_at_once(center: Center) -> None:
    plan = await center.plan(capacity=4, backup_share=0)
    assert await free(center) == 4  # the plan is in the cache
    await center.service.save_plan(plan.model_copy(update={"enabled": False}))
    with pytest.raises(errors.PlanNotFound):
        await center.service.book(citizen(1), booking(1))
    await center.service.save_plan(plan)
    await center.service.save_abuse_rules(AbuseRules(same_matter_daily_limit=1))
    await center.service.book(citizen(1), booking(1))
    calendar = await center.service.calendar("h1", "s1")
    assert calendar["rules"]["same_matter_daily_limit"] == 1


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_another_nodes_change_is_seen_after_the_cache_time(center: Center) -> None:
    plan = await center.plan(capacity=4, backup_share=0)
    store = AppointmentStore(center.hub.app[keys.DB])  # as another node sees it
    ticker = Ticker()
    cache = ConfigCache(store, monotonic=ticker)
    assert await cache.plan("h1", "s1") == plan
    await store.save_plan(plan.model_copy(update={"horizon_days": 3}))
    await store.save_abuse_rules(AbuseRules(same_matter_daily_limit=1))
    ticker.now += CONFIG_SECONDS - 0.1
    assert await cache.plan("h1", "s1") == plan
    assert (await cache.rules()).same_matter_daily_limit != 1
    ticker.now += 0.2
    changed = await cache.plan("h1", "s1")
    assert changed is not None
    assert changed.horizon_days == 3
    assert (await cache.rules()).same_matter_daily_limit == 1


async def test_a_plan_made_elsewhere_is_found_at_once(center: Center) -> None:
    store = AppointmentStore(center.hub.app[keys.DB])
    cache = ConfigCache(store, monotonic=Ticker())
    assert await cache.plan("h1", "s2") is None
    await store.save_plan(
        BookingPlan.model_validate({"_id": "h1:s2", "hall_id": "h1", "service_id": "s2"})
    )
    assert await cache.plan("h1", "s2") is not None
    assert "h1:s2" in (await cache.current()).plans

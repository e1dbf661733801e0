"""How busy a slot's hour usually is: what moves a dynamic plan's booking share (放号比例)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from appointments.models import BookingPlan
from queueing import QueueingService


class QuotaRule(Protocol):
    """The load a slot's hour had in recent weeks (arrivals over the counters' capacity), or
    None when unknown. A forecast can replace the default through the same interface."""

    async def load(self, plan: BookingPlan, start: datetime, capacity: float) -> float | None: ...


class RecentLoad:
    """Arrivals of the service in the same hour on the same weekday of the last four weeks, as
    the queue tells them (`QueueingService.arrivals`: when each ticket of a hall's day was
    issued, and for which service)."""

    WEEKS = 4

    def __init__(self, queue: QueueingService) -> None:
        self._queue = queue
        # Past days do not change: their arrivals are read once (a bounded cache).
        self._days: dict[tuple[str, str], dict[str, list[datetime]]] = {}

    async def load(self, plan: BookingPlan, start: datetime, capacity: float) -> float | None:
        if capacity <= 0:
            return None
        config = await self._queue.config(plan.hall_id)
        local = start.astimezone(ZoneInfo(config.hall.timezone))
        end = local + timedelta(minutes=plan.slot_minutes)
        counts = []
        for week in range(1, self.WEEKS + 1):
            day = (local - timedelta(weeks=week)).date().isoformat()
            arrivals = await self._arrivals(plan.hall_id, day)
            if not arrivals:
                continue  # nobody came that day at all: the hall was closed
            counts.append(
                sum(
                    local.time() <= a.astimezone(local.tzinfo).time() < end.time()
                    for a in arrivals.get(plan.service_id, [])
                )
            )
        if not counts:
            return None
        return sum(counts) / len(counts) / capacity

    async def _arrivals(self, hall_id: str, day: str) -> dict[str, list[datetime]]:
        key = (hall_id, day)
        if key not in self._days:
            if len(self._days) > 256:
                self._days.clear()
            by_service: dict[str, list[datetime]] = {}
            for arrival in await self._queue.arrivals(hall_id, day):
                by_service.setdefault(arrival.service_id, []).append(arrival.issued_at)
            self._days[key] = by_service
        return self._days[key]

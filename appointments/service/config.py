"""The booking plans and the abuse rules as bookings, check-ins and the jobs use them: read
together (two queries) and kept CONFIG_SECONDS.

They change rarely, in the back office:
- a change made through this service (this node's API) drops the cache with the change, so
  the next use reads them again: seen at once;
- another node's change is seen here within CONFIG_SECONDS, when they are read again (the bus
  tells listeners only on the node that publishes: nothing reaches this node);
- a plan the cache lacks is looked up in the store before it counts as missing (one just made
  on another node is found at once; the cache is then read again).
The back office's own lists (`plans`, `abuse_rules`) read the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from appointments.models import AbuseRules, BookingPlan
from appointments.store import AppointmentStore
from hub.cache import Kept

CONFIG_SECONDS = 5.0  # how long a node uses what it read (another node's change shows after it)


@dataclass(frozen=True, slots=True)
class AppointmentConfig:
    plans: dict[str, BookingPlan]  # by id, "<hall>:<service>"
    rules: AbuseRules


class ConfigCache:
    def __init__(
        self,
        store: AppointmentStore,
        ttl_seconds: float = CONFIG_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._kept = Kept(self._read, ttl_seconds, monotonic)

    async def _read(self) -> AppointmentConfig:
        return AppointmentConfig(
            plans={p.id: p for p in await self._store.plans()},
            rules=await self._store.abuse_rules(),
        )

    async def current(self) -> AppointmentConfig:
        return await self._kept.current()

    def forget(self) -> None:
        """A change was made: the next use reads the configuration again."""
        self._kept.forget()

    async def plans(self) -> list[BookingPlan]:
        """Every plan, by id."""
        return sorted((await self.current()).plans.values(), key=lambda p: p.id)

    async def plan(self, hall_id: str, service_id: str) -> BookingPlan | None:
        found = (await self.current()).plans.get(f"{hall_id}:{service_id}")
        if found is None:
            found = await self._store.plan(hall_id, service_id)
            if found is not None:
                self.forget()  # made elsewhere since it was read
        return found

    async def rules(self) -> AbuseRules:
        return (await self.current()).rules

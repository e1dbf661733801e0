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

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from appointments.models import AbuseRules, BookingPlan
from appointments.store import AppointmentStore

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
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cached: tuple[float, AppointmentConfig] | None = None
        # Bumped by `forget`: a read that began before a change is not kept after it.
        self._generation = 0
        self._loading = asyncio.Lock()  # one read at a time; the others wait and use it

    async def current(self) -> AppointmentConfig:
        cached = self._cached
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        async with self._loading:
            cached = self._cached
            if cached is not None and cached[0] > self._monotonic():
                return cached[1]
            generation = self._generation
            started = self._monotonic()
            config = AppointmentConfig(
                plans={p.id: p for p in await self._store.plans()},
                rules=await self._store.abuse_rules(),
            )
            if generation == self._generation:
                self._cached = (started + self._ttl, config)
            return config

    def forget(self) -> None:
        """A change was made: the next use reads the configuration again."""
        self._generation += 1
        self._cached = None

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

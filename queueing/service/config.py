"""Halls, their services and counters (the back office), and the configuration cache every
ticket and counter action reads."""

from __future__ import annotations

import time
from dataclasses import dataclass

from hub.events import EventBus
from queueing import domain, events
from queueing.errors import CounterNotFound, HallNotFound, InvalidHallSetup, ServiceNotFound
from queueing.models import (
    CallingPolicy,
    Counter,
    Hall,
    HallDetail,
    HallSetup,
    HallSummary,
    Service,
)
from queueing.store import HallStore


@dataclass(frozen=True, slots=True)
class HallConfig:
    hall: Hall
    services: dict[str, Service]
    counters: dict[str, Counter]


# How long a node keeps a hall's configuration. This node forgets at once what it changes
# itself; another node's change (a policy, a renamed service) is seen within this time, and a
# counter or service this node does not know yet is read at once (`counter`, `refreshed`).
# Three reads per hall every couple of seconds were a third of a city's store load.
CONFIG_SECONDS = 30.0


class ConfigCache:
    """Hall configuration, read on every ticket and counter action, changed rarely."""

    def __init__(self, store: HallStore, ttl_seconds: float = CONFIG_SECONDS) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._halls: dict[str, tuple[float, HallConfig]] = {}
        self._counter_halls: dict[str, str] = {}

    async def config(self, hall_id: str) -> HallConfig:
        cached = self._halls.get(hall_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        hall = await self._store.get_hall(hall_id)
        if hall is None:
            raise HallNotFound(hall_id=hall_id)
        services = await self._store.services(hall_id)
        counters = domain.in_hall_order(services, await self._store.counters(hall_id))
        config = HallConfig(hall, {s.id: s for s in services}, {c.id: c for c in counters})
        self._halls[hall_id] = (time.monotonic() + self._ttl, config)
        for counter_id in config.counters:
            self._counter_halls[counter_id] = hall_id
        return config

    async def counter(self, counter_id: str) -> tuple[HallConfig, Counter] | None:
        hall_id = self._counter_halls.get(counter_id) or await self._store.counter_hall(counter_id)
        if hall_id is None:
            return None
        config = await self.config(hall_id)
        counter = config.counters.get(counter_id)
        if counter is None:  # added on another node since this copy was read?
            config = await self.refreshed(hall_id)
            counter = config.counters.get(counter_id)
        if counter is None:
            self._counter_halls.pop(counter_id, None)
            return None
        return config, counter

    async def refreshed(self, hall_id: str) -> HallConfig:
        """The hall's configuration read now (something asked for is not in the copy)."""
        self.forget(hall_id)
        return await self.config(hall_id)

    def forget(self, hall_id: str) -> None:
        self._halls.pop(hall_id, None)


class HallService:
    def __init__(self, store: HallStore, bus: EventBus, cache: ConfigCache | None = None) -> None:
        self._store = store
        self._bus = bus
        self._cache = cache or ConfigCache(store)

    async def list_halls(self) -> list[HallSummary]:
        summaries = []
        for hall in await self._store.list_halls():
            services, counters = await self._store.count(hall.id)
            summaries.append(
                HallSummary(
                    id=hall.id,
                    name=hall.name,
                    address=hall.address,
                    district=hall.district,
                    location=hall.location,
                    timezone=hall.timezone,
                    services=services,
                    counters=counters,
                )
            )
        return summaries

    async def get_hall(self, hall_id: str) -> Hall:
        hall = await self._store.get_hall(hall_id)
        if hall is None:
            raise HallNotFound(hall_id=hall_id)
        return hall

    async def hall(self, hall_id: str) -> HallDetail:
        hall = await self.get_hall(hall_id)
        services = await self._store.services(hall_id)
        counters = domain.in_hall_order(services, await self._store.counters(hall_id))
        return HallDetail(hall=hall, services=services, counters=counters)

    async def counter(self, counter_id: str) -> Counter | None:
        return await self._store.get_counter(counter_id)

    async def set_notice(self, hall_id: str, notice: str) -> None:
        if not await self._store.set_notice(hall_id, notice):
            raise HallNotFound(hall_id=hall_id)
        self._cache.forget(hall_id)
        await self._bus.publish(
            events.hall_topic(hall_id), events.NoticeChanged(hall_id=hall_id, notice=notice)
        )

    async def set_policy(self, hall_id: str, policy: CallingPolicy) -> HallDetail:
        hall = await self.get_hall(hall_id)
        await self._store.save_hall(hall.model_copy(update={"policy": policy}))
        return await self._announce(hall_id)

    async def save_service(self, service: Service) -> HallDetail:
        detail = await self.hall(service.hall_id)
        services = [s for s in detail.services if s.id != service.id] + [service]
        self._check(HallSetup(hall=detail.hall, services=services, counters=detail.counters))
        await self._store.save_service(service)
        return await self._announce(service.hall_id)

    async def delete_service(self, hall_id: str, service_id: str) -> HallDetail:
        detail = await self.hall(hall_id)
        services = [s for s in detail.services if s.id != service_id]
        if len(services) == len(detail.services):
            raise ServiceNotFound(service_id=service_id)
        self._check(HallSetup(hall=detail.hall, services=services, counters=detail.counters))
        await self._store.delete_service(hall_id, service_id)
        return await self._announce(hall_id)

    async def save_counter(self, counter: Counter) -> HallDetail:
        await self._counter_ids_free(counter.hall_id, [counter.id])
        detail = await self.hall(counter.hall_id)
        counters = [c for c in detail.counters if c.id != counter.id] + [counter]
        self._check(HallSetup(hall=detail.hall, services=detail.services, counters=counters))
        await self._store.save_counter(counter)
        return await self._announce(counter.hall_id)

    async def delete_counter(self, hall_id: str, counter_id: str) -> HallDetail:
        detail = await self.hall(hall_id)
        if not any(c.id == counter_id for c in detail.counters):
            raise CounterNotFound(counter_id=counter_id)
        await self._store.delete_counter(counter_id)
        return await self._announce(hall_id)

    async def apply_setup(self, setup: HallSetup) -> HallDetail:
        self._check(setup)
        await self._counter_ids_free(setup.hall.id, [c.id for c in setup.counters])
        await self._store.replace_setup(setup)
        return await self._announce(setup.hall.id)

    async def _counter_ids_free(self, hall_id: str, counter_ids: list[str]) -> None:
        """Counter ids name topics (`counter:<id>`) and devices: unique across all halls."""
        taken = []
        for counter_id in counter_ids:
            owner = await self._store.counter_hall(counter_id)
            if owner is not None and owner != hall_id:
                taken.append(f"窗口编号 {counter_id} 已被大厅 {owner} 使用")
        if taken:
            raise InvalidHallSetup("；".join(taken), problems=taken)

    @staticmethod
    def _check(setup: HallSetup) -> None:
        problems = domain.setup_problems(setup)
        if problems:
            raise InvalidHallSetup("；".join(problems), problems=problems)

    async def _announce(self, hall_id: str) -> HallDetail:
        self._cache.forget(hall_id)
        detail = await self.hall(hall_id)
        updated = events.HallUpdated(hall_id=hall_id, name=detail.hall.name)
        for topic in (events.hall_topic(hall_id), events.desk_topic(hall_id)):
            await self._bus.publish(topic, updated)
        return detail

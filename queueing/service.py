"""Queueing orchestration: load -> domain -> save -> publish."""

from __future__ import annotations

from hub.events import EventBus
from queueing import domain, events
from queueing.errors import HallNotFound, InvalidHallSetup
from queueing.models import Counter, HallDetail, HallSetup, HallSummary
from queueing.store import HallStore


class HallService:
    def __init__(self, store: HallStore, bus: EventBus) -> None:
        self._store = store
        self._bus = bus

    async def list_halls(self) -> list[HallSummary]:
        summaries = []
        for hall in await self._store.list_halls():
            services, counters = await self._store.count(hall.id)
            summaries.append(
                HallSummary(
                    id=hall.id,
                    name=hall.name,
                    address=hall.address,
                    timezone=hall.timezone,
                    services=services,
                    counters=counters,
                )
            )
        return summaries

    async def hall(self, hall_id: str) -> HallDetail:
        hall = await self._store.get_hall(hall_id)
        if hall is None:
            raise HallNotFound(hall_id=hall_id)
        return HallDetail(
            hall=hall,
            services=await self._store.services(hall_id),
            counters=await self._store.counters(hall_id),
        )

    async def counter(self, counter_id: str) -> Counter | None:
        return await self._store.get_counter(counter_id)

    async def set_notice(self, hall_id: str, notice: str) -> None:
        if not await self._store.set_notice(hall_id, notice):
            raise HallNotFound(hall_id=hall_id)
        await self._bus.publish(
            events.hall_topic(hall_id),
            events.NOTICE_CHANGED,
            {"hall_id": hall_id, "notice": notice},
        )

    async def apply_setup(self, setup: HallSetup) -> HallDetail:
        problems = domain.setup_problems(setup)
        if problems:
            raise InvalidHallSetup("；".join(problems), problems=problems)
        await self._store.replace_setup(setup)
        await self._bus.publish(
            events.hall_topic(setup.hall.id),
            events.HALL_UPDATED,
            {"hall_id": setup.hall.id, "name": setup.hall.name},
        )
        return await self.hall(setup.hall.id)

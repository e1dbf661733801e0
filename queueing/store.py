"""Collections `queueing_halls`, `queueing_services`, `queueing_counters`; nothing else
touches them."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from queueing.models import Counter, Hall, HallSetup, Service

Document = dict[str, Any]


class HallStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._halls = db["queueing_halls"]
        self._services = db["queueing_services"]
        self._counters = db["queueing_counters"]

    async def ensure_indexes(self) -> None:
        await self._services.create_index([("hall_id", 1), ("prefix", 1)], unique=True)
        await self._counters.create_index([("hall_id", 1), ("number", 1)], unique=True)

    async def list_halls(self) -> list[Hall]:
        return [Hall.model_validate(d) async for d in self._halls.find().sort("_id", 1)]

    async def get_hall(self, hall_id: str) -> Hall | None:
        doc = await self._halls.find_one({"_id": hall_id})
        return Hall.model_validate(doc) if doc else None

    async def set_notice(self, hall_id: str, notice: str) -> bool:
        result = await self._halls.update_one({"_id": hall_id}, {"$set": {"notice": notice}})
        return result.matched_count == 1

    async def services(self, hall_id: str) -> list[Service]:
        cursor = self._services.find({"hall_id": hall_id}).sort("prefix", 1)
        return [Service.model_validate(d) async for d in cursor]

    async def counters(self, hall_id: str) -> list[Counter]:
        cursor = self._counters.find({"hall_id": hall_id}).sort("number", 1)
        return [Counter.model_validate(d) async for d in cursor]

    async def get_counter(self, counter_id: str) -> Counter | None:
        doc = await self._counters.find_one({"_id": counter_id})
        return Counter.model_validate(doc) if doc else None

    async def count(self, hall_id: str) -> tuple[int, int]:
        services = await self._services.count_documents({"hall_id": hall_id})
        counters = await self._counters.count_documents({"hall_id": hall_id})
        return services, counters

    async def replace_setup(self, setup: HallSetup) -> None:
        """Write a hall with exactly these services and counters (the setup is checked)."""
        hall_id = setup.hall.id
        await self._halls.replace_one(
            {"_id": hall_id}, setup.hall.model_dump(by_alias=True, mode="json"), upsert=True
        )
        keep_services = [s.id for s in setup.services]
        keep_counters = [c.id for c in setup.counters]
        await self._counters.delete_many({"hall_id": hall_id, "_id": {"$nin": keep_counters}})
        await self._services.delete_many({"hall_id": hall_id, "_id": {"$nin": keep_services}})
        for service in setup.services:
            doc = service.model_dump(by_alias=True, mode="json")
            await self._services.replace_one({"_id": service.id}, doc, upsert=True)
        for counter in setup.counters:
            doc = counter.model_dump(by_alias=True, mode="json")
            await self._counters.replace_one({"_id": counter.id}, doc, upsert=True)

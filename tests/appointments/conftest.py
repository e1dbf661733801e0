from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from appointments.api import APPOINTMENTS
from appointments.jobs import AppointmentJobs
from appointments.models import BookIn, BookingPlan
from appointments.service import AppointmentService
from appointments.store import AppointmentStore
from hub.auth.models import Principal, Role
from queueing import HALLS, QUEUE, QueueingService
from tests.queueing.factories import setup
from tests.support import RunningHub

# Thursday 26 November 2026, 10:00 in Shanghai: Friday 27th to Thursday 3 December can be
# booked (five working days; the 3rd opened at 08:00 today).
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
FRIDAY_0930 = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def id_number(n: int) -> str:
    """A valid resident ID number for person n (check digit computed)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = f"1101011990{(n // 28) % 12 + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def citizen(n: int) -> Principal:
    return Principal(f"c-{n}", Role.CITIZEN)


def booking(n: int, start: datetime = FRIDAY_0930, service: str = "s1", **extra: Any) -> BookIn:
    return BookIn(
        hall_id="h1",
        service_id=service,
        slot_start=start,
        name=f"市民{n}",
        id_number=id_number(n),
        phone=f"138{n:08d}",
        **extra,
    )


@dataclass
class Center:
    hub: RunningHub
    now: datetime

    @property
    def service(self) -> AppointmentService:
        return self.hub.app[APPOINTMENTS]

    @property
    def store(self) -> AppointmentStore:
        """The service's own store, for tests that check what was written (slots' places,
        holds, strikes): private to the service everywhere else."""
        return self.service._store

    @property
    def queue(self) -> QueueingService:
        return self.hub.app[QUEUE]

    def at(self, moment: datetime) -> None:
        self.now = moment
        self.service._now = lambda: self.now
        self.queue._now = lambda: self.now

    def later(self, **delta: float) -> None:
        self.at(self.now + timedelta(**delta))

    async def plan(self, **fields: Any) -> BookingPlan:
        plan = BookingPlan.model_validate(
            {"_id": "h1:s1", "hall_id": "h1", "service_id": "s1", "dynamic": False, **fields}
        )
        return await self.service.save_plan(plan)

    async def jobs(self) -> dict[str, int]:
        return await AppointmentJobs(self.service).run_once()


@pytest.fixture
async def center(memory_hub: RunningHub) -> Center:
    await memory_hub.app[HALLS].apply_setup(setup())
    c = Center(memory_hub, NOW)
    c.at(NOW)
    return c

"""Read models of bookings: a citizen's own, one booking, the back office's search and
statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

from appointments import access, domain
from appointments.models import Appointment, AppointmentQuery, AppointmentState
from appointments.service.core import Core
from hub.auth.models import Principal

STATS_LIMIT = 100_000  # bookings read for one statistics answer (a year of a busy hall)


class Reads:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

    async def mine(self, citizen_id: str) -> list[dict[str, Any]]:
        """The citizen's bookings (not attempts that never held a place)."""
        hidden = (AppointmentState.PENDING, AppointmentState.FAILED)
        return [
            await self._core.public(a)
            for a in await self._store.of_citizen(citizen_id)
            if a.state not in hidden
        ]

    async def get(self, principal: Principal, appointment_id: str) -> dict[str, Any]:
        appointment = await self._core.get(appointment_id)
        access.READ_BOOKING.require(principal, access.of_booking(appointment))
        return await self._core.public(appointment)

    async def search(self, q: AppointmentQuery) -> list[Appointment]:
        """Bookings by hall, service, days and state, by slot time."""
        return await self._store.search(q)

    async def statistics(self, hall_id: str, day_from: date, day_to: date) -> list[domain.StatsRow]:
        q = AppointmentQuery(hall_id=hall_id, day_from=day_from, day_to=day_to)
        return domain.statistics(await self._store.search(q, limit=STATS_LIMIT))

"""The appointment center's orchestration, one concept a module:

- `core`      the store, the bus, the queue's published methods and the clock; a booking saved
              with its booker's event and published after; the hall's copies; the views
- `calendar`  plans, days opened (放号) and slots, places taken, released and handed to
              walk-ins; the services, days and slots a citizen chooses from
- `quota`     how busy a slot's hour usually is (a dynamic plan's share)
- `booking`   a booking made, moved, cancelled; interrupted ones settled; reminders
- `checkin`   a booking becomes a ticket at the hall
- `people`    strikes, the blacklist and its lifting, no-shows
- `reads`     a citizen's bookings, one booking, the back office's search and statistics
- `seeding`   demo data: a booking for today that can be checked in at once

`AppointmentService` is what the adapters (appointments/api.py, jobs.py) and the composition
root see; the store stays behind it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from appointments import domain
from appointments.models import (
    AbuseRules,
    Appointment,
    AppointmentQuery,
    AppointmentRef,
    Blacklisting,
    BookIn,
    BookingPlan,
    ChangeIn,
    CheckInIn,
)
from appointments.service.booking import PENDING_SECONDS, Booking
from appointments.service.calendar import Calendar
from appointments.service.checkin import CheckIn
from appointments.service.core import Core
from appointments.service.people import People
from appointments.service.quota import QuotaRule, RecentLoad
from appointments.service.reads import Reads
from appointments.service.seeding import Seeding
from appointments.store import AppointmentStore
from hub.auth.models import Principal
from hub.clock import Clock, utc_now
from hub.events import EventBus
from queueing import QueueingService

__all__ = ["PENDING_SECONDS", "AppointmentService", "QuotaRule", "RecentLoad"]


class AppointmentService:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        bus: EventBus,
        queue: QueueingService,
        *,
        pepper: bytes,
        checkin_secret: bytes,
        clock: Clock = utc_now,
        quota: QuotaRule | None = None,
    ) -> None:
        self._now = clock  # replaceable in tests
        self._store = AppointmentStore(db)
        # The parts read the clock through `now` (a test may move `_now`).
        core = Core(self._store, bus, queue, self.now, pepper=pepper, checkin_secret=checkin_secret)
        self._core = core
        self._calendar = Calendar(core, quota or RecentLoad(queue))
        self._people = People(core)
        self._booking = Booking(core, self._calendar, self._people)
        self._checkin = CheckIn(core)
        self._reads = Reads(core)
        self._seeding = Seeding(core, self._calendar, self._booking)

    def now(self) -> datetime:
        return self._now()

    async def start(self) -> None:
        await self._store.ensure_indexes()
        await self._calendar.schedule_unscheduled()

    # -- plans, days and slots --------------------------------------------------------------

    async def save_plan(self, plan: BookingPlan) -> BookingPlan:
        return await self._calendar.save_plan(plan)

    async def plans(self, hall_id: str | None = None) -> list[BookingPlan]:
        """Every hall's booking plans, or one hall's."""
        return await self._calendar.plans(hall_id)

    async def offered(self, hall_id: str) -> list[dict[str, Any]]:
        """The services of a hall that take bookings: {service_id, name, expected_minutes,
        slot_minutes}."""
        return await self._calendar.offered(hall_id)

    async def calendar(self, hall_id: str, service_id: str) -> dict[str, Any]:
        return await self._calendar.calendar(hall_id, service_id)

    async def slots(self, hall_id: str, service_id: str, day: date) -> dict[str, Any]:
        return await self._calendar.day_slots(hall_id, service_id, day)

    async def walkin_places(self, hall_id: str, service_id: str, day: str) -> int:
        """Places handed to walk-ins on a day: the queue's capacity source."""
        return await self._calendar.walkin_places(hall_id, service_id, day)

    # -- bookings ---------------------------------------------------------------------------

    async def book(self, principal: Principal, request: BookIn) -> Appointment:
        return await self._booking.book(principal, request)

    async def change(self, principal: Principal, request: ChangeIn) -> Appointment:
        return await self._booking.change(principal, request)

    async def cancel(self, principal: Principal, request: AppointmentRef) -> Appointment:
        return await self._booking.cancel(principal, request)

    async def public(self, appointment: Appointment) -> dict[str, Any]:
        """A booking as the booker and the staff see it: personal data masked, the code with
        its day, the check-in window by its plan now."""
        return await self._core.public(appointment)

    # -- check-in ---------------------------------------------------------------------------

    def hall_code(self, hall_id: str) -> str:
        return self._checkin.hall_code(hall_id)

    async def check_in_code(self, hall_id: str) -> str:
        return await self._checkin.check_in_code(hall_id)

    async def check_in(self, principal: Principal, request: CheckInIn) -> dict[str, Any]:
        return await self._checkin.check_in(principal, request)

    async def seed_today(
        self,
        citizen_id: str,
        hall_id: str,
        service_id: str,
        *,
        name: str,
        id_number: str,
        phone: str,
    ) -> Appointment | None:
        """Demo data: the citizen's booking for a slot of today that can be checked in now
        (made if need be); None when the plan has none today."""
        return await self._seeding.today(
            citizen_id, hall_id, service_id, name=name, id_number=id_number, phone=phone
        )

    # -- people -----------------------------------------------------------------------------

    async def abuse_rules(self) -> AbuseRules:
        return await self._people.abuse_rules()

    async def save_abuse_rules(self, rules: AbuseRules) -> AbuseRules:
        return await self._people.save_abuse_rules(rules)

    async def blacklist(self, include_lifted: bool = False) -> list[Blacklisting]:
        return await self._people.blacklist(include_lifted)

    async def lift(self, person: str, by: str, reason: str) -> Blacklisting:
        return await self._people.lift(person, by, reason)

    # -- read models ------------------------------------------------------------------------

    async def mine(self, citizen_id: str) -> list[dict[str, Any]]:
        return await self._reads.mine(citizen_id)

    async def get(self, principal: Principal, appointment_id: str) -> dict[str, Any]:
        return await self._reads.get(principal, appointment_id)

    async def search(self, query: AppointmentQuery) -> list[Appointment]:
        return await self._reads.search(query)

    async def statistics(self, hall_id: str, day_from: date, day_to: date) -> list[domain.StatsRow]:
        return await self._reads.statistics(hall_id, day_from, day_to)

    # -- the clockwork (appointments/jobs.py) -----------------------------------------------

    async def open_days(self) -> int:
        return await self._calendar.open_days()

    async def release_places(self) -> int:
        return await self._calendar.release()

    async def record_no_shows(self) -> int:
        return await self._people.record_no_shows()

    async def send_reminders(self) -> int:
        return await self._booking.send_reminders()

    async def settle_pending(self) -> int:
        return await self._booking.settle_pending()

    async def sweep_outboxes(self) -> int:
        return await self._booking.sweep()

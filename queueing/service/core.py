"""What every part of the queueing service shares: its stores, caches, clock and bus, and the
loading of a counter (`Place`) or a ticket.

The service is one object made of parts, one module per concept, each a class building on
the parts it needs (`A <- B`: B builds on A):

    core <- outbox <- positions <- tickets <- calling
                                <- counters
                                <- reads

`outbox`: publishing what changes wrote, and what the sweeper repairs; `positions`: places,
estimates and waiting counts; `tickets`: taking and cancelling; `calling`: a counter's actions
on tickets (F1 claims); `counters`: signing in, pausing; `reads`: the screens' snapshots,
statistics and the figures other domains use."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from hub.auth import Principal
from hub.clock import Clock, utc_now
from hub.events import EventBus
from queueing import access, domain
from queueing.counter_copies import KeptCounters
from queueing.errors import CounterNotFound, ServiceNotFound, TicketNotFound
from queueing.models import Counter, CounterState, Hall, Service, Ticket
from queueing.queue_cache import MemoryQueueVersions, QueueCache, QueueVersions
from queueing.service.config import ConfigCache, HallConfig
from queueing.store import CounterStore, HallStore, Published, TicketStore

# A gate may refuse a person a ticket: (person key, now) -> the reason, or None. A hook a
# deployment may add with `QueueingService.add_gate`; nothing adds one by default (the
# appointment center's blacklist suspends booking only, not walk-in tickets).
PersonGate = Callable[[str, datetime], Awaitable[str | None]]
# Walk-in places a service gets beyond its daily cap (bookable places the appointment center
# released): (hall, service, day) -> places.
CapacitySource = Callable[[str, str, str], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Place:
    """A counter with everything an action on it needs."""

    hall: Hall
    counter: Counter
    services: dict[str, Service]


@dataclass(slots=True)
class Pace:
    """A service's recent service times (newest last), read from the store until `until`."""

    day: str
    until: float
    minutes: deque[float]


class ServiceCore:
    def __init__(
        self,
        halls: HallStore,
        tickets: TicketStore,
        counters: CounterStore,
        bus: EventBus,
        *,
        pepper: bytes,
        clock: Clock = utc_now,
        cache: ConfigCache | None = None,
        versions: QueueVersions | None = None,
    ) -> None:
        self._halls = halls
        self._tickets = tickets
        versions = versions or MemoryQueueVersions.of(bus)
        self._counters = KeptCounters(counters, versions)
        self._bus = bus
        self._config = cache or ConfigCache(halls)
        self._queue = QueueCache(tickets, versions)
        self._pepper = pepper
        self._now = clock  # replaceable in tests and simulations
        self._gates: list[PersonGate] = []
        self._capacity_sources: list[CapacitySource] = []
        self._locks: dict[str, asyncio.Lock] = {}
        # positions: estimates' pace per (hall, service), background jobs, what was told
        self._paces: dict[tuple[str, str], Pace] = {}  # (hall, service) -> recent service times
        self._open: dict[str, tuple[float, frozenset[str]]] = {}  # hall -> (until, open ids)
        self._background: set[asyncio.Task[None]] = set()
        self._jobs_running: set[str] = set()
        self._jobs_dirty: set[str] = set()
        self._counts: dict[str, dict[str, int]] = {}
        self._told: dict[str, dict[str, tuple[int, float]]] = {}  # hall -> ticket -> told
        # outbox: the sweeper's memory
        self._suspects: set[tuple[str, int, str | None, int]] = set()
        self._alerted: set[str] = set()  # tickets whose long wait was announced (this process)
        self._tickets_to_clear: dict[str, Published] = {}  # outboxes published, to clear
        self._counters_to_clear: dict[str, Published] = {}
        self._clearing: asyncio.Task[None] | None = None
        # calling: the ticket each counter holds, as this node last wrote it (its writes are
        # guarded by its version: a stale copy fails one and is read again)
        self._held: dict[str, Ticket] = {}

    def add_gate(self, gate: PersonGate) -> None:
        self._gates.append(gate)

    def add_capacity_source(self, source: CapacitySource) -> None:
        self._capacity_sources.append(source)

    async def config(self, hall_id: str) -> HallConfig:
        """A hall's configuration, as the service sees it (cached for a couple of seconds)."""
        return await self._config.config(hall_id)

    def today(self, hall: Hall) -> date:
        return domain.local_day(self._now(), hall.timezone)

    def now(self) -> datetime:
        return self._now()

    def _lock(self, counter_id: str) -> asyncio.Lock:
        # One action at a time per counter on this node (a clerk's keys in order); the store's
        # guards (versions, claims) cover other nodes.
        lock = self._locks.get(counter_id)
        if lock is None:
            lock = self._locks[counter_id] = asyncio.Lock()
        return lock

    async def _ticket(self, ticket_id: str) -> Ticket:
        ticket = await self._tickets.get(ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id=ticket_id)
        return ticket

    async def _place(self, counter_id: str, principal: Principal) -> Place:
        found = await self._config.counter(counter_id)
        if found is None:
            raise CounterNotFound(counter_id=counter_id)
        config, counter = found
        # Another hall's people are refused before anything else is read.
        access.SIGN_IN.require(
            principal, access.of_hall(counter.hall_id), "该窗口不属于您所在的大厅"
        )
        return Place(config.hall, counter, config.services)

    async def _counter_state(self, place: Place) -> CounterState:
        return await self._counters.get(place.counter)


def service_of(config: HallConfig, service_id: str) -> Service:
    service = config.services.get(service_id)
    if service is None:
        raise ServiceNotFound(service_id=service_id)
    return service


def may_operate(principal: Principal, state: CounterState) -> None:
    refusal = access.counter_refusal(principal, state.hall_id, state)
    if refusal is not None:
        raise refusal

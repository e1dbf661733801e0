"""Queueing orchestration: load -> domain -> save -> publish.

Every change is written together with the events it causes (the document's `outbox`); the
events are published after the write and then cleared. A crash in between leaves them in the
outbox, and the sweeper publishes them (the bus drops a repeat by event id), so a call is
never lost. A ticket and its counter are two documents: each write is guarded by version, and
`_counter_state` repairs the pair after a crash between the two writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from hub.auth import Principal
from hub.events import EventBus
from hub.logs import get_logger
from queueing import access, domain, errors, events
from queueing.errors import (
    ConcurrentChange,
    CounterNotFound,
    DailyCapReached,
    HallNotFound,
    InvalidHallSetup,
    NoTicketWaiting,
    ServiceNotFound,
    TicketNotFound,
)
from queueing.models import (
    AT_COUNTER,
    Appointment,
    CallingPolicy,
    Channel,
    CitizenIn,
    Counter,
    CounterLogEntry,
    CounterState,
    CounterStatus,
    Hall,
    HallDetail,
    HallSetup,
    HallSummary,
    PendingEvent,
    Service,
    Tag,
    Ticket,
    TicketStatus,
)
from queueing.queue_cache import QueueCache
from queueing.store import CounterStore, HallStore, TicketStore

log = get_logger("queueing")

# A gate may refuse a person a ticket: (person key, now) -> the reason, or None. A hook a
# deployment may add with `QueueingService.add_gate`; nothing adds one by default (the
# appointment center's blacklist suspends booking only, not walk-in tickets).
PersonGate = Callable[[str, datetime], Awaitable[str | None]]
# Walk-in places a service gets beyond its daily cap (bookable places the appointment center
# released): (hall, service, day) -> places.
CapacitySource = Callable[[str, str, str], Awaitable[int]]

Clock = Callable[[], datetime]

PACE_SECONDS = 5.0
WAITING_SECONDS = 0.3
POSITIONS_SECONDS = 2.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class HallConfig:
    hall: Hall
    services: dict[str, Service]
    counters: dict[str, Counter]


class ConfigCache:
    """Hall configuration, read on every ticket and counter action, changed rarely: kept a
    couple of seconds (this node forgets at once what it changes itself; other nodes within
    the time to live)."""

    def __init__(self, store: HallStore, ttl_seconds: float = 2.0) -> None:
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
        config = HallConfig(
            hall,
            {s.id: s for s in await self._store.services(hall_id)},
            {c.id: c for c in await self._store.counters(hall_id)},
        )
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
        if counter is None:
            self._counter_halls.pop(counter_id, None)
            return None
        return config, counter

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
        return HallDetail(
            hall=await self.get_hall(hall_id),
            services=await self._store.services(hall_id),
            counters=await self._store.counters(hall_id),
        )

    async def counter(self, counter_id: str) -> Counter | None:
        return await self._store.get_counter(counter_id)

    async def set_notice(self, hall_id: str, notice: str) -> None:
        if not await self._store.set_notice(hall_id, notice):
            raise HallNotFound(hall_id=hall_id)
        self._cache.forget(hall_id)
        await self._bus.publish_untyped(
            events.hall_topic(hall_id),
            events.NOTICE_CHANGED,
            {"hall_id": hall_id, "notice": notice},
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
        await self._bus.publish_untyped(
            events.hall_topic(hall_id),
            events.HALL_UPDATED,
            {"hall_id": hall_id, "name": detail.hall.name},
        )
        return detail


@dataclass(frozen=True, slots=True)
class Place:
    """A counter with everything an action on it needs."""

    hall: Hall
    counter: Counter
    services: dict[str, Service]


class QueueingService:
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
    ) -> None:
        self._halls = halls
        self._config = cache or ConfigCache(halls)
        self._queue = QueueCache(tickets)
        self._paces: dict[tuple[str, str], tuple[float, float, frozenset[str]]] = {}
        self._tickets = tickets
        self._counters = counters
        self._bus = bus
        self._pepper = pepper
        self._now = clock  # replaceable in tests and simulations
        self._gates: list[PersonGate] = []
        self._capacity_sources: list[CapacitySource] = []
        self._locks: dict[str, asyncio.Lock] = {}
        self._background: set[asyncio.Task[None]] = set()
        # Position updates: one job per hall at a time, re-run once if asked again meanwhile;
        # a ticket is told only when its place or estimate changed.
        self._jobs_running: set[str] = set()
        self._jobs_dirty: set[str] = set()
        self._counts: dict[str, dict[str, int]] = {}
        self._suspects: set[tuple[str, int, str | None, int]] = set()
        self._alerted: set[str] = set()  # tickets whose long wait was announced (this process)
        self._told: dict[str, dict[str, tuple[int, float]]] = {}  # hall -> ticket -> told

    def add_gate(self, gate: PersonGate) -> None:
        self._gates.append(gate)

    def add_capacity_source(self, source: CapacitySource) -> None:
        self._capacity_sources.append(source)

    # -- taking tickets ---------------------------------------------------------------------

    async def take_ticket(
        self,
        hall_id: str,
        service_id: str,
        channel: Channel,
        citizen: CitizenIn | None,
        *,
        citizen_id: str | None = None,
        appointment: Appointment | None = None,
        queue_time: datetime | None = None,
        number_prefix: str = "",
    ) -> Ticket:
        """A ticket for a walk-in, or (with `appointment`, `queue_time` and the appointment
        center's `number_prefix`) for a booking checked in; its numbers run on their own."""
        now = self._now()
        config = await self._config.config(hall_id)
        hall = config.hall
        service = _service_of(config, service_id)
        info = domain.citizen_info(citizen, citizen_id)
        person = domain.person_keys(info, self._pepper)
        day = domain.local_day(now, hall.timezone).isoformat()
        refusal = None
        count = 0
        if person:
            for gate in self._gates:
                for key in person:
                    refusal = refusal or await gate(key, now)
            count = await self._tickets.person_count(
                hall.id, day, service.id, person, hall.policy.per_person_daily_limit
            )
        domain.check_admission(hall, service, now, count, refusal)
        if number_prefix:
            series, cap = (
                f"{service.id}~{number_prefix}",
                domain.capacity(service.model_copy(update={"daily_cap": None})),
            )
        else:
            released = 0
            if service.daily_cap:
                for source in self._capacity_sources:
                    released += await source(hall.id, service.id, day)
            series, cap = service.id, domain.capacity(service, released)
        seq = await self._tickets.next_seq(hall.id, series, day, cap)
        if seq is None:
            raise DailyCapReached(service_id=service.id)
        ahead, minutes = await self._estimate_new(hall, service, day, now)
        tags: list[Tag] = list(citizen.tags) if citizen else []
        ticket = domain.issue(
            hall,
            service,
            seq,
            channel=channel,
            citizen=info,
            tags=tags,
            person=person,
            now=now,
            ahead=ahead,
            minutes=minutes,
            appointment=appointment,
            queue_time=queue_time,
            prefix=number_prefix,
        )
        await self._tickets.insert(ticket)
        await self._queue.changed(ticket)
        await self._flush_ticket(ticket)
        self._refresh_later(hall, day)
        return ticket

    async def _estimate_new(
        self, hall: Hall, service: Service, day: str, now: datetime
    ) -> tuple[int, float]:
        # Everyone waiting for the service is ahead of a new ticket (priority ones too).
        waiting = await self._queue.waiting(hall.id, day)
        ahead = sum(1 for t in waiting if t.service_id == service.id)
        queued = {t.service_id for t in waiting}
        per_ticket, capacity = await self._pace(hall, service, day, queued)
        return ahead, domain.estimate_minutes(ahead, per_ticket, capacity)

    async def _pace(
        self, hall: Hall, service: Service, day: str, queued: set[str]
    ) -> tuple[float, float]:
        """Minutes per ticket and the counters' capacity for a service. The recent service
        times and the open counters are kept a few seconds (an estimate does not need the last
        second, and every ticket action asks)."""
        key = (hall.id, service.id)
        cached = self._paces.get(key)
        if cached is None or cached[0] <= time.monotonic():
            recent = await self._tickets.recent_service_minutes(hall.id, service.id, day)
            per_ticket = domain.minutes_per_ticket(recent, service.expected_minutes)
            states = await self._counters.of_hall(hall.id)
            open_ids = frozenset(cid for cid, s in states.items() if s.status is CounterStatus.OPEN)
            cached = (time.monotonic() + PACE_SECONDS, per_ticket, open_ids)
            self._paces[key] = cached
        config = await self._config.config(hall.id)
        capacity = domain.serving_capacity(
            service.id, config.counters.values(), set(cached[2]), queued
        )
        return cached[1], capacity

    async def cancel(self, ticket_id: str, principal: Principal) -> Ticket:
        def change(ticket: Ticket, service: Service) -> tuple[Ticket, list[PendingEvent]]:
            access.CANCEL_TICKET.require(principal, access.of_ticket(ticket))
            return domain.cancel(ticket, service, self._now())

        return await self._change_waiting_ticket(ticket_id, change)

    async def _change_waiting_ticket(
        self,
        ticket_id: str,
        change: Callable[[Ticket, Service], tuple[Ticket, list[PendingEvent]]],
    ) -> Ticket:
        """Load, change, write guarded by version (again if the ticket moved meanwhile, e.g.
        its position was noted), publish; the queue then changed."""
        for _ in range(5):
            ticket = await self._ticket(ticket_id)
            config = await self._config.config(ticket.hall_id)
            changed, out = change(ticket, _service_of(config, ticket.service_id))
            saved = await self._tickets.save(
                changed.model_copy(update={"outbox": [*ticket.outbox, *out]}), ticket.version
            )
            if saved is None:
                continue
            await self._queue.changed(saved)
            await self._flush_ticket(saved)
            self._refresh_later(config.hall, ticket.day)
            return saved
        raise ConcurrentChange()

    # -- counters ---------------------------------------------------------------------------

    async def open_counter(self, counter_id: str, principal: Principal) -> CounterState:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            opened, out = domain.open_counter(
                place.counter, state, principal.sub, principal.name or principal.sub, self._now()
            )
            return await self._commit_counter(place, state, opened, out)

    async def close_counter(self, counter_id: str, principal: Principal) -> CounterState:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            _may_operate(principal, state)
            closed, out = domain.close_counter(place.counter, state, self._now())
            return await self._commit_counter(place, state, closed, out)

    async def pause(self, counter_id: str, reason: str, principal: Principal) -> CounterState:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            _may_operate(principal, state)
            paused, out = domain.pause(place.counter, state, reason, self._now())
            return await self._commit_counter(place, state, paused, out)

    async def resume(self, counter_id: str, principal: Principal) -> CounterState:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            _may_operate(principal, state)
            resumed, out = domain.resume(place.counter, state, self._now())
            return await self._commit_counter(place, state, resumed, out)

    async def _commit_counter(
        self, place: Place, old: CounterState, new: CounterState, out: list[PendingEvent]
    ) -> CounterState:
        if not out:
            return old
        saved = await self._counters.save(
            new.model_copy(update={"outbox": [*old.outbox, *out]}), old.version
        )
        if saved is None:
            raise ConcurrentChange()
        for key in [k for k in self._paces if k[0] == place.hall.id]:
            del self._paces[key]  # open counters changed: estimates change
        if saved.status is not old.status:
            now = self._now()
            await self._counters.log_status(
                CounterLogEntry(
                    counter_id=saved.id,
                    hall_id=saved.hall_id,
                    day=domain.local_day(now, place.hall.timezone).isoformat(),
                    status=saved.status,
                    staff_id=saved.staff_id,
                    start=now,
                )
            )
        await self._flush_counter(saved)
        self._refresh_later(
            place.hall, domain.local_day(self._now(), place.hall.timezone).isoformat()
        )
        return saved

    # -- calling ----------------------------------------------------------------------------

    async def call_next(self, counter_id: str, principal: Principal) -> Ticket:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            for _ in range(5):  # another counter may take the chosen ticket first
                now = self._now()
                day = domain.local_day(now, place.hall.timezone).isoformat()
                # Two reads at once: the store answers them in turn, the round trips overlap.
                state, waiting = await asyncio.gather(
                    self._counter_state(place), self._queue.waiting(place.hall.id, day)
                )
                _may_operate(principal, state)
                domain.require_free(state)
                choice = domain.choose_next(
                    waiting, place.counter, state.normal_streak, place.hall.policy, now
                )
                if choice is None:
                    raise NoTicketWaiting()
                chosen = await self._tickets.get(choice.ticket.id)
                if chosen is None or chosen.status is not TicketStatus.WAITING:
                    self._queue.forget(place.hall.id)  # taken meanwhile: read the queue again
                    continue
                choice = domain.Choice(chosen, choice.reason)
                service = place.services[chosen.service_id]
                step = domain.call(
                    chosen, state, place.counter, service, place.hall.policy, now, choice
                )
                ticket = await self._commit_step(place, chosen, state, step, service)
                if ticket is not None:
                    return ticket
            raise ConcurrentChange()

    async def call_ticket(self, counter_id: str, ticket_id: str, principal: Principal) -> Ticket:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            for _ in range(5):  # the ticket may change under us (its position was noted)
                state = await self._counter_state(place)
                _may_operate(principal, state)
                ticket = await self._ticket(ticket_id)
                if ticket.hall_id != place.hall.id:
                    raise TicketNotFound(ticket_id=ticket_id)
                service = place.services[ticket.service_id]
                step = domain.call(
                    ticket, state, place.counter, service, place.hall.policy, self._now()
                )
                called = await self._commit_step(place, ticket, state, step, service)
                if called is not None:
                    return called
            raise ConcurrentChange()

    async def recall(self, counter_id: str, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id,
            principal,
            lambda p, t, s, svc, now: domain.recall(t, s, p.counter, svc, p.hall.policy, now),
        )

    async def start(self, counter_id: str, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id, principal, lambda p, t, s, svc, now: domain.start(t, s, p.counter, svc, now)
        )

    async def finish(self, counter_id: str, case_id: str | None, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id,
            principal,
            lambda p, t, s, svc, now: domain.finish(t, s, p.counter, svc, now, case_id),
        )

    async def no_show(self, counter_id: str, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id,
            principal,
            lambda p, t, s, svc, now: domain.no_show(t, s, p.counter, svc, p.hall.policy, now),
        )

    async def park(self, counter_id: str, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id, principal, lambda p, t, s, svc, now: domain.park(t, s, p.counter, svc, now)
        )

    async def transfer(
        self,
        counter_id: str,
        service_id: str | None,
        to_counter_id: str | None,
        principal: Principal,
    ) -> Ticket:
        place = await self._place(counter_id, principal)
        to_counter = None
        if to_counter_id is not None:
            to_counter = (await self._config.config(place.hall.id)).counters.get(to_counter_id)
            if to_counter is None:
                raise CounterNotFound(counter_id=to_counter_id)

        def act(p: Place, t: Ticket, s: CounterState, svc: Service, now: datetime) -> domain.Step:
            target_id = service_id or t.service_id
            if target_id not in p.services:
                raise ServiceNotFound(service_id=target_id)
            return domain.transfer(t, s, p.counter, svc, p.services[target_id], to_counter, now)

        return await self._on_current(counter_id, principal, act, place=place)

    async def unpark(self, counter_id: str, ticket_id: str, principal: Principal) -> Ticket:
        place = await self._place(counter_id, principal)

        def change(ticket: Ticket, service: Service) -> tuple[Ticket, list[PendingEvent]]:
            if ticket.counter_id != counter_id:
                raise TicketNotFound(ticket_id=ticket_id)
            return domain.unpark(ticket, service, self._now())

        async with self._lock(counter_id):
            _may_operate(principal, await self._counter_state(place))
            return await self._change_waiting_ticket(ticket_id, change)

    async def _on_current(
        self,
        counter_id: str,
        principal: Principal,
        act: Callable[[Place, Ticket, CounterState, Service, datetime], domain.Step],
        place: Place | None = None,
    ) -> Ticket:
        place = place or await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            _may_operate(principal, state)
            if state.current_ticket_id is None:
                raise errors.NoCurrentTicket()
            ticket = await self._ticket(state.current_ticket_id)
            service = place.services[ticket.service_id]
            step = act(place, ticket, state, service, self._now())
            done = await self._commit_step(place, ticket, state, step, service)
            if done is None:
                raise ConcurrentChange()
            return done

    async def _commit_step(
        self,
        place: Place,
        before: Ticket,
        state: CounterState,
        step: domain.Step,
        service: Service,
    ) -> Ticket | None:
        """Write the ticket, then the counter; undo the ticket if the counter changed
        meanwhile. None when the ticket itself changed meanwhile (nothing written)."""
        current = step.ticket if step.ticket.status in AT_COUNTER else None
        update = domain.counter_updated(
            place.counter,
            step.counter,
            current,
            place.services.get(step.ticket.service_id, service),
        )
        # Events still unpublished from an earlier change ride along (never dropped).
        ticket = step.ticket.model_copy(update={"outbox": [*before.outbox, *step.events, update]})
        saved = await self._tickets.save(ticket, before.version)
        if saved is None:
            return None
        counter_changed = (
            step.counter.current_ticket_id != state.current_ticket_id
            or step.counter.normal_streak != state.normal_streak
        )
        if counter_changed and await self._counters.save(step.counter, state.version) is None:
            await self._tickets.save(before.model_copy(update={"outbox": []}), saved.version)
            raise ConcurrentChange()
        await self._flush_ticket(saved)  # the displays first
        if before.status is TicketStatus.WAITING or saved.status is TicketStatus.WAITING:
            await self._queue.changed(saved)
            self._refresh_later(place.hall, saved.day)
        return saved

    # -- reads ------------------------------------------------------------------------------

    async def ticket(self, ticket_id: str) -> Ticket:
        return await self._ticket(ticket_id)

    async def config(self, hall_id: str) -> HallConfig:
        """A hall's configuration, as the service sees it (cached for a couple of seconds)."""
        return await self._config.config(hall_id)

    async def position(self, ticket: Ticket) -> tuple[int, float]:
        """People ahead and the estimated wait, for a waiting ticket."""
        if ticket.status is not TicketStatus.WAITING:
            return 0, 0.0
        config = await self._config.config(ticket.hall_id)
        hall = config.hall
        service = _service_of(config, ticket.service_id)
        everyone = await self._queue.waiting(hall.id, ticket.day)
        waiting = [t for t in everyone if t.service_id == ticket.service_id]
        order = [t.id for t in domain.queue_order(waiting, hall.policy, self._now())]
        ahead = order.index(ticket.id) if ticket.id in order else len(order)
        queued = {t.service_id for t in everyone}
        per_ticket, capacity = await self._pace(hall, service, ticket.day, queued)
        return ahead, domain.estimate_minutes(ahead, per_ticket, capacity)

    async def counter_state(self, counter_id: str) -> tuple[Place, CounterState]:
        found = await self._config.counter(counter_id)
        if found is None:
            raise CounterNotFound(counter_id=counter_id)
        config, counter = found
        place = Place(config.hall, counter, config.services)
        return place, await self._counter_state(place)

    @property
    def tickets(self) -> TicketStore:
        return self._tickets

    @property
    def counters(self) -> CounterStore:
        return self._counters

    @property
    def halls(self) -> HallStore:
        return self._halls

    def today(self, hall: Hall) -> date:
        return domain.local_day(self._now(), hall.timezone)

    def now(self) -> datetime:
        return self._now()

    # -- outbox -----------------------------------------------------------------------------

    async def _flush_ticket(self, ticket: Ticket) -> None:
        if ticket.outbox:
            await self._publish(ticket.outbox)
            await self._tickets.clear_outbox(ticket)

    async def _flush_counter(self, state: CounterState) -> None:
        if state.outbox:
            await self._publish(state.outbox)
            await self._counters.clear_outbox(state)

    async def _publish(self, out: list[PendingEvent]) -> None:
        for event in out:
            await self._bus.publish_untyped(event.topic, event.type, event.data, event_id=event.id)

    async def reconcile_counters(self) -> int:
        """A crash between a ticket's write and its counter's leaves them disagreeing about
        which ticket the counter holds. A disagreement seen on two sweeps in a row, with
        neither side changed in between (not an action under way), is settled by the ticket:
        the counter holds exactly the ticket called or served there."""
        held = {t.counter_id: t for t in await self._tickets.held_at_counters() if t.counter_id}
        states = {s.id: s for s in await self._counters.holding()}
        for counter_id in held:
            if counter_id not in states:
                lost = await self._counters.by_id(counter_id)
                if lost is not None:
                    states[counter_id] = lost
        suspects: set[tuple[str, int, str | None, int]] = set()
        repaired = 0
        for counter_id, state in states.items():
            at_counter = held.get(counter_id)
            holding = at_counter.id if at_counter else None
            if state.current_ticket_id == holding:
                continue
            key = (counter_id, state.version, holding, at_counter.version if at_counter else -1)
            suspects.add(key)
            if key in self._suspects:
                fixed = state.model_copy(update={"current_ticket_id": holding})
                if await self._counters.save(fixed, state.version) is not None:
                    repaired += 1
                    log.warning("counter_state_repaired", counter_id=counter_id, ticket_id=holding)
        self._suspects = suspects
        return repaired

    async def alert_long_waits(self) -> int:
        """Tell each hall's staff about tickets waiting longer than the hall allows."""
        alerted = 0
        now = self._now()
        for hall in await self._halls.list_halls():
            day = domain.local_day(now, hall.timezone).isoformat()
            config = await self._config.config(hall.id)
            for ticket in await self._queue.waiting(hall.id, day):
                service = config.services.get(ticket.service_id)
                if (
                    service is not None
                    and ticket.id not in self._alerted
                    and domain.overdue(ticket, hall.policy, now)
                ):
                    # Published under the ticket's name: a repeat from another node is dropped.
                    await self._publish([domain.wait_exceeded_event(ticket, service, now)])
                    self._alerted.add(ticket.id)
                    alerted += 1
        return alerted

    async def sweep_outboxes(self) -> int:
        """Publish what a crash left in outboxes (a repeat is dropped by event id)."""
        swept = 0
        for ticket in await self._tickets.with_pending_events():
            await self._flush_ticket(ticket)
            swept += len(ticket.outbox)
        for state in await self._counters.with_pending_events():
            await self._flush_counter(state)
            swept += len(state.outbox)
        if swept:
            log.warning("outbox_swept", events=swept)
        return swept

    # -- derived events ---------------------------------------------------------------------

    def _refresh_later(self, hall: Hall, day: str) -> None:
        """After a change to a hall's queue, in the background: the waiting counts for the
        hall's screens soon (at most every WAITING_SECONDS), and each waiting ticket's place
        for the phones less often (POSITIONS_SECONDS: it reads the whole queue). One job of
        each kind per hall at a time; asked again meanwhile, it runs once more."""
        self._job(f"waiting:{hall.id}", WAITING_SECONDS, lambda: self._waiting_changed(hall, day))
        self._job(
            f"positions:{hall.id}", POSITIONS_SECONDS, lambda: self.publish_positions(hall, day)
        )

    def _job(self, key: str, every: float, run: Callable[[], Awaitable[None]]) -> None:
        if key in self._jobs_running:
            self._jobs_dirty.add(key)
            return
        self._jobs_running.add(key)
        task = asyncio.get_running_loop().create_task(self._repeat(key, every, run))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _repeat(self, key: str, every: float, run: Callable[[], Awaitable[None]]) -> None:
        try:
            while True:
                self._jobs_dirty.discard(key)
                await run()
                if key not in self._jobs_dirty:
                    return
                await asyncio.sleep(every)  # asked again meanwhile: once more, not at once
        except Exception:
            log.exception("background_job_failed", job=key)
        finally:
            self._jobs_running.discard(key)

    async def _waiting_changed(self, hall: Hall, day: str) -> None:
        counts: dict[str, int] = {}
        for ticket in await self._queue.waiting(hall.id, day):
            counts[ticket.service_id] = counts.get(ticket.service_id, 0) + 1
        if counts == self._counts.get(hall.id):
            return
        self._counts[hall.id] = counts
        await self._bus.publish_untyped(
            events.hall_topic(hall.id),
            events.WAITING_CHANGED,
            {"hall_id": hall.id, "waiting": counts, "total": sum(counts.values())},
        )

    async def publish_positions(self, hall: Hall, day: str) -> None:
        waiting = await self._queue.waiting(hall.id, day)
        previous = self._told.get(hall.id, {})
        told = self._told[hall.id] = {}
        services = (await self._config.config(hall.id)).services
        now = self._now()
        by_service: dict[str, list[Ticket]] = {}
        for ticket in waiting:
            by_service.setdefault(ticket.service_id, []).append(ticket)
        for service_id, tickets in by_service.items():
            service = services.get(service_id)
            if service is None:
                continue
            per_ticket, capacity = await self._pace(hall, service, day, set(by_service))
            for ahead, ticket in enumerate(domain.queue_order(tickets, hall.policy, now)):
                minutes = domain.estimate_minutes(ahead, per_ticket, capacity)
                told[ticket.id] = (ahead, minutes)
                if previous.get(ticket.id) == (ahead, minutes):
                    continue
                out = domain.position_events(ticket, ahead, minutes, events.POSITION_CHANGED)
                if domain.turn_near(ticket, ahead, minutes, hall.policy) and (
                    await self._tickets.mark_near(ticket, now)
                ):
                    self._queue.noted(
                        ticket.model_copy(
                            update={"near_notified_at": now, "version": ticket.version + 1}
                        )
                    )
                    out += domain.position_events(ticket, ahead, minutes, events.TURN_NEAR)
                await self._publish(out)

    async def close(self) -> None:
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)

    async def settle(self) -> None:
        """Wait for the position updates under way (tests and graceful stops)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # -- loading ----------------------------------------------------------------------------

    def _lock(self, counter_id: str) -> asyncio.Lock:
        # One action at a time per counter on this node; the version guards cover other nodes.
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


def _service_of(config: HallConfig, service_id: str) -> Service:
    service = config.services.get(service_id)
    if service is None:
        raise ServiceNotFound(service_id=service_id)
    return service


def _may_operate(principal: Principal, state: CounterState) -> None:
    refusal = access.counter_refusal(principal, state.hall_id, state)
    if refusal is not None:
        raise refusal

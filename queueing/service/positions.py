"""Places in the queue: people ahead and estimated waits, the hall screens' waiting counts, and
the background jobs that tell the phones and screens after each change to a hall's queue."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime

from hub.logs import get_logger
from hub.outages import log_failure
from queueing import domain, events
from queueing.models import CounterStatus, Hall, Service, Ticket, TicketStatus
from queueing.service.core import Pace, service_of
from queueing.service.outbox import Outbox

log = get_logger("queueing")

PACE_SECONDS = 5.0  # the open counters
# The recent service times (an estimate's pace) are read from the store this often: this
# node's own finishes are added as they happen, other nodes' come with the next read. (The
# read sorts the day's finished tickets of the service: it grows through the day.)
SERVICE_TIMES_SECONDS = 300.0
RECENT_SERVICE_TIMES = 20
WAITING_SECONDS = 0.3
POSITIONS_SECONDS = 2.0
# Places, estimates and waiting counts may use a copy of the queue known right this long ago.
FRESH_SECONDS = 0.5


class Positions(Outbox):
    async def position(self, ticket: Ticket) -> tuple[int, float]:
        """People ahead and the estimated wait, for a waiting ticket."""
        if ticket.status is not TicketStatus.WAITING:
            return 0, 0.0
        config = await self._config.config(ticket.hall_id)
        hall = config.hall
        service = service_of(config, ticket.service_id)
        everyone = await self._queue.waiting(hall.id, ticket.day, fresh_within=FRESH_SECONDS)
        waiting = [t for t in everyone if t.service_id == ticket.service_id]
        order = [t.id for t in domain.queue_order(waiting, hall.policy, self._now())]
        ahead = order.index(ticket.id) if ticket.id in order else len(order)
        queued = {t.service_id for t in everyone}
        per_ticket, capacity = await self._pace(hall, service, ticket.day, queued)
        return ahead, domain.estimate_minutes(ahead, per_ticket, capacity)

    async def _estimate_new(
        self, hall: Hall, service: Service, day: str, now: datetime
    ) -> tuple[int, float]:
        # Everyone waiting for the service is ahead of a new ticket (priority ones too).
        waiting = await self._queue.waiting(hall.id, day, fresh_within=FRESH_SECONDS)
        ahead = sum(1 for t in waiting if t.service_id == service.id)
        queued = {t.service_id for t in waiting}
        per_ticket, capacity = await self._pace(hall, service, day, queued)
        return ahead, domain.estimate_minutes(ahead, per_ticket, capacity)

    async def _pace(
        self, hall: Hall, service: Service, day: str, queued: set[str]
    ) -> tuple[float, float]:
        """Minutes per ticket and the counters' capacity for a service. The recent service
        times (per service) and the open counters (per hall) are kept a few seconds: an
        estimate does not need the last second, and every ticket action asks."""
        key = (hall.id, service.id)
        pace = self._paces.get(key)
        if pace is None or pace.day != day or pace.until <= time.monotonic():
            recent = await self._tickets.recent_service_minutes(
                hall.id, service.id, day, RECENT_SERVICE_TIMES
            )
            pace = Pace(
                day, time.monotonic() + SERVICE_TIMES_SECONDS, deque(recent, RECENT_SERVICE_TIMES)
            )
            self._paces[key] = pace
        open_ids = await self._open_counters(hall.id)
        config = await self._config.config(hall.id)
        capacity = domain.serving_capacity(service.id, config.counters.values(), open_ids, queued)
        return domain.minutes_per_ticket(pace.minutes, service.expected_minutes), capacity

    def _note_service_time(self, ticket: Ticket) -> None:
        """A ticket this node finished: its service time joins the pace kept (if any)."""
        pace = self._paces.get((ticket.hall_id, ticket.service_id))
        if (
            pace is not None
            and pace.day == ticket.day
            and ticket.serving_at is not None
            and ticket.finished_at is not None
        ):
            pace.minutes.append((ticket.finished_at - ticket.serving_at).total_seconds() / 60)

    async def _open_counters(self, hall_id: str) -> set[str]:
        cached = self._open.get(hall_id)
        if cached is None or cached[0] <= time.monotonic():
            states = await self._counters.of_hall(hall_id)
            open_ids = frozenset(cid for cid, s in states.items() if s.status is CounterStatus.OPEN)
            cached = self._open[hall_id] = (time.monotonic() + PACE_SECONDS, open_ids)
        return set(cached[1])

    def _forget_paces(self, hall_id: str) -> None:
        """The hall's open counters changed: its estimates change."""
        self._open.pop(hall_id, None)

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
            log_failure(log, "background_job_failed", job=key)
        finally:
            self._jobs_running.discard(key)

    async def _waiting_changed(self, hall: Hall, day: str) -> None:
        counts: dict[str, int] = {}
        for ticket in await self._queue.waiting(hall.id, day, fresh_within=FRESH_SECONDS):
            counts[ticket.service_id] = counts.get(ticket.service_id, 0) + 1
        if counts == self._counts.get(hall.id):
            return
        self._counts[hall.id] = counts
        await self._bus.publish(
            events.hall_topic(hall.id),
            events.WaitingChanged(hall_id=hall.id, waiting=counts, total=sum(counts.values())),
        )

    async def publish_positions(self, hall: Hall, day: str) -> None:
        """Tell each waiting ticket's holder its place when it changed, and once that its turn
        is near."""
        waiting = await self._queue.waiting(hall.id, day, fresh_within=FRESH_SECONDS)
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
                out = domain.position_events(ticket, ahead, minutes, events.PositionChanged)
                if domain.turn_near(ticket, ahead, minutes, hall.policy) and (
                    await self._tickets.mark_near(ticket, now)
                ):
                    self._queue.noted(
                        ticket.model_copy(
                            update={"near_notified_at": now, "version": ticket.version + 1}
                        )
                    )
                    out += domain.position_events(ticket, ahead, minutes, events.TurnNear)
                await self._publish(out)

    async def close(self) -> None:
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._stop_clearing()

    async def settle(self) -> None:
        """Wait for the position updates under way and clear what was published (tests and
        graceful stops)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        await self.clear_published()

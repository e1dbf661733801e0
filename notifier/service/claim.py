"""Working the outbox, step one: claim. Workers (in the hub and in `hallhub worker` processes,
on any node) claim due deliveries with a lease in MongoDB; a worker that dies lets its lease
run out and another takes over. Each claimed delivery goes to the inbox (in-app) or to an
attempt with a provider (SMS, e-mail).

A claim takes a delivery by its id with the guarded update. The ids come from a search of
the outbox (a few due ones: the candidates, worked through before the next search), or, for
the deliveries this process wrote due now, from the writer (`Core.ready`): those need no
search. The outbox is still searched at least every IDLE_POLL_SECONDS while there is work,
and at once again after a search that found a full batch (a backlog comes first, as it did),
so deliveries written elsewhere, retries and leases run out are found as before."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from datetime import datetime, timedelta

from hub.logs import get_logger
from hub.outages import log_failure
from notifier.models import Channel, Delivery
from notifier.service.attempt import Attempts
from notifier.service.core import Core
from notifier.service.inbox import Inbox
from notifier.store import CANDIDATES

log = get_logger("notifier")

IDLE_POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 20.0  # a send's own timeout is 15 s


class Outbox:
    def __init__(self, core: Core, attempts: Attempts, inbox: Inbox) -> None:
        self._core = core
        self._attempts = attempts
        self._inbox = inbox
        self._candidates: deque[str] = deque()  # found by the last search, not tried yet
        self._searched_at = -IDLE_POLL_SECONDS  # monotonic
        self._backlog = False  # the last search found a full batch

    async def run(self, stop: asyncio.Event) -> None:
        """Work the outbox until `stop`: one loop claims due deliveries and hands each to a
        task, `worker_concurrency` at a time. Idle, it looks again when a delivery is written
        here or every IDLE_POLL_SECONDS (deliveries written by other nodes, retries due).
        On stop, sends under way are let finish: cut off, they would be in doubt."""
        wake = self._core.wake
        slots = asyncio.Semaphore(self._core.settings.worker_concurrency)
        running: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                await slots.acquire()
                wake.clear()  # before the claim: a delivery written after it wakes us
                try:
                    delivery = await self.claim(search=False)
                except Exception:
                    log_failure(log, "outbox_claim_failed")
                    delivery = None
                if delivery is None:
                    slots.release()
                    waking = asyncio.create_task(wake.wait())
                    await asyncio.wait(
                        {waking, stopping},
                        timeout=self._until_search(),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    waking.cancel()
                    continue
                task = asyncio.create_task(self.work(delivery))
                running.add(task)
                task.add_done_callback(running.discard)
                task.add_done_callback(lambda _: slots.release())
        finally:
            stopping.cancel()
            if running:
                _, late = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)

    def _until_search(self) -> float:
        """Seconds until the outbox is to be searched again (every IDLE_POLL_SECONDS)."""
        left = self._searched_at + IDLE_POLL_SECONDS - time.monotonic()
        return min(max(left, 0.01), IDLE_POLL_SECONDS)

    async def work_once(self) -> bool:
        """Claim one due delivery and take it one step further. False when none was due."""
        delivery = await self.claim()
        if delivery is None:
            return False
        await self.work(delivery)
        return True

    async def claim(self, *, search: bool = True) -> Delivery | None:
        """A due delivery leased to this worker, or None when none is due. With `search`
        False (the worker's loop), the outbox is searched only when due (see the module): the
        loop comes back within IDLE_POLL_SECONDS."""
        core = self._core
        now = core.now()
        lease = now + timedelta(seconds=core.settings.lease_seconds)
        searched = False
        while True:
            search_due = self._backlog or time.monotonic() - self._searched_at >= IDLE_POLL_SECONDS
            delivery_id = self._next_known(search_due and not searched)
            if delivery_id is None:
                if searched or not (search or search_due):
                    return None
                await self._search(now)
                searched = True
                continue
            taken = await core.store.take(delivery_id, core.owner, now, lease)
            if taken is not None:
                return taken

    def _next_known(self, search_first: bool) -> str | None:
        """The next id to try without a search: a candidate of the last search, else one
        written here (unless the outbox is to be searched first)."""
        if self._candidates:
            return self._candidates.popleft()
        ready = self._core.ready
        if ready and not search_first:
            delivery_id = next(iter(ready))
            del ready[delivery_id]
            return delivery_id
        return None

    async def _search(self, now: datetime) -> None:
        core = self._core
        self._searched_at = time.monotonic()
        found = await core.store.due(now, core.channels)
        self._backlog = len(found) >= CANDIDATES
        for delivery_id in found:
            core.ready.pop(delivery_id, None)  # tried here, not again
        self._candidates.extend(found)

    async def work(self, delivery: Delivery) -> None:
        try:
            if delivery.channel is Channel.IN_APP:
                await self._inbox.deliver(delivery)
                await self._attempts.delivered_in_app(delivery)
            else:
                await self._attempts.send(delivery)
        except Exception:
            # Its lease runs out and it is tried again (an unknown outcome is checked first).
            log_failure(log, "delivery_failed", delivery=delivery.id)

"""Working the outbox, step one: claim. Workers (in the hub and in `hallhub worker` processes,
on any node) claim due deliveries with a lease in MongoDB; a worker that dies lets its lease
run out and another takes over. Each claimed delivery goes to the inbox (in-app) or to an
attempt with a provider (SMS, e-mail)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hub.logs import get_logger
from notifier.models import Channel, Delivery
from notifier.service.attempt import Attempts
from notifier.service.core import Core
from notifier.service.inbox import Inbox

log = get_logger("notifier")

IDLE_POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 20.0  # a send's own timeout is 15 s


class Outbox:
    def __init__(self, core: Core, attempts: Attempts, inbox: Inbox) -> None:
        self._core = core
        self._attempts = attempts
        self._inbox = inbox

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
                    delivery = await self.claim()
                except Exception:
                    log.exception("outbox_claim_failed")
                    delivery = None
                if delivery is None:
                    slots.release()
                    waking = asyncio.create_task(wake.wait())
                    await asyncio.wait(
                        {waking, stopping},
                        timeout=IDLE_POLL_SECONDS,
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

    async def work_once(self) -> bool:
        """Claim one due delivery and take it one step further. False when none was due."""
        delivery = await self.claim()
        if delivery is None:
            return False
        await self.work(delivery)
        return True

    async def claim(self) -> Delivery | None:
        core = self._core
        now = core.now()
        lease = now + timedelta(seconds=core.settings.lease_seconds)
        return await core.store.claim(core.owner, now, lease, core.channels)

    async def work(self, delivery: Delivery) -> None:
        try:
            if delivery.channel is Channel.IN_APP:
                await self._inbox.deliver(delivery)
                await self._attempts.delivered_in_app(delivery)
            else:
                await self._attempts.send(delivery)
        except Exception:
            # Its lease runs out and it is tried again (an unknown outcome is checked first).
            log.exception("delivery_failed", delivery=delivery.id)

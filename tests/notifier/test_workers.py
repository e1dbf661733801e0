"""Crash safety of the outbox with real processes: two `hallhub worker` processes work the same
outbox; one is killed (SIGKILL) in the middle of a batch, with SMS taken by the provider but
not yet answered; it is started again. Every message reaches the provider exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import time
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from hub.events import EventBus, make_log
from hub.metrics import HubMetrics
from hub.settings import ROOT, Settings
from notifier.api import DEFAULTS, build_service
from notifier.models import Channel, Contact, DeliveryQuery, DeliveryState, QuietHours, SendIn
from notifier.service import NotifierService
from notifier.store import NotifierStore
from tests.notifier.fakes import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.support import drop_database

MESSAGES = 120
LEASE_SECONDS = 2.0


class Worker:
    """`hallhub worker` as an operator starts it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.output: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> Worker:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hub",
            "worker",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **self.env},
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        async with asyncio.timeout(60):
            while True:
                line = (await self.process.stdout.readline()).decode()
                if not line:
                    raise RuntimeError("worker did not start:\n" + "\n".join(self.output))
                self.output.append(line.rstrip())
                if line.startswith("HALLHUB_WORKER_READY"):
                    break
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.output.append(line.decode().rstrip())

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        await self._stop_reader()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(20):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self._stop_reader()

    async def _stop_reader(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


def worker_settings(twilio: FakeTwilio) -> dict[str, Any]:
    return {
        "lease_seconds": LEASE_SECONDS,
        "worker_concurrency": 4,
        "sms": [
            {
                "name": "twilio",
                "type": "twilio",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "from_number": "+15005550006",
                "base_url": twilio.url,
            }
        ],
    }


@pytest.fixture
async def outbox(mongo_url: str, twilio: FakeTwilio) -> AsyncIterator[tuple[NotifierService, str]]:
    """An outbox filled with MESSAGES SMS, each with its own text, written by the API's
    service (which sends nothing itself: no providers)."""
    db_name = f"t_{uuid.uuid4().hex[:12]}"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    store = NotifierStore(client[db_name])
    settings = Settings(notifier=worker_settings(twilio))
    bus = EventBus(make_log(settings, None), HubMetrics())
    planner = build_service(settings, store, bus)  # the hub's: it writes, never works
    try:
        await fill(planner)
        yield planner, db_name
    finally:
        await client.close()
        drop_database(mongo_url, db_name)


NEVER_QUIET = QuietHours(start=time(0, 0), end=time(0, 0))


async def fill(planner: NotifierService) -> None:
    await planner.start(DEFAULTS)
    for n in range(MESSAGES):
        # No quiet hours: the SMS go at whatever hour the test runs.
        await planner.save_contact(
            Contact(id=f"citizen:c{n}", phone=f"138{n:08d}", quiet_hours=NEVER_QUIET)
        )
        await planner.send(
            SendIn(
                kind="notice",
                recipients=[f"citizen:c{n}"],
                data={"title": "办件进度", "body": f"您的第{n}号办件已受理。"},
                channels=[Channel.SMS],
            ),
            idempotency_key=f"case-{n}",
        )


async def test_a_worker_killed_mid_batch_sends_nothing_twice(
    mongo_url: str, outbox: tuple[NotifierService, str], twilio: FakeTwilio
) -> None:
    planner, db_name = outbox
    twilio.delay = 0.05
    settings = worker_settings(twilio)
    env = {
        "HALLHUB_MONGODB_URL": mongo_url,
        "HALLHUB_MONGODB_DB": db_name,
        "HALLHUB_NOTIFIER": json.dumps(settings),
        "HALLHUB_LOG_LEVEL": "WARNING",
    }
    first, second = Worker(env), Worker(env)
    restarted: Worker | None = None
    try:
        await asyncio.gather(first.start(), second.start())
        async with asyncio.timeout(60):
            await twilio.wait_sent(MESSAGES // 3)
        await first.kill()  # requests of its in flight: taken by Twilio, never answered
        killed_at = len(twilio.sent)
        restarted = await Worker(env).start()

        async with asyncio.timeout(90):
            while True:
                pending = await planner.search(DeliveryQuery(state=DeliveryState.QUEUED, limit=1))
                if not pending:
                    break
                await asyncio.sleep(0.2)
    finally:
        for worker in (first, second, restarted):
            if worker is not None:
                await worker.stop()

    deliveries = await planner.search(DeliveryQuery(limit=MESSAGES + 10))
    assert len(deliveries) == MESSAGES
    assert {d.state for d in deliveries} == {DeliveryState.SENT}
    per_text = Counter((m.to, m.body) for m in twilio.sent)
    assert len(per_text) == MESSAGES
    twice = [text for text, n in per_text.items() if n > 1]
    assert twice == [], f"sent twice: {twice}"
    assert MESSAGES // 3 <= killed_at < MESSAGES
    # The SMS the killed worker had sent without knowing were found at the provider.
    checked = [d for d in deliveries if any("已向服务商核实" in a.detail for a in d.attempts)]
    assert checked, "the kill landed between batches: no delivery was in doubt"
    # Both first processes worked the same outbox side by side.
    pids = Counter(int(d.lease_owner.split(":")[1]) for d in deliveries)
    assert first.pid in pids
    assert second.pid in pids

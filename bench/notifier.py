"""Message-center benchmark (prints its figures; not a test).

The outbox as the hub runs it (planner and workers in one process, pinned to core 0) on the
embedded nx-27017 store, sending to real local providers in another process on core 1
(bench/_providers.py): Twilio's Messages API through twilio's own client, and an SMTP server
with STARTTLS and login through aiosmtplib.

1. Backlog: --backlog SMS and as many e-mails written to the outbox first, then worked with
   --concurrency sends at a time: messages per second per channel, start to last arrival.
2. Steady: --rate messages/s (half SMS, half e-mail) for --seconds through the API's
   `send()`: the time from the call to the message's arrival at the provider, p50/p90/p99.

    .venv/bin/python bench/notifier.py [--backlog 1000] [--rate 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._node_common import prepare_process
from bench.fanout import Child
from bench.queueing import percentile
from hub.embedded import EmbeddedMongo
from hub.events import EventBus, make_log
from hub.metrics import HubMetrics
from hub.settings import Settings
from notifier.api import DEFAULTS, build_service
from notifier.models import Channel, Contact, DeliveryQuery, DeliveryState, SendIn
from notifier.service import NotifierService
from notifier.store import NotifierStore

console = Console(stderr=True, highlight=False)
ROOT = Path(__file__).resolve().parent.parent
RECIPIENTS = 500
P99_TARGET_MS = 1000.0


def settings_for(providers: dict[str, Any], concurrency: int) -> Settings:
    return Settings(
        log_level="WARNING",
        notifier={
            "worker": False,
            "worker_concurrency": concurrency,
            "rate_limit_per_hour": 1_000_000,  # the benchmark's few recipients get many
            "sms": [
                {
                    "name": "twilio",
                    "type": "twilio",
                    "account_sid": "AC" + "0" * 32,
                    "auth_token": "test-auth-token-" + "0" * 16,
                    "from_number": "+15005550006",
                    "base_url": providers["twilio"],
                }
            ],
            "email": [
                {
                    "name": "smtp",
                    "host": "127.0.0.1",
                    "port": providers["smtp_port"],
                    "tls": "starttls",
                    "username": providers["username"],
                    "password": providers["password"],
                    "ca_file": providers["ca_file"],
                }
            ],
        },
    )


def request(n: int, channel: Channel, tag: str) -> SendIn:
    return SendIn(
        kind="notice",
        recipients=[f"citizen:b{n % RECIPIENTS}"],
        # The title carries the tag: the SMS text and the e-mail subject both show it.
        data={"title": tag, "body": "您的办件已受理，请留意后续通知。"},
        channels=[channel],
    )


async def received(control: str) -> dict[str, dict[str, float]]:
    async with aiohttp.ClientSession() as http, http.get(control + "/received") as response:
        raw = await response.json()
    sms = {body.split("】", 1)[1].split("：", 1)[0]: t for body, t in raw["sms"]}
    email = {subject: t for subject, t in raw["email"]}
    return {"sms": sms, "email": email}


async def wait_all(control: str, tags: set[str], seconds: float) -> dict[str, float]:
    deadline = time.monotonic() + seconds
    while True:
        got = await received(control)
        arrived = {**got["sms"], **got["email"]}
        if tags <= arrived.keys() or time.monotonic() > deadline:
            return {t: arrived[t] for t in tags if t in arrived}
        await asyncio.sleep(0.05)


async def backlog(
    service: NotifierService, control: str, count: int
) -> tuple[dict[str, float], int]:
    tags: dict[str, Channel] = {}
    for n in range(count):
        for channel in (Channel.SMS, Channel.EMAIL):
            tag = f"B{channel.value}{n}"
            tags[tag] = channel
            await service.send(request(n, channel, tag), idempotency_key=None)
    stop = asyncio.Event()
    started = time.time()
    workers = asyncio.create_task(service.run_workers(stop))
    arrived = await wait_all(control, set(tags), 600)
    stop.set()
    await workers
    rates = {}
    for channel in (Channel.SMS, Channel.EMAIL):
        times = [t for tag, t in arrived.items() if tags[tag] is channel]
        rates[channel.value] = len(times) / (max(times) - started) if times else 0.0
    rates["total"] = len(arrived) / (max(arrived.values()) - started)
    return rates, len(tags) - len(arrived)


async def steady(
    service: NotifierService, control: str, rate: float, seconds: float
) -> tuple[dict[str, list[float]], int]:
    stop = asyncio.Event()
    workers = asyncio.create_task(service.run_workers(stop))
    sent_at: dict[str, tuple[Channel, float]] = {}
    interval = 1.0 / rate
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        channel = Channel.SMS if n % 2 == 0 else Channel.EMAIL
        tag = f"S{channel.value}{n}"
        sent_at[tag] = (channel, time.time())
        await service.send(request(n, channel, tag), idempotency_key=None)
        n += 1
        delay = start + n * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    arrived = await wait_all(control, set(sent_at), 120)
    stop.set()
    await workers
    latencies: dict[str, list[float]] = {"sms": [], "email": [], "all": []}
    for tag, t in arrived.items():
        channel, at = sent_at[tag]
        ms = (t - at) * 1000
        latencies[channel.value].append(ms)
        latencies["all"].append(ms)
    return latencies, len(sent_at) - len(arrived)


async def run(args: argparse.Namespace, providers: dict[str, Any]) -> int:
    work = Path(tempfile.mkdtemp(prefix="hallhub-bench-notifier-"))
    mongo = EmbeddedMongo(work)
    url = await mongo.start()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    settings = settings_for(providers, args.concurrency)
    bus = EventBus(make_log(settings, None), HubMetrics())
    service = build_service(settings, NotifierStore(client["bench"]), bus)
    await service.start(DEFAULTS)
    for n in range(RECIPIENTS):
        await service.save_contact(
            Contact(id=f"citizen:b{n}", phone=f"138{n:08d}", email=f"b{n}@example.cn")
        )
    try:
        console.print(f"backlog: {args.backlog} SMS + {args.backlog} e-mails …")
        rates, missing_backlog = await backlog(service, providers["control"], args.backlog)
        console.print(f"steady: {args.rate}/s for {args.seconds:.0f} s …")
        latencies, missing_steady = await steady(
            service, providers["control"], args.rate, args.seconds
        )
        leftover = await service.search(DeliveryQuery(state=DeliveryState.QUEUED, limit=10))
    finally:
        await service.close()
        await client.close()
        await mongo.stop()
        shutil.rmtree(work, ignore_errors=True)

    table = Table(title=f"Outbox throughput ({args.concurrency} sends at a time)")
    table.add_column("channel")
    table.add_column("messages/s", justify="right")
    for name, value in rates.items():
        table.add_row(name, f"{value:.0f}")
    Console().print(table)
    table = Table(title=f"Enqueue to provider at {args.rate}/s (ms)")
    for col in ("channel", "n", "p50", "p90", "p99", "max"):
        table.add_column(col, justify="right")
    for name, values in latencies.items():
        table.add_row(
            name,
            str(len(values)),
            *(f"{percentile(values, p):.1f}" for p in (50, 90, 99)),
            f"{max(values):.1f}",
        )
    Console().print(table)
    p99 = percentile(latencies["all"], 99)
    verdict = "PASS" if p99 <= P99_TARGET_MS else "FAIL"
    print(f"enqueue-to-provider p99 {p99:.1f} ms (target <= {P99_TARGET_MS:.0f}): {verdict}")
    lost = missing_backlog + missing_steady + len(leftover)
    print(f"messages not arrived: {lost}")
    return 0 if lost == 0 and verdict == "PASS" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    env = {**os.environ, "BENCH_PARENT_PID": str(os.getpid())}
    log = Path(tempfile.mkdtemp(prefix="hallhub-bench-")) / "providers.log"
    child = Child(
        "providers", [sys.executable, str(ROOT / "bench" / "_providers.py"), "1"], env, log
    )
    try:
        line = child.expect("PROVIDERS_READY ", 60)
        providers = json.loads(line.split(" ", 1)[1])
        prepare_process(0)
        return uvloop.run(run(args, providers))
    finally:
        child.stop()


if __name__ == "__main__":
    sys.exit(main())

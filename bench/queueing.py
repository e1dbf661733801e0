"""Queueing benchmark (prints its figures; not a test).

Starts the real hub (bench/_hub_node.py: the app on the embedded nx-27017 store, pinned to core
0) and, from this process on core 1, measures:

1. take-ticket latency at a steady 100 tickets/s from 100 concurrent takers (kiosks spread
   over 10 halls), then the most tickets/s the same 100 takers get back to back;
2. call-to-display latency: 50 halls, 4 display screens each subscribed to their hall; a clerk
   per hall presses "call next" (then "finish") in turn; the time from sending the command to
   each display receiving its `queueing.ticket_called`.

Targets: take-ticket p99 <= 30 ms at 100 tickets/s; call-to-display p99 <= 10 ms for a hall
room (from the call's event being published to every display of the hall receiving it). The
whole path from the clerk's key to the displays is reported too: it adds the call's own store
reads and writes.

    .venv/bin/python bench/queueing.py [--seconds 20] [--halls 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._sio import MiniSocket
from bench.fanout import against_hub_node
from hub.auth.models import Role
from hub.auth.tokens import TokenIssuer

console = Console(stderr=True, highlight=False)

TAKE_P99_TARGET_MS = 30.0
CALL_P99_TARGET_MS = 10.0
TAKE_HALLS = 10


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def hall_setup(hall_id: str) -> dict[str, Any]:
    services = [
        {
            "id": f"s{i}",
            "hall_id": hall_id,
            "name": name,
            "prefix": prefix,
            "last_number": 9999,
            "expected_minutes": 8,
        }
        for i, (name, prefix) in enumerate((("户籍", "A"), ("社保", "B"), ("公积金", "C")))
    ]
    counters = [
        {
            "id": f"{hall_id}-w{n}",
            "hall_id": hall_id,
            "number": n,
            "name": f"{n}号窗口",
            "services": [{"service_id": s["id"]} for s in services],
        }
        for n in range(1, 5)
    ]
    return {
        "hall": {"id": hall_id, "name": f"测试大厅{hall_id}"},
        "services": services,
        "counters": counters,
    }


@dataclass
class Figures:
    take_ms: list[float] = field(default_factory=list)
    take_errors: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    take_sent: int = 0
    take_seconds: float = 0.0
    burst_ms: list[float] = field(default_factory=list)
    burst_seconds: float = 0.0
    call_ms: list[float] = field(default_factory=list)
    call_last_ms: list[float] = field(default_factory=list)
    fanout_ms: list[float] = field(default_factory=list)
    calls: int = 0
    call_errors: int = 0


async def take_phase(
    http: aiohttp.ClientSession, url: str, issuer: TokenIssuer, seconds: float, figures: Figures
) -> None:
    takers = []
    for i in range(100):
        hall = f"b{i % TAKE_HALLS}"
        token, _ = issuer.issue(f"kiosk-{i}", Role.DISPLAY, hall=hall)
        takers.append((hall, await MiniSocket.connect(http, url, token)))

    async def take(hall: str, sock: MiniSocket, into: list[float]) -> None:
        started = time.perf_counter()
        answer = await sock.call(
            "queueing.take_ticket",
            {"hall_id": hall, "service_id": f"s{random.randrange(3)}", "channel": "kiosk"},
        )
        if answer.get("ok"):
            into.append((time.perf_counter() - started) * 1000)
        else:
            figures.take_errors += 1
            figures.errors[answer["error"]["code"]] = answer["error"]["message"]

    async def steady(hall: str, sock: MiniSocket) -> None:
        # Each taker takes one ticket a second, at its own phase: 100 tickets/s in all.
        await asyncio.sleep(random.random())
        pending = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            figures.take_sent += 1
            pending.append(asyncio.create_task(take(hall, sock, figures.take_ms)))
            await asyncio.sleep(1.0)
        await asyncio.gather(*pending)

    started = time.monotonic()
    await asyncio.gather(*(steady(h, s) for h, s in takers))
    figures.take_seconds = time.monotonic() - started

    async def back_to_back(hall: str, sock: MiniSocket, until: float) -> None:
        while time.monotonic() < until:
            await take(hall, sock, figures.burst_ms)

    started = time.monotonic()
    until = started + min(seconds, 10)
    await asyncio.gather(*(back_to_back(h, s, until) for h, s in takers))
    figures.burst_seconds = time.monotonic() - started
    for _, sock in takers:
        await sock.close()


async def call_phase(
    http: aiohttp.ClientSession,
    url: str,
    issuer: TokenIssuer,
    halls: int,
    displays: int,
    seconds: float,
    figures: Figures,
) -> None:
    arrivals: dict[tuple[str, str], list[float]] = {}

    def on_event(hall: str) -> Any:
        def record(envelope: dict[str, Any], received: float) -> None:
            if envelope["type"] == "queueing.ticket_called":
                arrivals.setdefault((hall, envelope["data"]["ticket_id"]), []).append(received)
                # The envelope's ts is when the hub published it (ms): the room's fan-out.
                published = datetime.fromisoformat(envelope["ts"]).timestamp()
                figures.fanout_ms.append((received - published) * 1000)

        return record

    screens = []
    for h in range(halls):
        hall = f"b{h}"
        token, _ = issuer.issue(f"display-{hall}", Role.DISPLAY, hall=hall)
        for _ in range(displays):
            sock = await MiniSocket.connect(http, url, token, on_event(hall))
            answer = await sock.call("subscribe", {"topic": f"hall:{hall}"})
            assert answer["ok"], answer
            screens.append(sock)
    clerks = []
    for h in range(halls):
        hall = f"b{h}"
        token, _ = issuer.issue(f"clerk-{hall}", Role.STAFF, hall=hall, name="测试")
        sock = await MiniSocket.connect(http, url, token)
        counter = f"{hall}-w1"
        answer = await sock.call("queueing.open_counter", {"counter_id": counter})
        assert answer["ok"], answer
        for _ in range(20 if h >= TAKE_HALLS else 0):
            await sock.call(
                "queueing.take_ticket", {"hall_id": hall, "service_id": "s0", "channel": "staff"}
            )
        clerks.append((hall, counter, sock))

    async def clerk(hall: str, counter: str, sock: MiniSocket, until: float) -> None:
        await asyncio.sleep(random.random())
        while time.monotonic() < until:
            sent = time.time()
            answer = await sock.call("queueing.call_next", {"counter_id": counter})
            if not answer.get("ok"):
                figures.call_errors += 1
                figures.errors[answer["error"]["code"]] = answer["error"]["message"]
                await asyncio.sleep(0.5)
                continue
            figures.calls += 1
            ticket_id = answer["data"]["ticket_id"]
            await asyncio.sleep(0.3)  # the displays have it long before this
            got = arrivals.pop((hall, ticket_id), [])
            figures.call_ms += [(t - sent) * 1000 for t in got]
            if len(got) == displays:
                figures.call_last_ms.append((max(got) - sent) * 1000)
            else:
                figures.call_errors += 1
            await sock.call("queueing.finish", {"counter_id": counter})
            await asyncio.sleep(0.7)

    until = time.monotonic() + seconds
    await asyncio.gather(*(clerk(h, c, s, until) for h, c, s in clerks))
    for sock in screens + [s for _, _, s in clerks]:
        await sock.close()


async def run(url: str, secret: str, args: argparse.Namespace) -> Figures:
    issuer = TokenIssuer(secret, 3600)
    admin, _ = issuer.issue("bench-admin", Role.ADMIN)
    figures = Figures()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        for h in range(max(args.halls, TAKE_HALLS)):
            async with http.put(
                f"{url}/api/v1/halls/b{h}/setup",
                json=hall_setup(f"b{h}"),
                headers={"Authorization": f"Bearer {admin}"},
            ) as response:
                if response.status != 200:
                    raise SystemExit(f"setup failed: {await response.text()}")
        console.print(f"taking tickets for {args.seconds:.0f} s at 100/s, then back to back…")
        await take_phase(http, url, issuer, args.seconds, figures)
        console.print(f"calling in {args.halls} halls, {args.displays} displays each…")
        await call_phase(http, url, issuer, args.halls, args.displays, args.seconds, figures)
    return figures


def report(figures: Figures, args: argparse.Namespace) -> None:
    table = Table(title="HallHub queueing (hub + embedded store on core 0, clients on core 1)")
    for column in ("measure", "count", "rate /s", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right" if column != "measure" else "left")

    def row(name: str, values: list[float], seconds: float | None) -> None:
        rate = f"{len(values) / seconds:,.0f}" if seconds else ""
        table.add_row(
            name,
            f"{len(values):,}",
            rate,
            *(f"{percentile(values, p):.1f}" for p in (50, 90, 99)),
            f"{max(values) if values else float('nan'):.1f}",
        )

    row("take_ticket, steady 100/s", figures.take_ms, figures.take_seconds)
    row("take_ticket, 100 back to back", figures.burst_ms, figures.burst_seconds)
    row(f"call -> display ({args.displays} per hall)", figures.call_ms, None)
    row("call -> last display of the hall", figures.call_last_ms, None)
    row("published -> display (hall room)", figures.fanout_ms, None)
    console.print(table)
    console.print(
        f"take errors: {figures.take_errors}; calls: {figures.calls}, "
        f"incomplete or failed: {figures.call_errors}"
    )
    for code, message in figures.errors.items():
        console.print(f"  error {code}: {message}")
    targets = Table(title="Targets")
    for column in ("target", "measured", "result"):
        targets.add_column(column)
    take_p99 = percentile(figures.take_ms, 99)
    call_p99 = percentile(figures.call_ms, 99)
    targets.add_row(
        "take_ticket p99 <= 30 ms at 100/s",
        f"{take_p99:.1f} ms",
        "PASS" if take_p99 <= TAKE_P99_TARGET_MS else "FAIL",
    )
    fanout_p99 = percentile(figures.fanout_ms, 99)
    targets.add_row(
        "call published -> hall room displays p99 <= 10 ms",
        f"{fanout_p99:.1f} ms",
        "PASS" if fanout_p99 <= CALL_P99_TARGET_MS else "FAIL",
    )
    targets.add_row("(reported) F1 sent -> displays p99", f"{call_p99:.1f} ms", "")
    console.print(targets)
    burst_rate = len(figures.burst_ms) / max(figures.burst_seconds, 1e-9)
    print(
        f"take_steady_p50_ms={percentile(figures.take_ms, 50):.1f} take_steady_p99_ms="
        f"{take_p99:.1f} take_burst_per_s={burst_rate:.0f} "
        f"take_burst_p99_ms={percentile(figures.burst_ms, 99):.1f} call_to_display_p50_ms="
        f"{percentile(figures.call_ms, 50):.1f} call_to_display_p99_ms={call_p99:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--halls", type=int, default=50)
    parser.add_argument("--displays", type=int, default=4)
    args = parser.parse_args()
    figures = against_hub_node("queueing", lambda url, secret: run(url, secret, args))
    report(figures, args)


if __name__ == "__main__":
    main()

"""N raw WebSocket clients for bench/fanout.py, speaking minimal Engine.IO v4 / Socket.IO v5.

    python -m bench._clients --port P --clients N --server-pid PID [...]   (token in BENCH_TOKEN)

Runs on core 1 with uvloop and talks to its parent with JSON lines on stdout; it waits for a
line on stdin before each step so the parent can read the server's memory in between:

1. one warm-up client connects, subscribes, receives an event and leaves -> {"phase": "warm"}
2. N clients connect (in batches) and subscribe to hall:bench     -> {"phase": "subscribed"}
3. burst (events back to back) and paced series (events M ms apart) -> {"phase": "result"}

Receipts are stamped with time.time() and kept raw while a phase runs; they are parsed and
checked (run tag, one copy of each event per client, seq order) once it has ended.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from bench._node_common import TOPIC, prepare_process

SUBSCRIBE = "420" + json.dumps(["subscribe", {"topic": TOPIC}], separators=(",", ":"))
_CLOSED = (
    aiohttp.WSMsgType.CLOSE,
    aiohttp.WSMsgType.CLOSING,
    aiohttp.WSMsgType.CLOSED,
    aiohttp.WSMsgType.ERROR,
)


class HandshakeError(Exception):
    pass


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


async def wait_for_parent() -> None:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:  # the parent went away
        raise SystemExit(1)


_TICK = os.sysconf("SC_CLK_TCK")


def host_cpu_seconds() -> tuple[float, float]:
    """(task time, softirq time) the whole host has used on all cores, from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + steal) / _TICK, softirq / _TICK


def server_cpu_seconds(pid: int) -> float:
    """CPU time of every thread of the server, from schedstat (nanoseconds)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


async def recv_text(ws: aiohttp.ClientWebSocketResponse) -> str:
    """The next Engine.IO packet, answering pings on the way."""
    while True:
        msg = await ws.receive()
        if msg.type is aiohttp.WSMsgType.TEXT:
            data: str = msg.data
            if data == "2":
                await ws.send_str("3")
                continue
            return data
        if msg.type in _CLOSED:
            raise HandshakeError(f"socket closed during handshake ({msg.type.name})")


@dataclass
class PhaseStats:
    run: str
    events: int
    clients: int
    expected: int
    delivered: int = 0
    duplicates: int = 0
    strays: int = 0
    out_of_order: int = 0
    complete_clients: int = 0
    first_t0: float = 0.0
    last_receipt: float = 0.0
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    host_cpu: float = 0.0
    softirq_cpu: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    # Per event: when its last copy arrived, minus its t0 (one event to all N clients).
    event_last_ms: dict[int, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        span = self.last_receipt - self.first_t0 if self.delivered else 0.0

        def pct(p: float) -> float:
            if not lat:
                return float("nan")
            return lat[min(len(lat) - 1, int(p * len(lat)))]

        return {
            "run": self.run,
            "events": self.events,
            "clients": self.clients,
            "expected": self.expected,
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "strays": self.strays,
            "out_of_order": self.out_of_order,
            "complete_clients": self.complete_clients,
            "span_s": span,
            "deliveries_per_s": self.delivered / span if span > 0 else 0.0,
            "wall_s": self.wall,
            # CPU time over the phase's wall time: 1.0 is one core fully busy.
            "server_busy": self.server_cpu / self.wall if self.wall > 0 else 0.0,
            "client_busy": self.client_cpu / self.wall if self.wall > 0 else 0.0,
            # Softirq time (the loopback network stack, not charged to any process) and
            # what the host's other processes used meanwhile (noise), both in cores.
            "softirq_busy": self.softirq_cpu / self.wall if self.wall > 0 else 0.0,
            "other_busy": max(0.0, self.host_cpu - self.server_cpu - self.client_cpu) / self.wall
            if self.wall > 0
            else 0.0,
            "cpu_us_per_delivery": (self.server_cpu / self.delivered * 1e6)
            if self.delivered
            else 0,
            "server_cpu_s": self.server_cpu,
            "client_cpu_s": self.client_cpu,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": lat[-1] if lat else float("nan"),
            "all_clients_median_ms": statistics.median(self.event_last_ms.values())
            if self.event_last_ms
            else float("nan"),
        }


class Fleet:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        port: int,
        token: str,
        server_pid: int,
        deflate: bool = False,
    ) -> None:
        # Browsers offer permessage-deflate; aiohttp's ws_connect does not unless asked.
        self.compress = 15 if deflate else 0
        self.session = session
        self.ws_url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
        self.http = f"http://127.0.0.1:{port}"
        self.connect_packet = "40" + json.dumps({"token": token}, separators=(",", ":"))
        self.server_pid = server_pid
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task[None]] = []
        self.lost = 0
        self.closing = False
        self.receipts: list[tuple[float, int, str]] = []
        self.expected = 0
        self.done = asyncio.Event()

    async def handshake(self) -> aiohttp.ClientWebSocketResponse:
        ws = await self.session.ws_connect(self.ws_url, autoping=True, compress=self.compress)
        try:
            opened = await recv_text(ws)
            if not opened.startswith("0{"):
                raise HandshakeError(f"expected an open packet, got {opened[:60]!r}")
            await ws.send_str(self.connect_packet)
            reply = await recv_text(ws)
            if not reply.startswith("40"):
                raise HandshakeError(f"connect refused: {reply[:200]!r}")
            await ws.send_str(SUBSCRIBE)
            while True:
                ack = await recv_text(ws)
                if ack.startswith("430"):
                    break
            answer = json.loads(ack[3:])
            if not (isinstance(answer, list) and answer and answer[0].get("ok") is True):
                raise HandshakeError(f"subscribe refused: {ack[:200]!r}")
        except BaseException:
            await ws.close()
            raise
        return ws

    async def connect_one(self, attempts: int = 3) -> aiohttp.ClientWebSocketResponse | None:
        for attempt in range(attempts):
            try:
                async with asyncio.timeout(20):
                    return await self.handshake()
            except (TimeoutError, aiohttp.ClientError, OSError, HandshakeError) as exc:
                if attempt + 1 == attempts:
                    print(f"client gave up: {type(exc).__name__}: {exc}", file=sys.stderr)
                await asyncio.sleep(0.2 * (attempt + 1))
        return None

    async def connect(self, count: int, batch: int) -> int:
        failed = 0
        for start in range(0, count, batch):
            size = min(batch, count - start)
            results = await asyncio.gather(*(self.connect_one() for _ in range(size)))
            for ws in results:
                if ws is None:
                    failed += 1
                    continue
                self.readers.append(asyncio.create_task(self.read(len(self.sockets), ws)))
                self.sockets.append(ws)
        return failed

    async def read(self, idx: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data: str = msg.data
            if data.startswith("42"):
                receipts = self.receipts
                receipts.append((time.time(), idx, data))
                if len(receipts) >= self.expected:
                    self.done.set()
            elif data == "2":
                await ws.send_str("3")
            elif data.startswith("41") or data == "1":
                break
        if not self.closing:
            self.lost += 1
            print(f"client {idx} lost its connection", file=sys.stderr)

    async def phase(self, run: str, events: int, interval_ms: int, stall_s: float) -> PhaseStats:
        live = len(self.sockets)
        stats = PhaseStats(run=run, events=events, clients=live, expected=events * live)
        self.receipts = []
        self.expected = stats.expected
        self.done = asyncio.Event()
        cpu0 = server_cpu_seconds(self.server_pid)
        mine0 = time.process_time()
        host0, softirq0 = host_cpu_seconds()
        wall0 = time.time()
        url = f"{self.http}/bench/publish?count={events}&interval_ms={interval_ms}&run={run}"
        async with self.session.post(url) as resp:
            resp.raise_for_status()
            answer = await resp.json()
        stats.first_t0 = float(answer["first_t0"])
        seen = -1
        while not self.done.is_set() and len(self.receipts) != seen:
            seen = len(self.receipts)
            try:
                async with asyncio.timeout(stall_s):
                    await self.done.wait()
            except TimeoutError:
                pass  # no receipt for stall_s: the rest are not coming
        stats.server_cpu = server_cpu_seconds(self.server_pid) - cpu0
        stats.client_cpu = time.process_time() - mine0
        host1, softirq1 = host_cpu_seconds()
        stats.host_cpu = host1 - host0
        stats.softirq_cpu = softirq1 - softirq0
        stats.wall = time.time() - wall0
        self.check(stats, list(self.receipts))
        return stats

    def check(self, stats: PhaseStats, receipts: list[tuple[float, int, str]]) -> None:
        seen: list[set[int]] = [set() for _ in self.sockets]
        last_seq = [0] * len(self.sockets)
        for received, idx, raw in receipts:
            name, envelope = json.loads(raw[2:])
            data = envelope["data"] if name == "event" else {}
            if data.get("run") != stats.run:
                stats.strays += 1
                continue
            if data["i"] in seen[idx]:
                stats.duplicates += 1
                continue
            seen[idx].add(data["i"])
            if envelope["seq"] <= last_seq[idx]:
                stats.out_of_order += 1
            last_seq[idx] = envelope["seq"]
            stats.delivered += 1
            stats.last_receipt = max(stats.last_receipt, received)
            latency = (received - data["t0"]) * 1000
            stats.latencies_ms.append(latency)
            if latency > stats.event_last_ms.get(data["i"], -1.0):
                stats.event_last_ms[data["i"]] = latency
        stats.complete_clients = sum(1 for s in seen if len(s) == stats.events)

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


async def run(args: argparse.Namespace) -> None:
    token = os.environ["BENCH_TOKEN"]
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        # 1. Warm the server's connect, subscribe and publish paths with one client.
        warm = Fleet(session, args.port, token, args.server_pid, args.deflate)
        if await warm.connect(1, 1):
            raise SystemExit("the warm-up client could not connect")
        await warm.phase("warm", 1, 0, stall_s=5)
        await warm.close()
        emit({"phase": "warm"})
        await wait_for_parent()

        # 2. N idle subscribers.
        fleet = Fleet(session, args.port, token, args.server_pid, args.deflate)
        started = time.monotonic()
        failed = await fleet.connect(args.clients, args.batch)
        emit(
            {
                "phase": "subscribed",
                "connected": len(fleet.sockets),
                "failed": failed,
                "seconds": time.monotonic() - started,
            }
        )
        # The clients are the instrument: keep their collector out of the measured phases.
        gc.collect()
        gc.freeze()
        gc.disable()
        await wait_for_parent()

        # 3. Throughput, then latency.
        prime = await fleet.phase("prime", 1, 0, stall_s=5)
        bursts = []
        for n in range(args.repeat):
            await asyncio.sleep(0.3)
            bursts.append(await fleet.phase(f"burst{n}", args.burst, 0, stall_s=5))
        await asyncio.sleep(0.3)
        paced = await fleet.phase("paced", args.paced, args.interval_ms, stall_s=5)
        emit(
            {
                "phase": "result",
                "connected": len(fleet.sockets),
                "failed": failed,
                "lost": fleet.lost,
                "prime": prime.summary(),
                "bursts": [b.summary() for b in bursts],
                "paced": paced.summary(),
            }
        )
        gc.enable()
        await fleet.close()
        emit({"phase": "closed"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    parser.add_argument("--paced", type=int, default=30)
    parser.add_argument("--interval-ms", type=int, default=100)
    args = parser.parse_args()
    prepare_process(core=1)
    uvloop.run(run(args))


if __name__ == "__main__":
    main()

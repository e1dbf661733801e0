"""Video customer service benchmark (prints its figures; not a test).

Starts the real hub (bench/_hub_node.py on core 0, embedded store, recording off: this
measures signaling) and, from this process on core 1:

1. Signaling round trip: --calls calls in progress at once (an agent and a citizen each, both
   connected over Socket.IO and subscribed to their session); every citizen sends ICE
   candidates to its agent through the hub (`rtc.signal` → `rtc.signal_sent` on
   `rtc:<session>`), --rate in total per second for --seconds. Figures: from the citizen's send
   to the agent's receipt (one way through the hub), and the command's ack.
2. Time to connect: for each of --parallel (e.g. 1,10,25) calls placed at once, from the
   citizen's request to both real WebRTC peers (aiortc, data channel only) connected: the
   queue, routing, the offer to the agent, its accept, SDP offer and answer through the hub,
   ICE and DTLS.

    .venv/bin/python bench/rtc.py [--calls 50] [--rate 500] [--seconds 15] [--parallel 1,10,25]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._sio import MiniSocket
from bench.fanout import against_hub_node
from bench.queueing import percentile
from hub.auth.models import Role
from hub.auth.tokens import TokenIssuer

console = Console(stderr=True, highlight=False)
RTT_P99_TARGET_MS = 50.0


@dataclass
class Party:
    socket: MiniSocket
    inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)


@dataclass
class Pair:
    session_id: str
    agent: Party
    citizen: Party


async def party(
    http: aiohttp.ClientSession, url: str, token: str, sink: dict[str, asyncio.Queue[Any]], key: str
) -> Party:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sink[key] = inbox

    def on_event(envelope: dict[str, Any], received: float) -> None:
        envelope["_received"] = received
        inbox.put_nowait(envelope)

    socket = await MiniSocket.connect(http, url, token, on_event)
    return Party(socket, inbox)


async def expect(p: Party, type: str, seconds: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        while True:
            event = await p.inbox.get()
            if event["type"] == type:
                return event


async def ok(p: Party, command: str, payload: dict[str, Any]) -> Any:
    answer = await p.socket.call(command, payload)
    if not answer.get("ok"):
        raise RuntimeError(f"{command}: {answer}")
    return answer["data"]


async def place_calls(
    http: aiohttp.ClientSession, url: str, issuer: TokenIssuer, count: int, tag: str
) -> list[Pair]:
    """`count` agents available and `count` citizens asking at once; each agent accepts the
    call it is offered; both join the session's topic."""
    sink: dict[str, asyncio.Queue[Any]] = {}
    agents = []
    for i in range(count):
        token, _ = issuer.issue(f"{tag}-a{i}", Role.AGENT, name=f"坐席{i}")
        a = await party(http, url, token, sink, f"a{i}")
        await ok(a, "rtc.agent_hello", {})
        await ok(a, "subscribe", {"topic": f"agent:{tag}-a{i}"})
        await ok(a, "rtc.set_skills", {"skills": ["zonghe"]})
        await ok(a, "rtc.set_status", {"status": "available"})
        agents.append(a)
    citizens = []
    for i in range(count):
        token, _ = issuer.issue(f"{tag}-c{i}", Role.CITIZEN, name="市民")
        citizens.append(await party(http, url, token, sink, f"c{i}"))
    sessions = await asyncio.gather(*(ok(c, "rtc.request", {"topic": "zonghe"}) for c in citizens))
    by_session = {s["id"]: c for s, c in zip(sessions, citizens, strict=True)}
    pairs = []
    for a in agents:
        offer = await expect(a, "rtc.call_offered", 60)
        session_id = offer["data"]["session"]["id"]
        await ok(a, "rtc.accept", {"session_id": session_id})
        c = by_session[session_id]
        for p in (a, c):
            await ok(p, "subscribe", {"topic": f"rtc:{session_id}"})
        pairs.append(Pair(session_id, a, c))
    return pairs


async def signaling(
    pairs: list[Pair], rate: float, seconds: float
) -> tuple[list[float], list[float], int]:
    one_way: list[float] = []
    acks: list[float] = []
    sent_at: dict[str, float] = {}

    async def drain(p: Pair, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with asyncio.timeout(0.2):
                    event = await p.agent.inbox.get()
            except TimeoutError:
                continue
            if event["type"] != "rtc.signal_sent":
                continue
            mark = (event["data"].get("candidate") or {}).get("sdpMid", "")
            if mark in sent_at:
                one_way.append((event["_received"] - sent_at.pop(mark)) * 1000)

    stop = asyncio.Event()
    drains = [asyncio.create_task(drain(p, stop)) for p in pairs]
    interval = 1 / rate
    start = time.monotonic()
    n = 0
    pending: set[asyncio.Task[None]] = set()

    async def send(p: Pair, mark: str) -> None:
        t0 = time.time()
        sent_at[mark] = t0
        await ok(
            p.citizen,
            "rtc.signal",
            {
                "session_id": p.session_id,
                "link": "call",
                "kind": "candidate",
                "candidate": {
                    "candidate": "candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host",
                    "sdpMid": mark,
                    "sdpMLineIndex": 0,
                },
            },
        )
        acks.append((time.time() - t0) * 1000)

    while time.monotonic() - start < seconds:
        p = pairs[n % len(pairs)]
        task = asyncio.create_task(send(p, f"m{n}"))
        pending.add(task)
        task.add_done_callback(pending.discard)
        n += 1
        delay = start + n * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(*drains)
    return one_way, acks, n


async def connect_calls(
    http: aiohttp.ClientSession, url: str, issuer: TokenIssuer, count: int, tag: str
) -> list[float]:
    """Seconds from the citizens' requests to both peers connected, per call."""
    from aiortc import RTCPeerConnection, RTCSessionDescription

    started = time.monotonic()
    pairs = await place_calls(http, url, issuer, count, tag)
    times: list[float] = []

    async def one(p: Pair) -> None:
        caller, callee = RTCPeerConnection(), RTCPeerConnection()
        opened = asyncio.Event()
        channel = caller.createDataChannel("chat")
        channel.add_listener("open", opened.set)
        try:
            await caller.setLocalDescription(await caller.createOffer())
            await ok(
                p.agent,
                "rtc.signal",
                {
                    "session_id": p.session_id,
                    "link": "call",
                    "kind": "offer",
                    "sdp": caller.localDescription.sdp,
                },
            )
            offer = await _signal(p.citizen, "agent", "offer")
            await callee.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            await callee.setLocalDescription(await callee.createAnswer())
            await ok(
                p.citizen,
                "rtc.signal",
                {
                    "session_id": p.session_id,
                    "link": "call",
                    "kind": "answer",
                    "sdp": callee.localDescription.sdp,
                },
            )
            answer = await _signal(p.agent, "citizen", "answer")
            await caller.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            async with asyncio.timeout(30):
                await opened.wait()
            times.append(time.monotonic() - started)
        finally:
            await caller.close()
            await callee.close()
            await ok(p.agent, "rtc.hang_up", {"session_id": p.session_id})
            await ok(p.agent, "rtc.wrap_up", {"session_id": p.session_id, "notes": ""})
            await ok(p.agent, "rtc.set_status", {"status": "away"})

    await asyncio.gather(*(one(p) for p in pairs))
    for p in pairs:
        await p.agent.socket.close()
        await p.citizen.socket.close()
    return times


async def _signal(p: Party, sender: str, kind: str) -> str:
    while True:
        event = await expect(p, "rtc.signal_sent")
        data = event["data"]
        if data["from"] == sender and data["kind"] == kind:
            return str(data["sdp"])


async def run(url: str, secret: str, args: argparse.Namespace) -> dict[str, Any]:
    issuer = TokenIssuer(secret, 3600)
    figures: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:
        console.print(f"placing {args.calls} calls …")
        pairs = await place_calls(http, url, issuer, args.calls, "rtt")
        console.print(f"signaling {args.rate:.0f}/s for {args.seconds:.0f} s …")
        one_way, acks, sent = await signaling(pairs, args.rate, args.seconds)
        figures["one_way"], figures["acks"], figures["sent"] = one_way, acks, sent
        for p in pairs:
            await ok(p.agent, "rtc.hang_up", {"session_id": p.session_id})
            await ok(p.agent, "rtc.wrap_up", {"session_id": p.session_id, "notes": ""})
            await ok(p.agent, "rtc.set_status", {"status": "away"})
            await p.agent.socket.close()
            await p.citizen.socket.close()
        figures["connect"] = {}
        for n in args.parallel:
            console.print(f"{n} calls placed at once, to connected …")
            figures["connect"][n] = await connect_calls(http, url, issuer, n, f"ttc{n}")
    return figures


def report(figures: dict[str, Any], args: argparse.Namespace) -> None:
    table = Table(title=f"Signaling through the hub: {args.calls} calls, {args.rate:.0f} msgs/s")
    for col in ("", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="right")
    for name, values in (("citizen → agent", figures["one_way"]), ("ack", figures["acks"])):
        table.add_row(
            name,
            str(len(values)),
            *(f"{percentile(values, p):.1f}" for p in (50, 90, 99)),
            f"{max(values):.1f}",
        )
    Console().print(table)
    table = Table(title="Time to connect (request → both peers connected, aiortc)")
    for col in ("calls at once", "p50 s", "p90 s", "max s"):
        table.add_column(col, justify="right")
    for n, times in figures["connect"].items():
        table.add_row(
            str(n), *(f"{percentile(times, p):.2f}" for p in (50, 90)), f"{max(times):.2f}"
        )
    Console().print(table)
    p99 = percentile(figures["one_way"], 99)
    lost = figures["sent"] - len(figures["one_way"])
    verdict = "PASS" if p99 <= RTT_P99_TARGET_MS and lost == 0 else "FAIL"
    print(
        f"signaling one-way p99 {p99:.1f} ms (target <= {RTT_P99_TARGET_MS:.0f}), "
        f"lost {lost}: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument(
        "--parallel", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 25]
    )
    args = parser.parse_args()
    figures = against_hub_node(
        "rtc", lambda url, secret: run(url, secret, args), {"HALLHUB_RTC__RECORD": "false"}
    )
    report(figures, args)


if __name__ == "__main__":
    main()

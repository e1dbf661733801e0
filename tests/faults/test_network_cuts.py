"""Networks between clients and the hub fail: a thousand connections reset during a hall's
calls, and a link that goes silent (half-open) both ways."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.driver import Backoff, Follower
from tests.faults.harness import Cluster, Node, hall_cluster, hall_setup, until
from tests.faults.proxy import FaultProxy
from tests.faults.scenario import build, describe
from tests.faults.truth import faults, total

pytestmark = pytest.mark.faults

CLIENTS = 200
RECONNECTS = 1000


async def test_a_thousand_reconnects_miss_and_repeat_no_call() -> None:
    halls = [hall_setup(f"h{i}", services=3, counters=3) for i in range(1, 5)]
    async with hall_cluster(halls=halls) as cluster:
        proxy = await cluster.proxy()
        # 4 halls x (30 displays + 20 phones) = 200 clients behind the proxy; clerks and kiosks
        # reach nginx directly (their commands are another test's subject).
        crowd = build(
            cluster,
            displays_per_hall=30,
            phones_per_hall=20,
            screens_url=proxy.url,
            backoff=Backoff(0.3, 5.0),
            message_center=False,
        )
        assert len(crowd.screens) == CLIENTS
        stop = asyncio.Event()
        try:
            await crowd.start(seconds=120)
            await crowd.fill(20, stop)
            await crowd.take(crowd.phones, stop)
            busy = asyncio.create_task(crowd.busy(stop))
            cutting = time.monotonic()
            forced = await _cut_until(proxy, crowd.screens, RECONNECTS)
            cutting = time.monotonic() - cutting
            stop.set()
            await busy
            logs, counted = await crowd.judge(cluster.url, cluster.http, seconds=60)
        finally:
            await crowd.close()

        calls = sum(
            1 for log in logs.values() for e in log.events if e["type"] == "queueing.ticket_called"
        )
        print(
            f"cuts: {proxy.cuts} resets, {forced} reconnects in {cutting:.1f} s, {calls} calls;"
            f" {total(counted.values())}"
        )
        assert forced >= RECONNECTS
        assert faults(counted) == {}, describe(counted)
        whole = total(counted.values())
        assert (whole.resyncs, whole.covered) == (0, 0), describe(counted)
        assert calls >= 100, calls  # the reconnects happened during a hall's calls


async def _cut_until(proxy: FaultProxy, clients: list[Follower], reconnects: int) -> int:
    """Reset random connections until the clients have reconnected `reconnects` times."""
    before = sum(len(c.connects) for c in clients)
    deadline = time.monotonic() + 120
    while (done := sum(len(c.connects) for c in clients) - before) < reconnects:
        assert time.monotonic() < deadline, f"only {done} reconnects"
        proxy.cut(12)
        await asyncio.sleep(0.1)
    return done


PING = {"HALLHUB_PING_INTERVAL": "1", "HALLHUB_PING_TIMEOUT": "1"}
# The pinger checks pongs once per interval: a ping unanswered for longer than the timeout is
# seen at the next tick after it, one interval late at worst.
DROP_BOUND = 1.0 + 1.0 + 1.0 + 1.0  # interval + timeout + one tick + margin


async def _connections(cluster: Cluster, nodes: list[Node]) -> int:
    counts = [await node.metric(cluster.http, "hallhub_connections") for node in nodes]
    return int(sum(counts))


async def test_a_half_open_link_is_dropped_by_the_node_and_the_client_comes_back() -> None:
    async with hall_cluster(halls=[hall_setup("h1")], env=PING) as cluster:
        proxy = await cluster.proxy()
        crowd = build(
            cluster,
            displays_per_hall=6,
            phones_per_hall=4,
            screens_url=proxy.url,
            backoff=Backoff(0.3, 2.0),
            message_center=False,
        )
        stop = asyncio.Event()
        try:
            await crowd.start()
            await crowd.fill(30, stop)
            await crowd.take(crowd.phones, stop)
            direct = len(crowd.workstations) + len(crowd.kiosks)
            assert await _connections(cluster, cluster.nodes) == direct + len(crowd.screens)

            busy = asyncio.create_task(crowd.busy(stop))
            await asyncio.sleep(1.0)
            proxy.stall()
            stalled_at = time.monotonic()
            # Calls go on; the nodes ping the silent sockets and drop them.
            while await _connections(cluster, cluster.nodes) > direct:
                assert time.monotonic() - stalled_at < DROP_BOUND + 5, "half-open kept"
                await asyncio.sleep(0.05)
            dropped_after = time.monotonic() - stalled_at
            # The clients notice the silence too (no ping within interval + timeout).
            await until(
                lambda: all(any(t > stalled_at for t in c.disconnects) for c in crowd.screens),
                10,
                "every client saw the link die",
            )
            detected_after = max(
                min(t for t in c.disconnects if t > stalled_at) - stalled_at for c in crowd.screens
            )
            await asyncio.sleep(1.0)
            proxy.resume()
            resumed_at = time.monotonic()
            await until(
                lambda: all(any(t > resumed_at for t in c.resumed) for c in crowd.screens),
                20,
                "every client back",
            )
            await asyncio.sleep(1.0)
            stop.set()
            await busy
            _, counted = await crowd.judge(cluster.url, cluster.http)
        finally:
            await crowd.close()

        print(
            f"half-open: dropped by the node after {dropped_after:.2f} s,"
            f" clients detected after {detected_after:.2f} s"
        )
        assert dropped_after <= DROP_BOUND, dropped_after
        assert detected_after <= DROP_BOUND + 2, detected_after
        assert faults(counted) == {}, describe(counted)
        whole = total(counted.values())
        assert (whole.resyncs, whole.covered) == (0, 0), describe(counted)

"""The faults bench/faults.py repeats, each on its own cluster (tests/faults/harness.py): two
nodes behind nginx, a store, Redis, a busy hall's people (tests/faults/scenario.py).

Each run answers a `FaultFigures`: per repeat and client, seconds from the fault to the client
being back (connected), resubscribed (every topic caught up) and applying events again (first
event applied after it came back, displays only: their hall topic never goes quiet), and the
events delivered / missed / repeated over the whole run, judged against every topic's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import socketio

from hub.auth.models import Role
from tests.faults.driver import Backoff
from tests.faults.harness import Cluster, Node, hall_cluster, hall_setup, token, until
from tests.faults.raw import RawClient
from tests.faults.scenario import Crowd, build
from tests.faults.truth import Tally, faults, settle, tallies, total

BACKOFF = Backoff(0.5, 10.0)  # the screens' (clients/shared/src/backoff.ts)
# Answers that say "not now" (the command may be sent again), and the client's own failures.
OUTAGE = frozenset({"STORE_UNAVAILABLE", "EVENT_LOG_UNAVAILABLE", "NODE_SHUTTING_DOWN", "TIMEOUT"})


@dataclass
class Options:
    repeats: int
    clients: int
    halls: int = 4


@dataclass
class FaultFigures:
    name: str
    # metric -> seconds, one sample per client and repeat
    samples: dict[str, list[float]] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)
    clients_with_faults: int = 0
    notes: list[str] = field(default_factory=list)

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, metric: str, value: float) -> None:
        self.samples.setdefault(metric, []).append(value)

    def add_count(self, what: str) -> None:
        self.counts[what] += 1


def _after(times: list[float], t: float) -> float | None:
    later = [x for x in times if x > t]
    return min(later) - t if later else None


def measure(figures: FaultFigures, crowd: Crowd, at: float, *, everyone: bool = False) -> int:
    """Recovery of the clients the fault at `at` disconnected (all of them if `everyone`):
    back, resubscribed, and (displays) applying events again. Answers how many were hit."""
    hit = 0
    displays = {id(d) for d in crowd.displays}
    for follower in crowd.followers:
        lost = _after(follower.disconnects, at)
        if lost is None and not everyone:
            continue
        hit += 1
        back = _after(follower.connects, at)
        if back is None:
            figures.add_count("not back when measured")
        resumed = _after(follower.resumed, at)
        if back is not None:
            figures.add("back", back)
        if resumed is not None:
            figures.add("resubscribed", resumed)
        if id(follower) in displays and back is not None:
            record = next(iter(follower.records.values()))
            applied = _after(record.applied_at, at + back)
            if applied is not None:
                figures.add("first event", back + applied)
    return hit


async def _judge(figures: FaultFigures, crowd: Crowd, cluster: Cluster) -> None:
    """Every connected client against the logs (read from a node directly: the truth does not
    depend on the way in); clients still kept out (by nginx) are counted, not judged."""
    with contextlib.suppress(AssertionError):
        await until(lambda: all(f.connected.is_set() for f in crowd.followers), 30, "")
    judged = [f for f in crowd.followers if f.connected.is_set()]
    if len(judged) < len(list(crowd.followers)):
        figures.notes.append(
            f"{len(list(crowd.followers)) - len(judged)} clients still not connected 30 s after"
            " the run: not judged"
        )
    node = next(n for n in cluster.nodes if n.alive)
    logs = await settle(node.url, cluster.http, judged, seconds=60)
    counted = tallies(judged, logs)
    figures.tally = total(counted.values())
    figures.clients_with_faults = len(faults(counted))


async def _with_crowd(
    cluster: Cluster,
    options: Options,
    body: Callable[[Crowd, asyncio.Event], Awaitable[None]],
    figures: FaultFigures,
    *,
    screens_url: str | None = None,
) -> None:
    per_hall = max(1, options.clients // options.halls)
    crowd = build(
        cluster,
        displays_per_hall=per_hall * 3 // 5,
        phones_per_hall=per_hall - per_hall * 3 // 5,
        screens_url=screens_url,
        backoff=BACKOFF,
        message_center=False,
    )
    stop = asyncio.Event()
    try:
        await crowd.start(seconds=120)
        await crowd.fill(20, stop)
        await crowd.take(crowd.phones, stop)
        busy = asyncio.create_task(crowd.busy(stop))
        try:
            await body(crowd, stop)
        finally:
            stop.set()
            await busy
        await _judge(figures, crowd, cluster)
        duplicates = [p.citizen_id for p in crowd.phones if cluster.tickets_of(p.citizen_id) > 1]
        figures.notes.append(f"citizens with two tickets: {len(duplicates)}")
    finally:
        await crowd.close()


def _halls(options: Options) -> list[dict[str, Any]]:
    return [hall_setup(f"h{i + 1}", services=3, counters=3) for i in range(options.halls)]


# -- a node killed ----------------------------------------------------------------------------


def _nginx(server_params: str) -> str:
    return f"nginx servers {server_params}" if server_params else "README's nginx"


async def node_killed(options: Options, server_params: str = "") -> FaultFigures:
    """SIGKILL the node with most clients, start it again; repeated (so the second kill hits
    the node the first one's clients moved to)."""
    figures = FaultFigures(f"node SIGKILL ({_nginx(server_params)})")
    async with hall_cluster(halls=_halls(options), nginx_server_params=server_params) as cluster:

        async def body(crowd: Crowd, stop: asyncio.Event) -> None:
            for _ in range(options.repeats):
                await asyncio.sleep(3.0)
                victim = await _busiest(cluster)
                at = time.monotonic()
                victim.kill()
                await asyncio.sleep(6.0)
                hit = measure(figures, crowd, at)
                figures.notes.append(f"{victim.name} killed: {hit} clients moved")
                await victim.start()
                # nginx skips a failed server for fail_timeout (10 s) before trying it again.
                await asyncio.sleep(8.0)

        await _with_crowd(cluster, options, body, figures)
    return figures


async def _busiest(cluster: Cluster) -> Node:
    counts = [await n.metric(cluster.http, "hallhub_connections") for n in cluster.nodes]
    return cluster.nodes[counts.index(max(counts))]


# -- a node stopped (SIGTERM) -----------------------------------------------------------------


async def node_terminated(options: Options, server_params: str = "") -> FaultFigures:
    figures = FaultFigures(f"node SIGTERM ({_nginx(server_params)})")
    async with hall_cluster(halls=_halls(options), nginx_server_params=server_params) as cluster:

        async def body(crowd: Crowd, stop: asyncio.Event) -> None:
            for _ in range(options.repeats):
                await asyncio.sleep(3.0)
                victim = await _busiest(cluster)
                at = time.monotonic()
                victim.terminate()
                code = await victim.wait(30)
                figures.add("node exit", time.monotonic() - at)
                await asyncio.sleep(4.0)
                hit = measure(figures, crowd, at)
                figures.notes.append(f"{victim.name} stopped (exit {code}): {hit} clients moved")
                await victim.start()
                await asyncio.sleep(8.0)

        await _with_crowd(cluster, options, body, figures)
    return figures


# -- the network -------------------------------------------------------------------------------


async def network_reset(options: Options) -> FaultFigures:
    """Every client's connection reset at once (a hall's uplink flapping), then random resets."""
    figures = FaultFigures("network: all connections reset")
    async with hall_cluster(halls=_halls(options)) as cluster:
        proxy = await cluster.proxy()

        async def body(crowd: Crowd, stop: asyncio.Event) -> None:
            for _ in range(options.repeats):
                await asyncio.sleep(3.0)
                at = time.monotonic()
                proxy.cut_all()
                await asyncio.sleep(6.0)
                measure(figures, crowd, at)
            before = sum(len(f.connects) for f in crowd.screens)
            started = time.monotonic()
            while sum(len(f.connects) for f in crowd.screens) - before < 1000:
                proxy.cut(12)
                await asyncio.sleep(0.1)
            figures.notes.append(
                f"then 1,000 random reconnects in {time.monotonic() - started:.1f} s"
            )

        await _with_crowd(cluster, options, body, figures, screens_url=proxy.url)
    return figures


PING = {"HALLHUB_PING_INTERVAL": "5", "HALLHUB_PING_TIMEOUT": "5"}


async def half_open(options: Options) -> FaultFigures:
    """The link goes silent both ways: when the nodes drop the sockets (ping), when the clients
    notice, and how fast they are back once the link works again."""
    figures = FaultFigures("network: half-open (ping 5 s + 5 s)")
    async with hall_cluster(halls=_halls(options), env=PING) as cluster:
        proxy = await cluster.proxy()

        async def body(crowd: Crowd, stop: asyncio.Event) -> None:
            direct = len(crowd.workstations) + len(crowd.kiosks)
            for _ in range(options.repeats):
                await asyncio.sleep(3.0)
                proxy.stall()
                at = time.monotonic()
                await _until_connections(cluster, direct, 60)
                figures.add("node dropped all", time.monotonic() - at)
                await until(partial(_all_lost, crowd, at), 30, "clients saw the link die")
                for follower in crowd.screens:
                    lost = _after(follower.disconnects, at)
                    if lost is not None:
                        figures.add("client noticed", lost)
                proxy.resume()
                back_at = time.monotonic()
                await asyncio.sleep(6.0)
                for follower in crowd.screens:
                    back = _after(follower.resumed, back_at)
                    if back is not None:
                        figures.add("resubscribed after the link came back", back)

        await _with_crowd(cluster, options, body, figures, screens_url=proxy.url)
    return figures


def _all_lost(crowd: Crowd, at: float) -> bool:
    return all(_after(f.disconnects, at) is not None for f in crowd.screens)


async def _until_connections(cluster: Cluster, count: int, seconds: float) -> None:
    """Until the nodes count `count` open connections (their /metrics, polled)."""
    deadline = time.monotonic() + seconds
    while sum([await n.metric(cluster.http, "hallhub_connections") for n in cluster.nodes]) > count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"still more than {count} connections after {seconds} s")
        await asyncio.sleep(0.05)


# -- Redis and the store restarted --------------------------------------------------------------


async def redis_restarted(options: Options) -> FaultFigures:
    figures = FaultFigures("Redis restarted (data lost, 2 s down)")
    async with hall_cluster(halls=_halls(options), own_redis=True) as cluster:
        redis = cluster.redis
        assert redis is not None

        async def body(crowd: Crowd, stop: asyncio.Event) -> None:
            for _ in range(options.repeats):
                await asyncio.sleep(3.0)
                at = time.monotonic()
                redis.kill()
                await asyncio.sleep(2.0)
                await redis.start()
                await asyncio.sleep(8.0)
                for display in crowd.displays:
                    record = next(iter(display.records.values()))
                    fresh = [i for i, b in enumerate(record.baselines) if b[2] is not None]
                    later = [t for t in record.applied_at if t > at + 2.0]
                    if fresh and later:
                        figures.add("display applying again", min(later) - at)
            resyncs: Counter[str] = Counter()
            for follower in crowd.followers:
                for record in follower.records.values():
                    resyncs.update(record.resyncs)
            figures.notes.append(f"resyncs by cause: {dict(resyncs)}")

        await _with_crowd(cluster, options, body, figures)
    return figures


async def store_restarted(options: Options) -> FaultFigures:
    """The store killed and started again after 2 s: how long commands are refused and how
    they are answered meanwhile."""
    figures = FaultFigures("store killed, back after 2 s")
    async with hall_cluster(halls=_halls(options)) as cluster:

        async def body(crowd: Crowd, stop: asyncio.Event) -> None:
            # Kiosks print a ticket every 0.15 s (a write each); clerks call when there is one.
            actors = [("kiosk", k.outcomes) for k in crowd.kiosks]
            actors += [("counter", d.outcomes) for d in crowd.workstations]
            during: dict[str, Counter[str]] = {"kiosk": Counter(), "counter": Counter()}
            for _ in range(options.repeats):
                await asyncio.sleep(3.0)
                at = time.monotonic()
                cluster.store.kill()
                await asyncio.sleep(2.0)
                await cluster.store.start()
                back_at = time.monotonic()
                await asyncio.sleep(10.0)
                for kind, outcomes in actors:
                    answers = outcomes.history
                    # Commands sent while the store was down (answered whenever).
                    down = [a for a in answers if at <= a.at - a.seconds < back_at]
                    during[kind].update(a.code for a in down)
                    for answer in down:
                        figures.add(f"{kind}: sent while down, answered in", answer.seconds)
                    served = [a.at for a in answers if a.at > back_at and a.code not in OUTAGE]
                    if served:
                        figures.add(
                            f"{kind}: first success after the store is back", served[0] - back_at
                        )
            for kind, codes in during.items():
                figures.notes.append(f"{kind}: answers to commands sent while down: {dict(codes)}")
            ready = [await cluster.ready(n) for n in cluster.nodes]
            figures.notes.append(f"/readyz after: {[status for status, _ in ready]}")

        await _with_crowd(cluster, options, body, figures)
    return figures


# -- a slow consumer ----------------------------------------------------------------------------

NOTICE = "请" * 490


async def slow_consumer(cap: int | None, via_nginx: bool, seconds: float = 60) -> FaultFigures:
    """A display that stops reading the busy hall topic: events published until the node drops
    it, and the node's RSS meanwhile."""
    where = "via nginx" if via_nginx else "straight to a node"
    label = f"{cap // 1024} KiB cap" if cap else "default cap (4 MiB)"
    figures = FaultFigures(f"slow consumer, {label}, {where}")
    env = {"HALLHUB_MAX_CLIENT_BUFFER_BYTES": str(cap)} if cap else {}
    async with hall_cluster(halls=[hall_setup("h1")], env=env) as cluster:
        node = cluster.nodes[0]
        # Through nginx it lands on either node: both are watched.
        url = cluster.url if via_nginx else node.url
        auth = token(Role.DISPLAY, "slow", hall="h1")
        slow = await RawClient.connect(url, auth)
        stop = asyncio.Event()
        published = [0]
        publishers: list[asyncio.Task[None]] = []
        try:
            answer = await slow.call("subscribe", {"topic": "hall:h1"})
            epoch = answer["data"]["epoch"]
            publishers = [asyncio.create_task(_publish(cluster, stop, published)) for _ in range(4)]
            last = (await slow.read_events(20))[-1]["seq"]
            rss_before = {n.name: n.rss_kb() for n in cluster.nodes}
            peak = dict(rss_before)
            started = time.monotonic()
            dropped: Node | None = None
            while time.monotonic() - started < seconds:
                for n in cluster.nodes:
                    peak[n.name] = max(peak[n.name], n.rss_kb())
                    if dropped is None and n.lines("slow_client_dropped"):
                        dropped = n
                        figures.add("dropped after", time.monotonic() - started)
                        figures.notes.append(
                            f"{n.name} dropped it after {published[0]} events"
                            f" (~{published[0] * 1.5 / 1024:.1f} MB published since it stopped)"
                        )
                        at_drop = published[0]
                if dropped is not None and published[0] > at_drop + 1500:
                    break
                await asyncio.sleep(0.2)
            stop.set()
            await asyncio.gather(*publishers)
            if dropped is None:
                figures.notes.append(f"not dropped within {seconds:.0f} s")
            for n in cluster.nodes:
                figures.notes.append(
                    f"{n.name} RSS: {rss_before[n.name] / 1024:.1f} MiB before,"
                    f" peak {peak[n.name] / 1024:.1f}, end {n.rss_kb() / 1024:.1f}"
                )
        finally:
            stop.set()
            for task in publishers:
                task.cancel()
            await asyncio.gather(*publishers, return_exceptions=True)
            with contextlib.suppress(Exception):
                await slow.close()
        back = await RawClient.connect(cluster.url, auth)
        try:
            resumed = await back.call(
                "subscribe", {"topic": "hall:h1", "after_seq": last, "epoch": epoch}
            )
        finally:
            await back.close()
        if resumed["ok"]:
            missed = resumed["data"]["missed"]
            whole = [e["seq"] for e in missed] == list(range(last + 1, resumed["data"]["seq"] + 1))
            figures.notes.append(
                f"came back: replay of {len(missed)} events, {'complete' if whole else 'GAPS'}"
            )
        else:
            error = resumed["error"]
            figures.notes.append(
                f"came back: {error['code']} {json.dumps(error.get('details', {}))}"
                " (reloads the snapshot)"
            )
    return figures


async def _publish(cluster: Cluster, stop: asyncio.Event, published: list[int]) -> None:
    sio = socketio.AsyncClient(reconnection=False, http_session=cluster.http)
    await sio.connect(cluster.url, auth={"token": token(Role.ADMIN)}, transports=["websocket"])
    try:
        while not stop.is_set():
            published[0] += 1
            await sio.call(
                "queueing.set_notice",
                {"hall_id": "h1", "notice": f"{published[0]:05d}{NOTICE}"},
                timeout=10,
            )
    finally:
        await sio.disconnect()

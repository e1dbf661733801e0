"""A client that stops reading a busy topic cannot grow the node's memory: its buffer is capped,
the node drops it, and it resumes by replay when it comes back."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
import socketio

from hub.auth.models import Role
from tests.faults.driver import Follower
from tests.faults.harness import Cluster, hall_cluster, hall_setup, token, until
from tests.faults.raw import RawClient
from tests.faults.scenario import describe
from tests.faults.truth import faults, read_logs, tallies

pytestmark = pytest.mark.faults

CAP = 64 * 1024  # the smallest max_client_buffer_bytes allowed
TOPIC = "hall:h1"
NOTICE = "请" * 490  # a long hall notice: ~1.5 KB an event
# Events published in all: the slow client's gap must stay within one replay (MAX_REPLAY 5000).
MAX_EVENTS = 4500
AFTER_DROP = 1500  # events published after the drop, to show memory stays flat


async def _publish(cluster: Cluster, stop: asyncio.Event, published: list[int]) -> None:
    """The back office changing the hall notice as fast as it can."""
    sio = socketio.AsyncClient(reconnection=False, http_session=cluster.http)
    await sio.connect(cluster.url, auth={"token": token(Role.ADMIN)}, transports=["websocket"])
    try:
        while not stop.is_set() and published[0] < MAX_EVENTS:
            published[0] += 1
            notice = f"{published[0]:05d}{NOTICE}"
            answer = await sio.call(
                "queueing.set_notice", {"hall_id": "h1", "notice": notice}, timeout=10
            )
            assert answer["ok"], answer
    finally:
        await sio.disconnect()


async def test_a_client_that_stops_reading_is_dropped_and_resumes_by_replay() -> None:
    env = {"HALLHUB_MAX_CLIENT_BUFFER_BYTES": str(CAP)}
    async with hall_cluster(halls=[hall_setup("h1")], env=env) as cluster:
        node = cluster.nodes[0]
        # A display that keeps reading, through nginx: it must get everything.
        display = Follower(
            "display",
            cluster.url,
            token(Role.DISPLAY, "d1", hall="h1"),
            cluster.http,
            topics={TOPIC: "/halls/h1/board"},
        )
        display.start()
        # The slow one: straight to node A (nginx's own socket buffers would hold ~7 MB more
        # before the node sees anything; bench/faults.py measures that path).
        slow = await RawClient.connect(node.url, token(Role.DISPLAY, "slow", hall="h1"))
        stop = asyncio.Event()
        published = [0]
        publishers: list[asyncio.Task[None]] = []
        try:
            subscribed = await slow.call("subscribe", {"topic": TOPIC})
            assert subscribed["ok"], subscribed
            epoch = subscribed["data"]["epoch"]
            publishers = [asyncio.create_task(_publish(cluster, stop, published)) for _ in range(4)]
            read = list(await slow.read_events(20))  # it reads a little, then stops
            last_read = read[-1]["seq"]
            rss_before = node.rss_kb()

            rss: list[int] = []
            async with asyncio.timeout(60):
                while not node.lines("slow_client_dropped"):
                    rss.append(node.rss_kb())
                    await asyncio.sleep(0.2)
            dropped_at_events = published[0]
            rss_at_drop = node.rss_kb()
            # Events keep flowing to the topic; the node holds nothing more for the dropped one.
            async with asyncio.timeout(60):
                while published[0] < min(MAX_EVENTS, dropped_at_events + AFTER_DROP):
                    rss.append(node.rss_kb())
                    await asyncio.sleep(0.2)
            stop.set()
            await asyncio.gather(*publishers)
            rss_after = node.rss_kb()
        finally:
            stop.set()
            for task in publishers:
                task.cancel()
            await asyncio.gather(*publishers, return_exceptions=True)
            with contextlib.suppress(Exception):
                await slow.close()

        try:
            # It comes back (through nginx, to either node) and resumes from what it had read.
            back = await RawClient.connect(cluster.url, token(Role.DISPLAY, "slow", hall="h1"))
            try:
                resumed = await back.call(
                    "subscribe", {"topic": TOPIC, "after_seq": last_read, "epoch": epoch}
                )
            finally:
                await back.close()
            logs = await read_logs(cluster.url, cluster.http, [display])
            record = display.records[TOPIC]
            await until(
                lambda: bool(record.applied) and record.applied[-1][0] == logs[TOPIC].last_seq,
                30,
                "the reading display has every event",
            )
            counted = tallies([display], logs)
        finally:
            await display.close()

        truth = logs[TOPIC].events
        print(
            f"slow consumer: dropped after {dropped_at_events} events (~"
            f"{dropped_at_events * 1.5 / 1024:.1f} MB); node RSS {rss_before} kB before, "
            f"{rss_at_drop} at the drop, max {max(rss)}, {rss_after} after "
            f"{published[0] - dropped_at_events} more events"
        )
        drop = node.lines("slow_client_dropped")
        assert len(drop) == 1, drop
        assert '"buffered"' in drop[0]
        # What it read before stopping, then the replay: exactly the log, nothing missed.
        assert resumed["ok"], resumed
        missed = resumed["data"]["missed"]
        first_read = read[0]["seq"]
        assert read == truth[first_read - 1 : last_read]
        assert [e["seq"] for e in missed] == list(range(last_read + 1, len(truth) + 1))
        assert missed == truth[last_read:]
        # The node's memory stayed flat while ~MBs went to a client that read nothing.
        assert published[0] - dropped_at_events >= 1000
        assert max(rss) - rss_before < 16 * 1024, (rss_before, max(rss))
        assert rss_after - rss_at_drop < 8 * 1024, (rss_at_drop, rss_after)
        # The reading display got everything.
        assert faults(counted) == {}, describe(counted)

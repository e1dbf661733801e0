"""Redis restarted with its data gone, during a hall's calls: the nodes reconnect by themselves,
every topic's log starts a new epoch, the clients are told to reload (a `resync` notice, or
RESYNC_REQUIRED when they resubscribe), and from their new snapshot on they miss, repeat and
reorder nothing; nothing stored in MongoDB is lost; each node counts and logs the restart."""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.driver import Backoff
from tests.faults.harness import hall_cluster, hall_setup
from tests.faults.scenario import build, describe
from tests.faults.truth import faults, total

pytestmark = pytest.mark.faults


async def test_redis_restarted_mid_calls_resyncs_every_screen_and_loses_nothing() -> None:
    async with hall_cluster(halls=[hall_setup("h1")], own_redis=True) as cluster:
        assert cluster.redis is not None
        crowd = build(
            cluster,
            displays_per_hall=8,
            phones_per_hall=6,
            backoff=Backoff(0.3),
            message_center=False,
        )
        stop = asyncio.Event()
        try:
            await crowd.start()
            await crowd.fill(20, stop)
            await crowd.take(crowd.phones, stop)
            busy = asyncio.create_task(crowd.busy(stop))
            await asyncio.sleep(2.0)
            cluster.redis.kill()
            await asyncio.sleep(3.0)  # down: commands answer EVENT_LOG_UNAVAILABLE or defer events
            await cluster.redis.start()  # empty
            await asyncio.sleep(5.0)  # the hall goes on calling on the new log
            stop.set()
            await busy
            logs, counted = await crowd.judge(cluster.url, cluster.http)
            restarts = [
                await n.metric(cluster.http, "hallhub_redis_restarts_total") for n in cluster.nodes
            ]
            notices = [
                await n.metric(cluster.http, "hallhub_resync_notices_total") for n in cluster.nodes
            ]
        finally:
            await crowd.close()

        assert restarts == [1, 1]
        for node in cluster.nodes:
            assert node.lines("redis_restarted"), node.name
            assert node.lines("event_log_reset"), node.name
            assert not node.lines("Traceback"), "\n".join(node.output[-20:])
        assert sum(notices) >= 1

        # Every display reloaded once the log was gone, and was exact on the new log.
        assert faults(counted) == {}, describe(counted)
        for display in crowd.displays:
            record = display.records["hall:h1"]
            assert sum(record.resyncs.values()) >= 1, (display.name, record.resyncs)
        assert total(counted.values()).delivered > 50, describe(counted)
        assert all(log.epoch for log in logs.values())

        # Nothing in MongoDB was lost: every ticket a phone was answered is stored.
        for phone in crowd.phones:
            assert cluster.tickets_of(phone.citizen_id) == len(phone.tickets) == 1, phone.citizen_id

"""The event log's retention and replay rules, in process memory and in Redis Streams."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from hub.errors import ResyncRequired
from hub.events.log import MAX_REPLAY, EventLog, MemoryEventLog
from hub.events.redis_log import RedisEventLog
from hub.redis_keys import RedisKeys
from tests.support import REDIS_URL, drop_redis_prefix


@pytest.fixture(params=["memory", "redis"])
async def make_log(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    prefix = f"hhtest:{uuid.uuid4().hex[:8]}:"
    redis = Redis.from_url(REDIS_URL)

    def factory(max_events: int = 1000, min_age_seconds: int = 86400) -> EventLog:
        if request.param == "memory":
            return MemoryEventLog(max_events, min_age_seconds)
        return RedisEventLog(
            redis,
            keys=RedisKeys(prefix),
            max_events=max_events,
            min_age_seconds=min_age_seconds,
            host_id="test",
        )

    yield factory
    await redis.aclose()
    await drop_redis_prefix(prefix)


async def _append(log: EventLog, topic: str, n: int) -> None:
    for i in range(n):
        await log.append(topic, "test.thing_happened", {"i": i}, "ctx", wire_publish=False)


async def test_seq_starts_at_one_and_replay_returns_the_rest(make_log: Any) -> None:
    log = make_log()
    await _append(log, "hall:a", 5)
    replay = await log.replay("hall:a", 2, None)
    assert replay.seq == 5
    assert [e.seq for e in replay.events] == [3, 4, 5]
    assert [e.data["i"] for e in replay.events] == [2, 3, 4]
    assert all(e.topic == "hall:a" and e.ctx == "ctx" for e in replay.events)


async def test_topics_are_numbered_independently(make_log: Any) -> None:
    log = make_log()
    await _append(log, "hall:a", 3)
    await _append(log, "hall:b", 2)
    assert (await log.replay("hall:a", None, None)).seq == 3
    assert (await log.replay("hall:b", None, None)).seq == 2
    assert (await log.replay("hall:c", None, None)).seq == 0


async def test_position_only_and_up_to_date(make_log: Any) -> None:
    log = make_log()
    await _append(log, "hall:a", 3)
    assert (await log.replay("hall:a", None, None)).events == []
    assert (await log.replay("hall:a", 3, None)).events == []
    assert [e.seq for e in (await log.replay("hall:a", 0, None)).events] == [1, 2, 3]


async def test_old_events_beyond_max_are_trimmed_then_resync(make_log: Any) -> None:
    log = make_log(max_events=5, min_age_seconds=0)
    await _append(log, "hall:a", 20)
    await asyncio.sleep(0.002)
    await _append(log, "hall:a", 1)  # trimming happens on append
    replay = await log.replay("hall:a", 16, None)
    assert [e.seq for e in replay.events] == [17, 18, 19, 20, 21]
    with pytest.raises(ResyncRequired):
        await log.replay("hall:a", 15, None)
    with pytest.raises(ResyncRequired):
        await log.replay("hall:a", 2, None)


async def test_young_events_are_kept_beyond_max(make_log: Any) -> None:
    log = make_log(max_events=5, min_age_seconds=3600)
    await _append(log, "hall:a", 30)
    replay = await log.replay("hall:a", 0, None)
    assert [e.seq for e in replay.events] == list(range(1, 31))


async def test_ahead_of_server_and_wrong_epoch_require_resync(make_log: Any) -> None:
    log = make_log()
    await _append(log, "hall:a", 2)
    epoch = (await log.replay("hall:a", None, None)).epoch
    assert (await log.replay("hall:a", 1, epoch)).events[0].seq == 2
    with pytest.raises(ResyncRequired):
        await log.replay("hall:a", 3, epoch)
    with pytest.raises(ResyncRequired):
        await log.replay("hall:a", 1, "another-epoch")


async def test_epoch_is_stable_for_a_topic(make_log: Any) -> None:
    log = make_log()
    first = (await log.replay("hall:a", None, None)).epoch
    await _append(log, "hall:a", 3)
    assert (await log.replay("hall:a", None, None)).epoch == first


async def test_recent_gives_the_last_events_in_order(make_log: Any) -> None:
    log = make_log()
    await _append(log, "hall:a", 8)
    recent = await log.recent("hall:a", 3)
    assert recent.seq == 8
    assert [e.seq for e in recent.events] == [6, 7, 8]
    assert (await log.recent("hall:none", 3)).events == []


async def test_too_many_missed_events_require_resync(make_log: Any) -> None:
    log = make_log(max_events=MAX_REPLAY + 10)
    memory_or_redis: Any = log
    for i in range(MAX_REPLAY + 2):
        await memory_or_redis.append("hall:big", "test.thing_happened", {"i": i}, "", False)
    with pytest.raises(ResyncRequired):
        await log.replay("hall:big", 0, None)
    assert len((await log.replay("hall:big", 2, None)).events) == MAX_REPLAY


async def test_a_repeated_event_id_is_appended_once(make_log: Any) -> None:
    log = make_log()
    first = await log.append("hall:a", "test.thing_happened", {"n": 1}, "", False, "ev-1")
    await log.append("hall:a", "test.thing_happened", {"n": 2}, "", False, "ev-2")
    again = await log.append("hall:a", "test.thing_happened", {"n": 1}, "", False, "ev-1")
    assert again.seq == first.seq == 1
    assert (await log.replay("hall:a", None, None)).seq == 2

"""The hall queue versions the nodes share (Redis) and a copy of the queue checked against
them: a version that went back (Redis lost its data) makes a node read the queue again."""

from __future__ import annotations

import secrets
import time

from redis.asyncio import Redis

from hub.redis_keys import RedisKeys
from queueing.queue_cache import MemoryQueueVersions, RedisQueueVersions, _HallQueue
from tests.support import REDIS_URL, drop_redis_prefix


async def test_redis_versions_count_up_from_a_random_start_and_restart_elsewhere() -> None:
    prefix = f"test-{secrets.token_hex(4)}:"
    redis = Redis.from_url(REDIS_URL)
    try:
        versions = RedisQueueVersions(redis, RedisKeys(prefix))
        assert await versions.current("h1", "2026-12-03") == 0
        first = await versions.bump("h1", "2026-12-03")
        assert await versions.bump("h1", "2026-12-03") == first + 1
        assert await versions.current("h1", "2026-12-03") == first + 1
        assert await versions.current("h2", "2026-12-03") == 0  # its own count
        await drop_redis_prefix(prefix)  # Redis lost its data
        again = await versions.bump("h1", "2026-12-03")
        assert again != first + 2  # a new count: the old versions mean nothing
    finally:
        await drop_redis_prefix(prefix)
        await redis.aclose()


class Bus:
    """Stands for a node's event bus (the key of its versions)."""


async def test_memory_versions_are_shared_by_the_services_of_one_bus() -> None:
    bus, other = Bus(), Bus()
    assert MemoryQueueVersions.of(bus) is MemoryQueueVersions.of(bus)
    assert MemoryQueueVersions.of(bus) is not MemoryQueueVersions.of(other)
    versions = MemoryQueueVersions.of(bus)
    assert [await versions.bump("h1", "d"), await versions.bump("h1", "d")] == [1, 2]


def test_a_copy_covers_only_this_nodes_own_changes_since_it_was_read() -> None:
    now = time.monotonic()
    copy = _HallQueue("d", 100, now, {}, applied={101, 102})
    assert copy.covers(100, now)
    assert copy.covers(102, now)
    assert not copy.covers(103, now)  # another node's change
    assert not copy.covers(7, now)  # the versions went back: Redis lost its data
    assert not copy.covers(10**12, now)  # a new random count far ahead
    assert not copy.covers(102, now + 61)  # too old whatever the versions say

"""Event envelope, log and bus: what domains import to publish."""

from __future__ import annotations

from redis.asyncio import Redis

from hub.events.bus import EventBus
from hub.events.envelope import Envelope, Replay
from hub.events.log import EventLog, MemoryEventLog
from hub.events.redis_log import RedisEventLog
from hub.redis_keys import RedisKeys
from hub.settings import Settings

__all__ = ["Envelope", "EventBus", "Replay", "make_log"]


def make_log(settings: Settings, redis: Redis | None) -> EventLog:
    """The event log a node keeps: shared in Redis Streams, or its own in memory."""
    if redis is None:
        return MemoryEventLog(settings.event_log.max_events, settings.event_log.min_age_seconds)
    return RedisEventLog(
        redis,
        keys=RedisKeys(settings.redis_prefix),
        max_events=settings.event_log.max_events,
        min_age_seconds=settings.event_log.min_age_seconds,
        # Not any node's id: every node, the publishing one too, delivers from pub/sub.
        host_id="hallhub-bus",
    )

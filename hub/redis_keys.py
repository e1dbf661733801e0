"""Every Redis key and channel the hub uses, named in one place. All of them start with the
deployment's prefix (`HALLHUB_REDIS_PREFIX`), so several deployments, or tests, share one Redis
without meeting; `tests/support.drop_redis_prefix` removes a deployment's keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RedisKeys:
    prefix: str

    @property
    def socketio_channel(self) -> str:
        """The pub/sub channel of python-socketio's AsyncRedisManager: every node listens, and
        the event log's Lua script publishes each event there as it appends it."""
        return f"{self.prefix}socketio"

    def topic_state(self, topic: str) -> str:
        """A topic's seq and epoch (a hash)."""
        return f"{self.prefix}topic:{topic}"

    def topic_log(self, topic: str) -> str:
        """A topic's recent events (a stream)."""
        return f"{self.prefix}log:{topic}"

    def queue_version(self, hall_id: str, day: str) -> str:
        """A hall's queue version of a day (queueing/queue_cache.py): bumped by every change."""
        return f"{self.prefix}queue:{hall_id}:{day}"

    def counter_version(self, counter_id: str) -> str:
        """A counter state's version stamp (queueing/counter_copies.py): bumped by every write."""
        return f"{self.prefix}counter:{counter_id}"

    def event_id(self, event_id: str) -> str:
        """Marks an event already appended (an outbox published twice appends once)."""
        return f"{self.prefix}eid:{event_id}"

"""Each hall's waiting tickets, kept in memory and checked against the hall's queue version.

Every change to a hall's queue (a ticket issued, called, cancelled, transferred, put back)
bumps the hall's queue version: in Redis where the nodes share one (an `INCR`), in the
process for a single node, never in the store, whose round trips are the city's bottleneck.
A node applies its own changes to its copy and notes the versions they got; reading the queue
costs a read of the version, and the whole queue is read again only when some version is not
this node's own (another node changed it, or a change was lost in a crash) or the version went
back (Redis lost its data: the versions start again from a random number). Calls and
positions then stop paying for reading every waiting ticket on each action.

F1 always checks the version: it must call the best ticket of the whole hall. What may be a
moment old (estimates, places, waiting counts: each is told again after the next change)
asks with `fresh_within`, and a copy checked that recently, or made exact by this node's own
change, is used without a read.
"""

from __future__ import annotations

import secrets
import time
import weakref
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from redis.asyncio import Redis

from hub.outages import event_log_down
from hub.redis_keys import RedisKeys
from queueing.models import Ticket, TicketStatus
from queueing.store import TicketStore

# A copy older than this is read again whatever the versions say (a change whose version bump
# was lost in a crash is picked up within this time).
MAX_AGE_SECONDS = 60.0


@dataclass
class _HallQueue:
    day: str
    base: int  # the version the copy was read at
    read_at: float
    tickets: dict[str, Ticket]
    applied: set[int] = field(default_factory=set)  # this node's changes since
    checked_at: float = 0.0  # when the copy was last known to be the store's queue

    def covers(self, version: int, now: float) -> bool:
        if now - self.read_at > MAX_AGE_SECONDS:
            return False
        if version < self.base or version - self.base > len(self.applied):
            return False  # went back (a new count), or more changes than this node made
        return all(v in self.applied for v in range(self.base + 1, version + 1))


class QueueVersions(Protocol):
    """Each hall's queue version of a day, and each counter state's version stamp
    (queueing/counter_copies.py), shared by the nodes."""

    async def current(self, hall_id: str, day: str) -> int: ...

    async def bump(self, hall_id: str, day: str) -> int: ...

    async def counter_current(self, counter_id: str) -> int: ...

    async def counter_bump(self, counter_id: str) -> tuple[int, int]:
        """The stamp before and after this bump (before: 0 when there was none)."""
        ...


class MemoryQueueVersions:
    """A single node's versions (no Redis: no other node). Services of one process sharing a
    bus share them (`of`)."""

    _by_bus: ClassVar[weakref.WeakKeyDictionary[object, MemoryQueueVersions]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str], int] = {}
        self._counters: dict[str, int] = {}

    @classmethod
    def of(cls, bus: object) -> MemoryQueueVersions:
        found = cls._by_bus.get(bus)
        if found is None:
            found = cls._by_bus[bus] = cls()
        return found

    async def current(self, hall_id: str, day: str) -> int:
        return self._versions.get((hall_id, day), 0)

    async def bump(self, hall_id: str, day: str) -> int:
        version = self._versions[hall_id, day] = self._versions.get((hall_id, day), 0) + 1
        return version

    async def counter_current(self, counter_id: str) -> int:
        return self._counters.get(counter_id, 0)

    async def counter_bump(self, counter_id: str) -> tuple[int, int]:
        before = self._counters.get(counter_id, 0)
        self._counters[counter_id] = before + 1
        return before, before + 1


# A missing key starts from a random number: after Redis lost its data, the versions a node
# noted before mean nothing, and a count started again at 1 could meet them.
_BUMP = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
local version = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return version
"""
# The same, answering the version before too (0: there was none, as `current` reads it).
_BUMP_FROM = """
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
if before == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
local version = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {before, version}
"""
_KEEP_SECONDS = 3 * 86_400  # a day's queue is over by then


class RedisQueueVersions:
    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._bump = redis.register_script(_BUMP)
        self._bump_from = redis.register_script(_BUMP_FROM)

    async def current(self, hall_id: str, day: str) -> int:
        value = await self._redis.get(self._keys.queue_version(hall_id, day))
        return int(value) if value is not None else 0

    async def bump(self, hall_id: str, day: str) -> int:
        start = secrets.randbelow(2**40) * 1_000
        key = self._keys.queue_version(hall_id, day)
        return int(await self._bump(keys=[key], args=[start, _KEEP_SECONDS]))

    async def counter_current(self, counter_id: str) -> int:
        value = await self._redis.get(self._keys.counter_version(counter_id))
        return int(value) if value is not None else 0

    async def counter_bump(self, counter_id: str) -> tuple[int, int]:
        start = secrets.randbelow(2**40) * 1_000
        key = self._keys.counter_version(counter_id)
        before, after = await self._bump_from(keys=[key], args=[start, _KEEP_SECONDS])
        return int(before), int(after)


class QueueCache:
    def __init__(self, tickets: TicketStore, versions: QueueVersions) -> None:
        self._tickets = tickets
        self._versions = versions
        self._halls: dict[str, _HallQueue] = {}

    async def waiting(self, hall_id: str, day: str, *, fresh_within: float = 0.0) -> list[Ticket]:
        """The hall's waiting tickets; `fresh_within` seconds: a copy known to be right that
        recently will do."""
        queue = self._halls.get(hall_id)
        now = time.monotonic()
        if (
            fresh_within > 0
            and queue is not None
            and queue.day == day
            and now - queue.checked_at <= fresh_within
        ):
            return list(queue.tickets.values())
        version = await self._versions.current(hall_id, day)
        if queue is None or queue.day != day or not queue.covers(version, now):
            queue = await self._read(hall_id, day, version)
        queue.checked_at = now
        return list(queue.tickets.values())

    async def _read(self, hall_id: str, day: str, version: int) -> _HallQueue:
        for _ in range(3):
            tickets = await self._tickets.waiting(hall_id, day)
            after = await self._versions.current(hall_id, day)
            if after == version:
                break
            version = after  # changed while reading: read again
        now = time.monotonic()
        queue = _HallQueue(day, version, now, {t.id: t for t in tickets}, checked_at=now)
        self._halls[hall_id] = queue
        return queue

    async def changed(self, ticket: Ticket) -> None:
        """This node changed a ticket of the queue (after writing it): bump the version and
        apply the change to the copy."""
        try:
            version = await self._versions.bump(ticket.hall_id, ticket.day)
        except Exception as exc:
            # Redis is down: the write stands; the copy can no longer be checked, so it goes.
            if not event_log_down(exc):
                raise
            self._halls.pop(ticket.hall_id, None)
            return
        queue = self._halls.get(ticket.hall_id)
        if queue is None or queue.day != ticket.day:
            return
        if ticket.status is TicketStatus.WAITING:
            queue.tickets[ticket.id] = ticket
        else:
            queue.tickets.pop(ticket.id, None)
        queue.applied.add(version)
        now = time.monotonic()
        if queue.covers(version, now):  # nobody else changed it since it was last known
            queue.checked_at = now

    def noted(self, ticket: Ticket) -> None:
        """A waiting ticket changed in a way that leaves the queue as it is (its position was
        noted): keep the copy's version of it current, no bump."""
        queue = self._halls.get(ticket.hall_id)
        if queue is not None and ticket.id in queue.tickets:
            queue.tickets[ticket.id] = ticket

    def gone(self, ticket: Ticket) -> None:
        """A ticket the copy lists is no longer waiting (another counter called it, on this
        node or another): drop it. The change's own version bump, not yet seen, makes the
        copy read again anyway; this only spares the next call the same lost claim."""
        queue = self._halls.get(ticket.hall_id)
        if queue is not None and ticket.status is not TicketStatus.WAITING:
            queue.tickets.pop(ticket.id, None)

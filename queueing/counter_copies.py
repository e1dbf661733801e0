"""Counter states as this node last read or wrote them, checked against each counter's version
stamp instead of read from the store on every key a clerk presses.

Every write of a counter state bumps its stamp (in Redis where nodes share one, in the process
for a single node: as the queue versions of queueing/queue_cache.py). A node keeps the state
with the stamp it was read at; reading costs a look at the stamp, and the store is read again
when the stamp moved (another node wrote it), when the copy is older than `MAX_AGE_SECONDS` (a
write whose bump was lost in a crash), or after a guarded write failed. A write by this node
keeps its own result only when the stamp its bump moved on from is the copy's (nobody else
wrote in between). Writes stay guarded by the state's version in the store, so a copy a moment stale
can only make a write fail and be retried, never overwrite a colleague's change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from hub.outages import event_log_down
from queueing.models import Counter, CounterLogEntry, CounterState
from queueing.queue_cache import MAX_AGE_SECONDS, QueueVersions
from queueing.store import CounterStore, Published, published


@dataclass(frozen=True, slots=True)
class _Copy:
    stamp: int
    state: CounterState
    at: float


class KeptCounters:
    def __init__(self, store: CounterStore, versions: QueueVersions) -> None:
        self._store = store
        self._versions = versions
        self._copies: dict[str, _Copy] = {}

    async def get(self, counter: Counter) -> CounterState:
        stamp = await self._versions.counter_current(counter.id)
        copy = self._copies.get(counter.id)
        now = time.monotonic()
        if copy is not None and copy.stamp == stamp and now - copy.at <= MAX_AGE_SECONDS:
            return copy.state
        state = await self._store.get(counter)
        self._copies[counter.id] = _Copy(stamp, state, now)
        return state

    async def save(self, state: CounterState, expected_version: int) -> CounterState | None:
        saved = await self._store.save(state, expected_version)
        copy = self._copies.pop(state.id, None)
        if saved is None:
            return None  # the next read goes to the store
        try:
            before, stamp = await self._versions.counter_bump(state.id)
        except Exception as exc:
            # Redis is down: the write stands (it is guarded by version, so other nodes'
            # copies fail one write and are read again); only this node's copy goes.
            if not event_log_down(exc):
                raise
            return saved
        if copy is not None and copy.stamp == before:
            self._copies[state.id] = _Copy(stamp, saved, time.monotonic())
        return saved

    async def clear_outbox(self, state: CounterState) -> None:
        await self.clear_outboxes({state.id: published(state.outbox)})

    async def clear_outboxes(self, outboxes: dict[str, Published]) -> None:
        await self._store.clear_outboxes(outboxes)
        for counter_id, done in outboxes.items():
            copy = self._copies.get(counter_id)
            # The copy holds what was cleared: it now reads as the store does (no stamp bump:
            # the state's version is the same).
            if copy is not None and copy.state.outbox and published(copy.state.outbox) == done:
                state = copy.state.model_copy(update={"outbox": []})
                self._copies[counter_id] = _Copy(copy.stamp, state, copy.at)

    # Read as they are in the store: the board's and the repairs' reads.

    async def of_hall(self, hall_id: str) -> dict[str, CounterState]:
        return await self._store.of_hall(hall_id)

    async def by_id(self, counter_id: str) -> CounterState | None:
        return await self._store.by_id(counter_id)

    async def holding(self) -> list[CounterState]:
        return await self._store.holding()

    async def with_pending_events(self) -> list[CounterState]:
        return await self._store.with_pending_events()

    async def log_status(self, entry: CounterLogEntry) -> None:
        await self._store.log_status(entry)

    async def log_of_day(self, hall_id: str, day: str) -> list[CounterLogEntry]:
        return await self._store.log_of_day(hall_id, day)

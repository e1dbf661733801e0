"""The event log: recent events of each topic, kept for replay after a reconnect.

Retention per topic: the last `max_events` events and also every event younger than
`min_age_seconds` (an event is dropped only when it is beyond both).
"""

from __future__ import annotations

import json
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.errors import ResyncRequired
from hub.events.envelope import Envelope, Replay

# More missed events than this in one answer: reloading the snapshot is cheaper.
MAX_REPLAY = 5000


# Event ids remembered in process memory for repeat detection (an outbox retried).
_SEEN_IDS = 100_000


class EventLog(Protocol):
    async def append(
        self,
        topic: str,
        type: str,
        data: dict[str, Any],
        ctx: str,
        wire_publish: bool,
        event_id: str | None = None,
    ) -> Envelope: ...

    async def replay(self, topic: str, after_seq: int | None, epoch: str | None) -> Replay: ...

    async def recent(self, topic: str, limit: int) -> Replay: ...

    async def close(self) -> None: ...


def check_replay_window(
    *,
    after_seq: int,
    current_seq: int,
    first_kept: int | None,
    client_epoch: str | None,
    epoch: str,
) -> None:
    """Raise RESYNC_REQUIRED unless every event after `after_seq` is still kept."""
    if client_epoch and client_epoch != epoch:
        raise ResyncRequired("事件日志已重置，请重新加载", reason="epoch_changed")
    if after_seq > current_seq:
        raise ResyncRequired("客户端序号超前于服务器，请重新加载", reason="ahead")
    if after_seq == current_seq:
        return
    if first_kept is None or first_kept > after_seq + 1:
        raise ResyncRequired(reason="trimmed")
    if current_seq - after_seq > MAX_REPLAY:
        raise ResyncRequired(reason="too_many")


# A kept event: (type, seq, ts_ms, ctx, event_id, data as JSON). A tuple of strings and ints
# only, so the garbage collector stops tracking it: a day of events kept in memory (a million
# at city scale) would otherwise be a million dict trees every full collection walks, a
# pause of a second on the loop.
_Kept = tuple[str, int, int, str, str, str]


def _keep(envelope: Envelope) -> _Kept:
    data = json.dumps(envelope.data, ensure_ascii=False, separators=(",", ":"))
    return (envelope.type, envelope.seq, envelope.ts_ms, envelope.ctx, envelope.event_id, data)


def _envelope(topic: str, kept: _Kept) -> Envelope:
    type_, seq, ts_ms, ctx, event_id, data = kept
    return Envelope(type_, topic, seq, ts_ms, json.loads(data), ctx, event_id)


@dataclass(slots=True)
class _TopicLog:
    seq: int = 0
    events: deque[_Kept] = field(default_factory=deque)


class MemoryEventLog:
    """A single node's log, in process memory. Its epoch is new on every start."""

    def __init__(self, max_events: int, min_age_seconds: int) -> None:
        self._max = max_events
        self._min_age_ms = min_age_seconds * 1000
        self._topics: dict[str, _TopicLog] = {}
        self._seen: OrderedDict[str, tuple[str, _Kept]] = OrderedDict()  # id -> (topic, event)
        self.epoch = secrets.token_hex(6)

    async def append(
        self,
        topic: str,
        type: str,
        data: dict[str, Any],
        ctx: str,
        wire_publish: bool = False,
        event_id: str | None = None,
    ) -> Envelope:
        return self.append_now(topic, type, data, ctx, event_id)

    def repeat_of(self, event_id: str | None) -> Envelope | None:
        seen = self._seen.get(event_id) if event_id else None
        return _envelope(*seen) if seen is not None else None

    def append_now(
        self, topic: str, type: str, data: dict[str, Any], ctx: str, event_id: str | None = None
    ) -> Envelope:
        if event_id and (first := self._seen.get(event_id)) is not None:
            return _envelope(*first)
        log = self._topics.get(topic)
        if log is None:
            log = self._topics[topic] = _TopicLog()
        log.seq += 1
        now_ms = int(time.time() * 1000)
        envelope = Envelope(type, topic, log.seq, now_ms, data, ctx, event_id or "")
        kept = _keep(envelope)
        log.events.append(kept)
        self._trim(log, now_ms)
        if event_id:
            self._seen[event_id] = (topic, kept)
            if len(self._seen) > _SEEN_IDS:
                self._seen.popitem(last=False)
        return envelope

    def _trim(self, log: _TopicLog, now_ms: int) -> None:
        events = log.events
        cutoff = now_ms - self._min_age_ms
        while len(events) > self._max and events[0][2] < cutoff:
            events.popleft()

    def sweep(self) -> None:
        now_ms = int(time.time() * 1000)
        for log in self._topics.values():
            self._trim(log, now_ms)

    async def replay(self, topic: str, after_seq: int | None, epoch: str | None) -> Replay:
        log = self._topics.get(topic)
        current = log.seq if log else 0
        if after_seq is None:
            return Replay(current, self.epoch, [])
        first = log.events[0][1] if log and log.events else None
        check_replay_window(
            after_seq=after_seq,
            current_seq=current,
            first_kept=first,
            client_epoch=epoch,
            epoch=self.epoch,
        )
        if log is None or after_seq == current:
            return Replay(current, self.epoch, [])
        start = after_seq + 1 - log.events[0][1]
        events = log.events
        return Replay(
            current, self.epoch, [_envelope(topic, events[i]) for i in range(start, len(events))]
        )

    async def recent(self, topic: str, limit: int) -> Replay:
        log = self._topics.get(topic)
        if log is None:
            return Replay(0, self.epoch, [])
        events = log.events
        start = max(0, len(events) - limit)
        return Replay(
            log.seq, self.epoch, [_envelope(topic, events[i]) for i in range(start, len(events))]
        )

    async def close(self) -> None:
        self._topics.clear()

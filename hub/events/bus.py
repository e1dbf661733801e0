"""Publishing: `await bus.publish(topic, SomethingHappened(...))`, the event's typed model
(hub/events/types.py).

The bus validates the names, gives the event its seq by appending it to the log, and fans it
out. Single node: appended and written to local sockets in one synchronous step. With Redis:
the log's Lua script appends and publishes atomically and every node, this one included,
delivers from its pub/sub listener, so all nodes deliver a topic's events in seq order.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from hub.context import current_ctx
from hub.errors import InvalidTopic
from hub.events.envelope import Envelope, Replay, split_topic
from hub.events.log import EventLog, MemoryEventLog
from hub.events.types import Event, checked
from hub.logs import get_logger
from hub.metrics import HubMetrics
from hub.outages import log_failure

log = get_logger("hub.bus")

LocalDelivery = Callable[[Envelope], None]
Listener = Callable[[Envelope], Awaitable[None]]


class EventBus:
    def __init__(self, log: EventLog, metrics: HubMetrics) -> None:
        self._log = log
        self._metrics = metrics
        self._deliver: LocalDelivery | None = None
        self._listeners: list[Listener] = []

    def set_local_delivery(self, deliver: LocalDelivery) -> None:
        """Used with the in-process log: the gateway's synchronous room writer."""
        self._deliver = deliver

    def listen(self, listener: Listener) -> None:
        """Be told of every event published through this bus (on the node that publishes it),
        a repeat included: listeners must be idempotent (by `envelope.event_id`)."""
        self._listeners.append(listener)

    async def publish(self, topic: str, event: Event, *, event_id: str | None = None) -> Envelope:
        """Append and fan out. With `event_id`, publishing the same event again (an outbox
        retried after a crash) is a no-op answering the first envelope's seq."""
        return await self._publish(topic, event.event_type, event.payload(), event_id)

    async def republish(
        self, topic: str, type: str, data: Any, *, event_id: str | None = None
    ) -> Envelope:
        """An event kept as its type and data (an outbox's), checked against its model."""
        return await self._publish(topic, type, checked(type, data), event_id)

    async def _publish(
        self, topic: str, type: str, payload: dict[str, Any], event_id: str | None
    ) -> Envelope:
        if split_topic(topic) is None:
            raise InvalidTopic(topic=topic)
        # Outside a command or request (a timer, a worker) the event starts its own chain.
        ctx = current_ctx() or secrets.token_hex(8)
        event_id = event_id or secrets.token_hex(12)
        log = self._log
        if isinstance(log, MemoryEventLog):
            repeat = log.repeat_of(event_id)
            if repeat is not None:
                await self._tell(repeat)
                return repeat
            envelope = log.append_now(topic, type, payload, ctx, event_id)
            if self._deliver is not None:
                self._deliver(envelope)
        else:
            envelope = await log.append(
                topic, type, payload, ctx, wire_publish=True, event_id=event_id
            )
        self._metrics.events_published.labels(type.split(".", 1)[0]).inc()
        await self._tell(envelope)
        return envelope

    async def _tell(self, envelope: Envelope) -> None:
        for listener in self._listeners:
            try:
                await listener(envelope)
            except Exception:  # a listener's failure is its own, never the publisher's
                log_failure(log, "event_listener_failed", type=envelope.type)

    async def replay(self, topic: str, after_seq: int | None, epoch: str | None = None) -> Replay:
        """The topic's position and, with `after_seq`, every kept event after it."""
        return await self._log.replay(topic, after_seq, epoch)

    async def recent(self, topic: str, limit: int) -> Replay:
        """The most recent kept events of a topic: the snapshot of an event-list screen."""
        return await self._log.recent(topic, limit)

    async def position(self, topic: str) -> tuple[int, str]:
        """(seq, epoch) of a topic, for a snapshot to say which event it matches."""
        replay = await self._log.replay(topic, None, None)
        return replay.seq, replay.epoch

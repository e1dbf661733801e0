"""python-socketio client managers with the encode-once fan-out.

`FastLocalManager.emit` replaces the stock per-recipient task with one encoded frame written
to each socket. `HubRedisManager` puts it under python-socketio's AsyncRedisManager, whose
listener hands every node's messages to the local emit: the MRO places FastLocalManager
between AsyncPubSubManager and AsyncManager.
"""

from __future__ import annotations

import json
from typing import Any

import socketio

from hub.gateway.connections import Connections, text_frame
from hub.metrics import HubMetrics


def encode_event(event: str, args: list[Any]) -> bytes:
    """Engine.IO MESSAGE (4) + Socket.IO EVENT (2) on the default namespace, as JSON."""
    body = json.dumps([event, *args], ensure_ascii=False, separators=(",", ":"))
    return ("42" + body).encode()


class FastLocalManager(socketio.AsyncManager):  # type: ignore[misc]
    connections: Connections
    metrics: HubMetrics

    def bind(self, connections: Connections, metrics: HubMetrics) -> None:
        self.connections = connections
        self.metrics = metrics

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None,
        room: str | None = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        namespace = namespace or "/"
        if callback is not None or room is None or namespace != "/":
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        if isinstance(data, tuple):
            args = list(data)
        elif data is None:
            args = []
        else:
            args = [data]
        self.broadcast(room, event, args, skip=skip_sid)

    def broadcast(self, room: str, event: str, args: list[Any], skip: Any = None) -> int:
        """Encode once, write the same frame to every local socket in the room."""
        frame = text_frame(encode_event(event, args))
        skipped = set(skip) if isinstance(skip, list) else {skip}
        recipients = (eio for sid, eio in self.get_participants("/", room) if sid not in skipped)
        delivered = self.connections.broadcast(frame, recipients)
        self.metrics.events_delivered.inc(delivered)
        return delivered


class HubRedisManager(socketio.AsyncRedisManager, FastLocalManager):  # type: ignore[misc]
    """Cross-node fan-out over Redis pub/sub (at-most-once: clients fill gaps by replay)."""

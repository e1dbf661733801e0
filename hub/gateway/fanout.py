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
    # The last seq written to this node's sockets, per topic: what the repair loop compares
    # with the log to find events the pub/sub channel lost.
    delivered: dict[str, int]

    # The log's epoch each record counts in: another epoch means the log began again (Redis
    # restarted empty, or the topic's keys were lost) and the record must start over.
    epochs: dict[str, str]

    def bind(self, connections: Connections, metrics: HubMetrics, *, track: bool) -> None:
        self.connections = connections
        self.metrics = metrics
        self.delivered = {}
        self.epochs = {}
        self.track = track

    def note_subscribed(self, topic: str, seq: int, epoch: str) -> None:
        """A first local subscriber starts the topic's record at the seq it was told.

        Later subscribers must not move it: that would hide a lost event from the others.
        """
        if self.track:
            self.delivered.setdefault(topic, seq)
            self.epochs.setdefault(topic, epoch)

    def restart_record(self, topic: str, seq: int, epoch: str) -> None:
        """The topic's log began again: count from its new position."""
        self.delivered[topic] = seq
        self.epochs[topic] = epoch

    def forget_idle_topics(self) -> None:
        live = set(self.topics())
        for topic in [t for t in self.delivered if t not in live]:
            del self.delivered[topic]
            self.epochs.pop(topic, None)

    def topics(self) -> list[str]:
        """Rooms with local sockets that are topics (not python-socketio's per-sid rooms)."""
        return [room for room in self.rooms.get("/", {}) if isinstance(room, str) and ":" in room]

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
        if self.track and event == "event" and args and isinstance(args[0], dict):
            seq = args[0].get("seq")
            if isinstance(seq, int):
                if seq <= self.delivered.get(room, 0):
                    return 0  # already written (by the repair loop or a duplicate message)
                self.delivered[room] = seq
        frame = text_frame(encode_event(event, args))
        skipped = set(skip) if isinstance(skip, list) else {skip}
        recipients = (eio for sid, eio in self.get_participants("/", room) if sid not in skipped)
        delivered = self.connections.broadcast(frame, recipients)
        self.metrics.events_delivered.inc(delivered)
        return delivered


class HubRedisManager(socketio.AsyncRedisManager, FastLocalManager):  # type: ignore[misc]
    """Cross-node fan-out over Redis pub/sub (at-most-once: clients fill gaps by replay)."""

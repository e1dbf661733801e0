"""The event log in Redis Streams (msgpack entries), shared by every node.

Appending and announcing happen in one Lua script: the seq is assigned, the entry stored
and the message published to python-socketio's AsyncRedisManager channel in one atomic
step, so every node sees a topic's events in seq order.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from importlib import resources
from typing import Any

import msgpack
from redis.asyncio import Redis

from hub.events.envelope import Envelope, Replay, format_ts
from hub.events.log import MAX_REPLAY, check_replay_window
from hub.redis_keys import RedisKeys

# A topic idle this long is forgotten; its next subscriber gets a new epoch and resyncs.
TOPIC_TTL_SECONDS = 30 * 24 * 3600


def _script(name: str) -> str:
    return resources.files("hub.events").joinpath(name).read_text()


class RedisEventLog:
    def __init__(
        self,
        redis: Redis,
        *,
        keys: RedisKeys,
        max_events: int,
        min_age_seconds: int,
        host_id: str,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._max = max_events
        self._min_age_ms = min_age_seconds * 1000
        self._host_id = host_id
        self._append = redis.register_script(_script("append.lua"))
        self._replay = redis.register_script(_script("replay.lua"))

    async def append(
        self,
        topic: str,
        type: str,
        data: dict[str, Any],
        ctx: str,
        wire_publish: bool,
        event_id: str | None = None,
    ) -> Envelope:
        now_ms = int(time.time() * 1000)
        entry = msgpack.packb([type, now_ms, data, ctx, event_id or ""], use_bin_type=True)
        prefix = suffix = ""
        if wire_publish:
            prefix, suffix = self._pubsub_message(topic, type, now_ms, data, ctx)
        named = self._keys
        keys = [
            named.topic_state(topic),
            named.topic_log(topic),
            named.event_id(event_id) if event_id else "",
        ]
        seq, _epoch, _repeat = await self._append(
            keys=keys,
            args=[
                secrets.token_hex(6),
                entry,
                now_ms,
                self._max,
                now_ms - self._min_age_ms,
                TOPIC_TTL_SECONDS,
                named.socketio_channel if wire_publish else "",
                prefix,
                suffix,
            ],
        )
        return Envelope(type, topic, int(seq), now_ms, data, ctx, event_id or "")

    def _pubsub_message(
        self, topic: str, type: str, ts_ms: int, data: dict[str, Any], ctx: str
    ) -> tuple[str, str]:
        """AsyncRedisManager's emit message, split where the seq goes (Lua fills it in)."""
        dumps = json.dumps
        head = '{"method":"emit","event":"event","data":[{"type":' + dumps(type)
        head += ',"topic":' + dumps(topic) + ',"seq":'
        tail = ',"ts":' + dumps(format_ts(ts_ms)) + ',"data":' + dumps(data, ensure_ascii=False)
        tail += ',"ctx":' + dumps(ctx) + '}],"binary":false,"namespace":"/","room":'
        tail += dumps(topic) + ',"skip_sid":null,"callback":null,"host_id":'
        tail += dumps(self._host_id) + "}"
        return head, tail

    async def replay(self, topic: str, after_seq: int | None, epoch: str | None) -> Replay:
        seq, current_epoch, first_seq, entries = await self._replay(
            keys=[self._keys.topic_state(topic), self._keys.topic_log(topic)],
            args=[
                secrets.token_hex(6),
                "" if after_seq is None else after_seq,
                TOPIC_TTL_SECONDS,
                MAX_REPLAY,
            ],
        )
        seq = int(seq)
        current_epoch = (
            current_epoch.decode() if isinstance(current_epoch, bytes) else current_epoch
        )
        if after_seq is None:
            return Replay(seq, current_epoch, [])
        check_replay_window(
            after_seq=after_seq,
            current_seq=seq,
            first_kept=int(first_seq) or None,
            client_epoch=epoch,
            epoch=current_epoch,
        )
        return Replay(seq, current_epoch, _envelopes(topic, entries))

    async def recent(self, topic: str, limit: int) -> Replay:
        position = await self.replay(topic, None, None)
        entries = await self._redis.xrevrange(self._keys.topic_log(topic), count=limit)
        return Replay(position.seq, position.epoch, _envelopes(topic, reversed(entries or [])))

    async def close(self) -> None:
        return None


def _envelopes(topic: str, entries: Iterable[Any]) -> list[Envelope]:
    events = []
    for entry_id, fields in entries:
        entry_seq = int(entry_id.split(b"-", 1)[0])
        payload = fields[b"e"] if isinstance(fields, dict) else _field(fields, b"e")
        type_, ts_ms, data, ctx, *rest = msgpack.unpackb(payload, raw=False)
        events.append(Envelope(type_, topic, entry_seq, ts_ms, data, ctx, rest[0] if rest else ""))
    return events


def _field(fields: list[bytes], name: bytes) -> bytes:
    for i in range(0, len(fields), 2):
        if fields[i] == name:
            return fields[i + 1]
    raise KeyError(name)

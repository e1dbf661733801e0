"""The one envelope every pushed event travels in: {type, topic, seq, ts, data, ctx}."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# <domain>.<noun>_<past verb>, e.g. queueing.ticket_called
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9]*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
# <kind>:<id>, e.g. hall:xc-01
TOPIC = re.compile(r"^([a-z][a-z0-9_]{0,31}):([A-Za-z0-9][A-Za-z0-9_.\-]{0,127})$")


@dataclass(frozen=True, slots=True)
class Envelope:
    type: str
    topic: str
    seq: int
    ts_ms: int
    data: dict[str, Any]
    ctx: str
    # Names the event itself (kept in the log, not sent to clients): the same event published
    # again, or delivered as several copies, is recognised by it.
    event_id: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "topic": self.topic,
            "seq": self.seq,
            "ts": format_ts(self.ts_ms),
            "data": self.data,
            "ctx": self.ctx,
        }


@dataclass(frozen=True, slots=True)
class Replay:
    """What a subscriber missed: every event after its `after_seq`, in order."""

    seq: int  # the topic's current seq
    epoch: str  # changes when the log is lost (restart without Redis, expiry): seq restarted
    events: list[Envelope]


def format_ts(ts_ms: int) -> str:
    moment = datetime.fromtimestamp(ts_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts_ms % 1000:03d}Z"


def split_topic(topic: str) -> tuple[str, str] | None:
    match = TOPIC.match(topic)
    return (match.group(1), match.group(2)) if match else None

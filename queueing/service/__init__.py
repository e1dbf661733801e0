"""Queueing orchestration: load -> domain -> save -> publish.

`QueueingService` is made of one part per concept (see `core`): `tickets` (taking and
cancelling), `counters` (signing in, pausing), `calling` (F1 and the counter's other actions on
tickets), `positions` (places, estimates, waiting counts), `outbox` (publishing, and the
sweeper's repairs), `reads` (the screens' snapshots, statistics, figures for other domains).
`HallService` (`config`) keeps the halls, services and counters.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from hub.clock import Clock, utc_now
from hub.events import EventBus
from queueing.queue_cache import MemoryQueueVersions, QueueVersions, RedisQueueVersions
from queueing.service.calling import Calling
from queueing.service.config import ConfigCache, HallConfig, HallService
from queueing.service.core import CapacitySource, PersonGate, Place
from queueing.service.counters import Counters
from queueing.service.reads import HallReport, Reads
from queueing.store import CounterStore, Document, HallStore, TicketStore


class QueueingService(Calling, Counters, Reads):
    """Tickets, counters and the calling policy at work: every change is written with the
    events it causes and published after (`outbox`)."""


async def open_services(
    db: AsyncDatabase[Document],
    bus: EventBus,
    *,
    pepper: bytes,
    versions: QueueVersions | None = None,
) -> tuple[HallService, QueueingService]:
    """A node's hall and queue services over the database (indexes made), sharing one
    configuration cache; `versions`: the queue versions the nodes share (Redis), else this
    process's."""
    halls, tickets, counters = HallStore(db), TicketStore(db), CounterStore(db)
    for store in (halls, tickets, counters):
        await store.ensure_indexes()
    cache = ConfigCache(halls)
    return (
        HallService(halls, bus, cache),
        QueueingService(
            halls, tickets, counters, bus, pepper=pepper, cache=cache, versions=versions
        ),
    )


__all__ = [
    "CapacitySource",
    "Clock",
    "ConfigCache",
    "HallConfig",
    "HallReport",
    "HallService",
    "MemoryQueueVersions",
    "PersonGate",
    "Place",
    "QueueVersions",
    "QueueingService",
    "RedisQueueVersions",
    "open_services",
    "utc_now",
]

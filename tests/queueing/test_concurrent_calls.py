"""F1 never fails because a colleague pressed it too: many counters of one hall calling at the
same moment each get a different ticket, on one node and across nodes sharing the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub import keys
from hub.auth.models import Principal, Role
from queueing import HALLS, QUEUE, QueueingService
from queueing.api import queue_versions
from queueing.models import Channel, CitizenIn, HallSetup, Tag
from queueing.service import open_services
from tests.support import (
    Client,
    RunningHub,
    connect,
    drop_database,
    drop_redis_prefix,
    make_settings,
    running_hub,
)

COUNTERS = 10


def crowded_hall(counters: int = COUNTERS) -> HallSetup:
    """One hall, two services, `counters` counters serving both (weights differ)."""
    return HallSetup.model_validate(
        {
            "hall": {"id": "h1", "name": "繁忙大厅"},
            "services": [
                {"id": "s1", "hall_id": "h1", "name": "户籍", "prefix": "A"},
                {"id": "s2", "hall_id": "h1", "name": "社保", "prefix": "B"},
            ],
            "counters": [
                {
                    "id": f"c{n}",
                    "hall_id": "h1",
                    "number": n,
                    "name": f"{n}号窗口",
                    "services": [
                        {"service_id": "s1", "weight": 1 + n % 2},
                        {"service_id": "s2"},
                    ],
                }
                for n in range(1, counters + 1)
            ],
        }
    )


def clerk(n: int) -> Principal:
    return Principal(f"clerk{n}", Role.STAFF, hall="h1", name=f"办事员{n}")


async def fill(queue: QueueingService, tickets: int) -> None:
    for i in range(tickets):
        elderly = CitizenIn(tags=[Tag.ELDERLY]) if i % 5 == 0 else None
        await queue.take_ticket("h1", "s1" if i % 3 else "s2", Channel.KIOSK, elderly)


async def test_counters_calling_at_once_through_the_service(hub: RunningHub) -> None:
    await hub.app[HALLS].apply_setup(crowded_hall())
    queue = hub.app[QUEUE]
    for n in range(1, COUNTERS + 1):
        await queue.open_counter(f"c{n}", clerk(n))
    await fill(queue, 3 * COUNTERS)
    called: list[str] = []
    for _ in range(3):
        tickets = await asyncio.gather(
            *(queue.call_next(f"c{n}", clerk(n)) for n in range(1, COUNTERS + 1))
        )
        called += [t.id for t in tickets]
        assert len({t.id for t in tickets}) == COUNTERS
        await asyncio.gather(
            *(queue.finish(f"c{n}", None, clerk(n)) for n in range(1, COUNTERS + 1))
        )
    assert len(set(called)) == 3 * COUNTERS
    await queue.settle()


async def _clerks(url: str, hub: RunningHub, numbers: range) -> list[Client]:
    clients = []
    for n in numbers:
        clients.append(await connect(url, hub.token(Role.STAFF, sub=f"clerk{n}", hall="h1")))
    return clients


async def _press_f1(clients: dict[int, Client]) -> list[dict[str, Any]]:
    """Every clerk presses F1 at the same moment; the answers, in counter order."""
    return list(
        await asyncio.gather(
            *(c.call("queueing.call_next", {"counter_id": f"c{n}"}) for n, c in clients.items())
        )
    )


async def test_counters_calling_at_once_through_socketio(hub: RunningHub) -> None:
    await hub.app[HALLS].apply_setup(crowded_hall())
    clients = dict(
        zip(
            range(1, COUNTERS + 1), await _clerks(hub.url, hub, range(1, COUNTERS + 1)), strict=True
        )
    )
    try:
        for n, client in clients.items():
            await client.ok("queueing.open_counter", {"counter_id": f"c{n}"})
        await fill(hub.app[QUEUE], 2 * COUNTERS)
        called: list[str] = []
        for _ in range(2):
            answers = await _press_f1(clients)
            assert all(a["ok"] for a in answers), [a for a in answers if not a["ok"]]
            called += [a["data"]["number"] for a in answers]
            for n, client in clients.items():
                await client.ok("queueing.finish", {"counter_id": f"c{n}"})
        assert len(set(called)) == 2 * COUNTERS
        await hub.app[QUEUE].settle()
    finally:
        for client in clients.values():
            await client.close()


@pytest.fixture
async def two_nodes(tmp_path: Path, mongo_url: str) -> AsyncIterator[tuple[RunningHub, RunningHub]]:
    """Two hubs sharing one database and one Redis: two nodes of one deployment."""
    first = make_settings(tmp_path / "a", mongo_url, redis=True)
    second = first.model_copy(update={"data_dir": tmp_path / "b" / "var"})
    try:
        async with running_hub(first) as a, running_hub(second) as b:
            yield a, b
    finally:
        await drop_redis_prefix(first.redis_prefix)
        drop_database(mongo_url, first.mongodb_db)


async def test_counters_calling_at_once_on_two_nodes(
    two_nodes: tuple[RunningHub, RunningHub],
) -> None:
    node_a, node_b = two_nodes
    await node_a.app[HALLS].apply_setup(crowded_hall())
    half = COUNTERS // 2
    on_a = await _clerks(node_a.url, node_a, range(1, half + 1))
    on_b = await _clerks(node_b.url, node_b, range(half + 1, COUNTERS + 1))
    clients = dict(zip(range(1, COUNTERS + 1), on_a + on_b, strict=True))
    try:
        for n, client in clients.items():
            await client.ok("queueing.open_counter", {"counter_id": f"c{n}"})
        # Tickets issued on both nodes: each node's copy of the queue learns of the other's.
        await fill(node_a.app[QUEUE], COUNTERS)
        await fill(node_b.app[QUEUE], 2 * COUNTERS)
        numbers: list[str] = []
        for _ in range(3):
            answers = await _press_f1(clients)
            assert all(a["ok"] for a in answers), [a for a in answers if not a["ok"]]
            numbers += [a["data"]["number"] for a in answers]
            await asyncio.gather(
                *(c.ok("queueing.finish", {"counter_id": f"c{n}"}) for n, c in clients.items())
            )
        assert len(set(numbers)) == 3 * COUNTERS
        for node in two_nodes:
            await node.app[QUEUE].settle()
        assert node_a.app[keys.SETTINGS].mongodb_db == node_b.app[keys.SETTINGS].mongodb_db
    finally:
        for client in clients.values():
            await client.close()


async def test_a_claim_from_a_stale_copy_calls_and_keeps_the_ticket_whole(
    memory_hub: RunningHub,
) -> None:
    """Node B's copy of the queue holds a ticket at an older version (node A wrote it, still
    waiting): B's claim misses, B reads that ticket again and calls it. The claim writes the
    call only: the holder's data and the near-notice stay as stored."""
    hub = memory_hub
    await hub.app[HALLS].apply_setup(crowded_hall(2))
    node_a = hub.app[QUEUE]
    _, node_b = await open_services(
        hub.app[keys.DB], hub.app[keys.BUS], pepper=b"x", versions=queue_versions(hub.app)
    )
    person = CitizenIn(name="张三", phone="13812340000")
    taken = await node_a.take_ticket("h1", "s1", Channel.MINIAPP, person, citizen_id="c-1")
    await node_a.settle()  # its holder is told the turn is near
    await node_b.open_counter("c1", clerk(1))
    assert (await node_b.position(taken))[0] == 0  # B's copy of the queue is read
    ticket = await node_a.ticket(taken.id)
    assert ticket.near_notified_at is not None
    assert await node_a._tickets.save(ticket, ticket.version) is not None  # unseen by B
    called = await node_b.call_next("c1", clerk(1))
    assert called.id == ticket.id
    assert called.version == ticket.version + 2
    assert called.citizen.name == "张三"
    assert called.citizen.phone == "13812340000"
    assert called.person_keys == ticket.person_keys
    assert called.near_notified_at is not None
    assert [c.counter_id for c in called.calls] == ["c1"]
    await node_b.settle()  # the published outbox cleared
    stored = await node_b.ticket(ticket.id)
    assert stored.outbox == []  # published
    assert called.model_copy(update={"outbox": []}) == stored
    await node_a.settle()
    await node_b.close()

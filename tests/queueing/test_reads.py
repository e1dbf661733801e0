"""Read models of the queueing service: the workstation's clerk figures (read by an index, not
by scanning the day) and the arrivals the appointment center reads."""

from __future__ import annotations

from typing import Any

import aiohttp

from hub import keys
from hub.auth.models import Principal, Role
from queueing import HALLS, QUEUE
from queueing.models import Channel
from tests.queueing.factories import setup
from tests.support import RunningHub

CLERK_1 = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
CLERK_2 = Principal("clerk2", Role.STAFF, hall="h1", name="刘洋")


async def _desk(hub: RunningHub, counter: str, clerk: str) -> Any:
    token = hub.token(Role.STAFF, sub=clerk, hall="h1")
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{hub.url}/api/v1/halls/h1/counters/{counter}/workstation",
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        assert response.status == 200
        return await response.json()


async def test_the_workstation_counts_the_clerks_own_tickets(memory_hub: RunningHub) -> None:
    hub = memory_hub
    await hub.app[HALLS].apply_setup(setup())
    queue = hub.app[QUEUE]
    await queue.open_counter("w1", CLERK_1)
    await queue.open_counter("w2", CLERK_2)
    for _ in range(5):
        await queue.take_ticket("h1", "s1", Channel.KIOSK, None)
    for _ in range(2):
        await queue.call_next("w1", CLERK_1)
        await queue.finish("w1", None, CLERK_1)
    await queue.call_next("w2", CLERK_2)
    await queue.recall("w2", CLERK_2)
    await queue.no_show("w2", CLERK_2)
    await queue.call_next("w2", CLERK_2)
    first, second = await _desk(hub, "w1", "clerk1"), await _desk(hub, "w2", "clerk2")
    assert (first["figures"]["served"], first["figures"]["no_show"]) == (2, 0)
    assert (second["figures"]["served"], second["figures"]["no_show"]) == (0, 1)
    assert second["current"]["status"] == "called"
    assert [t["number"] for t in first["waiting"]] == ["A005"]
    assert [c["counter_id"] for c in first["counters"]] == ["w2", "w3"]
    indexes = await hub.app[keys.DB]["queueing_tickets"].index_information()
    assert any(i["key"] == [("staff_id", 1), ("day", 1)] for i in indexes.values())
    await queue.settle()


async def test_arrivals_of_a_day(memory_hub: RunningHub) -> None:
    hub = memory_hub
    await hub.app[HALLS].apply_setup(setup())
    queue = hub.app[QUEUE]
    taken = [
        await queue.take_ticket("h1", service, Channel.KIOSK, None)
        for service in ("s1", "s2", "s1")
    ]
    arrivals = await queue.arrivals("h1", taken[0].day)
    stored = await queue.tickets_of_day("h1", taken[0].day)  # times to the millisecond
    assert len(stored) == 3
    assert sorted((a.service_id, a.issued_at) for a in arrivals) == sorted(
        (t.service_id, t.issued_at) for t in stored
    )
    assert await queue.arrivals("h1", "2001-01-01") == []
    await queue.settle()

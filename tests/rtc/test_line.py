"""The line is one indexed query (a session stored says whether it is open), and the clock's
tick reads it once a round, again only after a step changed it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub import keys
from rtc.api import RTC
from rtc.models import Session, SessionState
from rtc.service import RtcService
from rtc.store import RtcStore
from tests.rtc.test_call import agent_online, offered, store
from tests.rtc.test_routing import Clock, citizen
from tests.support import RunningHub

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def session(n: int, state: SessionState) -> Session:
    return Session(
        id=f"s{n}",
        citizen_id=f"c-{n}",
        citizen_name="张*",
        topic="shebao",
        state=state,
        created_at=NOW,
        queued_at=NOW,
    )


async def test_the_line_is_the_sessions_open_whatever_wrote_them(memory_hub: RunningHub) -> None:
    rtc = store(memory_hub)
    for n, state in enumerate(SessionState):
        await rtc.add(session(n, state))
    open_states = {SessionState.WAITING, SessionState.OFFERED, SessionState.ACTIVE}
    assert {s.state for s in await rtc.open_sessions()} == open_states
    # A call that ends leaves the line.
    [active] = [s for s in await rtc.open_sessions() if s.state is SessionState.ACTIVE]
    await rtc.save(active.model_copy(update={"state": SessionState.WRAP_UP}))
    assert {s.state for s in await rtc.open_sessions()} == open_states - {SessionState.ACTIVE}
    # Sessions stored before they said whether they are open join the line at the next start.
    sessions = memory_hub.app[keys.DB]["rtc_sessions"]
    await sessions.update_many({}, {"$unset": {"open": ""}})
    assert await rtc.open_sessions() == []
    await RtcStore(memory_hub.app[keys.DB]).ensure_indexes()
    assert {s.state for s in await rtc.open_sessions()} == open_states - {SessionState.ACTIVE}


class Reads:
    def __init__(self, target: RtcStore, *names: str) -> None:
        self.counts = dict.fromkeys(names, 0)
        for name in names:
            method = getattr(target, name)

            async def counted(*args: Any, _name: str = name, _method: Any = method) -> Any:
                self.counts[_name] += 1
                return await _method(*args)

            setattr(target, name, counted)


async def test_a_quiet_tick_reads_the_line_once(memory_hub: RunningHub) -> None:
    # A service of its own on the hub's collections (the hub's clock ticks its own).
    service = RtcService(
        memory_hub.app[keys.DB], memory_hub.app[keys.BUS], memory_hub.app[RTC].recorder
    )
    reads = Reads(service._store, "open_sessions", "agents", "in_state", "get", "agent")
    await service.tick()
    assert reads.counts == {"open_sessions": 1, "agents": 1, "in_state": 0, "get": 0, "agent": 0}


async def test_a_tick_that_expires_an_offer_routes_it_again_in_the_same_round(
    memory_hub: RunningHub,
) -> None:
    hub = memory_hub
    clock = Clock(hub.app[RTC])
    a = await agent_online(hub, "a")
    b = await agent_online(hub, "b")
    caller = await citizen(hub, "c-1")
    try:
        requested = await caller.ok("rtc.request", {"topic": "shebao"})
        first = await offered(a)
        assert first["id"] == requested["id"]
        clock.later(seconds=21)  # a lets it run out
        await hub.app[RTC].tick()
        stored = await store(hub).get(requested["id"])
        assert stored is not None
        assert (stored.state, stored.offered_to) == (SessionState.OFFERED, "b")
        assert (await offered(b))["id"] == requested["id"]
    finally:
        for client in (a, b, caller):
            await client.close()

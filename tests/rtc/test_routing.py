"""Routing, presence, transfers, security and pictures against the running hub (signaling
and state only; media in test_call.py)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from PIL import Image

from hub.auth.models import Role
from rtc.api import RTC
from rtc.models import AgentStatus
from rtc.service import RtcService
from tests.rtc.test_call import offered, store
from tests.support import Client, RunningHub, connect


class Clock:
    """The service's clock, moved by the test. It starts at the real time: the hub's own
    clockwork may be half-way through a round read from the real clock, and time must not go
    backwards under it."""

    def __init__(self, service: RtcService) -> None:
        self.now = datetime.now(UTC)
        service._now = lambda: self.now

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(memory_hub: RunningHub) -> Clock:
    return Clock(memory_hub.app[RTC])


async def agent(hub: RunningHub, sub: str, skills: list[str], clock: Clock) -> Client:
    client = await connect(hub.url, hub.token(Role.AGENT, sub))
    await client.ok("rtc.agent_hello", {})
    await client.ok("subscribe", {"topic": f"agent:{sub}"})
    await client.ok("rtc.set_skills", {"skills": skills})
    await client.ok("rtc.set_status", {"status": "available"})
    clock.later(seconds=1)  # who became available first has idled longest
    return client


async def citizen(hub: RunningHub, sub: str) -> Client:
    client = await connect(hub.url, hub.token(Role.CITIZEN, sub))
    await client.ok("subscribe", {"topic": f"citizen:{sub}"})
    return client


async def arrived(client: Client, type: str) -> dict[str, Any]:
    """The first event of a type the client received, waiting for it if need be."""
    async with asyncio.timeout(10):
        while True:
            for event in client.events:
                if event["type"] == type:
                    return event
            await client.wait_events(len(client.events) + 1)


def offers(client: Client) -> list[str]:
    return [e["data"]["session"]["id"] for e in client.events if e["type"] == "rtc.call_offered"]


async def test_longest_idle_agent_with_the_skill_is_offered_and_declines_move_on(
    memory_hub: RunningHub, clock: Clock
) -> None:
    hub = memory_hub
    a = await agent(hub, "a", ["shebao"], clock)
    b = await agent(hub, "b", ["shebao", "huji"], clock)
    c = await agent(hub, "c", ["huji"], clock)
    caller = await citizen(hub, "c-1")
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao"})
        assert (await offered(a))["id"] == session["id"]  # a idled longest
        assert offers(b) == offers(c) == []
        await a.ok("rtc.decline", {"session_id": session["id"]})
        assert (await offered(b))["id"] == session["id"]  # the next with the skill
        # b lets it run out: back to the queue, b set away, and a (who declined) not yet.
        clock.later(seconds=21)
        await hub.app[RTC].tick()
        stored = await store(hub).agent("b")
        assert stored is not None
        assert stored.status is AgentStatus.AWAY
        state = await store(hub).get(session["id"])
        assert state is not None
        assert (state.state.value, state.declined) == ("waiting", ["a", "b"])
        # Too late a click: b is told the call moved on.
        error = await b.error("rtc.accept", {"session_id": session["id"]})
        assert error["code"] == "NOT_OFFERED"
        assert offers(a) == [session["id"]]
        clock.later(seconds=61)  # the declines cool down: round again
        await hub.app[RTC].tick()
        assert offers(a) == [session["id"], session["id"]]
        # Offered round again to a alone: b is no party to it any more.
        error = await b.error("rtc.accept", {"session_id": session["id"]})
        assert error["code"] == "FORBIDDEN"
        accepted = await a.ok("rtc.accept", {"session_id": session["id"]})
        assert accepted["agent_id"] == "a"
    finally:
        for client in (a, b, c, caller):
            await client.close()


async def test_an_offer_accepted_too_late_is_refused(memory_hub: RunningHub, clock: Clock) -> None:
    a = await agent(memory_hub, "a", ["shebao"], clock)
    caller = await citizen(memory_hub, "c-1")
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao"})
        await offered(a)
        clock.later(seconds=20, milliseconds=1)
        error = await a.error("rtc.accept", {"session_id": session["id"]})
        assert error["code"] == "OFFER_EXPIRED"
    finally:
        await a.close()
        await caller.close()


async def test_transfer_to_a_topic_keeps_the_wait_and_finds_a_skilled_agent(
    memory_hub: RunningHub, clock: Clock
) -> None:
    hub = memory_hub
    a = await agent(hub, "a", ["shebao"], clock)
    g = await agent(hub, "g", ["gongjijin"], clock)
    caller = await citizen(hub, "c-1")
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao"})
        await offered(a)
        await a.ok("rtc.accept", {"session_id": session["id"]})
        error = await a.error(
            "rtc.transfer", {"session_id": session["id"], "to_agent": "a", "note": ""}
        )
        assert error["code"] == "TRANSFER_TARGET_INVALID"
        clock.later(minutes=3)
        moved = await a.ok(
            "rtc.transfer",
            {"session_id": session["id"], "to_topic": "gongjijin", "note": "公积金提取"},
        )
        assert moved["topic"] == "gongjijin"
        assert moved["queued_at"] == session["queued_at"]
        assert (await offered(g))["id"] == session["id"]
        freed = await store(hub).agent("a")
        assert freed is not None
        assert (freed.status, freed.session_id) == (AgentStatus.AVAILABLE, None)
        await g.ok("rtc.accept", {"session_id": session["id"]})
        stored = await store(hub).get(session["id"])
        assert stored is not None
        assert [t.to_topic for t in stored.transfers] == ["gongjijin"]
        assert stored.agent_id == "g"
        # Each agent's part of the call is recorded on its own (the first one is kept).
        assert [r.file for r in stored.earlier_recordings] == [f"{session['id']}-0.mkv"]
        assert stored.recording is not None
        assert stored.recording.state == "recording"
        assert hub.app[RTC].recorder.active(session["id"])
    finally:
        for client in (a, g, caller):
            await client.close()


async def test_presence_survives_a_reload_and_ends_after_the_grace(
    memory_hub: RunningHub, clock: Clock
) -> None:
    hub = memory_hub
    service = hub.app[RTC]
    a = await agent(hub, "a", ["shebao"], clock)
    await a.close()  # a reload: the console reconnects within seconds
    clock.later(seconds=5)
    again = await connect(hub.url, hub.token(Role.AGENT, "a"))
    try:
        hello = await again.ok("rtc.agent_hello", {})
        assert hello["agent"]["status"] == "available"
        await service.tick()
        await again.close()  # gone for good
        clock.later(seconds=29)
        await service.tick()
        assert (await store(hub).agent("a")).status is AgentStatus.AVAILABLE  # type: ignore[union-attr]
        clock.later(seconds=2)
        await service.tick()
        assert (await store(hub).agent("a")).status is AgentStatus.OFFLINE  # type: ignore[union-attr]
    finally:
        await again.close()


async def test_a_party_that_does_not_come_back_ends_the_call_and_frees_the_agent(
    memory_hub: RunningHub, clock: Clock
) -> None:
    hub = memory_hub
    service = hub.app[RTC]
    a = await agent(hub, "a", ["shebao"], clock)
    caller = await citizen(hub, "c-1")
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao"})
        await offered(a)
        await a.ok("rtc.accept", {"session_id": session["id"]})
        level = await caller.ok(
            "rtc.quality", {"session_id": session["id"], "state": "reconnecting"}
        )
        assert level == {"level": 0}
        clock.later(seconds=20)
        await caller.ok(
            "rtc.signal", {"session_id": session["id"], "link": "call", "kind": "renegotiate"}
        )  # back in time
        clock.later(seconds=20)
        await service.tick()
        assert (await store(hub).get(session["id"])).state.value == "active"  # type: ignore[union-attr]
        await caller.ok("rtc.quality", {"session_id": session["id"], "state": "failed"})
        clock.later(seconds=31)
        await service.tick()
        ended = await store(hub).get(session["id"])
        assert ended is not None
        assert (ended.state.value, ended.end_reason) == ("wrap_up", "市民连接中断")
        await a.ok("rtc.wrap_up", {"session_id": session["id"], "notes": ""})
        freed = await store(hub).agent("a")
        assert freed is not None
        assert (freed.status, freed.session_id) == (AgentStatus.AVAILABLE, None)
    finally:
        await a.close()
        await caller.close()


async def http(
    hub: RunningHub, method: str, path: str, token: str, **kwargs: Any
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session,
        session.request(method, f"{hub.url}/api/v1{path}", **kwargs) as response,
    ):
        if response.content_type == "application/json" or "problem" in response.content_type:
            return response.status, await response.json()
        return response.status, await response.read()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def test_strangers_cannot_signal_read_or_see_pictures_and_bad_uploads_are_refused(
    memory_hub: RunningHub, clock: Clock
) -> None:
    hub = memory_hub
    a = await agent(hub, "a", ["shebao"], clock)
    caller = await citizen(hub, "c-1")
    stranger = await citizen(hub, "c-2")
    other_agent = await connect(hub.url, hub.token(Role.AGENT, "z"))
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao"})
        sid = session["id"]
        await offered(a)
        await a.ok("rtc.accept", {"session_id": sid})
        for client in (stranger, other_agent):
            error = await client.error("subscribe", {"topic": f"rtc:{sid}"})
            assert error["code"] == "TOPIC_FORBIDDEN"
            error = await client.error(
                "rtc.signal", {"session_id": sid, "link": "call", "kind": "offer", "sdp": "v=0"}
            )
            assert error["code"] == "FORBIDDEN"
        staff = await connect(hub.url, hub.token(Role.STAFF, "s1", hall="h1"))
        try:
            assert (await staff.error("subscribe", {"topic": f"rtc:{sid}"}))["code"] == (
                "TOPIC_FORBIDDEN"
            )
        finally:
            await staff.close()
        error = await stranger.error("rtc.chat", {"session_id": sid, "text": "hi"})
        assert error["code"] == "FORBIDDEN"

        token = hub.token(Role.CITIZEN, "c-1")
        status, error = await http(
            hub,
            "POST",
            f"/rtc/sessions/{sid}/images",
            token,
            data=b"not an image",
            headers={"Content-Type": "image/png"},
        )
        assert (status, error["code"]) == (422, "IMAGE_INVALID")
        big = b"\x89PNG" + b"0" * (5 * 1024 * 1024)
        status, error = await http(
            hub,
            "POST",
            f"/rtc/sessions/{sid}/images",
            token,
            data=big,
            headers={"Content-Type": "image/png"},
        )
        assert (status, error["code"]) == (413, "IMAGE_TOO_LARGE")
        status, posted = await http(
            hub,
            "POST",
            f"/rtc/sessions/{sid}/images",
            token,
            data=png(),
            headers={"Content-Type": "image/png"},
        )
        assert status == 200
        image_id = posted["message"]["image_id"]
        assert posted["message"]["image_type"] == "image/png"
        status, body = await http(hub, "GET", f"/rtc/images/{image_id}", token)
        assert (status, body) == (200, png())
        status, error = await http(
            hub, "GET", f"/rtc/images/{image_id}", hub.token(Role.CITIZEN, "c-2")
        )
        assert (status, error["code"]) == (403, "FORBIDDEN")
        status, error = await http(
            hub, "GET", f"/rtc/sessions/{sid}", hub.token(Role.CITIZEN, "c-2")
        )
        assert (status, error["code"]) == (403, "FORBIDDEN")
        stored = await store(hub).get(sid)
        assert stored is not None
        assert [m.image_id for m in stored.chat] == [image_id]
    finally:
        for client in (a, caller, stranger, other_agent):
            await client.close()


async def test_one_open_request_per_citizen_and_leaving_withdraws_the_offer(
    memory_hub: RunningHub, clock: Clock
) -> None:
    hub = memory_hub
    a = await agent(hub, "a", ["shebao"], clock)
    caller = await citizen(hub, "c-1")
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao"})
        assert (await caller.error("rtc.request", {"topic": "huji"}))["code"] == "ALREADY_WAITING"
        assert (await caller.error("rtc.request", {"topic": "nope"}))["code"] in (
            "TOPIC_NOT_FOUND",
            "ALREADY_WAITING",
        )
        await offered(a)
        left = await caller.ok("rtc.leave", {"session_id": session["id"]})
        assert left["state"] == "abandoned"
        withdrawn = [e for e in a.events if e["type"] == "rtc.offer_withdrawn"]
        assert withdrawn[0]["data"]["session_id"] == session["id"]
        freed = await store(hub).agent("a")
        assert freed is not None
        assert freed.session_id is None
    finally:
        await a.close()
        await caller.close()


async def test_a_long_wait_offers_a_call_back_and_the_message_center_confirms_it(
    memory_hub: RunningHub, clock: Clock
) -> None:
    from notifier.api import NOTIFIER
    from notifier.models import Contact

    hub = memory_hub
    notifier = hub.app[NOTIFIER]
    await notifier.save_contact(Contact(id="user:boss", groups=["video-supervisors"]))
    caller = await citizen(hub, "c-1")
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao", "name": "张三"})
        clock.later(minutes=10)
        await hub.app[RTC].tick()
        offered = await arrived(caller, "rtc.callback_offered")
        assert offered["data"] == {"session_id": session["id"], "waited_minutes": 10}
        await hub.app[RTC].tick()  # told once
        assert len([e for e in caller.events if e["type"] == "rtc.callback_offered"]) == 1
        error = await caller.error(
            "rtc.callback", {"session_id": session["id"], "phone": "010-1234"}
        )
        assert error["code"] == "INVALID_PAYLOAD"
        done = await caller.ok(
            "rtc.callback", {"session_id": session["id"], "phone": "13800138000"}
        )
        assert done["state"] == "callback"
        for _ in range(10):
            if not await notifier.work_once():
                break
        mine = await notifier.inbox("citizen:c-1", None, 10, None)
        assert [i["title"] for i in mine["items"]] == ["已登记回电"]
        boss = await notifier.inbox("user:boss", None, 10, None)
        assert [i["title"] for i in boss["items"]] == ["待回电"]  # told once
        assert "13800138000" in boss["items"][0]["body"]
        # What the message center keeps the citizen's SMS address from: the citizen's id and
        # the number, on the citizen's own topic (the service calls no other domain).
        requested = await arrived(caller, "rtc.callback_requested")
        assert requested["topic"] == "citizen:c-1"
        assert requested["data"] == {
            "session_id": session["id"],
            "citizen_id": "c-1",
            "citizen_name": "张*",
            "phone": "13800138000",
            "topic_name": "社保医保",
        }
    finally:
        await caller.close()


async def test_a_citizen_whose_page_closes_mid_call_is_given_the_grace_then_the_call_ends(
    memory_hub: RunningHub, clock: Clock
) -> None:
    hub = memory_hub
    service = hub.app[RTC]
    a = await agent(hub, "a", ["shebao"], clock)
    caller = await citizen(hub, "c-1")
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao"})
        await offered(a)
        await a.ok("rtc.accept", {"session_id": session["id"]})
        await caller.close()  # the phone's page is gone
        async with asyncio.timeout(5):
            while True:
                stored = await store(hub).get(session["id"])
                assert stored is not None
                if "citizen" in stored.dropped:
                    break
                await asyncio.sleep(0.02)
        await service.tick()
        assert (await store(hub).get(session["id"])).state.value == "active"  # type: ignore[union-attr]
        clock.later(seconds=31)
        await service.tick()
        ended = await store(hub).get(session["id"])
        assert ended is not None
        assert (ended.state.value, ended.end_reason) == ("wrap_up", "市民连接中断")
    finally:
        await a.close()
        await caller.close()


async def test_a_rating_survives_a_save_of_the_session_in_between(
    memory_hub: RunningHub, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder finishing (or the agent's wrap-up) may save the ended session between the
    rating's read and its write: the rating is kept all the same, once."""
    hub = memory_hub
    a = await agent(hub, "a", ["shebao"], clock)
    caller = await citizen(hub, "c-1")
    try:
        session = await caller.ok("rtc.request", {"topic": "shebao"})
        await offered(a)
        await a.ok("rtc.accept", {"session_id": session["id"]})
        await caller.ok("rtc.hang_up", {"session_id": session["id"]})
        sessions = hub.app[RTC]._store
        real_save = sessions.save
        raced: list[int] = []

        async def save_after_another(changed: Any) -> Any:
            if changed.rating is not None and not raced:
                fresh = await sessions.get(changed.id)
                assert fresh is not None
                raced.append(fresh.version)
                assert await real_save(fresh.model_copy(update={"notes": "已解答"})) is not None
            return await real_save(changed)

        monkeypatch.setattr(sessions, "save", save_after_another)
        rated = await caller.ok(
            "rtc.rate", {"session_id": session["id"], "stars": 4, "comment": "讲解清楚"}
        )
        assert raced, "the concurrent save did not happen"
        assert rated["rating"]["stars"] == 4
        stored = await sessions.get(session["id"])
        assert stored is not None
        assert stored.rating is not None
        assert stored.rating.stars == 4
        assert stored.notes == "已解答"  # the other save is kept too
        again = await caller.error("rtc.rate", {"session_id": session["id"], "stars": 1})
        assert again["code"] == "RATING_NOT_ALLOWED"
    finally:
        await a.close()
        await caller.close()

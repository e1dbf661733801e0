"""The video service's screens that keep state: the agent console and the supervisors' monitor.
Each loads its snapshot, follows its topics while a scripted morning at the video desk runs,
applies the events with its own TypeScript reducer (clients/scripts/replay.ts) and must equal a
snapshot loaded afresh (Zulip's `verify_action`, as tests/e2e/test_screen_state.py does for the
hall's screens)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from hub import keys
from hub.auth.models import Role
from tests.e2e.screens import diff, quiet, replay, without
from tests.support import Client, RunningHub, connect

# The agent whose console is checked, the colleague a call is passed to, and the callers.
WANG = ("wangfang", "王芳")
LIU = ("liuyang", "刘洋")
CALLERS = {"c-1": "张三", "c-2": "李四", "c-3": "王五", "c-4": "赵六", "c-5": "孙七"}


def token(hub: RunningHub, role: Role, sub: str, name: str = "") -> str:
    issued, _ = hub.app[keys.TOKENS].issue(sub, role, name=name)
    return issued


async def get(hub: RunningHub, path: str, bearer: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            hub.url + "/api/v1" + path, headers={"Authorization": f"Bearer {bearer}"}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


@dataclass
class Following:
    """A screen's topics, each followed from before its snapshot (`seqs`: the snapshot's seq of
    each). A call's topic is followed only while the call is the screen's, from its start: all
    of its events received count."""

    client: Client
    seqs: dict[str, int] = field(default_factory=dict)

    async def follow(self, topic: str) -> None:
        await self.client.ok("subscribe", {"topic": topic})

    async def leave(self, topic: str) -> None:
        await self.client.ok("unsubscribe", {"topic": topic})

    def events(self, upto: dict[str, int]) -> list[dict[str, Any]]:
        """In the order the screen received them: those after the snapshot up to `upto` on the
        snapshot's topics, and every one of a call's topic."""
        return [
            e
            for e in self.client.events
            if (e["topic"] in upto and self.seqs.get(e["topic"], 0) < e["seq"] <= upto[e["topic"]])
            or (e["topic"].startswith("rtc:") and e["topic"] not in upto)
        ]


Snapshot = tuple[dict[str, Any], dict[str, int]]  # the screen's snapshot, each topic's seq
Check = Callable[[str], Awaitable[None]]  # the screen checked now (after the named scene)


async def verify_topics(
    screen: str,
    following: Following,
    load: Callable[[], Awaitable[Snapshot]],
    script: Callable[[Check], Awaitable[None]],
    pick: Callable[[Any], Any] = lambda state: state,
) -> list[int]:
    """Snapshot, then the script; at each of its checks the snapshot plus the events so far,
    replayed by the screen's reducer, equals a fresh snapshot as the screen loads it (the same
    code, no events): a wrong state in between is not hidden by a right one at the end.
    Answers how many events each check applied."""
    before, following.seqs = await load()
    applied: list[int] = []

    async def check(scene: str) -> None:
        await quiet(following.client)
        after, upto = await load()
        events = following.events(upto)
        # Two Node processes at once: a dozen checks stay well within the test's time.
        (replayed, reloads), (fresh, _) = await asyncio.gather(
            asyncio.to_thread(replay, screen, before, events),
            asyncio.to_thread(replay, screen, after, []),
        )
        assert reloads == 0, f"{screen}, {scene}: {reloads} events asked for a reload"
        replayed, fresh = pick(replayed), pick(fresh)
        assert replayed == fresh, (
            f"{screen}, {scene}: snapshot + {len(events)} events differs:\n" + diff(replayed, fresh)
        )
        applied.append(len(events))

    await script(check)
    return applied


# -- the morning ------------------------------------------------------------------------------


@dataclass
class Desk:
    """The video desk: 王芳's console (the screen checked), 刘洋's, the callers' phones."""

    hub: RunningHub
    wang: Client
    liu: Client
    callers: dict[str, Client] = field(default_factory=dict)

    async def caller(self, sub: str) -> Client:
        phone = await connect(self.hub.url, token(self.hub, Role.CITIZEN, sub, CALLERS[sub]))
        await phone.ok("subscribe", {"topic": f"citizen:{sub}"})
        self.callers[sub] = phone
        return phone

    async def request(self, sub: str, topic: str) -> str:
        phone = await self.caller(sub)
        session = await phone.ok("rtc.request", {"topic": topic, "name": CALLERS[sub]})
        return str(session["id"])

    async def close(self) -> None:
        for client in (self.wang, self.liu, *self.callers.values()):
            await client.close()


async def open_desk(hub: RunningHub) -> Desk:
    """刘洋 is on duty for 公积金; 王芳's console has just opened (she is away, as a new agent)."""
    liu = await connect(hub.url, token(hub, Role.AGENT, *LIU))
    await liu.ok("rtc.agent_hello", {})
    await liu.ok("subscribe", {"topic": f"agent:{LIU[0]}"})
    await liu.ok("rtc.set_skills", {"skills": ["gongjijin"]})
    await liu.ok("rtc.set_status", {"status": "available"})
    wang = await connect(hub.url, token(hub, Role.AGENT, *WANG))
    await wang.ok("rtc.agent_hello", {})
    return Desk(hub, wang, liu)


async def no_check(scene: str) -> None:
    pass


async def a_morning_at_the_video_desk(
    desk: Desk, check: Check = no_check, console: Following | None = None
) -> None:
    """王芳 comes online, declines one caller and takes another, chats, passes the call to 刘洋;
    a caller leaves the line, another asks to be called back; she takes a call the caller hangs
    up, which is rated while she wraps up; a last call is being offered to her at the end. The
    screen is checked after each scene. `console`: 王芳's console, which follows the topic of
    each of her calls while it is hers."""
    wang, liu = desk.wang, desk.liu
    await wang.ok("rtc.set_skills", {"skills": ["shebao", "huji"]})
    await wang.ok("rtc.set_status", {"status": "available"})
    declined = await desk.request("c-1", "shebao")  # offered to 王芳, the only one with the skill
    await check("王芳 online and offered a call")

    await wang.ok("rtc.decline", {"session_id": declined})
    await check("the call declined")

    taken = await desk.request("c-2", "huji")
    await wang.ok("rtc.accept", {"session_id": taken})
    if console is not None:
        await console.follow(f"rtc:{taken}")
    await wang.ok("rtc.chat", {"session_id": taken, "text": "您好，请问办理什么业务？"})
    await desk.callers["c-2"].ok(
        "rtc.chat", {"session_id": taken, "text": "户口迁出后公积金怎么提取？"}
    )
    await check("王芳 in a call, chatting")

    waiting = await desk.request("c-3", "shebao")  # 王芳 is busy: the caller waits
    await desk.callers["c-1"].ok("rtc.leave", {"session_id": declined})
    await check("a caller waiting, another gone")
    await desk.callers["c-3"].ok("rtc.callback", {"session_id": waiting, "phone": "13800138000"})
    await check("a call-back asked for")

    await wang.ok("rtc.transfer", {"session_id": taken, "to_agent": LIU[0], "note": "公积金提取"})
    if console is not None:
        await console.leave(f"rtc:{taken}")
    await check("the call passed to 刘洋")
    await liu.ok("rtc.accept", {"session_id": taken})
    await check("刘洋 in the call")

    hung_up = await desk.request("c-4", "shebao")
    await wang.ok("rtc.accept", {"session_id": hung_up})
    if console is not None:
        await console.follow(f"rtc:{hung_up}")
    await desk.callers["c-4"].ok("rtc.chat", {"session_id": hung_up, "text": "谢谢，我明白了"})
    await desk.callers["c-4"].ok("rtc.leave", {"session_id": hung_up})
    await check("the caller hung up: 王芳 wraps up")
    await desk.callers["c-4"].ok(
        "rtc.rate", {"session_id": hung_up, "stars": 5, "comment": "讲解很清楚"}
    )
    await check("the call rated")
    await wang.ok("rtc.wrap_up", {"session_id": hung_up, "notes": "已告知参保缴费查询方式"})
    if console is not None:
        await console.leave(f"rtc:{hung_up}")
    await check("wrapped up")

    await desk.request("c-5", "huji")  # offered to 王芳, still ringing at the end
    await check("a last call ringing")


# -- the screens ------------------------------------------------------------------------------


# Of a session the console keeps: not the caller's place in the line (told on the caller's
# topic) nor the caller's rating (read by supervisors in the session's detail), which the
# console does not show, nor its version (the hub's bookkeeping); its chat and recording are
# the console's own, compared as such.
NOT_KEPT = ("position", "estimate_minutes", "rating", "version", "chat", "recording")


def console_view(state: dict[str, Any]) -> dict[str, Any]:
    """The agent console's state as the hub makes it. Its call's media and peer (the browser's
    own connection) and a notice shown once are the console's."""
    call = state["call"]
    return {
        "agent": state["agent"],
        "queue": state["queue"],
        "offer": without(call["offer"], *NOT_KEPT),
        "session": without(call["session"], *NOT_KEPT),
        "chat": state["chat"],
        "recording": state["recording"],
    }


async def test_the_agent_console(memory_hub: RunningHub) -> None:
    hub = memory_hub
    desk = await open_desk(hub)
    me = WANG[0]
    bearer = token(hub, Role.AGENT, *WANG)
    try:
        console = Following(desk.wang)
        await console.follow(f"agent:{me}")
        await console.follow("rtc:queue")

        async def load() -> Snapshot:
            """As the console starts: each topic's position, the hello, the line's latest."""
            mine = await get(hub, f"/events/agent:{me}?limit=1", bearer)
            line = await get(hub, "/events/rtc:queue?limit=5", bearer)
            hello = await desk.wang.ok("rtc.agent_hello", {})
            changed = [e for e in line["events"] if e["type"] == "rtc.queue_changed"]
            queue = max(changed, key=lambda e: e["seq"])["data"] if changed else None
            snapshot = {"me": me, "hello": hello, "queue": queue}
            return snapshot, {f"agent:{me}": mine["seq"], "rtc:queue": line["seq"]}

        applied = await verify_topics(
            "agent",
            console,
            load,
            lambda check: a_morning_at_the_video_desk(desk, check, console),
            console_view,
        )
        assert len(applied) == 11
        assert applied[0] >= 5  # online, offered
        assert applied[-1] >= 40
    finally:
        await desk.close()


async def test_the_video_monitor(memory_hub: RunningHub) -> None:
    hub = memory_hub
    desk = await open_desk(hub)
    bearer = token(hub, Role.SUPERVISOR, "zhuguan", "周主管")
    monitor = await connect(hub.url, bearer)
    try:
        board = Following(monitor)
        await board.follow("rtc:queue")

        async def load() -> Snapshot:
            line = await get(hub, "/events/rtc:queue?limit=1", bearer)
            return await get(hub, "/rtc/overview", bearer), {"rtc:queue": line["seq"]}

        applied = await verify_topics(
            "monitor", board, load, lambda check: a_morning_at_the_video_desk(desk, check)
        )
        assert len(applied) == 11
        assert applied[0] >= 2
        assert applied[-1] >= 15
    finally:
        await monitor.close()
        await desk.close()

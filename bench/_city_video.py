"""Video consultations in bench/city.py's day, signaling only (no media: the hub's recorder
is off): a citizen asks, an agent accepts, offer, answer and ICE candidates both ways, a few
chat lines over the call, hang-up and wrap-up; one-way times of the signals and chat lines."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from bench._city_clients import Client, Ctx, Handler, command
from bench._sio import MiniSocket
from hub.auth.models import Role

FAKE_SDP = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"


@dataclass
class VideoPair:
    """A call's two parties, each registering itself as it learns the session's id."""

    accepted: asyncio.Event = field(default_factory=asyncio.Event)  # the caller heard it
    joined: asyncio.Event = field(default_factory=asyncio.Event)  # the agent is on the topic
    agent: Agent | None = None


def _signal_handler(ctx: Ctx, me: str) -> Handler:
    def handle(envelope: dict[str, Any], received: float) -> None:
        kind, data = envelope["type"], envelope["data"]
        if kind == "rtc.signal_sent" and data.get("from") != me:
            mark = str((data.get("candidate") or {}).get("sdpMid", ""))
            sent = ctx.signals.pop(mark, None)
            if sent is not None:
                ctx.stats.add("signal one-way", sent, received)
        elif kind == "rtc.chat_posted":
            text = str(data.get("message", {}).get("text", ""))
            sent = ctx.signals.pop(text, None)
            if sent is not None:
                ctx.stats.add("chat one-way", sent, received)
        elif kind == "rtc.call_accepted" and me == "citizen":
            session_id = str(data.get("session", {}).get("id", ""))
            ctx.sessions.setdefault(session_id, VideoPair()).accepted.set()

    return handle


class Agent(Client):
    def __init__(self, ctx: Ctx, n: int) -> None:
        self.agent_handle = _signal_handler(ctx, "agent")
        super().__init__(ctx, f"agent {n}", self._handle)
        self.id = f"agent-{n}"

    def _handle(self, envelope: dict[str, Any], received: float) -> None:
        if envelope["type"] == "rtc.call_offered":
            self.ctx.spawn(self.take(str(envelope["data"]["session"]["id"])))
        else:
            self.agent_handle(envelope, received)

    async def sign_in(self, topics: list[str]) -> bool:
        if not await self.connect(self.ctx.token(self.id, Role.AGENT, name="坐席"), "connect"):
            return False
        await command(self.ctx, self.sock, "rtc.agent_hello", {})
        await self.subscribe(f"agent:{self.id}", "subscribe (screens)")
        await command(self.ctx, self.sock, "rtc.set_skills", {"skills": topics})
        await command(self.ctx, self.sock, "rtc.set_status", {"status": "available"})
        return True

    async def take(self, session_id: str) -> None:
        if await command(self.ctx, self.sock, "rtc.accept", {"session_id": session_id}) is None:
            await command(self.ctx, self.sock, "rtc.set_status", {"status": "available"})
            return
        await self.subscribe(f"rtc:{session_id}")
        pair = self.ctx.sessions.setdefault(session_id, VideoPair())
        pair.agent = self
        pair.joined.set()


async def signal(ctx: Ctx, sock: MiniSocket | None, session_id: str, kind: str) -> None:
    payload: dict[str, Any] = {"session_id": session_id, "link": "call", "kind": kind}
    if kind == "candidate":
        mark = f"m{next(ctx.marks)}"
        ctx.signals[mark] = time.time()
        payload["candidate"] = {
            "candidate": "candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host",
            "sdpMid": mark,
            "sdpMLineIndex": 0,
        }
    else:
        payload["sdp"] = FAKE_SDP
    await command(ctx, sock, "rtc.signal", payload)


async def video_call(ctx: Ctx, n: int, topic: str, minutes: float, chats: int) -> None:
    """A citizen asks for a video consultation; an agent takes it; offer, answer and ICE
    candidates both ways, a few chat lines over the call, the agent hangs up and wraps up."""
    clock = ctx.clock
    caller = Client(ctx, f"caller {n}", _signal_handler(ctx, "citizen"))
    if not await caller.connect(ctx.token(f"v{n}", Role.CITIZEN, name="市民")):
        return
    await caller.subscribe(f"citizen:v{n}")
    session = await command(ctx, caller.sock, "rtc.request", {"topic": topic, "name": "市民"})
    if session is None:
        await caller.close()
        return
    session_id = str(session["id"])
    pair = ctx.sessions.setdefault(session_id, VideoPair())
    try:
        async with asyncio.timeout(120):
            await pair.accepted.wait()
            await pair.joined.wait()
    except TimeoutError:
        ctx.stats.error("video call", "NOT_ACCEPTED", "no agent took the call in 120 s")
        await command(ctx, caller.sock, "rtc.leave", {"session_id": session_id})
        await caller.close()
        return
    agent = pair.agent
    assert agent is not None
    await caller.subscribe(f"rtc:{session_id}")
    await signal(ctx, agent.sock, session_id, "offer")
    await signal(ctx, caller.sock, session_id, "answer")
    for _ in range(6):
        await signal(ctx, agent.sock, session_id, "candidate")
        await signal(ctx, caller.sock, session_id, "candidate")
    for i in range(chats):
        await clock.sleep(minutes / max(chats, 1))
        speaker = caller if i % 2 else agent
        text = f"chat-{next(ctx.marks)}"
        ctx.signals[text] = time.time()
        await command(ctx, speaker.sock, "rtc.chat", {"session_id": session_id, "text": text})
    await command(ctx, agent.sock, "rtc.hang_up", {"session_id": session_id})
    await caller.close()
    await clock.sleep(0.5)
    await command(ctx, agent.sock, "rtc.wrap_up", {"session_id": session_id, "notes": "已解答"})
    await command(ctx, agent.sock, "unsubscribe", {"topic": f"rtc:{session_id}"})
    ctx.sessions.pop(session_id, None)

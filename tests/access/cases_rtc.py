"""Access cases of video customer service."""

from __future__ import annotations

import asyncio
import io
import secrets
from datetime import datetime
from typing import Any

from PIL import Image

from hub import keys
from rtc.models import Agent, AgentStatus, Recording, Session, SessionState, Topic
from rtc.store import RtcStore
from tests.access.world import Act, Builder, Target, Who, World, cmd, rest, topic


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _store(w: World) -> RtcStore:
    """The service's collections, written directly to set a case up."""
    return RtcStore(w.app[keys.DB])


def _now(w: World) -> datetime:
    now: datetime = w.rtc.now()
    return now


async def _agent(w: World, agent_id: str) -> None:
    """An agent present but with no console open: never offered a call by the clock."""
    now = _now(w)
    await _store(w).add_agent(
        Agent.model_validate(
            {
                "_id": agent_id,
                "name": agent_id,
                "status": AgentStatus.BUSY,
                "status_since": now,
                "idle_since": now,
                "seen_at": now,
                "consoles": 0,
            }
        )
    )


async def _session(w: World, state: SessionState, **fields: Any) -> tuple[Target, Session]:
    """A fresh consultation of a fresh citizen, with a fresh agent in it (or offered it)."""
    n = w.n()
    target = Target(citizen=f"c-a{n}", agent=f"agent-a{n}")
    await _agent(w, target.agent)
    now = _now(w)
    parties: dict[str, Any] = {}
    if state is SessionState.OFFERED:
        parties = {"offered_to": target.agent}
    elif state in (SessionState.ACTIVE, SessionState.WRAP_UP, SessionState.ENDED):
        parties = {"agent_id": target.agent, "agent_name": target.agent, "answered_at": now}
    session = Session.model_validate(
        {
            "_id": secrets.token_hex(10),
            "citizen_id": target.citizen,
            "citizen_name": "张*",
            "topic": "shebao",
            "state": state,
            "created_at": now,
            "queued_at": now,
            **parties,
            **fields,
        }
    )
    await _store(w).add(session)
    if state is SessionState.OFFERED:
        agent = await _store(w).agent(target.agent)
        assert agent is not None
        await _store(w).save_agent(agent.model_copy(update={"session_id": session.id}))
    return target, session


async def _quiet_citizen(w: World, citizen: str) -> None:
    """End what a citizen has open, so they may ask again."""
    for session in await _store(w).of_citizen(citizen):
        if session.state in (SessionState.WAITING, SessionState.OFFERED):
            await _store(w).save(session.model_copy(update={"state": SessionState.ABANDONED}))


async def ice(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/rtc/ice-servers")


async def topics(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/rtc/topics")


async def save_topic(w: World, who: Who) -> tuple[Target, Act]:
    body = Topic.model_validate({"_id": "zonghe", "name": "综合咨询"}).model_dump(mode="json")
    return Target(), rest("PUT", "/rtc/topics/zonghe", body)


def request(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target = Target(citizen=f"c-a{w.n()}")
        await _quiet_citizen(w, "c-b")
        if rest_call:
            return target, rest("POST", "/rtc/sessions", {"topic": "shebao"})
        return target, cmd("rtc.request", {"topic": "shebao"})

    return build


async def mine(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/rtc/sessions/mine")


async def one(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.ACTIVE)
    return target, rest("GET", f"/rtc/sessions/{session.id}")


def leave(how: str) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, session = await _session(w, SessionState.ACTIVE)
        if how == "rest":
            return target, rest("POST", f"/rtc/sessions/{session.id}/leave")
        return target, cmd(f"rtc.{how}", {"session_id": session.id})

    return build


def callback(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, session = await _session(w, SessionState.WAITING)
        if rest_call:
            path = f"/rtc/sessions/{session.id}/callback"
            return target, rest("POST", path, {"phone": "13812345678"})
        return target, cmd("rtc.callback", {"session_id": session.id, "phone": "13812345678"})

    return build


def rate(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, session = await _session(w, SessionState.ENDED)
        if rest_call:
            return target, rest("POST", f"/rtc/sessions/{session.id}/rating", {"stars": 5})
        return target, cmd("rtc.rate", {"session_id": session.id, "stars": 5})

    return build


async def post_image(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.ACTIVE)
    path = f"/rtc/sessions/{session.id}/images"
    return target, Act(method="POST", path=path, data=png(), headers={"Content-Type": "image/png"})


async def get_image(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.ACTIVE)
    image_id = await _store(w).put_image(png(), "image/png", session.id)
    return target, rest("GET", f"/rtc/images/{image_id}")


async def quality(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.ACTIVE)
    return target, cmd("rtc.quality", {"session_id": session.id, "rtt_ms": 80, "loss_pct": 0.5})


async def chat(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.ACTIVE)
    return target, cmd("rtc.chat", {"session_id": session.id, "text": "您好"})


def agent_self(name: str, payload: dict[str, Any]) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target = Target(agent=f"agent-a{w.n()}")
        for agent in (target.agent, "agent-b"):
            if await _store(w).agent(agent) is None:
                await _agent(w, agent)
        return target, cmd(name, payload)

    return build


def offered(name: str) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, session = await _session(w, SessionState.OFFERED)
        return target, cmd(name, {"session_id": session.id})

    return build


async def wrap_up(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.WRAP_UP)
    return target, cmd("rtc.wrap_up", {"session_id": session.id, "notes": "已解答"})


async def transfer(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.ACTIVE)
    return target, cmd("rtc.transfer", {"session_id": session.id, "to_topic": "huji"})


async def signal(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.ACTIVE)
    if who.role is not None and who.role.value in ("admin", "supervisor"):
        # A supervisor signals only to listen in, through the hub's recorder: with recording
        # off here, it answers there is no media to listen to.
        listen: dict[str, Any] = {
            "session_id": session.id,
            "link": "monitor",
            "kind": "offer",
            "sdp": "v=0",
            "party": "citizen",
        }
        return target, cmd("rtc.signal", listen, ok_codes=frozenset({"NOT_IN_CALL"}))
    candidate = {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host", "sdpMid": "0"}
    payload: dict[str, Any] = {
        "session_id": session.id,
        "link": "call",
        "kind": "candidate",
        "candidate": candidate,
    }
    return target, cmd("rtc.signal", payload)


async def overview(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/rtc/overview")


async def search(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/rtc/sessions?limit=5")


async def recording(w: World, who: Who) -> tuple[Target, Act]:
    name = f"matrix-{w.n()}.mkv"
    directory = w.rtc.recorder.directory
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread((directory / name).write_bytes, b"\x1a\x45\xdf\xa3matroska")
    done = Recording(state="done", file=name, started_at=_now(w), ended_at=_now(w))
    target, session = await _session(w, SessionState.ENDED, recording=done.model_dump())
    return target, rest("GET", f"/rtc/sessions/{session.id}/recording")


async def stats(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/rtc/stats?days=7")


async def queue_topic(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), topic("rtc:queue")


async def session_topic(w: World, who: Who) -> tuple[Target, Act]:
    target, session = await _session(w, SessionState.ACTIVE)
    return target, topic(f"rtc:{session.id}")


async def agent_topic(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), topic("agent:agent-a")


CASES: dict[str, Builder] = {
    "GET /rtc/ice-servers": ice,
    "GET /rtc/topics": topics,
    "PUT /rtc/topics/{topic_id}": save_topic,
    "POST /rtc/sessions": request(rest_call=True),
    "rtc.request": request(rest_call=False),
    "GET /rtc/sessions/mine": mine,
    "GET /rtc/sessions/{session_id}": one,
    "GET /rtc/images/{image_id}": get_image,
    "POST /rtc/sessions/{session_id}/leave": leave("rest"),
    "rtc.leave": leave("leave"),
    "rtc.hang_up": leave("hang_up"),
    "rtc.quality": quality,
    "rtc.chat": chat,
    "POST /rtc/sessions/{session_id}/images": post_image,
    "POST /rtc/sessions/{session_id}/callback": callback(rest_call=True),
    "rtc.callback": callback(rest_call=False),
    "POST /rtc/sessions/{session_id}/rating": rate(rest_call=True),
    "rtc.rate": rate(rest_call=False),
    "rtc.agent_hello": agent_self("rtc.agent_hello", {}),
    # Away, with no skills: the clock offers these agents nothing while the matrix runs.
    "rtc.set_status": agent_self("rtc.set_status", {"status": "away"}),
    "rtc.set_skills": agent_self("rtc.set_skills", {"skills": []}),
    "rtc.accept": offered("rtc.accept"),
    "rtc.decline": offered("rtc.decline"),
    "rtc.wrap_up": wrap_up,
    "rtc.transfer": transfer,
    "rtc.signal": signal,
    "GET /rtc/overview": overview,
    "GET /rtc/sessions": search,
    "GET /rtc/sessions/{session_id}/recording": recording,
    "GET /rtc/stats": stats,
    "topic rtc:queue": queue_topic,
    "topic rtc:{session_id}": session_topic,
    "topic agent:{id}": agent_topic,
}

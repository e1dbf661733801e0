"""A real call through the running hub: two aiortc peers (citizen and agent) signal over
Socket.IO, media and a data channel flow between them, the hub's recorder writes both
parties' audio and video to one file."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import av

from hub import keys
from hub.auth.models import Role
from rtc.api import RTC
from rtc.store import RtcStore
from tests.rtc.peers import Peer
from tests.support import Client, RunningHub, connect


def store(hub: RunningHub) -> RtcStore:
    """The service's collections, read by a test to see what was stored."""
    return RtcStore(hub.app[keys.DB])


async def agent_online(hub: RunningHub, sub: str = "agent-1") -> Client:
    agent = await connect(hub.url, hub.token(Role.AGENT, sub))
    hello = await agent.ok("rtc.agent_hello", {})
    assert hello["agent"]["status"] == "away"
    await agent.ok("subscribe", {"topic": f"agent:{sub}"})
    await agent.ok("rtc.set_status", {"status": "available"})
    return agent


async def offered(agent: Client, seconds: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        while True:
            for event in agent.events:
                if event["type"] == "rtc.call_offered":
                    session: dict[str, Any] = event["data"]["session"]
                    return session
            await agent.wait_events(len(agent.events) + 1)


async def test_a_call_connects_carries_media_and_chat_and_is_recorded(
    memory_hub: RunningHub,
) -> None:
    hub = memory_hub
    agent_client = await agent_online(hub)
    citizen_client = await connect(hub.url, hub.token(Role.CITIZEN, "c-1"))
    stop = asyncio.Event()
    agent = Peer("agent", agent_client, colour=40)
    citizen = Peer("citizen", citizen_client, colour=220)
    runners: list[asyncio.Task[None]] = []
    try:
        await citizen_client.ok("subscribe", {"topic": "citizen:c-1"})
        waiting = await citizen_client.ok("rtc.request", {"topic": "shebao", "name": "张三"})
        assert waiting["citizen_name"] == "张*"
        session = await offered(agent_client)
        assert session["id"] == waiting["id"]
        active = await agent_client.ok("rtc.accept", {"session_id": session["id"]})
        assert active["state"] == "active"
        for peer in (agent, citizen):
            await peer.join(session["id"])
        runners = [asyncio.create_task(p.run(stop)) for p in (agent, citizen)]
        await _recording(hub, session["id"])
        offered_at = time.monotonic()
        await agent.record()
        await citizen.record()
        await agent.offer_call()
        async with asyncio.timeout(20):
            await agent.connected.wait()
            await citizen.connected.wait()
            await agent.channel_open.wait()
            await citizen.channel_open.wait()
        connected_at = time.monotonic()
        assert agent.channel is not None
        agent.channel.send("ping 你好")
        async with asyncio.timeout(10):
            await agent.message("pong 你好")
        await asyncio.sleep(2)
        heard = [await listen_in(hub, session["id"], party) for party in ("citizen", "agent")]
        await asyncio.sleep(2)
        for peer in (agent, citizen):
            assert peer.frames["video"] > 30, peer.frames
            assert peer.frames["audio"] > 30, peer.frames
        # Each party's voice and picture reach the supervisor (frames counted per section).
        for listener, party in zip(heard, ("citizen", "agent"), strict=True):
            assert listener.map == {(party, "audio"), (party, "video")}
            assert len(listener.frames) == 2, listener.frames
            assert all(n > 10 for n in listener.frames.values()), listener.frames
            await listener.close()
        ended = await citizen_client.ok("rtc.hang_up", {"session_id": session["id"]})
        hung_up_at = time.monotonic()
        assert ended["state"] == "wrap_up"
        stored = await store(hub).get(session["id"])
        assert stored is not None
        assert stored.recording is not None
        assert stored.recording.state == "done", stored.recording
        path = hub.app[RTC].recorder.directory / str(stored.recording.file)
        with av.open(str(path)) as container:
            titles = sorted(s.metadata.get("title", "") for s in container.streams)
            assert titles == ["agent audio", "agent video", "citizen audio", "citizen video"]
            seconds = container.duration / 1_000_000 if container.duration else 0
        # The file's media is never longer than the time the hub says it recorded, nor than
        # the call, and holds most of the connected call (the recorder's own connection to the
        # parties, and their first frames, may come a second or two later on a loaded machine).
        assert stored.recording.duration_s is not None
        assert seconds <= stored.recording.duration_s + 0.5
        assert (hung_up_at - connected_at) / 2 <= seconds <= hung_up_at - offered_at + 0.5
        done = await agent_client.ok(
            "rtc.wrap_up", {"session_id": session["id"], "notes": "已解答医保报销问题"}
        )
        assert done["state"] == "ended"
        rated = await citizen_client.ok(
            "rtc.rate", {"session_id": session["id"], "stars": 5, "comment": "很耐心"}
        )
        assert rated["rating"]["stars"] == 5
        agent_state = await store(hub).agent("agent-1")
        assert agent_state is not None
        assert (agent_state.status.value, agent_state.session_id) == ("available", None)
        # Kept for the retention period (180 days by default), then deleted.
        assert await hub.app[RTC].expire_recordings() == 0
        past = time.time() - 181 * 24 * 3600
        os.utime(path, (past, past))
        assert await hub.app[RTC].expire_recordings() == 1
        assert not path.exists()
        expired = await store(hub).get(session["id"])
        assert expired is not None
        assert expired.recording is not None
        assert expired.recording.state == "expired"
    finally:
        stop.set()
        await asyncio.gather(*runners, return_exceptions=True)
        for peer in (agent, citizen):
            await peer.close()
        await agent_client.close()
        await citizen_client.close()


class Listener:
    """A supervisor listening in: a receive-only connection from the hub."""

    def __init__(self) -> None:
        from aiortc import RTCPeerConnection

        self.pc = RTCPeerConnection()
        self.frames: dict[str, int] = {}
        self.map: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def count(self, mid: str, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.frames[mid] = self.frames.get(mid, 0) + 1


async def listen_in(hub: RunningHub, session_id: str, party: str) -> Listener:
    from aiortc import RTCSessionDescription

    supervisor = await connect(hub.url, hub.token(Role.SUPERVISOR, "boss"))
    listener = Listener()
    for kind in ("audio", "video"):
        listener.pc.addTransceiver(kind, direction="recvonly")

    def on_track(track: Any) -> None:
        mid = next(t.mid for t in listener.pc.getTransceivers() if t.receiver.track is track)
        task = asyncio.get_running_loop().create_task(listener.count(str(mid), track))
        listener._tasks.add(task)

    listener.pc.add_listener("track", on_track)
    try:
        await listener.pc.setLocalDescription(await listener.pc.createOffer())
        answer = await supervisor.ok(
            "rtc.signal",
            {
                "session_id": session_id,
                "link": "monitor",
                "party": party,
                "kind": "offer",
                "sdp": listener.pc.localDescription.sdp,
            },
        )
        error = await supervisor.error(
            "rtc.signal", {"session_id": session_id, "link": "call", "kind": "offer", "sdp": "x"}
        )
        assert error["code"] == "SESSION_FORBIDDEN"  # listening only, never talking
    finally:
        await supervisor.close()
    listener.map = {(t["party"], t["kind"]) for t in answer["tracks"]}
    await listener.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    return listener


async def _recording(hub: RunningHub, session_id: str) -> None:
    """The recorder starts with the call (a task of its own)."""
    async with asyncio.timeout(5):
        while True:
            if hub.app[RTC].recorder.active(session_id):
                return
            await asyncio.sleep(0.02)


async def test_a_dropped_citizen_comes_back_within_the_grace_and_the_call_goes_on(
    memory_hub: RunningHub,
) -> None:
    hub = memory_hub
    agent_client = await agent_online(hub)
    citizen_client = await connect(hub.url, hub.token(Role.CITIZEN, "c-1"))
    stop = asyncio.Event()
    agent = Peer("agent", agent_client, colour=40)
    citizen = Peer("citizen", citizen_client, colour=220)
    runners: list[asyncio.Task[None]] = []
    try:
        waiting = await citizen_client.ok("rtc.request", {"topic": "shebao"})
        await offered(agent_client)
        await agent_client.ok("rtc.accept", {"session_id": waiting["id"]})
        for peer in (agent, citizen):
            await peer.join(waiting["id"])
        runners = [asyncio.create_task(p.run(stop)) for p in (agent, citizen)]
        await agent.offer_call()
        async with asyncio.timeout(20):
            await citizen.connected.wait()
            await citizen.channel_open.wait()
        # The citizen's network drops: its connection is gone (aiortc cannot restart ICE).
        assert citizen.call is not None
        await citizen.call.close()
        citizen.call = None
        citizen.connected.clear()
        citizen.channel_open.clear()
        await citizen_client.ok("rtc.quality", {"session_id": waiting["id"], "state": "failed"})
        await asyncio.sleep(1)
        # Back: it asks for a new offer; the agent makes a new connection.
        await citizen_client.ok(
            "rtc.signal", {"session_id": waiting["id"], "link": "call", "kind": "renegotiate"}
        )
        async with asyncio.timeout(20):
            await citizen.connected.wait()
            await citizen.channel_open.wait()
        await citizen_client.ok(
            "rtc.quality",
            {"session_id": waiting["id"], "rtt_ms": 3.0, "loss_pct": 0.0, "bitrate_kbps": 800.0},
        )
        assert agent.channel is not None
        agent.channel.send("ping again")
        async with asyncio.timeout(10):
            await agent.message("pong again")
        session = await store(hub).get(waiting["id"])
        assert session is not None
        assert (session.state.value, session.dropped) == ("active", {})
        await agent_client.ok("rtc.hang_up", {"session_id": waiting["id"]})
        await agent_client.ok("rtc.wrap_up", {"session_id": waiting["id"], "notes": "断线重连"})
        freed = await store(hub).agent("agent-1")
        assert freed is not None
        assert (freed.status.value, freed.session_id) == ("available", None)
    finally:
        stop.set()
        await asyncio.gather(*runners, return_exceptions=True)
        for peer in (agent, citizen):
            await peer.close()
        await agent_client.close()
        await citizen_client.close()

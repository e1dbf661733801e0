"""A citizen or an agent as a real WebRTC peer (aiortc) talking to the hub over Socket.IO:
synthetic camera and microphone, the call's peer connection (offer from the agent, answer from
the citizen, candidates inside the SDP as aiortc gathers them first), a data channel, and a
send-only connection to the hub's recorder."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from av import VideoFrame

from tests.support import Client


class Camera(VideoStreamTrack):
    """A flat colour at 30 fps (the party's own colour: the recording tells them apart)."""

    def __init__(self, colour: int) -> None:
        super().__init__()
        self._colour = colour

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = np.full((240, 320, 3), self._colour, dtype=np.uint8)
        frame = VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Peer:
    """One party of a call."""

    role: str  # "citizen" | "agent"
    client: Client
    colour: int
    session_id: str = ""
    call: RTCPeerConnection | None = None
    to_recorder: RTCPeerConnection | None = None
    channel: RTCDataChannel | None = None
    received: list[str] = field(default_factory=list)
    frames: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    channel_open: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _seen: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def join(self, session_id: str) -> None:
        self.session_id = session_id
        await self.client.ok("subscribe", {"topic": f"rtc:{session_id}"})

    def _new_call(self) -> RTCPeerConnection:
        pc = RTCPeerConnection()
        pc.addTrack(Camera(self.colour))
        pc.addTrack(AudioStreamTrack())

        def on_state() -> None:
            if pc.connectionState == "connected":
                self.connected.set()

        def on_track(track: Any) -> None:
            self._spawn(self._count(track))

        def on_channel(channel: RTCDataChannel) -> None:
            self._use(channel)

        pc.add_listener("connectionstatechange", on_state)
        pc.add_listener("track", on_track)
        pc.add_listener("datachannel", on_channel)
        return pc

    def _use(self, channel: RTCDataChannel) -> None:
        self.channel = channel

        def on_message(message: Any) -> None:
            self.received.append(str(message))
            self.arrived.set()
            if str(message).startswith("ping"):
                channel.send("pong" + str(message)[4:])

        def on_open() -> None:
            self.channel_open.set()

        channel.add_listener("message", on_message)
        channel.add_listener("open", on_open)
        if channel.readyState == "open":
            self.channel_open.set()

    async def _count(self, track: Any) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.frames[track.kind] += 1

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def message(self, text: str) -> None:
        """Until `text` has come over the data channel."""
        while text not in self.received:
            self.arrived.clear()
            await self.arrived.wait()

    async def offer_call(self) -> None:
        """The agent starts the call once it has accepted."""
        if self.call is not None:
            await self.call.close()
        self.call = self._new_call()
        self._use(self.call.createDataChannel("chat"))
        await self.call.setLocalDescription(await self.call.createOffer())
        await self._signal("call", "offer", self.call.localDescription.sdp)

    async def record(self) -> None:
        """Send our media to the hub's recorder as well."""
        self.to_recorder = RTCPeerConnection()
        self.to_recorder.addTrack(Camera(self.colour))
        self.to_recorder.addTrack(AudioStreamTrack())
        await self.to_recorder.setLocalDescription(await self.to_recorder.createOffer())
        await self._signal("recorder", "offer", self.to_recorder.localDescription.sdp)

    async def _signal(self, link: str, kind: str, sdp: str | None) -> dict[str, Any]:
        payload = {"session_id": self.session_id, "link": link, "kind": kind, "sdp": sdp}
        answer: dict[str, Any] = await self.client.ok("rtc.signal", payload)
        return answer

    async def pump(self) -> None:
        """Handle the signals that arrived since the last call."""
        events = self.client.events[self._seen :]
        self._seen = len(self.client.events)
        for event in events:
            if event["type"] != "rtc.signal_sent":
                continue
            data = event["data"]
            if data["from"] == self.role:
                continue
            if data["link"] == "recorder" and data["to"] == self.role and data["kind"] == "answer":
                assert self.to_recorder is not None
                await self.to_recorder.setRemoteDescription(
                    RTCSessionDescription(sdp=data["sdp"], type="answer")
                )
            elif data["link"] == "call" and data["kind"] == "offer":
                if self.call is not None:
                    await self.call.close()
                self.call = self._new_call()
                await self.call.setRemoteDescription(
                    RTCSessionDescription(sdp=data["sdp"], type="offer")
                )
                await self.call.setLocalDescription(await self.call.createAnswer())
                await self._signal("call", "answer", self.call.localDescription.sdp)
            elif data["link"] == "call" and data["kind"] == "answer":
                assert self.call is not None
                await self.call.setRemoteDescription(
                    RTCSessionDescription(sdp=data["sdp"], type="answer")
                )
            elif data["link"] == "call" and data["kind"] == "renegotiate" and self.role == "agent":
                await self.offer_call()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.pump()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):
                    await stop.wait()

    async def close(self) -> None:
        for pc in (self.call, self.to_recorder):
            if pc is not None:
                await pc.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

"""The hub's own WebRTC peer (aiortc): receives each party's audio and video and writes one
Matroska file per call, and relays the media to a supervisor listening in.

Frames are taken from the tracks on the event loop and handed to a writer thread, which owns
the container and does all encoding: encoding on the loop was measured to stall it for about
240 ms and lose 10–25 % of packets. Each output stream is made from its track's first frame
(its size, its sample rate): made earlier, a video stream can be silently dropped. Every frame
is stamped by when it arrived relative to the start of the recording, so the two parties stay
in step in the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from hub.logs import get_logger

log = get_logger("rtc.recorder")

VIDEO_RATE = 90_000
AUDIO_RATE = 48_000
QUEUE_FRAMES = 600  # ~10 s of both parties' media; beyond it frames are dropped, not the loop


@dataclass
class _Stream:
    kind: str  # "audio" | "video"
    party: str
    path: Path
    container: Any = None
    out: Any = None  # av stream
    first_pts: int | None = None
    offset: float = 0.0  # seconds after the recording's start of the first frame
    last_pts: int = -1
    frames: int = 0


@dataclass
class _Writer:
    """Owns the encoders in its own thread. Each stream is encoded into a file of its own
    from its first frame on (streams start whenever a party's media does: a Matroska header,
    once written, takes no new stream); at the end the files are merged, packets copied, into
    the call's one file with every stream on one timeline."""

    path: Path
    started: float = field(default_factory=time.monotonic)
    inbox: queue.Queue[tuple[str, str, Any, float] | None] = field(
        default_factory=lambda: queue.Queue(maxsize=QUEUE_FRAMES)
    )
    streams: dict[tuple[str, str], _Stream] = field(default_factory=dict)
    dropped: int = 0
    error: str = ""
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=f"rec-{self.path.stem}", daemon=True)
        self.thread.start()

    def put(self, party: str, kind: str, frame: Any) -> None:
        try:
            self.inbox.put_nowait((party, kind, frame, time.monotonic()))
        except queue.Full:
            self.dropped += 1

    def close(self, timeout: float) -> None:
        """The frames still queued written, then the files closed; run off the loop, since
        the inbox may be full and the writer seconds behind. A writer that died takes no
        more from the inbox, so the end is offered only while it lives."""
        deadline = time.monotonic() + timeout
        thread = self.thread
        while thread is not None and thread.is_alive() and time.monotonic() < deadline:
            try:
                self.inbox.put(None, timeout=0.2)
                break
            except queue.Full:
                continue
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        try:
            while True:
                item = self.inbox.get()
                if item is None:
                    break
                party, kind, frame, arrived = item
                self._write(party, kind, frame, arrived)
            for stream in self.streams.values():
                if stream.out is not None:
                    for packet in stream.out.encode(None):
                        stream.container.mux(packet)
                    stream.container.close()
            self._merge()
        except Exception as exc:  # a full disk, a codec refusing a frame
            self.error = str(exc)[:200]
            log.exception("recording_failed", file=self.path.name)
        finally:
            for stream in self.streams.values():
                stream.path.unlink(missing_ok=True)

    def _write(self, party: str, kind: str, frame: Any, arrived: float) -> None:
        import av

        stream = self.streams.get((party, kind))
        if stream is None:
            part = self.path.with_name(f"{self.path.stem}.{party}.{kind}.mkv")
            stream = self.streams[(party, kind)] = _Stream(kind, party, part)
            # From the first frame: its size, its rate.
            stream.container = av.open(str(part), mode="w", format="matroska")
            if kind == "video":
                out = stream.container.add_stream("libvpx", rate=30)
                out.width, out.height = frame.width, frame.height
                out.pix_fmt = "yuv420p"
                out.time_base = Fraction(1, VIDEO_RATE)
                out.options = {"deadline": "realtime", "cpu-used": "8"}
            else:
                out = stream.container.add_stream("libopus", rate=AUDIO_RATE)
                out.time_base = Fraction(1, AUDIO_RATE)
            stream.out = out
            stream.first_pts = frame.pts
            stream.offset = arrived - self.started
        rate = VIDEO_RATE if kind == "video" else AUDIO_RATE
        base = stream.first_pts or 0
        since_first = (frame.pts - base) * frame.time_base if frame.time_base else 0
        pts = int((stream.offset + float(since_first)) * rate)
        if pts <= stream.last_pts:  # a repeat or a jump back: keep the stream monotonic
            pts = stream.last_pts + 1
        stream.last_pts = pts
        # Our own copy to stamp and encode: the relay hands the same frame object to a
        # supervisor's connection too, whose encoder must not see it changed under it.
        own: av.VideoFrame | av.AudioFrame
        if kind == "video":
            image = frame.to_ndarray(
                format="yuv420p", width=stream.out.width, height=stream.out.height
            )
            own = av.VideoFrame.from_ndarray(image, format="yuv420p")
        else:
            sound = av.AudioFrame.from_ndarray(
                frame.to_ndarray(), format=frame.format.name, layout=frame.layout.name
            )
            sound.sample_rate = frame.sample_rate
            own = sound
        own.pts = pts
        own.time_base = Fraction(1, rate)
        for packet in stream.out.encode(own):
            stream.container.mux(packet)
        stream.frames += 1

    def _merge(self) -> None:
        """The streams' files into the call's file: packets copied, interleaved by time."""
        import heapq

        import av

        parts = [s for s in self.streams.values() if s.frames]
        if not parts:
            return
        inputs = [av.open(str(s.path)) for s in parts]
        output = av.open(str(self.path), mode="w", format="matroska")
        try:
            outs = []
            for part, source in zip(parts, inputs, strict=True):
                out = output.add_stream_from_template(source.streams[0])
                out.metadata["title"] = f"{part.party} {part.kind}"
                outs.append(out)

            def packets(index: int) -> Any:
                for packet in inputs[index].demux(inputs[index].streams[0]):
                    if packet.dts is None:
                        continue
                    yield float(packet.dts * packet.time_base), index, packet

            for _, index, packet in heapq.merge(*(packets(i) for i in range(len(inputs)))):
                packet.stream = outs[index]
                output.mux(packet)
        finally:
            output.close()
            for source in inputs:
                source.close()


@dataclass
class CallRecording:
    """One call's recording on this node: the parties' peer connections to the hub, the
    writer, and a relay of every track for supervisors."""

    session_id: str
    path: Path
    writer: _Writer
    peers: dict[str, Any] = field(default_factory=dict)  # party -> RTCPeerConnection
    tracks: dict[str, list[Any]] = field(default_factory=dict)  # party -> relayed tracks
    pumps: set[asyncio.Task[None]] = field(default_factory=set)
    monitors: list[Any] = field(default_factory=list)
    relay: Any = None
    started_at: float = field(default_factory=time.monotonic)


class Recorder:
    """This node's recordings, at most `capacity` at once (encoding two people's video is
    about half a core each)."""

    def __init__(self, directory: Path, capacity: int, ice_servers: list[Any]) -> None:
        self.directory = directory
        self.capacity = capacity
        self._ice = ice_servers
        self._calls: dict[str, CallRecording] = {}

    @property
    def busy(self) -> bool:
        return len(self._calls) >= self.capacity

    def active(self, session_id: str) -> bool:
        return session_id in self._calls

    def start(self, session_id: str, part: int = 0) -> CallRecording:
        """Record a call (its `part`-th agent: a transferred call is a file per agent)."""
        from aiortc.contrib.media import MediaRelay

        if session_id in self._calls:
            return self._calls[session_id]
        from rtc.errors import RecorderBusy

        if self.busy:
            raise RecorderBusy(capacity=self.capacity)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{session_id}-{part}.mkv"
        writer = _Writer(path)
        writer.start()
        call = CallRecording(session_id, path, writer, relay=MediaRelay())
        self._calls[session_id] = call
        log.info("recording_started", session=session_id)
        return call

    def _peer(self) -> Any:
        from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

        servers = [
            RTCIceServer(
                urls=s.urls,
                username=s.username,
                credential=s.credential.get_secret_value() if s.credential else None,
            )
            for s in self._ice
        ]
        return RTCPeerConnection(RTCConfiguration(iceServers=servers) if servers else None)

    async def answer(self, session_id: str, party: str, offer_sdp: str) -> str:
        """A party's send-only offer: the hub's answer; its tracks go to the file."""
        from aiortc import RTCSessionDescription

        call = self._calls.get(session_id)
        if call is None:
            from rtc.errors import RecorderBusy

            raise RecorderBusy("本次通话未录制")
        old = call.peers.pop(party, None)
        if old is not None:  # a party coming back after a drop: a new connection
            await old.close()
        pc = self._peer()
        call.peers[party] = pc

        def on_track(track: Any) -> None:
            relayed = call.relay.subscribe(track, buffered=False)
            call.tracks.setdefault(party, []).append(track)  # the source: monitors subscribe
            task = asyncio.get_running_loop().create_task(self._pump(call, party, relayed))
            call.pumps.add(task)
            task.add_done_callback(call.pumps.discard)

        pc.add_listener("track", on_track)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def add_candidate(
        self, session_id: str, party: str, candidate: dict[str, Any] | None
    ) -> None:
        from aiortc.sdp import candidate_from_sdp

        call = self._calls.get(session_id)
        pc = call.peers.get(party) if call else None
        if pc is None or candidate is None or not candidate.get("candidate"):
            return
        text = str(candidate["candidate"]).removeprefix("candidate:")
        parsed = candidate_from_sdp(text)
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await pc.addIceCandidate(parsed)

    async def monitor(
        self, session_id: str, offer_sdp: str, party: str
    ) -> tuple[str, list[dict[str, str]]]:
        """A supervisor's receive-only offer for one party: answered with that party's audio
        and video, and which media section carries which."""
        from aiortc import RTCSessionDescription

        from rtc.errors import NotInCall

        call = self._calls.get(session_id)
        if call is None or not call.tracks.get(party):
            raise NotInCall("此通话没有可监听的媒体（未录制或尚未连通）")
        pc = self._peer()
        call.monitors.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        free = list(pc.getTransceivers())
        placed: list[tuple[Any, str]] = []
        for track in call.tracks[party]:
            slot = next((t for t in free if t.kind == track.kind), None)
            if slot is None:
                continue
            free.remove(slot)
            slot.sender.replaceTrack(call.relay.subscribe(track, buffered=False))
            slot.direction = "sendonly"
            placed.append((slot, track.kind))
        await pc.setLocalDescription(await pc.createAnswer())
        tracks = [{"mid": str(t.mid), "party": party, "kind": kind} for t, kind in placed]
        return str(pc.localDescription.sdp), tracks

    async def _pump(self, call: CallRecording, party: str, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            call.writer.put(party, track.kind, frame)

    async def stop(self, session_id: str) -> dict[str, Any] | None:
        """End a call's recording: its file closed; what to keep with the session."""
        call = self._calls.pop(session_id, None)
        if call is None:
            return None
        for pc in [*call.peers.values(), *call.monitors]:
            with contextlib.suppress(Exception):
                await pc.close()
        for task in list(call.pumps):
            task.cancel()
        await asyncio.gather(*call.pumps, return_exceptions=True)
        await asyncio.to_thread(call.writer.close, 30)
        duration = time.monotonic() - call.started_at
        size = call.path.stat().st_size if call.path.exists() else 0
        if size == 0 and not call.writer.error:
            call.writer.error = "没有收到媒体"
        log.info(
            "recording_done",
            session=session_id,
            seconds=round(duration, 1),
            dropped=call.writer.dropped,
            error=call.writer.error,
        )
        return {
            "file": call.path.name,
            "duration_s": round(duration, 1),
            "size": size,
            "error": call.writer.error,
            "dropped_frames": call.writer.dropped,
            "streams": sorted(f"{p}:{k}" for (p, k), s in call.writer.streams.items() if s.frames),
        }

    def expired(self, older_than_s: float) -> list[str]:
        """Remove recordings past their retention; the names of the files that went."""
        gone: list[str] = []
        if not self.directory.exists():
            return gone
        limit = time.time() - older_than_s
        for path in self.directory.glob("*.mkv"):
            if path.stem.rsplit("-", 1)[0] in self._calls or "." in path.stem:
                continue  # recording now, or a stream's part
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                gone.append(path.name)
        return gone

    async def close(self) -> None:
        for session_id in list(self._calls):
            await self.stop(session_id)

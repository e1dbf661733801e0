"""Recording benchmark (prints its figures; not a test): the hub's recorder (rtc/recorder.py)
in this process (core 0) taking --calls calls at once, each two real aiortc parties sending
640x480 video at 30 fps and audio from another process (core 1), for --seconds. Figures: how
late this process's event loop runs (a 10 ms timer's lateness: encoding on the loop would
show here), frames dropped because the writer fell behind, this process's CPU (receiving,
decoding, encoding, writing), and the files written (streams, seconds).

    .venv/bin/python bench/recording.py [--calls 2] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.queueing import percentile
from rtc.recorder import Recorder


class Camera(VideoStreamTrack):
    def __init__(self, shade: int) -> None:
        super().__init__()
        self._image = np.random.default_rng(shade).integers(0, 255, (480, 640, 3), dtype=np.uint8)

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(self._image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def senders(conn: Any, calls: int) -> None:
    """The parties, in their own process: offers out, answers in, media until told to stop."""
    from bench._node_common import prepare_process

    prepare_process(1)

    async def go() -> None:
        pcs = []
        for i in range(calls):
            for n, name in enumerate(("citizen", "agent")):
                pc = RTCPeerConnection()
                pc.addTrack(Camera(2 * i + n))
                pc.addTrack(AudioStreamTrack())
                await pc.setLocalDescription(await pc.createOffer())
                conn.send((f"call{i}", name, pc.localDescription.sdp))
                answer = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
                await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
                pcs.append(pc)
        conn.send(("ready", "", ""))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # stop
        for pc in pcs:
            await pc.close()

    asyncio.run(go())


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import multiprocessing

    from bench._node_common import prepare_process

    prepare_process(0)
    work = Path(tempfile.mkdtemp(prefix="hallhub-bench-rec-"))
    recorder = Recorder(work, args.calls, [])
    lateness: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        while not stop.is_set():
            t0 = time.monotonic()
            await asyncio.sleep(0.01)
            lateness.append((time.monotonic() - t0 - 0.01) * 1000)

    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=senders, args=(theirs, args.calls), daemon=True
    )
    child.start()
    loop = asyncio.get_running_loop()
    for i in range(args.calls):
        recorder.start(f"call{i}")
    while True:
        session, name, sdp = await loop.run_in_executor(None, ours.recv)
        if session == "ready":
            break
        ours.send(await recorder.answer(session, name, sdp))
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    prober = asyncio.create_task(probe())
    await asyncio.sleep(args.seconds)
    stop.set()
    await prober
    results = [await recorder.stop(f"call{i}") for i in range(args.calls)]
    wall = time.monotonic() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    ours.send("stop")
    child.join(10)
    files = []
    for result in results:
        assert result is not None
        with av.open(str(work / result["file"])) as container:
            seconds = (container.duration or 0) / 1_000_000
            files.append(
                (result["file"], len(container.streams), seconds, result["dropped_frames"])
            )
    shutil.rmtree(work, ignore_errors=True)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"lateness": lateness, "files": files, "cpu": cpu / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--calls", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    console = Console()
    late = figures["lateness"]
    console.print(
        f"{args.calls} calls recorded at once (4 streams each, 640x480 video), "
        f"{args.seconds:.0f} s; CPU {figures['cpu'] * 100:.0f} % of one core (receiving, decoding,"
        " encoding, writing)"
    )
    console.print(
        f"event loop lateness (10 ms timer): p50 {percentile(late, 50):.1f} ms, p99 "
        f"{percentile(late, 99):.1f} ms, max {max(late):.1f} ms"
    )
    table = Table(title="Files")
    for col in ("file", "streams", "seconds", "frames dropped"):
        table.add_column(col, justify="right")
    for name, streams, seconds, dropped in figures["files"]:
        table.add_row(name, str(streams), f"{seconds:.1f}", str(dropped))
    console.print(table)


if __name__ == "__main__":
    main()

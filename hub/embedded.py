"""The embedded MongoDB-wire server (nx-27017, SQLite-backed) as a child process.

Started on a free loopback port with its data under the data directory; stopped with the hub.
On Linux the child is told to die with its parent, so a killed hub leaves no server behind
holding the SQLite files.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pymongo import AsyncMongoClient

from hub.errors import Unavailable
from hub.logs import get_logger

log = get_logger("hub.embedded")

_PR_SET_PDEATHSIG = 1
_START_SECONDS = 30.0
# After the store's process died: first retry at once-ish, then backing off to this.
_RESTART_DELAY_SECONDS = 0.5
_RESTART_DELAY_MAX_SECONDS = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        # The store is its own process: not bound to the cores the hub was pinned to.
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, range(os.cpu_count() or 1))


class EmbeddedMongo:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.dir = self.data_dir / "mongo"
        self._lock: int | None = None
        self.pid_file = data_dir / "nx-27017.pid"
        self.log_file = data_dir / "nx-27017.log"
        self.url = ""
        self.port = 0
        self.restarts = 0
        self._stopping = False
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._claim_data_dir()
        try:
            return await self._start()
        except BaseException:
            self.release()
            raise

    async def _start(self, port: int = 0) -> str:
        self._stop_leftover()
        port = port or free_port()
        self.port = port
        with self.log_file.open("ab") as out:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "hub.nx_server",
                "--data-dir",
                str(self.dir),
                "--host",
                "127.0.0.1",
                "-p",
                str(port),
                "--log-file",
                str(self.log_file),
                "--pid-file",
                str(self.pid_file),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                preexec_fn=_die_with_parent,
            )
        self.url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        try:
            async with asyncio.timeout(_START_SECONDS):
                await self._wait_ready()
        except TimeoutError:
            await self._terminate()
            raise Unavailable(f"嵌入式存储 {_START_SECONDS:.0f} 秒内未就绪") from None
        log.info("embedded_store_started", port=port, dir=str(self.dir), pid=self._process.pid)
        return self.url

    async def _wait_ready(self) -> None:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            self.url, serverSelectionTimeoutMS=250, connectTimeoutMS=250
        )
        try:
            while True:
                assert self._process is not None
                if self._process.returncode is not None:
                    raise Unavailable(f"嵌入式存储启动失败，见 {self.log_file}")
                try:
                    await client.admin.command("ping")
                    return
                except Exception:
                    await asyncio.sleep(0.1)
        finally:
            await client.close()

    def _claim_data_dir(self) -> None:
        """One hub per data directory: a second one would run a second store on the same
        SQLite files. The lock dies with the process, so a crashed hub never blocks."""
        path = self.data_dir / "hub.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise Unavailable(
                f"数据目录 {self.data_dir} 正被另一个 HallHub 进程（pid {owner}）使用；"
                "请先停止它，或用 HALLHUB_DATA_DIR 指定另一个目录"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock = fd

    def _stop_leftover(self) -> None:
        """A previous run killed without cleanup may have left its server running."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return
        if b"hub.nx_server" in cmdline and str(self.dir).encode() in cmdline:
            log.warning("embedded_store_leftover_stopped", pid=pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                for _ in range(50):
                    if not Path(f"/proc/{pid}").exists():
                        break
                    time.sleep(0.1)

    async def watch(self, restarted: Callable[[], None]) -> None:
        """Start the store again when its process dies (killed, crashed), on the same port so
        the driver's pool reconnects by itself; meanwhile commands answer STORE_UNAVAILABLE.
        Runs until `stop()`."""
        delay = _RESTART_DELAY_SECONDS
        while not self._stopping:
            process = self._process
            if process is None:
                return
            code = await process.wait()
            if self._stopping:
                return
            log.error("embedded_store_exited", code=code, pid=process.pid, port=self.port)
            while not self._stopping:
                try:
                    await self._start(self.port)
                except Exception as exc:  # whatever it is, the store must come back
                    log.error("embedded_store_restart_failed", error=str(exc), retry_in=delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, _RESTART_DELAY_MAX_SECONDS)
                    continue
                delay = _RESTART_DELAY_SECONDS
                self.restarts += 1
                restarted()
                log.warning("embedded_store_restarted", restarts=self.restarts, port=self.port)
                break

    async def stop(self) -> None:
        self._stopping = True
        await self._terminate()

    async def _terminate(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        with contextlib.suppress(OSError):
            self.pid_file.unlink()
        log.info("embedded_store_stopped")

    def release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

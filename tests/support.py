"""Test support: real servers started for real (embedded nx-27017, Redis, the hub)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web
from pydantic import ConfigDict
from pymongo import MongoClient
from redis.asyncio import Redis

from hub import keys
from hub.app import create_app
from hub.auth.models import Role
from hub.embedded import free_port
from hub.events.types import Event, model_of
from hub.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
JWT_SECRET = "test-secret-" + "x" * 40
REDIS_URL = os.environ.get("HALLHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
UNLIMITED_COMMANDS = {
    "socket_per_second": 1e6,
    "socket_burst": 1_000_000,
    "token_per_second": 1e6,
    "token_burst": 1_000_000,
}


@contextlib.contextmanager
def nx_server() -> Iterator[str]:
    """One embedded MongoDB-wire server for the whole test session."""
    data = Path(tempfile.mkdtemp(prefix="hallhub-nx-"))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub.nx_server",
            "--data-dir",
            str(data / "db"),
            "--host",
            "127.0.0.1",
            "-p",
            str(port),
            "--log-file",
            str(data / "nx.log"),
            "--pid-file",
            str(data / "nx.pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    try:
        deadline = time.monotonic() + 30
        probe: MongoClient[dict[str, Any]]
        with MongoClient(url, serverSelectionTimeoutMS=250) as probe:
            while True:
                try:
                    probe.admin.command("ping")
                    break
                except Exception:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("nx-27017 did not start") from None
                    time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(data, ignore_errors=True)


def make_settings(tmp: Path, mongo_url: str, *, redis: bool = False, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "data_dir": tmp / "var",
        "mongodb_url": mongo_url,
        "mongodb_db": f"t_{uuid.uuid4().hex[:12]}",
        "jwt_secret": JWT_SECRET,
        "log_level": "WARNING",
        "redis_url": REDIS_URL if redis else None,
        "redis_prefix": f"hhtest:{uuid.uuid4().hex[:8]}:",
        # Tests fire commands back to back through one socket (the access matrix, scenarios);
        # the rate limit has its own tests (tests/hub/test_ratelimit.py).
        "rate_limit": UNLIMITED_COMMANDS,
    }
    values.update(extra)
    return Settings(**values)


async def drop_redis_prefix(prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        keys_found = [k async for k in redis.scan_iter(match=f"{prefix}*", count=500)]
        if keys_found:
            await redis.delete(*keys_found)
    finally:
        await redis.aclose()


def drop_database(mongo_url: str, name: str) -> None:
    client: MongoClient[dict[str, Any]]
    with MongoClient(mongo_url) as client:
        client.drop_database(name)


async def db_state(db: Any) -> dict[str, list[Any]]:
    """Every document of every collection (sorted by id): a refused or malformed command must
    leave this exactly as it was."""
    state: dict[str, list[Any]] = {}
    for listed in sorted(await db.list_collection_names()):
        # nx-27017 lists a GridFS bucket's collections by its own table names (`x_files`),
        # which answer no query; their documents are read as GridFS names them (`x.files`).
        name = listed
        for suffix in ("_files", "_chunks"):
            if listed.endswith(suffix):
                name = listed.removesuffix(suffix) + "." + suffix[1:]
        async with asyncio.timeout(10):
            docs = [doc async for doc in db[name].find({})]
        state[name] = sorted(docs, key=lambda d: repr(d.get("_id")))
    return state


class SamplePublished(Event, type="test.sample_published", topics=("hall", "citizen")):
    """A test's event, of any data: the transport's tests need no domain's meaning."""

    model_config = ConfigDict(extra="allow", frozen=True)


SAMPLE = SamplePublished.event_type


@dataclass
class RunningHub:
    app: web.Application
    runner: web.AppRunner
    url: str

    @property
    def settings(self) -> Settings:
        return self.app[keys.SETTINGS]

    def token(
        self, role: Role, sub: str = "", hall: str | None = None, ttl: int | None = None
    ) -> str:
        token, _ = self.app[keys.TOKENS].issue(
            sub or f"{role.value}-test", role, hall=hall, ttl_seconds=ttl
        )
        return token

    async def publish(self, topic: str, type: str, data: dict[str, Any]) -> int:
        """Publish an event of a registered type (its model checks the data): a domain's, or
        `test.sample_published` (any data) for tests of the transport itself."""
        envelope = await self.app[keys.BUS].publish(topic, model_of(type).model_validate(data))
        return envelope.seq

    def drop_all_sockets(self) -> int:
        """A network failure as the clients see it: every transport aborted, no close frame."""
        connections = self.app[keys.GATEWAY].connections
        dropped = 0
        for eio_sid in list(connections._by_eio_sid):
            connection = connections.get(eio_sid)
            if connection is not None:
                connection.transport.abort()
                dropped += 1
        return dropped


@contextlib.asynccontextmanager
async def running_hub(settings: Settings) -> AsyncIterator[RunningHub]:
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", settings.port)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield RunningHub(app, runner, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@dataclass
class Client:
    """A python-socketio client that records what it receives."""

    sio: socketio.AsyncClient
    events: list[dict[str, Any]] = field(default_factory=list)
    refused: list[Any] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def call(self, command: str, payload: Any = None) -> dict[str, Any]:
        args = () if payload is None else (payload,)
        answer: dict[str, Any] = await self.sio.call(command, *args, timeout=10)
        return answer

    async def ok(self, command: str, payload: Any = None) -> Any:
        answer = await self.call(command, payload)
        assert answer["ok"] is True, answer
        return answer["data"]

    async def error(self, command: str, payload: Any = None) -> dict[str, Any]:
        answer = await self.call(command, payload)
        assert answer["ok"] is False, answer
        error: dict[str, Any] = answer["error"]
        return error

    async def wait_events(self, count: int, seconds: float = 10) -> list[dict[str, Any]]:
        async with asyncio.timeout(seconds):
            while len(self.events) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.events

    async def close(self) -> None:
        await self.sio.disconnect()


async def connect(url: str, token: str | None, *, reconnection: bool = False) -> Client:
    sio = socketio.AsyncClient(reconnection=reconnection)
    client = Client(sio)

    async def on_event(envelope: dict[str, Any]) -> None:
        client.events.append(envelope)
        client._arrived.set()

    async def on_connect_error(data: Any) -> None:
        client.refused.append(data)

    sio.on("event", on_event)
    sio.on("connect_error", on_connect_error)
    auth = {"token": token} if token is not None else {}
    try:
        await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    except BaseException:
        await sio.disconnect()
        raise
    return client


@dataclass
class HubProcess:
    process: subprocess.Popen[str]
    url: str
    output: list[str]


@contextlib.contextmanager
def hub_process(
    env: dict[str, str], *args: str, command: str = "serve", ready_timeout: float = 60
) -> Iterator[HubProcess]:
    """`hallhub <command>` as its own process, as an operator starts it."""
    full_env = {**os.environ, "HALLHUB_PORT": "0", "HALLHUB_LOG_LEVEL": "WARNING", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=full_env,
        cwd=ROOT,
    )
    output: list[str] = []
    url = ""
    deadline = time.monotonic() + ready_timeout
    try:
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line.rstrip("\n"))
            if line.startswith("HALLHUB_READY "):
                url = line.split()[1]
                break
        if not url:
            raise RuntimeError("hub did not start:\n" + "\n".join(output[-40:]))
        yield HubProcess(process, url, output)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in (
        os.environ.get("HALLHUB_CHROMIUM", ""),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("Chromium not found: install Debian's chromium (scripts/setup --test-deps)")

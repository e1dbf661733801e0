"""Real parts for fault tests, each one a process the test can kill and start again.

- `Store`: the embedded nx-27017 MongoDB-wire server on a fixed port and data directory, so a
  restart keeps every node's `HALLHUB_MONGODB_URL` valid and every document.
- `RedisServer`: a private `redis-server` without persistence: a restart loses its data.
- `Node`: one hub process (`python -m hub serve`) on a fixed port, with its output kept.
- `Nginx`: Debian's nginx with the README's production configuration, only the upstream servers
  and the `listen` line replaced.
- `FaultProxy` (tests/faults/proxy.py): cuts and stalls the clients' connections.
- `hall_cluster()`: store + Redis + two nodes + nginx, with halls loaded; torn down after.

Used by tests/faults/ and bench/faults.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from pymongo import MongoClient
from redis.asyncio import Redis

from hub.auth.models import Role
from hub.auth.tokens import TokenIssuer
from hub.embedded import free_port
from tests.faults.proxy import FaultProxy
from tests.support import (
    JWT_SECRET,
    REDIS_URL,
    ROOT,
    UNLIMITED_COMMANDS,
    drop_database,
    drop_redis_prefix,
)

NGINX = "/usr/sbin/nginx"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
_PR_SET_PDEATHSIG = 1
_TOKENS = TokenIssuer(JWT_SECRET, 12 * 3600)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def until(
    condition: Callable[[], bool], seconds: float, what: str, step: float = 0.05
) -> None:
    """Poll a condition of processes and clients (there is no event to wait on) until it
    holds; AssertionError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(step)


def token(role: Role, sub: str = "", **claims: Any) -> str:
    issued, _ = _TOKENS.issue(sub or f"{role.value}-faults", role, **claims)
    return issued


class Child:
    """A process started from fixed arguments, killed and started again; its output kept."""

    def __init__(
        self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.output: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def spawn(self) -> None:
        """Start the process (from the event loop's thread: a child dies with the thread that
        started it)."""
        if self.alive:
            raise RuntimeError(f"{self.name} is running already")
        self.process = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env,
            cwd=ROOT,
            preexec_fn=_die_with_parent,
        )
        self.starts += 1
        threading.Thread(target=self._keep_output, args=(self.process,), daemon=True).start()

    def _keep_output(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line.rstrip("\n"))

    def kill(self) -> None:
        """SIGKILL: no goodbye, no cleanup."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def terminate(self) -> None:
        """SIGTERM: the process shuts down as it was built to (see `wait`)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def freeze(self) -> None:
        """SIGSTOP: the process hangs (requests sent to it wait in its sockets)."""
        if self.alive:
            os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.alive:
            os.kill(self.pid, signal.SIGCONT)

    async def wait(self, seconds: float) -> int | None:
        """The exit code, or None if still running after `seconds`."""
        deadline = time.monotonic() + seconds
        while self.process is not None and self.process.poll() is None:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.05)
        return None if self.process is None else self.process.returncode

    async def stop(self, seconds: float = 10) -> None:
        self.terminate()
        if await self.wait(seconds) is None:
            self.kill()

    def rss_kb(self) -> int:
        """Resident memory (VmRSS) from /proc/<pid>/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for {self.name}")

    def _died(self) -> str:
        tail = "\n".join(self.output[-30:])
        return f"{self.name} exited ({self.process and self.process.returncode}):\n{tail}"


async def _wait_port(port: int, child: Child, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if not child.alive:
                raise RuntimeError(child._died()) from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{child.name} did not listen on {port}") from None
            await asyncio.sleep(0.05)
        else:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return


class Store(Child):
    """nx-27017 on a fixed port and data directory (the hubs' HALLHUB_MONGODB_URL)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "hub.nx_server",
            "--data-dir",
            str(data_dir / "db"),
            "--host",
            "127.0.0.1",
            "-p",
            str(self.port),
            "--log-file",
            str(data_dir / "nx.log"),
            "--pid-file",
            str(data_dir / "nx.pid"),
        ]
        super().__init__("store", argv)

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    async def start(self, seconds: float = 30) -> None:
        self.spawn()
        await _wait_port(self.port, self, seconds)
        await asyncio.to_thread(self._ping, seconds)

    def _ping(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        client: MongoClient[dict[str, Any]]
        with MongoClient(self.url, serverSelectionTimeoutMS=250) as client:
            while True:
                try:
                    client.admin.command("ping")
                    return
                except Exception:
                    if time.monotonic() > deadline or not self.alive:
                        raise RuntimeError(self._died()) from None
                    time.sleep(0.05)

    def count(self, db: str, collection: str, query: Mapping[str, Any]) -> int:
        client: MongoClient[dict[str, Any]]
        with MongoClient(self.url) as client:
            return client[db][collection].count_documents(dict(query))

    def find(self, db: str, collection: str, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        client: MongoClient[dict[str, Any]]
        with MongoClient(self.url) as client:
            return list(client[db][collection].find(dict(query)))


class RedisServer(Child):
    """A private redis-server without persistence: `restart()` loses every key."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir),
            "--protected-mode",
            "no",
        ]
        super().__init__("redis", argv)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, seconds: float = 10) -> None:
        self.spawn()
        await _wait_port(self.port, self, seconds)
        redis = Redis.from_url(self.url)
        try:
            await redis.ping()
        finally:
            await redis.aclose()

    async def restart(self) -> None:
        self.kill()
        await self.start()


class Node(Child):
    """One hub process on a fixed port: a restart comes back where nginx expects it."""

    def __init__(self, name: str, env: Mapping[str, str]) -> None:
        self.port = free_port()
        full = {
            **os.environ,
            "HALLHUB_HOST": "127.0.0.1",
            "HALLHUB_LOG_LEVEL": "WARNING",
            **env,
            "HALLHUB_PORT": str(self.port),
        }
        super().__init__(name, [sys.executable, "-m", "hub", "serve"], full)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, seconds: float = 60) -> None:
        seen = len(self.output)
        self.spawn()
        deadline = time.monotonic() + seconds
        while not any(line.startswith("HALLHUB_READY ") for line in self.output[seen:]):
            if not self.alive:
                raise RuntimeError(self._died())
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready:\n" + "\n".join(self.output[-30:]))
            await asyncio.sleep(0.05)

    async def metric(self, http: aiohttp.ClientSession, name: str) -> float:
        """The sum of a metric's samples (all labels) on this node's /metrics."""
        async with http.get(self.url + "/metrics") as response:
            text = await response.text()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and line[len(name) : len(name) + 1] in (" ", "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def lines(self, word: str) -> list[str]:
        return [line for line in self.output if word in line]


# -- nginx ------------------------------------------------------------------------------------

_NGINX_BLOCK = re.compile(r"```nginx\n(.*?)```", re.S)
_UPSTREAM = re.compile(r"upstream hallhub \{[^}]*\}")
_LISTEN = re.compile(r"listen 443 ssl;\s+server_name [^;]+;")


def readme_nginx_block() -> str:
    """The nginx configuration the README's production section shows."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production", 1)[1]
    found = _NGINX_BLOCK.search(section)
    assert found is not None, "README.md's Production section has no ```nginx block"
    return found.group(1)


_SERVER = re.compile(r"server\s+\S+?(?:\s+([^;]*))?;")


def readme_server_params(block: str) -> str:
    """The parameters the README gives each upstream server (`max_fails=0`): the same on all."""
    found = _UPSTREAM.search(block)
    assert found is not None, "README's nginx block has no upstream"
    params = {(m.group(1) or "").strip() for m in _SERVER.finditer(found.group(0))}
    assert len(params) == 1, f"README's upstream servers differ: {params}"
    return params.pop()


def nginx_config(
    block: str, upstreams: Sequence[int], port: int, temp: Path, server_params: str = ""
) -> str:
    """The README's block with only the upstream servers and the listen line replaced, in a
    whole configuration (events, http, temp paths a non-root run may write). `server_params`
    (e.g. "max_fails=1") replaces the README's parameters of each upstream server, for a bench
    comparing settings."""
    extra = f" {server_params or readme_server_params(block)}".rstrip()
    servers = " ".join(f"server 127.0.0.1:{p}{extra};" for p in upstreams)
    block, upstream_done = _UPSTREAM.subn(f"upstream hallhub {{ {servers} }}", block)
    block, listen_done = _LISTEN.subn(f"listen 127.0.0.1:{port};  server_name localhost;", block)
    # The README and this test must not drift apart: each replacement happened exactly once.
    assert (upstream_done, listen_done) == (1, 1), "README's nginx block changed shape"
    assert "10.0.0." not in block
    assert "listen 443" not in block
    temps = "\n".join(
        f"  {kind}_temp_path {temp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        "worker_processes 1;\n"
        "worker_rlimit_nofile 16384;\n"
        "events { worker_connections 8192; }\n"
        "http {\n"
        "  access_log off;\n"
        f"{temps}\n"
        f"{block}"
        "}\n"
    )


class Nginx(Child):
    def __init__(self, prefix: Path, upstreams: Sequence[int], server_params: str = "") -> None:
        self.port = free_port()
        self.prefix = prefix
        prefix.mkdir(parents=True, exist_ok=True)
        self.config = nginx_config(
            readme_nginx_block(), upstreams, self.port, prefix, server_params
        )
        conf = prefix / "nginx.conf"
        conf.write_text(self.config)
        argv = [
            NGINX,
            "-p",
            str(prefix),
            "-e",
            str(prefix / "error.log"),
            "-c",
            str(conf),
            "-g",
            f"daemon off; pid {prefix / 'nginx.pid'};",
        ]
        super().__init__("nginx", argv)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, seconds: float = 10) -> None:
        self.spawn()
        await _wait_port(self.port, self, seconds)


# -- a hall and the cluster -------------------------------------------------------------------


def hall_setup(hall_id: str, services: int = 3, counters: int = 4) -> dict[str, Any]:
    """A hall with `services` services (prefixes A, B, …) and `counters` counters, each serving
    every service. Counter ids carry the hall's (they are global)."""
    return {
        "hall": {"id": hall_id, "name": f"大厅{hall_id}"},
        "services": [
            {
                "id": f"s{i + 1}",
                "hall_id": hall_id,
                "name": f"事项{i + 1}",
                "prefix": chr(ord("A") + i),
                "last_number": 9999,
            }
            for i in range(services)
        ],
        "counters": [
            {
                "id": f"{hall_id}-w{i + 1}",
                "hall_id": hall_id,
                "number": i + 1,
                "name": f"{i + 1}号窗口",
                "services": [{"service_id": f"s{j + 1}"} for j in range(services)],
            }
            for i in range(counters)
        ],
    }


@dataclass
class Cluster:
    store: Store
    redis_url: str
    redis_prefix: str
    db: str
    nodes: list[Node]
    nginx: Nginx
    http: aiohttp.ClientSession
    halls: list[dict[str, Any]] = field(default_factory=list)
    redis: RedisServer | None = None
    proxies: list[FaultProxy] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Where clients connect: nginx."""
        return self.nginx.url

    async def proxy(self) -> FaultProxy:
        """A fault proxy in front of nginx (closed with the cluster)."""
        proxy = FaultProxy("127.0.0.1", self.nginx.port)
        await proxy.start()
        self.proxies.append(proxy)
        return proxy

    async def rest(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: str | None = None,
        headers: Mapping[str, str] | None = None,
        base: str | None = None,
    ) -> tuple[int, Any]:
        sent = {"Authorization": f"Bearer {auth or token(Role.ADMIN)}", **(headers or {})}
        async with self.http.request(
            method, (base or self.url) + "/api/v1" + path, json=body, headers=sent
        ) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = await response.text()
            return response.status, answer

    async def load_hall(self, setup: dict[str, Any]) -> None:
        hall_id = setup["hall"]["id"]
        status, answer = await self.rest("PUT", f"/halls/{hall_id}/setup", setup)
        assert status == 200, answer
        self.halls.append(setup)

    def tickets_of(self, citizen_id: str) -> int:
        return self.store.count(self.db, "queueing_tickets", {"citizen.citizen_id": citizen_id})

    async def ready(self, node: Node) -> tuple[int, Any]:
        """A node's /readyz: (status, body)."""
        async with self.http.get(node.url + "/readyz") as response:
            return response.status, await response.json(content_type=None)


def node_env(
    store: Store, redis_url: str, prefix: str, db: str, data_dir: Path, **extra: str
) -> dict[str, str]:
    env = {
        "HALLHUB_MONGODB_URL": store.url,
        "HALLHUB_MONGODB_DB": db,
        "HALLHUB_REDIS_URL": redis_url,
        "HALLHUB_REDIS_PREFIX": prefix,
        "HALLHUB_JWT_SECRET": JWT_SECRET,
        "HALLHUB_DATA_DIR": str(data_dir),
        # Test clients send commands back to back; the rate limit has its own tests.
        **{f"HALLHUB_RATE_LIMIT__{k.upper()}": str(v) for k, v in UNLIMITED_COMMANDS.items()},
    }
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def hall_cluster(
    *,
    halls: Sequence[dict[str, Any]] = (),
    own_redis: bool = False,
    env: Mapping[str, str] | None = None,
    work_dir: Path | None = None,
    nginx_server_params: str = "",
) -> AsyncIterator[Cluster]:
    """A store, Redis (the shared one under a fresh prefix, or a private one a test may
    restart), two nodes behind nginx, and the halls loaded; all of it removed afterwards.
    `env` is added to every node's environment."""
    root = Path(tempfile.mkdtemp(prefix="hallhub-faults-", dir=work_dir))
    store = Store(root / "store")
    redis = RedisServer(root / "redis") if own_redis else None
    prefix = f"hhfault:{uuid.uuid4().hex[:8]}:"
    db = f"f_{uuid.uuid4().hex[:12]}"
    children: list[Child] = [store]
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    try:
        await store.start()
        if redis is not None:
            children.append(redis)
            await redis.start()
        redis_url = redis.url if redis is not None else REDIS_URL
        nodes = [
            Node(
                name,
                node_env(store, redis_url, prefix, db, root / name, **(env or {})),
            )
            for name in ("node-a", "node-b")
        ]
        children += nodes
        await asyncio.gather(*(node.start() for node in nodes))
        nginx = Nginx(root / "nginx", [node.port for node in nodes], nginx_server_params)
        children.append(nginx)
        await nginx.start()
        cluster = Cluster(store, redis_url, prefix, db, nodes, nginx, http, redis=redis)
        try:
            for setup in halls:
                await cluster.load_hall(setup)
            yield cluster
        finally:
            for proxy in cluster.proxies:
                await proxy.close()
    finally:
        await http.close()
        for child in reversed(children):
            if isinstance(child, Store):
                continue
            await child.stop()
        if store.alive:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(drop_database, store.url, db)
        if not own_redis:
            await drop_redis_prefix(prefix)
        await store.stop()
        shutil.rmtree(root, ignore_errors=True)

"""The aiohttp application factory. Every resource is owned by a cleanup context."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from hub import keys
from hub.access import AccessTable
from hub.auth import access as hub_access
from hub.auth import api as auth_api
from hub.auth.tokens import TokenIssuer
from hub.embedded import EmbeddedMongo
from hub.errors import NotFound, Unavailable
from hub.events import api as events_api
from hub.events import make_log
from hub.events import types as event_types
from hub.events.bus import EventBus
from hub.events.log import MemoryEventLog
from hub.gateway.commands import CommandRegistry
from hub.gateway.server import Gateway
from hub.health import Health
from hub.logs import get_logger
from hub.metrics import HubMetrics
from hub.plugin import Install
from hub.rest import RestApi, problem
from hub.settings import Settings
from hub.topics import TopicPolicy

log = get_logger("hub.app")

STARTUP_STORE_SECONDS = 30.0

# Built client apps, served under these prefixes.
CLIENT_APPS = {"web": "/web/", "miniapp": "/m/"}


def default_plugins() -> list[Install]:
    from appointments import api as appointments_api
    from notifier import api as notifier_api
    from queueing import api as queueing_api
    from rtc import api as rtc_api

    # The appointment center stands on the queue (check-in makes tickets): installed after it.
    return [queueing_api.install, appointments_api.install, notifier_api.install, rtc_api.install]


def create_app(settings: Settings, plugins: Sequence[Install] | None = None) -> web.Application:
    app = web.Application(client_max_size=8 * 1024 * 1024)
    metrics = HubMetrics()
    tokens = TokenIssuer(settings.signing_secret(), settings.jwt_ttl_seconds)
    redis = _redis_client(settings) if settings.redis_url else None
    access = AccessTable()
    access.add("hub", hub_access.TABLE)
    commands = CommandRegistry(access)
    rest = RestApi(access)
    topics = TopicPolicy(access)
    topics.register("citizen", hub_access.citizen_scope)
    topics.register("user", hub_access.user_scope)
    event_log = make_log(settings, redis)
    bus = EventBus(event_log, metrics)
    gateway = Gateway(
        settings, tokens=tokens, topics=topics, commands=commands, bus=bus, metrics=metrics
    )

    app[keys.SETTINGS] = settings
    app[keys.METRICS] = metrics
    app[keys.TOKENS] = tokens
    app[keys.COMMANDS] = commands
    app[keys.REST] = rest
    app[keys.TOPICS] = topics
    app[keys.ACCESS] = access
    app[keys.BUS] = bus
    app[keys.GATEWAY] = gateway
    if redis is not None:
        app[keys.REDIS] = redis

    gateway.attach(app)
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_redis)
    auth_api.install(app)
    events_api.install(app)
    for install in default_plugins() if plugins is None else plugins:
        install(app)
    app.cleanup_ctx.append(_gateway)
    app.cleanup_ctx.append(_health)
    if isinstance(event_log, MemoryEventLog):
        app.cleanup_ctx.append(_sweeper(event_log))
    app.on_shutdown.append(_close_sockets)

    access.check_complete(
        [*commands.names(), *(route.key for route in rest.routes), *topics.keys()]
    )
    rest.install(app, tokens, metrics)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/api/v1/commands.json", _commands_doc)
    app.router.add_get("/api/v1/events.json", _events_doc)
    _add_client_apps(app, settings.static_dir)
    return app


def _redis_client(settings: Settings) -> Redis:
    # Bounded waits: a Redis that is down answers an error within the timeout, never a hang.
    assert settings.redis_url is not None
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_operation_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
        # A connection broken by a restart is retried on a new one; a Redis that is down is
        # reported after these few quick tries, not after redis-py's default ten.
        retry=Retry(ExponentialWithJitterBackoff(base=0.008, cap=0.512), 3),
    )


async def _storage(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    embedded: EmbeddedMongo | None = None
    watcher: asyncio.Task[None] | None = None
    url = settings.mongodb_url
    if not url:
        embedded = EmbeddedMongo(settings.data_dir)
        url = await embedded.start()
    timeout_ms = int(settings.store_timeout_seconds * 1000)
    client: AsyncMongoClient[keys.Document] = AsyncMongoClient(
        url,
        tz_aware=True,
        appname="hallhub",
        # A store that is down is reported within these (STORE_UNAVAILABLE), not waited for.
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=int(settings.store_operation_timeout_seconds * 1000),
    )
    try:
        await _first_ping(client)
        app[keys.MONGO] = client
        app[keys.DB] = client[settings.mongodb_db]
        if embedded is not None:
            metrics = app[keys.METRICS]
            watcher = asyncio.create_task(
                embedded.watch(metrics.store_restarts.inc), name="embedded-store-watch"
            )
        yield
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await client.close()
        if embedded is not None:
            await embedded.stop()
            embedded.release()


async def _first_ping(client: AsyncMongoClient[keys.Document]) -> None:
    """At start-up the store may still be coming up (a node and its database started
    together): wait for it up to STARTUP_STORE_SECONDS, then fail the start."""
    deadline = time.monotonic() + STARTUP_STORE_SECONDS
    while True:
        try:
            await client.admin.command("ping")
            return
        except ConnectionFailure as exc:
            if time.monotonic() > deadline:
                raise Unavailable(f"MongoDB 无法连接：{exc}") from exc
            log.warning("store_not_ready_yet", error=type(exc).__name__)


async def _redis(app: web.Application) -> AsyncIterator[None]:
    redis = app.get(keys.REDIS)
    if redis is None:
        yield
        return
    try:
        await redis.ping()
    except Exception as exc:
        raise Unavailable(f"Redis 无法连接：{exc}") from exc
    yield
    await redis.aclose()


async def _health(app: web.Application) -> AsyncIterator[None]:
    mongo = app[keys.MONGO]
    health = Health(
        app[keys.METRICS],
        lambda: mongo.admin.command("ping"),
        app.get(keys.REDIS),
        app[keys.GATEWAY].event_log_reset,
    )
    await health.check()  # learns Redis's run id now, so a restart from here on is seen
    task = asyncio.create_task(health.run(), name="health")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _gateway(app: web.Application) -> AsyncIterator[None]:
    gateway = app[keys.GATEWAY]
    await gateway.start()
    yield
    await gateway.stop()


def _sweeper(
    event_log: MemoryEventLog,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def sweep(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(600)
                event_log.sweep()

        task = asyncio.create_task(loop(), name="event-log-sweeper")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return sweep


async def _close_sockets(app: web.Application) -> None:
    await app[keys.GATEWAY].drain()


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    app = request.app
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            await app[keys.MONGO].admin.command("ping")
        checks["mongodb"] = "ok"
    except Exception as exc:
        checks["mongodb"] = f"error: {type(exc).__name__}"
    redis = app.get(keys.REDIS)
    if redis is not None:
        try:
            async with asyncio.timeout(2):
                await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status=200 if ready else 503,
    )


async def _metrics(request: web.Request) -> web.Response:
    metrics = request.app[keys.METRICS]
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})


async def _commands_doc(request: web.Request) -> web.Response:
    return web.json_response(request.app[keys.COMMANDS].describe())


async def _events_doc(request: web.Request) -> web.Response:
    return web.json_response(event_types.describe())


def _add_client_apps(app: web.Application, static_dir: Path) -> None:
    for name, prefix in CLIENT_APPS.items():
        dist = static_dir / name / "dist"

        async def serve(
            request: web.Request, dist: Path = dist, name: str = name
        ) -> web.StreamResponse:
            page = request.match_info.get("path") or "index.html"
            path = await asyncio.to_thread(_client_file, dist, page)
            if path is None:
                if not await asyncio.to_thread(dist.is_dir):
                    message = f"客户端 {name} 尚未构建：在 clients/ 下运行 npm run build"
                    return problem(Unavailable(message), "")
                return problem(NotFound(f"没有这个页面：{page}"), "")
            # Hashed asset names never change content; pages must be re-read on every load.
            immutable = "/assets/" in request.path
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return web.FileResponse(path, headers={"Cache-Control": cache})

        async def redirect(request: web.Request, prefix: str = prefix) -> web.StreamResponse:
            raise web.HTTPFound(prefix)

        app.router.add_get(prefix.rstrip("/"), redirect)
        app.router.add_get(prefix + "{path:.*}", serve)

    async def root(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/web/")

    app.router.add_get("/", root)


def _client_file(dist: Path, page: str) -> Path | None:
    """The file of a built client app a URL names, or None (never outside `dist`)."""
    root = dist.resolve()
    path = (root / page).resolve()
    if path.is_dir():
        path = path / "index.html"
    if root not in path.parents or not path.is_file():
        return None
    return path


__all__ = ["TokenIssuer", "create_app"]

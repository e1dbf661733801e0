"""`hallhub`: serve, demo, token, user."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from rich.console import Console
from rich.table import Table

from hub import demo, logs
from hub.app import create_app
from hub.auth.models import Role
from hub.auth.tokens import TokenIssuer
from hub.errors import HubError
from hub.settings import Settings

console = Console(stderr=True)

OnReady = Callable[[web.Application, str], Awaitable[None]]


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "config", None):
        import os

        os.environ["HALLHUB_CONFIG"] = str(args.config)
    overrides: dict[str, Any] = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["port"] = args.port
    return Settings(**overrides)


def _run(main: Awaitable[None]) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - no uvloop on this platform
        asyncio.run(main)  # type: ignore[arg-type]
    else:
        uvloop.run(main)  # type: ignore[arg-type]


async def serve(settings: Settings, on_ready: OnReady | None = None) -> None:
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5)
    with console.status("启动中：存储、事件日志、网关…"):
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port, reuse_address=True)
        await site.start()
    port = settings.port
    if port == 0 and runner.addresses:
        port = runner.addresses[0][1]
    base_url = settings.public_url or f"http://{settings.host}:{port}"
    settings = settings.model_copy(update={"port": port})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if on_ready is not None:
            await on_ready(app, base_url)
        # Start-up objects never die: keep them out of every future collection.
        gc.collect()
        gc.freeze()
        console.print(f"[green]HallHub 已启动[/green] {base_url}  (Ctrl+C 停止)")
        # A line a supervisor script (or a test) can wait for.
        print(f"HALLHUB_READY {base_url}", flush=True)
        await stop.wait()
    finally:
        console.print("正在停止…")
        await runner.cleanup()


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings(args)
    logs.configure(settings.log_level, settings.log_format)
    _run(serve(settings, _demo_ready if args.demo else None))


def cmd_demo(args: argparse.Namespace) -> None:
    args.demo = True
    cmd_serve(args)


async def _demo_ready(app: web.Application, base_url: str) -> None:
    data = demo.load()
    with console.status("载入演示数据…"):
        await demo.seed(app, data)
    console.rule("HallHub 演示 · 各屏幕地址 (tokens valid 30 days)")
    # Plain lines: whole URLs a terminal can select, and a script can read.
    for screen, who, url in demo.screens(app, data, base_url):
        print(
            f"{screen}: {url}" + (f"  ({who})" if who and "token=" not in url else ""), flush=True
        )
    accounts = Table(title="演示账号 Demo accounts (/web/ 登录)")
    for column in ("用户名", "密码", "角色", "姓名"):
        accounts.add_column(column)
    for a in data.accounts:
        accounts.add_row(a.username, a.password, a.role.value, a.name)
    console.print(accounts)


def cmd_token(args: argparse.Namespace) -> None:
    settings = _settings(args)
    role = Role(args.role)
    sub = args.sub or (f"{role.value}-{args.hall}" if args.hall else role.value)
    issuer = TokenIssuer(settings.signing_secret(), settings.jwt_ttl_seconds)
    ttl = int(args.days * 24 * 3600) if args.days else None
    token, _ = issuer.issue(sub, role, hall=args.hall, name=args.name or "", ttl_seconds=ttl)
    print(token)


def cmd_access_table(args: argparse.Namespace) -> None:
    from hub import keys
    from hub.access import markdown
    from hub.app import create_app

    print(markdown(create_app(_settings(args))[keys.ACCESS]))


def cmd_events_schema(args: argparse.Namespace) -> None:
    import json

    from hub.app import create_app
    from hub.events.types import typescript_schema

    create_app(_settings(args))  # every domain's event models, registered
    print(json.dumps(typescript_schema(), ensure_ascii=False, indent=1))


def cmd_user_add(args: argparse.Namespace) -> None:
    settings = _settings(args)
    logs.configure("WARNING", settings.log_format)
    password = (
        sys.stdin.readline().rstrip("\n")
        if args.password_stdin
        else getpass.getpass("密码 Password: ")
    )

    async def add(app: web.Application, _: str) -> None:
        from hub import keys

        await app[keys.AUTH].create_account(
            args.username, password, Role(args.role), name=args.name or "", hall_id=args.hall
        )
        console.print(f"[green]账号 {args.username} 已保存[/green]")

    async def main() -> None:
        app = create_app(settings.model_copy(update={"port": 0}))
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        try:
            await add(app, "")
        finally:
            await runner.cleanup()

    _run(main())


def cmd_worker(args: argparse.Namespace) -> None:
    """Work the message center's outbox in its own process, beside the hubs (any number of
    them, on any node): SMS and e-mail; in-app messages too when Redis carries the events."""
    settings = _settings(args)
    logs.configure(settings.log_level, settings.log_format)
    if not settings.mongodb_url:
        console.print("[red]hallhub worker[/red] needs the hubs' MongoDB: set HALLHUB_MONGODB_URL")
        sys.exit(2)
    _run(_worker(settings))


async def _worker(settings: Settings) -> None:
    from pymongo import AsyncMongoClient
    from redis.asyncio import Redis

    from hub.events import EventBus, make_log
    from hub.metrics import HubMetrics
    from notifier.api import build_service
    from notifier.models import Channel
    from notifier.store import NotifierStore

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, appname="hallhub-worker"
    )
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    # Without Redis this process could not reach any browser: in-app stays with the hubs.
    channels = None if redis is not None else [Channel.SMS, Channel.EMAIL]
    store = NotifierStore(client[settings.mongodb_db])
    await store.ensure_indexes()
    bus = EventBus(make_log(settings, redis), HubMetrics())
    service = build_service(settings, store, bus, channels)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"HALLHUB_WORKER_READY {service.owner}", flush=True)
    try:
        await service.run_workers(stop)
    finally:
        await service.close()
        if redis is not None:
            await redis.aclose()
        await client.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hallhub", description="HallHub real-time hub")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, help="settings file (TOML or YAML)")

    for name, func, help_text in (
        ("serve", cmd_serve, "run the hub"),
        ("demo", cmd_demo, "load the demo hall and accounts, then run the hub"),
    ):
        p = sub.add_parser(name, help=help_text)
        common(p)
        p.add_argument("--host", help="bind address (HALLHUB_HOST)")
        p.add_argument("--port", type=int, help="port, 0 for any free one (HALLHUB_PORT)")
        if name == "serve":
            p.add_argument("--demo", action="store_true", help="load the demo data first")
        p.set_defaults(func=func)

    p = sub.add_parser("worker", help="work the message center's outbox (no web server)")
    common(p)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("token", help="issue a token for a device or script")
    common(p)
    # A ticket's token is traded for the code printed on its slip, never issued here.
    p.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.TICKET])
    p.add_argument("--hall", help="hall id (required for display)")
    p.add_argument("--sub", help="subject: citizen id, account or device name")
    p.add_argument("--name", help="display name")
    p.add_argument("--days", type=float, help="lifetime in days (default: jwt_ttl_seconds)")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("access-table", help="print who may do what (docs/security.md)")
    common(p)
    p.set_defaults(func=cmd_access_table)

    p = sub.add_parser(
        "events-schema", help="print every event type's JSON Schema (for the TypeScript types)"
    )
    common(p)
    p.set_defaults(func=cmd_events_schema)

    p = sub.add_parser("user", help="manage staff accounts")
    user_sub = p.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create or reset a staff account")
    common(add)
    add.add_argument("username")
    account_roles = (Role.ADMIN, Role.SUPERVISOR, Role.STAFF, Role.AGENT)
    add.add_argument("--role", required=True, choices=[r.value for r in account_roles])
    add.add_argument("--hall")
    add.add_argument("--name")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_user_add)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            args.func(args)
    except HubError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        sys.exit(2)

"""A HallHub node for bench/fanout.py: the real app plus one bench-only route.

    python -m bench._hub_node PORT DATA_DIR        (secret in BENCH_JWT_SECRET)

POST /bench/publish?count=N&interval_ms=M[&run=TAG] publishes N events on `hall:bench`
through the hub's own EventBus, M ms apart (0: back to back), and answers when done.
With BENCH_CITY_HOOKS set, bench/_city_hooks.py instruments it for bench/city.py.
Prints `BENCH_READY <port>` once it serves. Runs on core 0 with uvloop.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time
from pathlib import Path

import uvloop
from aiohttp import web
from pydantic import SecretStr

from bench._node_common import EVENT_TYPE, EXTRA, TOPIC, prepare_process
from hub import keys, logs
from hub.app import create_app
from hub.context import new_ctx
from hub.events.types import Event
from hub.settings import RateLimitSettings, Settings


class EventSent(Event, type=EVENT_TYPE, topics=("hall",)):
    """A bench event, about the size of a ticket called (bench/_node_common.py)."""

    t0: float
    i: int
    run: str
    ticket: str
    counter: str
    service: str
    waiting: int
    window_label: str


async def publish(request: web.Request) -> web.Response:
    count = int(request.query.get("count", "1"))
    interval = float(request.query.get("interval_ms", "0")) / 1000
    run = request.query.get("run", "")
    bus = request.app[keys.BUS]
    new_ctx()
    first_t0 = 0.0
    for i in range(count):
        t0 = time.time()
        if i == 0:
            first_t0 = t0
        await bus.publish(TOPIC, EventSent(t0=t0, i=i, run=run, **EXTRA))
        if interval and i + 1 < count:
            await asyncio.sleep(interval)
    return web.json_response({"published": count, "first_t0": first_t0, "done": time.time()})


async def serve(port: int, data_dir: Path, secret: str) -> None:
    settings = Settings(
        host="127.0.0.1",
        port=port,
        data_dir=data_dir,
        jwt_secret=SecretStr(secret),
        redis_url=None,
        mongodb_url=None,
        log_level="WARNING",
        # The benches drive sockets far past what one person or screen sends: measure the hub,
        # not its command rate limit.
        rate_limit=RateLimitSettings(
            socket_per_second=1e6,
            socket_burst=1_000_000,
            token_per_second=1e6,
            token_burst=1_000_000,
        ),
    )
    logs.configure(settings.log_level, settings.log_format)
    app = create_app(settings)
    app.router.add_post("/bench/publish", publish)
    if os.environ.get("BENCH_CITY_HOOKS"):  # bench/city.py: city clock, store operations, loop
        from bench._city_hooks import install

        install(app)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, port, reuse_address=True, backlog=1024)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # As hub/cli.py does: start-up objects never die, keep them out of collections.
        gc.collect()
        gc.freeze()
        print(f"BENCH_READY {port}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    prepare_process(core=0)
    port = int(sys.argv[1])
    data_dir = Path(sys.argv[2])
    secret = os.environ["BENCH_JWT_SECRET"]
    uvloop.run(serve(port, data_dir, secret))


if __name__ == "__main__":
    main()

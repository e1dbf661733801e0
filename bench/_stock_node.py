"""A stock python-socketio server doing the hub's broadcast, for bench/fanout.py.

    python -m bench._stock_node PORT               (secret in BENCH_JWT_SECRET)

A plain `socketio.AsyncServer(async_mode="aiohttp")` with default options: a connect handler
checking `auth.token`, a `subscribe` command that joins the room and acks like the hub, and
the same POST /bench/publish route emitting the same envelope {type, topic, seq, ts, data, ctx}
with `sio.emit("event", envelope, room=...)`. Runs on core 0 with uvloop.
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import signal
import sys
import time
from typing import Any

import socketio
import uvloop
from aiohttp import web

from bench._node_common import EVENT_TYPE, EXTRA, TOPIC, prepare_process
from hub.auth.tokens import TokenIssuer
from hub.errors import HubError
from hub.events.envelope import format_ts

EPOCH = secrets.token_hex(6)


class StockNode:
    def __init__(self, secret: str) -> None:
        self.tokens = TokenIssuer(secret, 3600)
        self.sio = socketio.AsyncServer(async_mode="aiohttp")
        self.seq: dict[str, int] = {}
        self.sio.on("connect", self.connect)
        self.sio.on("subscribe", self.subscribe)

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            self.tokens.verify(token)
        except HubError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.code) from None

    async def subscribe(self, sid: str, payload: Any) -> dict[str, Any]:
        topic = payload.get("topic") if isinstance(payload, dict) else None
        if not isinstance(topic, str):
            return {"ok": False, "error": {"code": "INVALID_PAYLOAD", "message": "topic"}}
        await self.sio.enter_room(sid, topic)
        return {
            "ok": True,
            "data": {"topic": topic, "seq": self.seq.get(topic, 0), "epoch": EPOCH, "missed": []},
        }

    async def publish(self, request: web.Request) -> web.Response:
        count = int(request.query.get("count", "1"))
        interval = float(request.query.get("interval_ms", "0")) / 1000
        run = request.query.get("run", "")
        ctx = secrets.token_hex(8)
        first_t0 = 0.0
        for i in range(count):
            t0 = time.time()
            if i == 0:
                first_t0 = t0
            seq = self.seq[TOPIC] = self.seq.get(TOPIC, 0) + 1
            envelope = {
                "type": EVENT_TYPE,
                "topic": TOPIC,
                "seq": seq,
                "ts": format_ts(int(t0 * 1000)),
                "data": {"t0": t0, "i": i, "run": run, **EXTRA},
                "ctx": ctx,
            }
            await self.sio.emit("event", envelope, room=TOPIC)
            if interval and i + 1 < count:
                await asyncio.sleep(interval)
        return web.json_response({"published": count, "first_t0": first_t0, "done": time.time()})


async def serve(port: int, secret: str) -> None:
    node = StockNode(secret)
    app = web.Application()
    node.sio.attach(app)
    app.router.add_post("/bench/publish", node.publish)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True, backlog=1024)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        gc.collect()
        gc.freeze()  # as the hub node does, so the two differ only in their Socket.IO path
        print(f"BENCH_READY {port}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    prepare_process(core=0)
    uvloop.run(serve(int(sys.argv[1]), os.environ["BENCH_JWT_SECRET"]))


if __name__ == "__main__":
    main()

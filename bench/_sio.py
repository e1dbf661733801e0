"""A minimal Socket.IO v5 / Engine.IO v4 WebSocket client for the benchmarks: connect with a
token, emit commands and await their acks, hand events to a callback. Light enough to run
hundreds in one process (python-socketio's client costs a task per message)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

EventHandler = Callable[[dict[str, Any], float], None]


class MiniSocket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, on_event: EventHandler | None) -> None:
        self._ws = ws
        self._on_event = on_event
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls,
        http: aiohttp.ClientSession,
        base_url: str,
        token: str,
        on_event: EventHandler | None = None,
    ) -> MiniSocket:
        url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        ws = await http.ws_connect(url, autoping=False, max_msg_size=0)
        opened = await ws.receive_str()
        if not opened.startswith("0"):
            raise ConnectionError(f"unexpected open packet {opened[:40]!r}")
        await ws.send_str("40" + json.dumps({"token": token}))
        answer = await ws.receive_str()
        if not answer.startswith("40"):
            raise ConnectionError(f"refused: {answer[:200]}")
        return cls(ws, on_event)

    async def call(self, command: str, payload: dict[str, Any], seconds: float = 30) -> Any:
        ack_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self._ws.send_str(
            f"42{ack_id}" + json.dumps([command, payload], separators=(",", ":"))
        )
        async with asyncio.timeout(seconds):
            return await future

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data: str = message.data
            received = time.time()
            if data == "2":
                await self._ws.send_str("3")
            elif data.startswith("42"):
                name, *args = json.loads(data[2:])
                if name == "event" and self._on_event is not None and args:
                    self._on_event(args[0], received)
            elif data.startswith("43"):
                bracket = data.index("[")
                future = self._acks.pop(int(data[2:bracket]), None)
                if future is not None and not future.done():
                    values = json.loads(data[bracket:])
                    future.set_result(values[0] if values else None)
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionError("socket closed"))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

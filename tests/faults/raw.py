"""A Socket.IO client spoken by hand over aiohttp's WebSocket (Engine.IO v4, Socket.IO v5):
one that can stop reading, as a phone on a dying network does, with a receive buffer kept
small so the hub, not this client, holds what it does not read."""

from __future__ import annotations

import json
import socket
from typing import Any

import aiohttp

_CLOSED = (
    aiohttp.WSMsgType.CLOSE,
    aiohttp.WSMsgType.CLOSING,
    aiohttp.WSMsgType.CLOSED,
    aiohttp.WSMsgType.ERROR,
)


def _small_socket(addr_info: Any) -> socket.socket:
    family, kind, proto = addr_info[0], addr_info[1], addr_info[2]
    sock = socket.socket(family, kind, proto)
    # Set before connecting, so the window the peer sees stays small.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


class RawClient:
    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._http = http
        self._ws = ws
        self._acks = 0
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, base_url: str, auth: str) -> RawClient:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=_small_socket))
        try:
            url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
            ws = await http.ws_connect(url, autoping=False, max_msg_size=0)
            client = cls(http, ws)
            opened = await client._packet()
            assert opened.startswith("0"), opened
            await ws.send_str("40" + json.dumps({"token": auth}))
            connected = await client._packet()
            assert connected.startswith("40"), connected
        except BaseException:
            await http.close()
            raise
        return client

    async def call(self, command: str, payload: Any) -> dict[str, Any]:
        """A command and its ack (events arriving first are kept in `events`)."""
        ack_id = self._acks
        self._acks += 1
        await self._ws.send_str(f"42{ack_id}" + json.dumps([command, payload]))
        prefix = f"43{ack_id}"
        while True:
            data = await self._packet()
            if data.startswith(prefix):
                answer: dict[str, Any] = json.loads(data[len(prefix) :])[0]
                return answer
            self._keep(data)

    async def read_events(self, count: int) -> list[dict[str, Any]]:
        while len(self.events) < count:
            self._keep(await self._packet())
        return self.events

    def _keep(self, data: str) -> None:
        if data.startswith("42"):
            name, *args = json.loads(data[2:])
            if name == "event":
                self.events.append(args[0])

    async def _packet(self) -> str:
        while True:
            message = await self._ws.receive()
            if message.type is aiohttp.WSMsgType.TEXT:
                data: str = message.data
                if data == "2":  # ping
                    await self._ws.send_str("3")
                    continue
                return data
            if message.type in _CLOSED:
                raise ConnectionError(f"closed ({message.type.name})")

    async def close(self) -> None:
        try:
            await self._ws.close()
        finally:
            await self._http.close()

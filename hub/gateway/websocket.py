"""engineio's aiohttp WebSocket driver, changed in two ways: per-message compression is off
(it costs about 4x memory per connection and defeats frame reuse), and each socket is
registered with its transport so broadcasts and acks are written without a queue."""

from __future__ import annotations

from typing import Any

from aiohttp import WSMsgType, web

from hub.gateway.connections import Connection, Connections


def driver(connections: Connections) -> Any:
    class HubWebSocket:
        def __init__(self, handler: Any, server: Any) -> None:
            self.handler = handler
            self.server = server
            self._sock: web.WebSocketResponse | None = None

        async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
            request: web.Request = environ["aiohttp.request"]
            sock = web.WebSocketResponse(
                max_msg_size=self.server.max_http_buffer_size, compress=False
            )
            self._sock = sock
            await sock.prepare(request)
            # The handler is the engineio socket's bound method; its sid keys the registry.
            eio_sid: str = self.handler.__self__.sid
            transport = request.transport
            if transport is not None:
                connections.add(eio_sid, Connection(transport, sock))
            try:
                await self.handler(self)
            finally:
                connections.remove(eio_sid)
            return sock

        async def close(self) -> None:
            assert self._sock is not None
            await self._sock.close()

        async def send(self, message: str | bytes) -> None:
            assert self._sock is not None
            if isinstance(message, bytes):
                await self._sock.send_bytes(message)
            else:
                await self._sock.send_str(message)

        async def wait(self) -> str | bytes:
            assert self._sock is not None
            msg = await self._sock.receive()
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                raise OSError("websocket closed")
            data: str | bytes = msg.data
            return data

    return HubWebSocket

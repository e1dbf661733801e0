"""A lean Engine.IO server for WebSocket-only clients.

python-engineio gives every socket an asyncio.Queue, a writer task, a ping task and a task
plus timer per received message, and keeps its whole request environ and parsed query alive in
suspended frames: about 13 KB and four tasks per idle connection, to serve long-polling clients
we do not accept. Here a connection is one request handler running the socket's reader loop:
packets are written straight to the registered WebSocket (in order, no queue), per-message
compression is off (it costs about 4x memory per connection and defeats frame reuse), and one
task pings every socket and drops those whose pong is late.

The reader closes the WebSocket, not only the session, on what ends it: a CLOSE packet, a
packet that breaks the protocol, no Socket.IO CONNECT within the connect timeout (counted
again after a DISCONNECT), attachments that do not arrive within the attachment timeout.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, NamedTuple, Protocol

import engineio
from aiohttp import WSCloseCode, WSMsgType, web
from engineio import packet
from engineio.async_socket import AsyncSocket

from hub.gateway.connections import Connection, Connections, binary_frame, text_frame
from hub.gateway.packets import ProtocolError
from hub.logs import get_logger

log = get_logger("hub.gateway")

# The request headers engineio and python-socketio read (origin checks, the connect handler).
_HEADERS = ("origin", "host", "x-forwarded-proto", "x-forwarded-host")


def translate_request(request: web.Request) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.query_string or "",
        "PATH_INFO": request.path,
        "wsgi.url_scheme": request.scheme,
        "aiohttp.request": request,
    }
    for name in _HEADERS:
        value = request.headers.get(name)
        if value is not None:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


class _NoQueue:
    """Stands in for the per-socket asyncio.Queue nothing here reads."""

    async def put(self, item: Any) -> None:
        return None

    def put_nowait(self, item: Any) -> None:
        return None

    async def join(self) -> None:
        return None

    def task_done(self) -> None:
        return None


_NO_QUEUE = _NoQueue()


class Sessions(Protocol):
    """What the engine needs of the Socket.IO layer above it."""

    async def receive(self, eio_sid: str, data: str | bytes) -> None:
        """One MESSAGE packet's data; raises ProtocolError for a packet to close on."""

    def attached(self, eio_sid: str) -> bool:
        """Connected to the Socket.IO namespace."""

    def awaiting_attachments(self, eio_sid: str) -> bool:
        """A binary packet waits for attachments still to come."""


class Close(NamedTuple):
    code: int
    reason: str


CLIENT_CLOSED = Close(WSCloseCode.OK, "")
INVALID_PACKET = Close(WSCloseCode.PROTOCOL_ERROR, "invalid packet")
CONNECT_TIMEOUT = Close(WSCloseCode.POLICY_VIOLATION, "connect timeout")
ATTACHMENT_TIMEOUT = Close(WSCloseCode.POLICY_VIOLATION, "attachment timeout")
INTERNAL_ERROR = Close(WSCloseCode.INTERNAL_ERROR, "")
TOO_BIG = Close(WSCloseCode.MESSAGE_TOO_BIG, "")


def encode_frame(pkt: Any) -> bytes:
    encoded = pkt.encode()
    if isinstance(encoded, bytes):
        return binary_frame(encoded)
    return text_frame(encoded.encode())


class LeanSocket(AsyncSocket):  # type: ignore[misc]
    server: HubEngineIO

    def __init__(self, server: HubEngineIO, sid: str) -> None:
        super().__init__(server, sid)
        self.last_ping = None  # no ping outstanding
        self.connected = True
        self.upgraded = True
        self._early: list[bytes] | None = []  # frames sent before the WebSocket is open

    async def send(self, pkt: Any) -> None:
        if self.closed:
            return
        connection = self.server.connections.get(self.sid)
        if connection is not None:
            self.server.connections.write(connection, encode_frame(pkt))
        elif self._early is not None:
            self._early.append(encode_frame(pkt))

    def schedule_ping(self) -> None:
        """A pong arrived: the ping is answered (the server's pinger sends the next)."""
        self.last_ping = None

    async def check_ping_timeout(self) -> bool:
        return not self.closed

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        await super().close(wait=False, abort=abort, reason=reason)
        connection = self.server.connections.get(self.sid)
        if connection is not None and not connection.ws.closed:
            # Closed by the server (python-socketio's disconnect): the WebSocket goes too, which
            # also ends the reader.
            await connection.ws.close()

    async def run(self, request: web.Request) -> web.WebSocketResponse:
        server = self.server
        ws = web.WebSocketResponse(max_msg_size=server.max_http_buffer_size, compress=False)
        await ws.prepare(request)
        transport = request.transport
        if transport is None:
            return ws
        server.connections.add(self.sid, Connection(transport, ws))
        close = CLIENT_CLOSED
        try:
            for frame in self._early or ():
                transport.write(frame)
            self._early = None
            close = await self._read(ws)
        finally:
            server.connections.remove(self.sid)
            await self.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
            if not ws.closed:
                await ws.close(code=close.code, message=close.reason.encode())
        return ws

    async def _read(self, ws: web.WebSocketResponse) -> Close:
        server = self.server
        sessions = server.sessions
        limit = server.max_http_buffer_size
        loop = asyncio.get_running_loop()
        unattached_since: float | None = loop.time()
        awaiting_since: float | None = None
        while True:
            deadlines = []
            if unattached_since is not None:
                deadlines.append((unattached_since + server.connect_timeout, CONNECT_TIMEOUT))
            if awaiting_since is not None:
                deadlines.append((awaiting_since + server.attachment_timeout, ATTACHMENT_TIMEOUT))
            timeout = None
            if deadlines:
                at, why = min(deadlines)
                timeout = at - loop.time()
                if timeout <= 0:
                    log.info("engineio_closed", reason=why.reason)
                    return why
            try:
                message = await ws.receive(timeout)
            except TimeoutError:
                continue
            if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return CLIENT_CLOSED
            if len(message.data) > limit:
                return TOO_BIG
            try:
                if not await self._packet(message.data):
                    return CLIENT_CLOSED
            except ProtocolError as exc:
                log.info("engineio_closed", reason=INVALID_PACKET.reason, detail=str(exc))
                return INVALID_PACKET
            except Exception:
                log.exception("engineio_receive_failed")
                return INTERNAL_ERROR
            if self.closed:
                return CLIENT_CLOSED
            now = loop.time()
            if sessions.attached(self.sid):
                unattached_since = None
            elif unattached_since is None:
                unattached_since = now  # left the namespace: the connect timeout starts again
            if not sessions.awaiting_attachments(self.sid):
                awaiting_since = None
            elif awaiting_since is None:
                awaiting_since = now

    async def _packet(self, data: str | bytes) -> bool:
        """Handle one Engine.IO packet; False for CLOSE. A client on a WebSocket-only session
        sends MESSAGE (binary frames are MESSAGEs too), PONG and CLOSE, nothing else."""
        if isinstance(data, bytes):
            await self.server.sessions.receive(self.sid, data)
        elif data[:1] == "4":
            await self.server.sessions.receive(self.sid, data[1:])
        elif data[:1] == "3":
            self.schedule_ping()
        elif data[:1] == "1":
            return False
        else:
            raise ProtocolError("unknown Engine.IO packet type")
        return True


class HubEngineIO(engineio.AsyncServer):  # type: ignore[misc]
    """engineio's server, WebSocket only: lean sockets, one pinger, background tasks tracked."""

    connections: Connections
    sessions: Sessions
    connect_timeout: float = 5.0
    attachment_timeout: float = 5.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["monitor_clients"] = False  # the pinger does it
        super().__init__(*args, **kwargs)
        self._background: set[asyncio.Task[Any]] = set()

    def create_queue(self, *args: Any, **kwargs: Any) -> Any:
        return _NO_QUEUE

    def start_background_task(self, target: Any, *args: Any, **kwargs: Any) -> Any:
        task = super().start_background_task(target, *args, **kwargs)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def cancel_background_tasks(self) -> None:
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def handle_request(self, request: web.Request) -> web.StreamResponse:
        environ = translate_request(request)
        origin = environ.get("HTTP_ORIGIN")
        if origin and self.cors_allowed_origins != []:
            allowed = self._cors_allowed_origins(environ)
            if allowed is not None and origin not in allowed:
                return await self._refuse(environ, f"{origin} is not an accepted origin.")
        query = request.query
        if (
            query.get("transport") != "websocket"
            or "sid" in query
            or request.headers.get("Upgrade", "").lower() != "websocket"
        ):
            return await self._refuse(
                environ, 'WebSocket transport only: transports: ["websocket"]'
            )
        if query.get("EIO") != "4":
            return await self._refuse(environ, "Engine.IO protocol 4 (Socket.IO v3+) required")
        sid = self.generate_id()
        socket = LeanSocket(self, sid)
        self.sockets[sid] = socket
        await socket.send(
            packet.Packet(
                packet.OPEN,
                {
                    "sid": sid,
                    "upgrades": [],
                    "pingTimeout": int(self.ping_timeout * 1000),
                    "pingInterval": int(
                        (self.ping_interval + self.ping_interval_grace_period) * 1000
                    ),
                    "maxPayload": self.max_http_buffer_size,
                },
            )
        )
        accepted = await self._trigger_event("connect", sid, environ, run_async=False)
        del environ  # python-socketio keeps what it needs
        if accepted is not None and accepted is not True:
            del self.sockets[sid]
            refused: web.StreamResponse = await self._make_response(
                self._unauthorized(accepted or None), {}
            )
            return refused
        try:
            return await socket.run(request)
        finally:
            self.sockets.pop(sid, None)

    async def _refuse(self, environ: dict[str, Any], message: str) -> web.StreamResponse:
        response: web.StreamResponse = await self._make_response(
            self._bad_request(message), environ
        )
        return response

    async def pinger(self) -> None:
        """Every ping interval: drop sockets whose last ping went unanswered for longer than
        the ping timeout, ping the others."""
        ping_frame = encode_frame(packet.Packet(packet.PING))
        while True:
            await asyncio.sleep(self.ping_interval)
            now = time.time()
            for socket in list(self.sockets.values()):
                connection = self.connections.get(socket.sid)
                if connection is None or socket.closing or socket.closed:
                    continue
                if socket.last_ping is not None:
                    if now - socket.last_ping > self.ping_timeout:
                        log.info("client_ping_timeout")
                        connection.transport.abort()
                    continue
                socket.last_ping = now
                self.connections.write(connection, ping_frame)

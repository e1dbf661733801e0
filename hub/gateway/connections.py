"""Open WebSocket connections and the encode-once frame writer.

A broadcast builds one WebSocket frame and writes the same bytes to every socket of the room,
synchronously: no per-recipient task, no per-message compression, no re-encoding.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import WSCloseCode, web

from hub.logs import get_logger

log = get_logger("hub.gateway")

_TEXT_FIN = 0x81
_BINARY_FIN = 0x82


def _frame(first: int, payload: bytes) -> bytes:
    """An unmasked, unfragmented WebSocket frame (RFC 6455 §5.2), as servers send."""
    size = len(payload)
    if size < 126:
        return bytes((first, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


def text_frame(payload: bytes) -> bytes:
    return _frame(_TEXT_FIN, payload)


def binary_frame(payload: bytes) -> bytes:
    return _frame(_BINARY_FIN, payload)


@dataclass(slots=True)
class Connection:
    transport: asyncio.Transport
    ws: web.WebSocketResponse


class Connections:
    def __init__(self, max_buffer_bytes: int) -> None:
        self._by_eio_sid: dict[str, Connection] = {}
        self._max_buffer = max_buffer_bytes

    def __len__(self) -> int:
        return len(self._by_eio_sid)

    def add(self, eio_sid: str, connection: Connection) -> None:
        self._by_eio_sid[eio_sid] = connection

    def remove(self, eio_sid: str) -> None:
        self._by_eio_sid.pop(eio_sid, None)

    def get(self, eio_sid: str) -> Connection | None:
        return self._by_eio_sid.get(eio_sid)

    def write(self, connection: Connection, frame: bytes) -> bool:
        transport = connection.transport
        if transport.is_closing():
            return False
        if transport.get_write_buffer_size() > self._max_buffer:
            # A client that stopped reading would make us buffer without bound. Drop it:
            # it reconnects and replays what it missed from the event log.
            log.warning("slow_client_dropped", buffered=transport.get_write_buffer_size())
            transport.abort()
            return False
        transport.write(frame)
        return True

    def broadcast(self, frame: bytes, eio_sids: Iterable[str]) -> int:
        delivered = 0
        by_eio_sid = self._by_eio_sid
        for eio_sid in eio_sids:
            connection = by_eio_sid.get(eio_sid)
            if connection is not None and self.write(connection, frame):
                delivered += 1
        return delivered

    async def close_all(self) -> None:
        """Close every socket with 1001 GOING_AWAY so clients reconnect to another node."""
        connections = list(self._by_eio_sid.values())
        await asyncio.gather(
            *(
                c.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
                for c in connections
            ),
            return_exceptions=True,
        )

"""Socket.IO packets from clients, decoded strictly (socket.io-protocol v5).

python-socketio's decoder accepts what the protocol says to close the connection for
(`42{}`, `42abc[…]`, a CONNECT_ERROR from a client, a BINARY_EVENT announcing no attachment)
and parses JSON with the standard library, which recurses as deep as the input nests until it
raises RecursionError. Here a bad packet raises ProtocolError (the engine closes the
connection) and JSON is parsed by pydantic-core's parser, which stops at a fixed depth (200) and
at numbers of absurd length.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic_core import from_json
from socketio import packet as sio_packet

# Attachments a binary packet may announce (their bytes together are capped at maxPayload).
MAX_ATTACHMENTS = 10

# Event names python-socketio routes to the server's own handlers (and socket.io's reserved
# ones): from a client they would fake a connect or a disconnect, or reach the catch-all
# handler with its arguments shifted.
RESERVED_EVENTS = frozenset(
    {
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
        "*",
    }
)

# <type>[<attachments>-][<namespace>,][<id>][<JSON payload>]; the namespace runs to the first
# comma or to the end (socket.io-parser reads it so).
_HEAD = re.compile(r"([0-6])(?:(\d{1,2})-)?(?:(/[^,]*)(?:,|$))?(\d{1,15})?", re.ASCII)


class ProtocolError(Exception):
    """The client broke the Engine.IO or Socket.IO protocol: close its connection. The message
    is a fixed text, never the client's data."""


def parse_json(text: str) -> Any:
    try:
        return from_json(text, allow_inf_nan=False)
    except ValueError as exc:  # also "recursion limit exceeded" (depth 200)
        raise ProtocolError("invalid JSON payload") from exc


class HubPacket(sio_packet.Packet):  # type: ignore[misc]
    """python-socketio's packet (its encoder is kept) with a strict decoder."""

    attachment_bytes: int = 0

    def decode(self, encoded_packet: Any) -> int:
        if not isinstance(encoded_packet, str):
            raise ProtocolError("binary frame without an announced attachment")
        head = _HEAD.match(encoded_packet)
        if head is None:
            raise ProtocolError("unknown packet type")
        kind, attachments, namespace, ack_id = head.groups()
        self.packet_type = int(kind)
        self.namespace = namespace.split("?", 1)[0] if namespace else None
        self.id = int(ack_id) if ack_id is not None else None
        rest = encoded_packet[head.end() :]
        self.data = parse_json(rest) if rest else None
        self.attachment_bytes = 0
        count = int(attachments) if attachments is not None else 0
        _check(self.packet_type, self.data, self.id, count)
        return count

    def add_attachment(self, attachment: Any) -> bool:
        self.attachment_bytes += len(attachment)
        return bool(super().add_attachment(attachment))


def _check(kind: int, data: Any, ack_id: int | None, attachments: int) -> None:
    binary = kind in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK)
    if binary != (attachments > 0):
        raise ProtocolError("attachment count does not match the packet type")
    if attachments > MAX_ATTACHMENTS:
        raise ProtocolError("too many attachments")
    if kind == sio_packet.CONNECT:
        if data is not None and not isinstance(data, dict):
            raise ProtocolError("CONNECT payload must be an object")
    elif kind == sio_packet.DISCONNECT:
        if data is not None:
            raise ProtocolError("DISCONNECT carries no payload")
    elif kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            raise ProtocolError("EVENT payload must be [name, ...]")
        if data[0] in RESERVED_EVENTS:
            raise ProtocolError("reserved event name")
    elif kind in (sio_packet.ACK, sio_packet.BINARY_ACK):
        if not isinstance(data, list) or ack_id is None:
            raise ProtocolError("ACK must have an id and a list payload")
    else:
        raise ProtocolError("clients do not send CONNECT_ERROR")
    if binary and sorted(_placeholders(data)) != list(range(attachments)):
        raise ProtocolError("placeholders do not match the attachments")


def _placeholders(data: Any) -> list[int]:
    """The `num` of every placeholder, found as python-socketio's reconstruction finds them."""
    found: list[int] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if item.get("_placeholder") and "num" in item:
                num = item["num"]
                if type(num) is not int:
                    raise ProtocolError("placeholder without a number")
                found.append(num)
            else:
                stack.extend(item.values())
    return found

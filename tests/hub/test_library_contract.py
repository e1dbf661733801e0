"""What hub/gateway relies on inside python-engineio and python-socketio.

hub/gateway/engine.py, server.py and fanout.py override or call private methods of these two
libraries (a lean WebSocket-only Engine.IO server; acks and broadcasts written straight to the
socket). pyproject.toml pins their major versions; this test fails loudly, naming the method,
when an upgrade changes one of them, before anything subtler breaks.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import engineio
import pytest
import socketio
from engineio.async_socket import AsyncSocket

# (class, method, the parameter names our override or call relies on)
METHODS = [
    (engineio.AsyncServer, "_trigger_event", ["event", "args", "kwargs"]),
    (engineio.AsyncServer, "_make_response", ["response_dict", "environ"]),
    (engineio.AsyncServer, "_bad_request", ["message"]),
    (engineio.AsyncServer, "_unauthorized", ["message"]),
    (engineio.AsyncServer, "_cors_allowed_origins", ["environ"]),
    (engineio.AsyncServer, "create_queue", ["args", "kwargs"]),
    (engineio.AsyncServer, "start_background_task", ["target", "args", "kwargs"]),
    (engineio.AsyncServer, "generate_id", []),
    (AsyncSocket, "__init__", ["server", "sid"]),
    (AsyncSocket, "close", ["wait", "abort", "reason"]),
    (AsyncSocket, "send", ["pkt"]),
    (AsyncSocket, "schedule_ping", []),
    (AsyncSocket, "check_ping_timeout", []),
    (socketio.AsyncServer, "_engineio_server_class", []),
    (socketio.AsyncServer, "_send_packet", ["eio_sid", "pkt"]),
    (socketio.AsyncServer, "_handle_connect", ["eio_sid", "namespace", "data"]),
    (socketio.AsyncServer, "_handle_disconnect", ["eio_sid", "namespace", "reason"]),
    (socketio.AsyncServer, "_handle_event", ["eio_sid", "namespace", "id", "data"]),
    (socketio.AsyncServer, "_handle_ack", ["eio_sid", "namespace", "id", "data"]),
    (socketio.AsyncManager, "emit", ["event", "data", "namespace", "room", "skip_sid"]),
    (socketio.AsyncManager, "get_participants", ["namespace", "room"]),
    (socketio.AsyncManager, "eio_sid_from_sid", ["sid", "namespace"]),
    (socketio.AsyncManager, "initialize", []),
]


def test_the_pinned_major_versions_are_installed() -> None:
    assert version("python-engineio").split(".")[0] == "4"
    assert version("python-socketio").split(".")[0] == "5"


@pytest.mark.parametrize(("owner", "name", "params"), METHODS, ids=lambda v: str(v))
def test_every_private_method_the_gateway_uses_is_there(
    owner: type, name: str, params: list[str]
) -> None:
    method = getattr(owner, name, None)
    assert method is not None, f"{owner.__name__}.{name} is gone: see hub/gateway"
    found = list(inspect.signature(method).parameters)
    missing = [p for p in params if p not in found]
    assert not missing, f"{owner.__name__}.{name} lost {missing}: see hub/gateway"


def test_the_attributes_the_lean_socket_sets_still_mean_what_they_did() -> None:
    server = engineio.AsyncServer()
    assert hasattr(server, "sockets")
    assert hasattr(server, "reason")
    assert hasattr(server.reason, "TRANSPORT_CLOSE")
    for attribute in ("ping_interval", "ping_interval_grace_period", "ping_timeout"):
        assert hasattr(server, attribute), attribute
    sock = AsyncSocket(server, "sid")
    for attribute in ("last_ping", "connected", "upgraded", "closed", "closing", "sid"):
        assert hasattr(sock, attribute), attribute
    sio = socketio.AsyncServer()
    assert hasattr(sio, "manager_initialized")
    assert hasattr(sio, "environ")

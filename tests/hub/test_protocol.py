"""What closes a connection (engine.io-protocol v4, socket.io-protocol v5), the connect and
attachment timeouts, and the CONNECT_ERROR payload: raw frames over aiohttp's WebSocket
client against the hub started for real."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from hub import keys
from hub.auth.models import Role
from hub.gateway.packets import HubPacket
from tests.support import RunningHub, connect, drop_database, make_settings, running_hub

WS_PATH = "/socket.io/?EIO=4&transport=websocket"
WAIT = 10.0  # seconds: a bound on waiting, never a speed asserted

Frame = str | bytes


@pytest.fixture
async def quick_hub(tmp_path: Path, mongo_url: str) -> AsyncIterator[RunningHub]:
    """Short connect and attachment timeouts, frequent pings (the raw clients answer them)."""
    settings = make_settings(
        tmp_path,
        mongo_url,
        connect_timeout=0.5,
        attachment_timeout=0.5,
        ping_interval=0.1,
        ping_timeout=5.0,
    )
    try:
        async with running_hub(settings) as hub:
            yield hub
    finally:
        drop_database(mongo_url, settings.mongodb_db)


@contextlib.asynccontextmanager
async def raw(hub: RunningHub) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    url = hub.url.replace("http", "ws", 1) + WS_PATH
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        opened = await ws.receive_str(timeout=WAIT)
        assert opened.startswith("0{"), opened
        yield ws


async def next_packet(ws: aiohttp.ClientWebSocketResponse) -> Frame:
    """The next packet from the hub, answering Engine.IO pings on the way."""
    async with asyncio.timeout(WAIT):
        while True:
            message = await ws.receive()
            if message.type is aiohttp.WSMsgType.TEXT and message.data == "2":
                await ws.send_str("3")
                continue
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                data: Frame = message.data
                return data
            raise AssertionError(f"closed instead: {message}")


async def sio_connect(ws: aiohttp.ClientWebSocketResponse, token: str) -> str:
    await ws.send_str("40" + json.dumps({"token": token}))
    answer = await next_packet(ws)
    assert isinstance(answer, str)
    assert answer.startswith("40{"), answer
    sid: str = json.loads(answer[2:])["sid"]
    return sid


async def closed(ws: aiohttp.ClientWebSocketResponse) -> tuple[int | None, list[Frame]]:
    """Read, answering pings, until the hub closes the WebSocket: its close code and what came
    before."""
    frames: list[Frame] = []
    async with asyncio.timeout(WAIT):
        async for message in ws:
            frames.append(message.data)
            if message.type is aiohttp.WSMsgType.TEXT and message.data == "2":
                await ws.send_str("3")
    assert ws.closed
    return ws.close_code, frames


async def eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 (state of the hub, no event to wait on)
            await asyncio.sleep(0.01)


def open_sockets(hub: RunningHub) -> int:
    return len(hub.app[keys.GATEWAY].connections)


# -- decoding ------------------------------------------------------------------------------

PH0 = {"_placeholder": True, "num": 0}
PH1 = {"_placeholder": True, "num": 1}


@pytest.mark.parametrize(
    ("encoded", "fields"),
    [
        ("0", (0, None, None, None, 0)),
        ('0{"token":"t"}', (0, None, None, {"token": "t"}, 0)),
        ("0/admin,", (0, "/admin", None, None, 0)),
        ("0/admin", (0, "/admin", None, None, 0)),
        ('0/admin?x=1,{"a":1}', (0, "/admin", None, {"a": 1}, 0)),
        ("1", (1, None, None, None, 0)),
        ("1/admin,", (1, "/admin", None, None, 0)),
        ('2["a",1,{"b":[true]}]', (2, None, None, ["a", 1, {"b": [True]}], 0)),
        ('212["a"]', (2, None, 12, ["a"], 0)),
        ('2/admin,13["a"]', (2, "/admin", 13, ["a"], 0)),
        ("3456[]", (3, None, 456, [], 0)),
        ('51-["a",{"_placeholder":true,"num":0}]', (5, None, None, ["a", PH0], 1)),
        (
            '62-/admin,15[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]',
            (6, "/admin", 15, [PH1, PH0], 2),
        ),
    ],
)
def test_valid_packets_decode_as_socket_io_parser_writes_them(
    encoded: str, fields: tuple[object, ...]
) -> None:
    pkt = HubPacket(encoded_packet=encoded)
    assert (pkt.packet_type, pkt.namespace, pkt.id, pkt.data, pkt.attachment_count) == fields


# -- closing -------------------------------------------------------------------------------


async def test_close_packet_closes_the_websocket(hub: RunningHub) -> None:
    token = hub.token(Role.DISPLAY, hall="h1")
    async with contextlib.AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(raw(hub)) for _ in range(20)]
        for ws in sockets:
            await sio_connect(ws, token)
        assert open_sockets(hub) == 20
        for ws in sockets:
            await ws.send_str("1")
        for ws in sockets:
            code, _ = await closed(ws)
            assert code == aiohttp.WSCloseCode.OK
    await eventually(lambda: open_sockets(hub) == 0)
    gauge = hub.app[keys.METRICS].registry.get_sample_value("hallhub_connections")
    assert gauge == 0


async def test_server_side_disconnects_close_the_websocket(quick_hub: RunningHub) -> None:
    gateway = quick_hub.app[keys.GATEWAY]
    token = quick_hub.token(Role.ADMIN)
    async with raw(quick_hub) as ws:
        # Out of the namespace (python-socketio keeps the session): the connect timeout ends it.
        await gateway.sio.disconnect(await sio_connect(ws, token))
        code, frames = await closed(ws)
        assert [f for f in frames if f != "2"] == ["41"]
        assert code == aiohttp.WSCloseCode.POLICY_VIOLATION
    await eventually(lambda: open_sockets(quick_hub) == 0)
    async with raw(quick_hub) as ws:
        await sio_connect(ws, token)
        (eio_sid,) = gateway.connections._by_eio_sid
        await gateway.sio.eio.disconnect(eio_sid)  # the session itself
        code, frames = await closed(ws)
        assert [f for f in frames if f != "2"] == ["1"]
        assert code == aiohttp.WSCloseCode.OK
    await eventually(lambda: open_sockets(quick_hub) == 0)


@pytest.mark.parametrize("then", ["nothing", "bad token", "disconnect"])
async def test_a_socket_not_connected_to_the_namespace_is_closed_after_the_connect_timeout(
    quick_hub: RunningHub, then: str
) -> None:
    async with raw(quick_hub) as ws:
        if then == "bad token":
            await ws.send_str('40{"token":"not-a-jwt"}')
            refused = await next_packet(ws)
            assert isinstance(refused, str)
            assert refused.startswith("44{")
        elif then == "disconnect":
            await sio_connect(ws, quick_hub.token(Role.ADMIN))
            await ws.send_str("41")
        code, frames = await closed(ws)
        assert code == aiohttp.WSCloseCode.POLICY_VIOLATION
        assert "2" in frames  # it answered pings all along: the connect timeout closed it
    await eventually(lambda: open_sockets(quick_hub) == 0)


async def test_a_connected_socket_outlives_the_connect_timeout(quick_hub: RunningHub) -> None:
    async with raw(quick_hub) as ws:
        await sio_connect(ws, quick_hub.token(Role.ADMIN))
        # 20 ping intervals of 0.1 s: well past the 0.5 s connect timeout.
        async with asyncio.timeout(WAIT):
            for _ in range(20):
                assert await ws.receive_str() == "2"
                await ws.send_str("3")
        await ws.send_str('421["subscribe",{"topic":"hall:h1"}]')
        ack = await next_packet(ws)
        assert isinstance(ack, str)
        assert ack.startswith('431[{"ok":true'), ack


# Frames that break the protocol, sent before (False) or after (True) the Socket.IO CONNECT.
INVALID: list[tuple[bool, Frame]] = [
    (False, "abc"),  # no Engine.IO packet type
    (False, "4abc"),  # no Socket.IO packet type (the official suite's case)
    (False, "4"),  # an empty Socket.IO packet
    (False, "2probe"),  # a ping from the client: only for upgrades, which are not served
    (False, "5"),
    (False, '42["subscribe",{"topic":"hall:h1"}]'),  # an EVENT before CONNECT
    (False, "40[1]"),  # CONNECT's payload is an object
    (False, '40{"token":'),  # not JSON
    (False, b"\x01\x02"),  # a binary frame nobody announced
    (True, "42{}"),  # EVENT's payload is a non-empty array (the official suite's case)
    (True, '42abc["subscribe",{"topic":"hall:h1"}]'),  # a bad ack id (the official suite's)
    (True, "42[]"),
    (True, "42[1]"),
    (True, "42"),
    (True, '42["disconnect"]'),  # reserved: would run the disconnect handler
    (True, '42["connect",{},{"token":"x"}]'),  # reserved: would run the connect handler
    (True, '42["*","x"]'),  # the catch-all handler's own name
    (True, "43[]"),  # an ACK without an id
    (True, "431{}"),  # an ACK whose payload is not an array
    (True, '41{"x":1}'),  # DISCONNECT carries nothing
    (True, '44{"message":"x"}'),  # CONNECT_ERROR comes from servers only
    (True, "CONNECT AGAIN"),  # a second CONNECT to the namespace
    (True, '42["subscribe",' + "[" * 5000 + "]" * 5000 + "]"),  # 5,000 levels
    (True, '42["subscribe",' + '{"a":' * 5000 + "1" + "}" * 5000 + "]"),
    (True, '42["subscribe",{"topic":' + "1" * 5000 + "}]"),  # a 5,000-digit number
    (True, b"\x01\x02"),
    (True, '450-["subscribe",{}]'),  # BINARY_EVENT announcing no attachment
    (True, '451-["subscribe",{}]'),  # one announced, no placeholder for it
    (True, '451-["subscribe",{"_placeholder":true,"num":1}]'),  # a placeholder out of range
    (
        True,
        '4511-["subscribe",'
        + ",".join(f'{{"_placeholder":true,"num":{n}}}' for n in range(11))
        + "]",
    ),
    (True, '421-["subscribe",{"_placeholder":true,"num":0}]'),  # attachments on a plain EVENT
]


@pytest.mark.parametrize(
    ("connected", "frame"),
    INVALID,
    ids=[f"{'after' if c else 'before'}-{f[:24]!r}" for c, f in INVALID],
)
async def test_invalid_packets_close_the_connection(
    memory_hub: RunningHub, connected: bool, frame: Frame
) -> None:
    token = memory_hub.token(Role.ADMIN)
    async with raw(memory_hub) as ws:
        if connected:
            await sio_connect(ws, token)
        if frame == "CONNECT AGAIN":
            frame = "40" + json.dumps({"token": token})
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        code, _ = await closed(ws)
        assert code == aiohttp.WSCloseCode.PROTOCOL_ERROR
    await eventually(lambda: open_sockets(memory_hub) == 0)
    gauge = memory_hub.app[keys.METRICS].registry.get_sample_value("hallhub_connections")
    assert gauge == 0


async def test_deep_nesting_leaves_the_hub_serving(memory_hub: RunningHub) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    async with raw(memory_hub) as ws:
        await ws.send_str('40{"token":' + deep + "}")
        assert (await closed(ws))[0] == aiohttp.WSCloseCode.PROTOCOL_ERROR
    other = await connect(memory_hub.url, memory_hub.token(Role.ADMIN))
    try:
        await other.ok("subscribe", {"topic": "hall:h1"})
    finally:
        await other.close()


# -- binary attachments ----------------------------------------------------------------------


async def test_attachments_are_reassembled_and_refused_as_not_json(hub: RunningHub) -> None:
    async with raw(hub) as ws:
        await sio_connect(ws, hub.token(Role.ADMIN))
        await ws.send_str(
            '452-7["subscribe",{"topic":{"_placeholder":true,"num":0},'
            '"after_seq":{"_placeholder":true,"num":1}}]'
        )
        await ws.send_bytes(b"\x01\x02")
        await ws.send_bytes(b"\x03")
        ack = await next_packet(ws)
        assert isinstance(ack, str)
        assert ack.startswith("437[")
        answer = json.loads(ack[3:])[0]
        assert answer["ok"] is False
        assert answer["error"]["code"] == "INVALID_PAYLOAD"
        # Both attachments were taken as attachments: the socket is in step.
        await ws.send_str('428["subscribe",{"topic":"hall:h1"}]')
        ack = await next_packet(ws)
        assert isinstance(ack, str)
        assert ack.startswith('438[{"ok":true'), ack


async def test_a_text_frame_where_an_attachment_is_due_closes(memory_hub: RunningHub) -> None:
    async with raw(memory_hub) as ws:
        await sio_connect(ws, memory_hub.token(Role.ADMIN))
        await ws.send_str('451-["subscribe",{"topic":{"_placeholder":true,"num":0}}]')
        await ws.send_str('42["subscribe",{"topic":"hall:h1"}]')
        assert (await closed(ws))[0] == aiohttp.WSCloseCode.PROTOCOL_ERROR


async def test_attachments_larger_than_max_payload_close(memory_hub: RunningHub) -> None:
    async with raw(memory_hub) as ws:
        await sio_connect(ws, memory_hub.token(Role.ADMIN))
        await ws.send_str(
            '452-["subscribe",{"a":{"_placeholder":true,"num":0},'
            '"b":{"_placeholder":true,"num":1}}]'
        )
        await ws.send_bytes(b"x" * 600_000)
        await ws.send_bytes(b"x" * 600_000)  # 1.2 MB in all, over maxPayload (1 MB)
        assert (await closed(ws))[0] == aiohttp.WSCloseCode.PROTOCOL_ERROR
    assert memory_hub.app[keys.GATEWAY].sio._binary_packet == {}


async def test_an_attachment_that_never_arrives_is_dropped(quick_hub: RunningHub) -> None:
    gateway = quick_hub.app[keys.GATEWAY]
    async with raw(quick_hub) as ws:
        await sio_connect(ws, quick_hub.token(Role.ADMIN))
        await ws.send_str(
            '452-["subscribe",{"a":{"_placeholder":true,"num":0},'
            '"b":{"_placeholder":true,"num":1}}]'
        )
        await ws.send_bytes(b"\x01")  # the second never comes
        await eventually(lambda: len(gateway.sio._binary_packet) == 1)
        code, frames = await closed(ws)
        assert code == aiohttp.WSCloseCode.POLICY_VIOLATION
        assert "2" in frames  # pings answered all along: the attachment timeout closed it
    assert gateway.sio._binary_packet == {}  # the half packet is not kept


# -- CONNECT_ERROR ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("packet", "namespace", "code"),
    [
        ("40", "", "UNAUTHENTICATED"),
        ("40{}", "", "UNAUTHENTICATED"),
        ('40{"token":"not-a-jwt"}', "", "TOKEN_INVALID"),
        ('40{"token":"EXPIRED"}', "", "TOKEN_EXPIRED"),
        ("40/admin,", "/admin,", "INVALID_NAMESPACE"),
        ('40/admin,{"token":"VALID"}', "/admin,", "INVALID_NAMESPACE"),
        ("40/random", "/random,", "INVALID_NAMESPACE"),  # the official suite's case
    ],
)
async def test_connect_error_says_message_and_code(
    memory_hub: RunningHub, packet: str, namespace: str, code: str
) -> None:
    tokens = {
        "EXPIRED": memory_hub.token(Role.DISPLAY, hall="h1", ttl=-60),
        "VALID": memory_hub.token(Role.ADMIN),
    }
    for name, token in tokens.items():
        packet = packet.replace(name, token)
        namespace = namespace.replace(name, token)
    async with raw(memory_hub) as ws:
        await ws.send_str(packet)
        answer = await next_packet(ws)
    assert isinstance(answer, str)
    prefix = "44" + namespace
    assert answer.startswith(prefix), answer
    refusal = json.loads(answer[len(prefix) :])
    assert set(refusal) == {"message", "data"}
    assert isinstance(refusal["message"], str)
    assert refusal["message"]
    assert refusal["data"] == {"code": code}

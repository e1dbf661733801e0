"""Every Socket.IO command, fed payloads that break its schema: wrong types, missing and extra
fields, an operator object in place of every string, integers MongoDB cannot take, 1 MB
strings, deep nesting, arguments that are not an object, several arguments. Each answer is a
coded refusal (never INTERNAL), the connection still serves, and the database is untouched."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import socketio
from pydantic import ValidationError

from hub import keys
from hub.auth.models import Role
from queueing.api import HALLS
from tests.queueing.factories import setup
from tests.support import Client, RunningHub, connect, db_state

# Just under the transport's message limit (max_http_buffer_size): the string itself has to
# reach the payload's validation to show whether the field is bounded.
BIG = "x" * 990_000
DEPTH = 2_000
HUGE_INT = 2**64  # past int64: MongoDB cannot take it
OPERATOR = {"$gt": ""}
WRONG: list[Any] = [True, 12345, 1.5, [], {}, None]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Raw:
    """A command argument sent as this JSON text, deeper than Python's json can write."""

    text: str


class Wire:
    """The client's json module: Raw arguments go out as their text."""

    @staticmethod
    def dumps(value: Any, **kwargs: Any) -> str:
        if isinstance(value, list) and any(isinstance(v, Raw) for v in value):
            return "[" + ",".join(_text(v, **kwargs) for v in value) + "]"
        return json.dumps(value, **kwargs)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        return json.loads(text, **kwargs)


def _text(value: Any, **kwargs: Any) -> str:
    return value.text if isinstance(value, Raw) else json.dumps(value, **kwargs)


def _nested(depth: int) -> Raw:
    return Raw('{"a":' * depth + "1" + "}" * depth)


@dataclass(frozen=True)
class Case:
    what: str
    args: tuple[Any, ...]
    at: Path | None = None  # the leaf a refusal has to name (a 1 MB string must be refused)
    closes: bool = False  # JSON too deep to parse: the hub closes the connection instead


def _resolve(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = root["$defs"][name]
    return schema


def _leaves(
    root: dict[str, Any], schema: dict[str, Any], path: Path = ()
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every value a payload can hold, with its path: strings, numbers, free-form objects."""
    schema = _resolve(root, schema)
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if options:
        for option in options:
            yield from _leaves(root, option, path)
        return
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        for name, sub in schema["properties"].items():
            yield from _leaves(root, sub, (*path, name))
    elif kind == "array":
        yield from _leaves(root, schema.get("items", {}), (*path, 0))
    else:
        yield path, schema


def _at(path: Path, value: Any) -> Any:
    """`value` placed at `path` in otherwise empty objects and lists."""
    for step in reversed(path):
        value = [value] if isinstance(step, int) else {step: value}
    return value


def cases(schema: dict[str, Any]) -> Iterator[Case]:
    yield from (
        Case("text argument", ("text",)),
        Case("number argument", (1,)),
        Case("list argument", ([{}],)),
        Case("null argument", (None,)),
        Case("two arguments", ({}, {})),
        Case("three arguments", ("a", 1, None)),
        Case("extra field", ({"unexpected": 1},)),
        Case("operator as a key", ({"$where": "1"},)),
        Case("nesting the hub still parses", (_nested(150),)),
        # Past 200 levels the packet is no JSON the hub reads (docs/protocol.md, "What closes
        # a connection"): it closes the connection, and the next one serves.
        Case("deep nesting", (_nested(DEPTH),), closes=True),
        Case("a deep list", (Raw("[" * DEPTH + "]" * DEPTH),), closes=True),
    )
    if schema.get("required"):
        yield Case("missing fields", ({},))
    leaves = list(_leaves(schema, schema))
    for path, leaf in leaves:
        where = ".".join(str(p) for p in path)
        for value in WRONG:
            yield Case(f"{where} = {value!r}", (_at(path, value),))
        yield Case(f"{where} = operator", (_at(path, OPERATOR),))
        at = path if leaf.get("type") in ("integer", "number") else None
        yield Case(f"{where} = 2**64", (_at(path, HUGE_INT),), at=at)
        yield Case(f"{where} nested deep", (_at(path, {"a": [OPERATOR] * 3}),))
        if leaf.get("type") == "string" or "type" not in leaf:
            yield Case(f"{where} = 1 MB", (_at(path, BIG),), at=path)
        if leaf.get("type") == "object":  # free-form: what it holds is bounded too
            yield Case(f"{where} holds 1 MB", (_at(path, {"candidate": BIG}),), at=path)
        if path:
            yield Case(f"{where} + extra field", ({**_at(path[:1], 12345), "unexpected": 1},))


def _valid(model: Any, args: tuple[Any, ...]) -> bool:
    """Whether the model itself would take this: such a payload is no fuzz, it runs."""
    if len(args) != 1 or not isinstance(args[0], dict):
        return False
    try:
        model.model_validate_json(json.dumps(args[0]), strict=True)
    except (ValidationError, ValueError, RecursionError):
        return False
    return True


def _role(hub: RunningHub, name: str) -> Role:
    """The widest role this command lets try (admin where it may): a refusal for the role
    would hide what validation does."""
    row = hub.app[keys.ACCESS][name]
    if row.public or Role.ADMIN in row.reach:
        return Role.ADMIN
    return next(role for role in Role if role in row.reach)


@pytest.mark.timeout(240)
async def test_malformed_payloads_are_refused_with_a_code_and_change_nothing(
    memory_hub: RunningHub,
) -> None:
    await memory_hub.app[HALLS].apply_setup(setup("h1"))
    registry = memory_hub.app[keys.COMMANDS]
    described = registry.describe()
    before = await db_state(memory_hub.app[keys.DB])
    fuzz = Fuzz(memory_hub)
    try:
        for name in registry.names():
            command = registry.get(name)
            assert command is not None
            for case in cases(described[name]["payload"]):
                if not _valid(command.payload, case.args):
                    await fuzz.send(name, case)
            # The connection still serves: a subscription is answered.
            client = await fuzz.client(name)
            answer = await client.sio.call("subscribe", {"topic": "hall:h1"}, timeout=10)
            assert answer["ok"] or answer["error"]["code"] == "TOPIC_FORBIDDEN", answer
    finally:
        await fuzz.close()
    print(
        f"{len(registry.names())} commands, {fuzz.sent} payloads, codes {dict(fuzz.codes)}, "
        f"{fuzz.closed} connections closed for unreadable JSON"
    )
    assert not fuzz.problems, "\n".join(fuzz.problems)
    assert await db_state(memory_hub.app[keys.DB]) == before


class Fuzz:
    """One connection per role, each command sent as the widest role it lets try."""

    def __init__(self, hub: RunningHub) -> None:
        self.hub = hub
        self.clients: dict[Role, Client] = {}
        self.gone: dict[Role, asyncio.Event] = {}
        self.codes: Counter[str] = Counter()
        self.sent = 0
        self.closed = 0
        self.problems: list[str] = []

    async def client(self, name: str) -> Client:
        role = _role(self.hub, name)
        client = self.clients.get(role)
        if client is None or not client.sio.connected:
            token = self.hub.token(role, sub=f"fuzz-{role.value}")
            client = self.clients[role] = await connect(self.hub.url, token)
            client.sio.packet_class = WirePacket  # this client only: the server keeps its own
            gone = self.gone[role] = asyncio.Event()

            async def on_disconnect(*_: Any) -> None:
                gone.set()

            client.sio.on("disconnect", on_disconnect)
        return client

    async def send(self, name: str, case: Case) -> None:
        self.sent += 1
        client = await self.client(name)
        label = f"{name} [{_role(self.hub, name).value}] {case.what}"
        if case.closes:
            await client.sio.emit(name, case.args)
            async with asyncio.timeout(10):
                await self.gone[_role(self.hub, name)].wait()
            self.closed += 1
            return
        answer = await client.sio.call(name, case.args, timeout=15)
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict) or answer.get("ok") is not False:
            self.problems.append(f"{label}: answered {answer!r}"[:300])
            return
        self.codes[error["code"]] += 1
        if error["code"] != "INVALID_PAYLOAD":
            self.problems.append(f"{label}: {error}"[:300])
        elif case.at is not None and not _refused_at(error, case.at):
            self.problems.append(f"{label}: accepted ({error})"[:300])

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()


def _refused_at(error: dict[str, Any], path: Path) -> bool:
    where = ".".join(str(p) for p in path)
    found = [e["loc"] for e in error.get("details", {}).get("errors", [])]
    return any(loc == where or loc.startswith(where + ".") for loc in found)


class WirePacket(socketio.packet.Packet):  # type: ignore[misc]
    json = Wire

"""Socket.IO commands: a registry of named handlers with a strict payload model and roles,
and the dispatcher that always answers `{"ok": true, "data"}` or `{"ok": false, "error"}`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import to_jsonable_python

from hub.access import AccessTable, Grant
from hub.auth.models import Principal
from hub.context import new_ctx
from hub.errors import Forbidden, HubError, InvalidPayload, UnknownCommand
from hub.logs import get_logger
from hub.outages import as_outage, note_outage

if TYPE_CHECKING:
    from aiohttp import web

log = get_logger("hub.commands")

# A command that has not answered by then answers TIMEOUT; the client may retry.
COMMAND_TIMEOUT_SECONDS = 15.0


class Payload(BaseModel):
    """Base of every command payload: strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


P = TypeVar("P", bound=BaseModel)  # a Payload, or any model with the same strict rules


class CommandTimeout(HubError):
    code = "TIMEOUT"
    status = 504
    default_message = "处理超时，请重试"


@dataclass(frozen=True, slots=True)
class Call:
    """Who sent a command and how to reach back."""

    sid: str
    principal: Principal
    ctx: str
    app: web.Application
    join: Callable[[str], Awaitable[None]]
    leave: Callable[[str], Awaitable[None]]


Handler = Callable[[Call, P], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Command(Generic[P]):
    name: str
    payload: type[P]
    handler: Handler[P]
    summary: str


class CommandRegistry:
    """The commands, each governed by its row of the access table (same name)."""

    def __init__(self, access: AccessTable) -> None:
        self._commands: dict[str, Command[Any]] = {}
        self.access = access

    def add(self, name: str, payload: type[P], handler: Handler[P], *, summary: str = "") -> None:
        if name in self._commands or name in ("connect", "disconnect", "event"):
            raise ValueError(f"command {name!r} is taken")
        self._commands[name] = Command(name, payload, handler, summary)

    def command(
        self, name: str, payload: type[P], *, summary: str = ""
    ) -> Callable[[Handler[P]], Handler[P]]:
        def register(handler: Handler[P]) -> Handler[P]:
            self.add(name, payload, handler, summary=summary)
            return handler

        return register

    def get(self, name: str) -> Command[Any] | None:
        return self._commands.get(name)

    def names(self) -> list[str]:
        return sorted(self._commands)

    def describe(self) -> dict[str, Any]:
        """The commands as a JSON Schema map, published next to the OpenAPI document."""
        return {
            name: {
                "summary": c.summary,
                "access": self.access[name].describe(),
                "payload": c.payload.model_json_schema(),
            }
            for name, c in sorted(self._commands.items())
        }


def parse_payload(model: type[P], args: tuple[Any, ...]) -> P:
    if len(args) > 1:
        raise InvalidPayload("命令只接受一个参数对象")
    raw = args[0] if args else {}
    if not isinstance(raw, dict):
        raise InvalidPayload("命令参数必须是对象")
    try:
        text = json.dumps(raw)
    except (TypeError, ValueError) as exc:  # binary attachments: commands take JSON only
        raise InvalidPayload("命令参数只能是 JSON（不接受二进制数据）") from exc
    try:
        # JSON mode: strict types as JSON has them (no "5" for 5, no {"$gt": ...} for a string).
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise InvalidPayload.from_validation(exc) from exc


async def dispatch(
    command: Command[Any] | None,
    access: Grant | None,
    name: str,
    args: tuple[Any, ...],
    make_call: Callable[[str], Call],
    observe: Callable[[str, str, float], None],
) -> dict[str, Any]:
    ctx = new_ctx()
    started = time.perf_counter()
    outcome = "ok"
    label = name if command is not None else "unknown"
    try:
        if command is None or access is None:
            raise UnknownCommand(f"未知的命令：{name[:64]}", command=name[:64])
        call = make_call(ctx)
        if not access.may_try(call.principal):
            raise Forbidden(f"角色 {call.principal.role.value} 不能执行 {name}")
        payload = parse_payload(command.payload, args)
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
                result = await command.handler(call, payload)
        except TimeoutError as exc:
            raise CommandTimeout() from exc
        return {"ok": True, "data": to_jsonable_python(result, by_alias=False)}
    except HubError as exc:
        outcome = exc.code
        if exc.status >= 500:
            log.error("command_failed", command=label, code=exc.code, error=exc.message)
        return {"ok": False, "error": exc.to_dict(ctx)}
    except Exception as exc:
        outage = as_outage(exc)
        if outage is not None:
            outcome = outage.code
            note_outage(outage, exc, label)
            return {"ok": False, "error": outage.to_dict(ctx)}
        outcome = "INTERNAL"
        log.exception("command_crashed", command=label)
        return {"ok": False, "error": HubError().to_dict(ctx)}
    finally:
        observe(label, outcome, time.perf_counter() - started)

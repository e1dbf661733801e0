"""The correlation id of the command or request being handled (`ctx` in envelopes and errors)."""

from __future__ import annotations

import secrets
from contextvars import ContextVar

import structlog

_current: ContextVar[str] = ContextVar("hallhub_ctx", default="")


def new_ctx(given: str | None = None) -> str:
    """Start a new correlation id (or adopt a well-formed one from a caller) and bind it to logs."""
    if given and 8 <= len(given) <= 64 and given.replace("-", "").isalnum():
        ctx = given
    else:
        ctx = secrets.token_hex(8)
    _current.set(ctx)
    structlog.contextvars.bind_contextvars(ctx=ctx)
    return ctx


def current_ctx() -> str:
    return _current.get()

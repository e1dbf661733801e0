"""Failures of the systems the hub stands on (MongoDB, Redis), turned into coded answers.

A command or request that meets a store that is restarting must answer at once with a code the
screen retries on (STORE_UNAVAILABLE, EVENT_LOG_UNAVAILABLE), never hang or answer a 500 with a
trace. The driver's own errors say which system failed.
"""

from __future__ import annotations

import sys
from typing import Any

from pymongo import errors as mongo_errors
from redis import exceptions as redis_errors

from hub.errors import EventLogUnavailable, HubError, StoreUnavailable
from hub.logs import get_logger

log = get_logger("hub.outages")

# Redis not answering, loading its data after a restart (BusyLoadingError is a ConnectionError),
# or a replica that has not been promoted yet after a failover (ReadOnlyError).
_REDIS_DOWN = (redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.ReadOnlyError)

# Seconds a client should wait before sending the command again.
RETRY_AFTER_SECONDS = 2


def as_outage(exc: BaseException) -> HubError | None:
    """The coded error for a failure of MongoDB or Redis; None for anything else."""
    if isinstance(exc, mongo_errors.ConnectionFailure):  # AutoReconnect, timeouts included
        return StoreUnavailable(retry_after_seconds=RETRY_AFTER_SECONDS)
    if isinstance(exc, _REDIS_DOWN):
        return EventLogUnavailable(retry_after_seconds=RETRY_AFTER_SECONDS)
    return None


def note_outage(error: HubError, exc: BaseException, where: str) -> None:
    """One log line, without a trace (the cause is known); the refusal is counted with its code
    in `hallhub_commands` / `hallhub_http_latency_seconds`."""
    log.warning(
        "outage_refused", code=error.code, where=where, error=f"{type(exc).__name__}: {exc}"[:300]
    )


def event_log_down(exc: BaseException) -> bool:
    """Redis failed while publishing: what was written stands and its outbox keeps the events,
    which the sweeper publishes once Redis is back. The command succeeded; answering an error
    would make the screen send it again (a second call, a second ticket)."""
    return isinstance(exc, _REDIS_DOWN)


def note_deferred(events: int, exc: BaseException) -> None:
    log.warning("events_deferred", events=events, error=type(exc).__name__)


def log_failure(logger: Any, event: str, **fields: Any) -> None:
    """In an `except` block of a background loop: an outage of MongoDB or Redis is one warning
    line (it is expected while the system restarts, and the health check reports it); anything
    else is logged with its trace."""
    exc = sys.exc_info()[1]
    outage = as_outage(exc) if exc is not None else None
    if outage is None:
        logger.exception(event, **fields)
        return
    logger.warning(event, outage=outage.code, error=type(exc).__name__, **fields)

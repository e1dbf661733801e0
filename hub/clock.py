"""The time the domains use. MongoDB keeps milliseconds, so the clock gives milliseconds: a
time an event tells is exactly the one a later read of the store answers (a screen's snapshot
and its events agree)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]  # replaceable in tests


def utc_now() -> datetime:
    return stored(datetime.now(UTC))


def stored(moment: datetime) -> datetime:
    """A time as the store keeps it (milliseconds)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

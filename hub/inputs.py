"""Input fields every domain reads the same way, in query strings, REST bodies and command
payloads alike. Each is bounded so that nothing a caller can type reaches MongoDB or the
calendar arithmetic as a value they cannot take (a skip past int64, the day 0000-01-01, a time
with no zone compared with one that has it): such input is INVALID_PAYLOAD, never a crash."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

# Paging past this many is no use to a screen; MongoDB itself takes at most 2**63 - 1.
MAX_SKIP = 100_000

Skip = Annotated[int, Field(ge=0, le=MAX_SKIP, description="How many to pass over")]

# The days and times the hub deals in, with room on both sides for time zones and the
# arithmetic of calendars (a day's end, a week ahead, a deadline).
EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    if isinstance(value, str) and not _DAY.fullmatch(value):
        raise PydanticCustomError("date_parsing", "Input should be a date as YYYY-MM-DD")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError(
            "date_range", "Date should be from {earliest} to {latest}", _bounds()
        )
    return value


def _instant(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise PydanticCustomError("timezone_aware", "Input should have timezone info")
    if not EARLIEST <= value.date() <= LATEST:  # far from both ends: no overflow in UTC
        raise PydanticCustomError(
            "date_range", "Date should be from {earliest} to {latest}", _bounds()
        )
    return value


def _bounds() -> dict[str, str]:
    return {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}


# A calendar day written YYYY-MM-DD, real (no 2026-13-45) and in range (no year 0).
Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    AfterValidator(_day_in_range),
    Field(description=f"YYYY-MM-DD, {EARLIEST} to {LATEST}"),
]

# A moment with its time zone (RFC 3339, as the OpenAPI format date-time says) and in range.
Instant = Annotated[
    datetime,
    AfterValidator(_instant),
    Field(description=f"RFC 3339 with its offset, {EARLIEST} to {LATEST}"),
]

__all__ = ["EARLIEST", "LATEST", "MAX_SKIP", "Day", "Instant", "Skip"]

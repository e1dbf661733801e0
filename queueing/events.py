"""Events the queueing domain publishes (type names; payloads carry no personal data)."""

from __future__ import annotations

from typing import Final

HALL_UPDATED: Final = "queueing.hall_updated"
NOTICE_CHANGED: Final = "queueing.notice_changed"


def hall_topic(hall_id: str) -> str:
    return f"hall:{hall_id}"

"""Events the queueing domain publishes, and the topics they go to.

On `hall:<id>` (hall screens; no personal data): ticket_issued, ticket_called, ticket_recalled,
ticket_finished, ticket_no_show, ticket_transferred, ticket_parked, ticket_cancelled,
counter_opened, counter_closed, counter_paused, counter_resumed, waiting_changed,
notice_changed, hall_updated, wait_exceeded (a ticket waited longer than the hall allows: a
staff alert).
On `counter:<id>`: counter_updated (status and current ticket).
On `ticket:<id>` and, for a ticket taken in the H5 app, `citizen:<id>`: ticket_issued,
position_changed, turn_near, ticket_called, ticket_started, ticket_finished, ticket_no_show,
ticket_transferred, ticket_parked, ticket_unparked, ticket_cancelled.
"""

from __future__ import annotations

from typing import Final

HALL_UPDATED: Final = "queueing.hall_updated"
NOTICE_CHANGED: Final = "queueing.notice_changed"
TICKET_ISSUED: Final = "queueing.ticket_issued"
TICKET_CALLED: Final = "queueing.ticket_called"
TICKET_RECALLED: Final = "queueing.ticket_recalled"
TICKET_STARTED: Final = "queueing.ticket_started"
TICKET_FINISHED: Final = "queueing.ticket_finished"
TICKET_NO_SHOW: Final = "queueing.ticket_no_show"
TICKET_TRANSFERRED: Final = "queueing.ticket_transferred"
TICKET_PARKED: Final = "queueing.ticket_parked"
TICKET_UNPARKED: Final = "queueing.ticket_unparked"
TICKET_CANCELLED: Final = "queueing.ticket_cancelled"
POSITION_CHANGED: Final = "queueing.position_changed"
TURN_NEAR: Final = "queueing.turn_near"
WAITING_CHANGED: Final = "queueing.waiting_changed"
WAIT_EXCEEDED: Final = "queueing.wait_exceeded"
COUNTER_OPENED: Final = "queueing.counter_opened"
COUNTER_CLOSED: Final = "queueing.counter_closed"
COUNTER_PAUSED: Final = "queueing.counter_paused"
COUNTER_RESUMED: Final = "queueing.counter_resumed"
COUNTER_UPDATED: Final = "queueing.counter_updated"


def hall_topic(hall_id: str) -> str:
    return f"hall:{hall_id}"


def counter_topic(counter_id: str) -> str:
    return f"counter:{counter_id}"


def ticket_topic(ticket_id: str) -> str:
    return f"ticket:{ticket_id}"


def citizen_topic(citizen_id: str) -> str:
    return f"citizen:{citizen_id}"

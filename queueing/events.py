"""Events the queueing domain publishes: one model per type (hub/events/types.py), and the
topics they go to.

On `hall:<id>` (hall screens; no personal data): ticket_issued, ticket_called, ticket_recalled,
ticket_started, ticket_finished, ticket_no_show, ticket_requeued, ticket_transferred,
ticket_parked, ticket_cancelled, counter_opened, counter_closed, counter_paused, counter_resumed,
waiting_changed, notice_changed, hall_updated, wait_exceeded (a ticket waited longer than the
hall allows: a staff alert).
On `counter:<id>`: counter_updated (status and current ticket).
On `desk:<hall id>` (the hall's counter workstations; staff only, citizen data masked):
desk_ticket_changed (every change of a ticket, whole), hall_updated.
On `ticket:<id>` and, for a ticket taken in the H5 app, `citizen:<id>`: ticket_issued,
position_changed, turn_near, ticket_called, ticket_started, ticket_finished, ticket_no_show,
ticket_requeued, ticket_transferred, ticket_parked, ticket_unparked, ticket_cancelled.
On a walk-in's phone, `citizen:walkin-<keyed hash>` (no token follows it): phone_code_issued
(the verification code the message center sends by SMS).

A type sent to the hall and to the ticket's own topics has one model: what only the ticket's
own topics carry (the estimate, the case id) is an optional field, absent (not null) from the
hall's copy. Such a field never holds personal data either: the hall's copy and the holder's
differ in detail, not in whose data they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.events.types import Event
from queueing.models import Channel, CounterStatus, Reason, TicketStatus

HALL, COUNTER, TICKET, CITIZEN, DESK = "hall", "counter", "ticket", "citizen", "desk"
OWN = (TICKET, CITIZEN)  # the ticket's own topics: ticket:<id>, and its holder's citizen:<id>


def _absent(value: Any) -> bool:
    return value is None


def _never_null(schema: dict[str, Any]) -> None:
    # What the data carries: the field or nothing (the JSON Schema says "not required").
    schema.pop("default", None)
    options = [o for o in schema.pop("anyOf", []) if o != {"type": "null"}]
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options


def sometimes(description: str) -> Any:
    """A field some copies of an event leave out: absent from the data, never null."""
    return Field(None, exclude_if=_absent, description=description, json_schema_extra=_never_null)


def hall_topic(hall_id: str) -> str:
    return f"hall:{hall_id}"


def counter_topic(counter_id: str) -> str:
    return f"counter:{counter_id}"


def desk_topic(hall_id: str) -> str:
    return f"desk:{hall_id}"


def ticket_topic(ticket_id: str) -> str:
    return f"ticket:{ticket_id}"


def citizen_topic(citizen_id: str) -> str:
    return f"citizen:{citizen_id}"


# -- shared fields -----------------------------------------------------------------------------


class TicketFacts(Event):
    """What a hall screen may show of a ticket: its number and service, no personal data."""

    ticket_id: str
    number: str = Field(description='the ticket code people see and hear ("A003")')
    service_id: str
    service_name: str
    priority: bool = Field(description="a priority ticket (elderly, disabled, …)")
    appointment: bool = Field(description="a checked-in booking's ticket (预约)")


class AtCounter(TicketFacts):
    """A ticket and the counter it is at."""

    hall_id: str
    counter_id: str
    counter_number: int
    counter_name: str


class TicketPlace(Event):
    """A waiting ticket's place in the queue."""

    ticket_id: str
    number: str
    ahead: int = Field(description="people called before this ticket")
    estimate_minutes: float = Field(description="the estimated wait")


class CounterView(Event):
    """A counter as everyone sees it: status, clerk, the ticket it holds."""

    hall_id: str
    counter_id: str
    counter_number: int
    counter_name: str
    status: CounterStatus
    pause_reason: str
    staff_id: str | None
    staff_name: str
    current_ticket_id: str | None


class CurrentTicket(TicketFacts):
    """The ticket a counter holds, as its counter display shows it."""

    status: TicketStatus
    call_count: int
    called_at: datetime | None = Field(description="when it was last called")


# -- tickets ------------------------------------------------------------------------------------


class TicketIssued(TicketFacts, type="queueing.ticket_issued", topics=(HALL, *OWN)):
    """A ticket was taken (kiosk, H5 app, QR code, counter or a booking's check-in).

    The ticket's own topics also get its place in the queue when it was issued."""

    channel: Channel
    ahead: int | None = sometimes("people ahead when issued (the ticket's own topics)")
    estimate_minutes: float | None = sometimes("the estimated wait (the ticket's own topics)")


class TicketCalled(AtCounter, type="queueing.ticket_called", topics=(HALL, *OWN)):
    """A counter called a ticket: show it and announce it `repeat` times (请 A003 号到 5 号窗口).

    The ticket's own topics also get this type when the counter calls it again (on the hall:
    ticket_recalled), without `reason`."""

    call_count: int = Field(description="calls of this ticket so far, this one included")
    called_at: datetime = Field(description="when this call was made (as boards show it)")
    repeat: int = Field(description="how many times to announce the call")
    reason: Reason | Literal["chosen"] | None = sometimes(
        "why this ticket: the calling policy's rule, or chosen (called by number)"
    )


class TicketRecalled(AtCounter, type="queueing.ticket_recalled", topics=(HALL,)):
    """A counter called its current ticket again: announce it again."""

    call_count: int
    called_at: datetime
    repeat: int


class TicketStarted(AtCounter, type="queueing.ticket_started", topics=(HALL, *OWN)):
    """The citizen came to the counter: serving (办理中)."""


class TicketFinished(AtCounter, type="queueing.ticket_finished", topics=(HALL, *OWN)):
    """The counter finished serving the ticket (办结)."""

    case_id: str | None = sometimes("the case it opened, when given (the ticket's own topics)")


class TicketNoShow(AtCounter, type="queueing.ticket_no_show", topics=(HALL, *OWN)):
    """The citizen did not come after enough calls (过号)."""


class TicketTransferred(AtCounter, type="queueing.ticket_transferred", topics=(HALL, *OWN)):
    """The ticket was sent to another service or counter and waits again, keeping its place.

    `service_id` and `service_name` are the new service's; the counter fields name the counter
    that sent it."""

    from_service_id: str
    to_counter_number: int | None = sometimes("the counter it was sent to, if one")
    to_counter_name: str | None = sometimes("the counter it was sent to, if one")


class TicketParked(AtCounter, type="queueing.ticket_parked", topics=(HALL, *OWN)):
    """The counter set the ticket aside (the citizen fetches a document); it calls it back
    later."""


class TicketUnparked(TicketFacts, type="queueing.ticket_unparked", topics=OWN):
    """A parked ticket went back into the queue, at its place, for the counter that parked it."""


class TicketRequeued(AtCounter, type="queueing.ticket_requeued", topics=(HALL, *OWN)):
    """A no-show ticket whose holder came back was put back in the queue by a clerk (过号重新排队),
    behind the tickets the hall's policy says; the counter fields name that clerk's counter."""

    queued_behind: int = Field(description="tickets of its service called before it now")


class TicketCancelled(TicketFacts, type="queueing.ticket_cancelled", topics=(HALL, *OWN)):
    """A waiting or parked ticket was cancelled (by its holder or the staff)."""


class PositionChanged(TicketPlace, type="queueing.position_changed", topics=OWN):
    """The ticket's place in the queue or its estimated wait changed."""


class TurnNear(TicketPlace, type="queueing.turn_near", topics=OWN):
    """The ticket's turn is near: come close to the counters (told once)."""


class WaitExceeded(TicketFacts, type="queueing.wait_exceeded", topics=(HALL,)):
    """A ticket has waited longer than the hall allows (an alert to the hall's staff, once)."""

    hall_id: str
    waited_minutes: int


# -- the hall -----------------------------------------------------------------------------------


class WaitingChanged(Event, type="queueing.waiting_changed", topics=(HALL,)):
    """The number of people waiting changed."""

    hall_id: str
    waiting: dict[str, int] = Field(description="people waiting per service id")
    total: int


class NoticeChanged(Event, type="queueing.notice_changed", topics=(HALL,)):
    """The hall's notice (shown on its screens) changed."""

    hall_id: str
    notice: str


class HallUpdated(Event, type="queueing.hall_updated", topics=(HALL, DESK)):
    """The hall's configuration changed (services, counters, policy): reload the snapshot."""

    hall_id: str
    name: str


# -- counters -----------------------------------------------------------------------------------


class CounterOpened(CounterView, type="queueing.counter_opened", topics=(HALL,)):
    """A clerk signed in at a counter: it is open."""


class CounterClosed(CounterView, type="queueing.counter_closed", topics=(HALL,)):
    """The clerk signed out: the counter is closed."""


class CounterPaused(CounterView, type="queueing.counter_paused", topics=(HALL,)):
    """The counter paused, with a reason (暂停服务)."""


class CounterResumed(CounterView, type="queueing.counter_resumed", topics=(HALL,)):
    """A paused counter is open again."""


class CounterUpdated(CounterView, type="queueing.counter_updated", topics=(COUNTER,)):
    """A counter's status or the ticket it holds changed (its own display and workstation)."""

    normal_streak: int = Field(
        description="normal tickets called since the last priority one (the calling order)"
    )

    current: CurrentTicket | None = sometimes("the ticket it holds, when it holds one")


# -- the counter workstations (staff only) ------------------------------------------------------


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeskCitizen(_Part):
    """The citizen as counter staff see them: masked."""

    name: str
    id_number: str
    phone: str


class DeskAppointment(_Part):
    slot_start: datetime
    slot_end: datetime


class DeskTicket(_Part):
    """A ticket as a counter workstation keeps it: everything its lists, its calling order and
    its clerk's figures are made of (`views.desk_ticket`)."""

    ticket_id: str
    number: str
    serial: int = Field(description="the number within its service and day (A003: 3)")
    day: str
    service_id: str
    service_name: str
    status: TicketStatus
    channel: Channel
    tags: list[str]
    priority: int
    citizen: DeskCitizen
    appointment: DeskAppointment | None
    issued_at: datetime
    queue_time: datetime = Field(description="its place in the queue (kept through transfers)")
    call_count: int
    called_at: datetime | None
    last_called_at: datetime | None
    serving_at: datetime | None
    finished_at: datetime | None
    parked_at: datetime | None
    case_id: str | None
    transferred: bool
    requeued: int = Field(description="times it was put back in the queue after a no-show")
    counter_id: str | None = Field(description="the counter holding it, or that parked it")
    target_counter_id: str | None = Field(description="transferred to this counter only")
    called_at_counters: list[str] = Field(description="the counters that called it")
    staff_id: str | None = Field(description="the clerk who called it last")


class DeskTicketChanged(Event, type="queueing.desk_ticket_changed", topics=(DESK,)):
    """A ticket of the hall changed (issued, called, served, set aside, moved, cancelled): the
    workstations apply it whole."""

    ticket: DeskTicket


class PhoneCodeIssued(Event, type="queueing.phone_code_issued", topics=(CITIZEN,)):
    """A walk-in asked to verify their phone before taking a ticket (码上取号 without an
    account): the message center sends the code by SMS. Published on the phone's own
    `citizen:walkin-<keyed hash>` topic, which no token can follow, so the code reaches the
    phone and nobody else."""

    hall_id: str
    hall_name: str
    phone: str = Field(description="the mobile number to send the code to (as typed, checked)")
    code: str
    minutes: int = Field(description="the code is valid this long")

"""Who may do what in queueing: halls, counters, tickets and the screens' snapshots.

One row per command, route and topic (docs/security.md prints them). A hall's staff and
supervisors act in their own hall; the clerk signed in at a counter works it; a ticket is its
holder's (the citizen who took it, or whoever holds its printed slip); a display device shows its
hall and takes tickets at its kiosk, nothing more.
"""

from __future__ import annotations

from hub.access import Grant, Reach, Scope, grant, public, topic_key
from hub.auth import Principal
from hub.errors import Forbidden, HubError
from queueing.errors import CounterClosed, NotYourCounter
from queueing.models import CounterState, CounterStatus, Ticket

ANY, HALL, OWN = Reach.ANY, Reach.HALL, Reach.OWN

# Names, districts and addresses are public to people choosing where to go (a walk-in's phone
# has no account).
LIST_HALLS = public("names and addresses, for choosing a hall")
# A hall with its services and counters; its board and its events (no personal data: ticket
# numbers and windows, as the hall's own screens show them).
READ_HALL = grant(admin=ANY, supervisor=HALL, staff=HALL, display=HALL, citizen=ANY)
SET_UP_HALL = grant(admin=ANY)
MANAGE_HALL = grant(admin=ANY, supervisor=HALL)
# Signing in at a counter, reading its workstation and its events: the hall's clerks.
SIGN_IN = grant(admin=ANY, supervisor=HALL, staff=HALL)
# Calling, serving, pausing, closing: the clerk signed in there (the hall's supervisors step in).
WORK_COUNTER = grant(admin=ANY, supervisor=HALL, staff=OWN)
READ_COUNTER = grant(admin=ANY, supervisor=HALL, staff=HALL, display=HALL)
# The workstations' feed (every ticket of the hall, citizen data masked): the hall's people.
READ_DESK = grant(admin=ANY, supervisor=HALL, staff=HALL)
TAKE_TICKET = grant(admin=ANY, supervisor=HALL, staff=HALL, display=HALL, citizen=ANY)
CANCEL_TICKET = grant(admin=ANY, supervisor=HALL, staff=HALL, citizen=OWN, ticket=OWN)
READ_TICKET = grant(admin=ANY, supervisor=HALL, staff=HALL, citizen=OWN, ticket=OWN)
MY_TICKETS = grant(citizen=ANY, ticket=ANY, note="always the caller's own")

# The counter actions a signed-in clerk takes (opening the counter is SIGN_IN).
COUNTER_ACTIONS = (
    "close_counter",
    "pause",
    "resume",
    "call_next",
    "call_ticket",
    "recall",
    "start",
    "finish",
    "no_show",
    "transfer",
    "park",
    "unpark",
    "requeue",
)
_COUNTER_PATH = "/halls/{hall_id}/counters/{counter_id}/"

TABLE: dict[str, Grant] = {
    "GET /halls": LIST_HALLS,
    "GET /halls/{hall_id}": READ_HALL,
    "PUT /halls/{hall_id}/setup": SET_UP_HALL,
    "PUT /halls/{hall_id}/policy": MANAGE_HALL,
    "PUT /halls/{hall_id}/services/{service_id}": MANAGE_HALL,
    "DELETE /halls/{hall_id}/services/{service_id}": MANAGE_HALL,
    "PUT /halls/{hall_id}/counters/{counter_id}": MANAGE_HALL,
    "DELETE /halls/{hall_id}/counters/{counter_id}": MANAGE_HALL,
    "PUT /halls/{hall_id}/notice": MANAGE_HALL,
    "queueing.set_notice": MANAGE_HALL,
    "GET /halls/{hall_id}/stats": MANAGE_HALL,
    "queueing.open_counter": SIGN_IN,
    "POST " + _COUNTER_PATH + "open-counter": SIGN_IN,
    **{f"queueing.{name}": WORK_COUNTER for name in COUNTER_ACTIONS},
    **{"POST " + _COUNTER_PATH + name.replace("_", "-"): WORK_COUNTER for name in COUNTER_ACTIONS},
    "GET /halls/{hall_id}/counters/{counter_id}/workstation": SIGN_IN,
    "queueing.take_ticket": TAKE_TICKET,
    "POST /halls/{hall_id}/tickets": TAKE_TICKET,
    "POST /halls/{hall_id}/tickets/{ticket_id}/follow": public("the slip's printed code"),
    # 码上取号 from the hall's QR code without an account: limited per address, device and
    # phone, within the hall's daily caps and per-person limit (queueing/walk_in.py).
    "GET /halls/{hall_id}/walk-in": public("the hall's services and waiting counts"),
    "POST /halls/{hall_id}/walk-in/codes": public("limited per phone and address"),
    "POST /halls/{hall_id}/walk-in/tickets": public("limited per address, device and phone"),
    "queueing.cancel_ticket": CANCEL_TICKET,
    "DELETE /halls/{hall_id}/tickets/{ticket_id}": CANCEL_TICKET,
    "GET /halls/{hall_id}/tickets/{ticket_id}": READ_TICKET,
    "GET /queueing/my-tickets": MY_TICKETS,
    "GET /halls/{hall_id}/board": READ_HALL,
    topic_key("hall"): READ_HALL,
    topic_key("counter"): READ_COUNTER,
    topic_key("desk"): READ_DESK,
    topic_key("ticket"): READ_TICKET,
}


def of_hall(hall_id: str) -> Scope:
    return Scope(hall_id)


def of_ticket(ticket: Ticket) -> Scope:
    citizen = ticket.citizen.citizen_id
    return Scope.of(
        ticket.hall_id, f"citizen:{citizen}" if citizen else None, f"ticket:{ticket.id}"
    )


def of_counter(hall_id: str, state: CounterState) -> Scope:
    """A counter is its hall's; while open, the clerk signed in there owns it."""
    clerk = state.staff_id if state.status is not CounterStatus.CLOSED else None
    return Scope.of(hall_id, f"user:{clerk}" if clerk else None)


def counter_refusal(principal: Principal, hall_id: str, state: CounterState) -> HubError | None:
    """Why this caller may not work the counter now (None: they may): another hall's people are
    refused; a clerk of the hall is told the counter is closed or someone else's."""
    scope = of_counter(hall_id, state)
    if WORK_COUNTER.allows(principal, scope):
        return None
    if not SIGN_IN.allows(principal, scope):
        return Forbidden("该窗口不属于您所在的大厅")
    if state.status is CounterStatus.CLOSED:
        return CounterClosed()
    return NotYourCounter()

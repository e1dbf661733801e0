"""Who may do what in the appointment center.

A booking is its citizen's (they book, change, cancel and check in with it) and its hall's (the
hall's staff read it and check it in). Plans, slots and calendars are public to people choosing
when to come; plans and rules are changed by administrators.
"""

from __future__ import annotations

from appointments.models import Appointment
from hub.access import Grant, Reach, Scope, every, grant
from hub.auth.models import BACK_OFFICE

ANY, HALL, OWN = Reach.ANY, Reach.HALL, Reach.OWN

OFFER = grant(admin=ANY, supervisor=ANY, staff=ANY, agent=ANY, citizen=ANY)
BOOK = grant(citizen=ANY)
MINE = grant(citizen=ANY, note="always the caller's own")
READ_BOOKING = grant(admin=ANY, supervisor=HALL, staff=HALL, citizen=OWN)
CHANGE_BOOKING = grant(citizen=OWN)
CHECK_IN = grant(admin=ANY, supervisor=HALL, staff=HALL, citizen=OWN)
CHECK_IN_CODE = grant(admin=ANY, supervisor=HALL, staff=HALL)
SEARCH = grant(admin=ANY, supervisor=HALL, staff=HALL, note="a hall's people search their hall")
STATISTICS = grant(admin=ANY, supervisor=HALL)
PLANS = grant(admin=ANY, supervisor=ANY, note="a hall's supervisor sees their hall's plans")
RULES = every(BACK_OFFICE, ANY)
BLACKLIST = grant(admin=ANY, supervisor=ANY, note="names masked; lifting is audited")
ADMINISTER = grant(admin=ANY)

TABLE: dict[str, Grant] = {
    "GET /appointments/halls/{hall_id}/services": OFFER,
    "GET /appointments/halls/{hall_id}/services/{service_id}/calendar": OFFER,
    "GET /appointments/halls/{hall_id}/services/{service_id}/slots": OFFER,
    "POST /appointments": BOOK,
    "appointments.book": BOOK,
    "GET /appointments/mine": MINE,
    "GET /appointments/{appointment_id}": READ_BOOKING,
    "POST /appointments/{appointment_id}/change": CHANGE_BOOKING,
    "appointments.change": CHANGE_BOOKING,
    "POST /appointments/{appointment_id}/cancel": CHANGE_BOOKING,
    "appointments.cancel": CHANGE_BOOKING,
    "POST /appointments/check-in": CHECK_IN,
    "appointments.check_in": CHECK_IN,
    "GET /appointments/halls/{hall_id}/check-in-code": CHECK_IN_CODE,
    "GET /appointments": SEARCH,
    "GET /appointments/stats": STATISTICS,
    "GET /appointments/plans": PLANS,
    "PUT /appointments/plans/{hall_id}/{service_id}": ADMINISTER,
    "GET /appointments/rules": RULES,
    "PUT /appointments/rules": ADMINISTER,
    "GET /appointments/blacklist": BLACKLIST,
    "POST /appointments/blacklist/{person}/lift": BLACKLIST,
}


def of_hall(hall_id: str) -> Scope:
    return Scope(hall_id)


def of_booking(appointment: Appointment) -> Scope:
    return Scope.of(appointment.hall_id, f"citizen:{appointment.citizen_id}")

"""Events the appointment center publishes, and the topics they go to.

On `citizen:<id>` (the booker's own topic; the message center turns these into messages):
appointment_booked, appointment_changed, appointment_cancelled, appointment_checked_in,
no_show_recorded, reminder_sent (before the slot), person_blacklisted (booking suspended).
On `hall:<id>` (no personal data: anyone viewing a day's slots follows these):
appointment_booked, appointment_changed, appointment_cancelled, no_show_recorded with
`{service_id, day, slots: [{id, free, walkin_released}]}`, and slots_released (a day opened,
backup places released, or places handed to walk-ins) with `why` and the same slots.
"""

from __future__ import annotations

from typing import Final

# Named <domain>.<noun>_<past verb> like every event (ARCHITECTURE.md): the issue's
# "appointments.booked" is "appointments.appointment_booked".
BOOKED: Final = "appointments.appointment_booked"
CHANGED: Final = "appointments.appointment_changed"
CANCELLED: Final = "appointments.appointment_cancelled"
CHECKED_IN: Final = "appointments.appointment_checked_in"
NO_SHOW_RECORDED: Final = "appointments.no_show_recorded"
REMINDER_DUE: Final = "appointments.reminder_sent"
BLACKLISTED: Final = "appointments.person_blacklisted"
SLOTS_RELEASED: Final = "appointments.slots_released"


def hall_topic(hall_id: str) -> str:
    return f"hall:{hall_id}"


def citizen_topic(citizen_id: str) -> str:
    return f"citizen:{citizen_id}"

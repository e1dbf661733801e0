"""Events the appointment center publishes: one model per type (hub/events/types.py), and the
topics they go to.

On `citizen:<id>` (the booker's own topic; the message center turns these into messages):
appointment_booked, appointment_changed, appointment_cancelled, appointment_checked_in,
no_show_recorded, reminder_sent (before the slot), person_blacklisted (booking suspended).
The booker's copy is the booking as the booker sees it (`<appointment>` of docs/appointments.md,
personal data masked, with `code_text` and the check-in window `checkin_from`–`checkin_until`)
with `slot_text`, `checkin_text`, `hall_name`, `hall_address` and `service_name`.
On `hall:<id>` (no personal data: anyone viewing a day's slots follows these):
appointment_booked, appointment_changed, appointment_cancelled and no_show_recorded with
`{hall_id, service_id, day, slots: [{id, free, walkin_released}]}`, and slots_released (a day
opened, backup places released, or places handed to walk-ins) with `why` and the same slots.

A type sent to both topics has one model: the fields only one copy carries are optional and
absent (not null) from the other copy. The hall's copy carries the slots' places and nothing
of the booking; the booker's copy carries the booking and no slots. A copy that mixes them is
refused where it is made.

    await bus.publish(events.hall_topic(hall_id), events.SlotsReleased(...))
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from appointments.models import AppointmentState, SlotState
from hub.events.types import Event

HALL, CITIZEN = "hall", "citizen"

# Why places became bookable or went: a day opened (放号), held-back places released, free
# places handed to walk-ins shortly before their slot.
Why = Literal["opened", "backup", "walkin"]


def hall_topic(hall_id: str) -> str:
    return f"hall:{hall_id}"


def citizen_topic(citizen_id: str) -> str:
    return f"citizen:{citizen_id}"


def _absent(value: Any) -> bool:
    return value is None


def sometimes(description: str) -> Any:
    """A field one copy of an event leaves out: absent from the data, never null."""
    return Field(None, exclude_if=_absent, description=description)


# -- shared parts -----------------------------------------------------------------------------


class SlotPlaces(BaseModel):
    """One slot's places now, as anyone viewing the day sees them (absolute numbers: applying
    the same event twice changes nothing)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="the slot's id, as in the day's slots")
    free: int = Field(ge=0, description="bookable places now (0 once handed to walk-ins)")
    walkin_released: int | None = Field(
        description="places handed to walk-ins; set: the slot takes no more bookings"
    )

    @classmethod
    def of(cls, slot: SlotState) -> SlotPlaces:
        released = slot.walkin_released
        return cls(
            id=slot.id, free=0 if released is not None else slot.free, walkin_released=released
        )


class BookerView(Event):
    """A booking as its booker sees it, with what its messages say (an intermediate base).

    Personal data masked; times in UTC, `slot_text` in the hall's time zone."""

    id: str
    code: str = Field(
        description='the number the citizen shows ("Y0012"), unique in the hall\'s day'
    )
    code_text: str = Field(
        description='the code with its day, as the citizen is told it ("11月27日 Y0012")'
    )
    hall_id: str
    service_id: str
    day: str
    slot_start: datetime
    slot_end: datetime
    checkin_from: datetime = Field(description="the check-in window opens (the plan's setting)")
    checkin_until: datetime = Field(description="the check-in window closes")
    name: str = Field(description="masked")
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    state: AppointmentState
    ticket_id: str | None
    ticket_code: str | None
    checked_in_at: datetime | None
    created_at: datetime
    reason: str
    notify_sms: bool
    slot_text: str = Field(description='the slot as people in the hall say it ("11月27日 09:30")')
    checkin_text: str = Field(
        description='the check-in window in the hall\'s words ("11月27日 09:00–09:45")'
    )
    hall_name: str
    hall_address: str
    service_name: str


class BookingChange(Event):
    """A change of a booking that both its booker and the hall's viewers follow (an
    intermediate base).

    On `hall:<id>`: `hall_id`, `service_id`, `day` and `slots`, the places of the slots the
    change touched. On the booker's `citizen:<id>`: the booking (as in `BookerView`, without
    the ticket a booking gets only at check-in) and no `slots`."""

    # Fields the booker's copy must carry, besides the base's (a subclass's own).
    booker_only: ClassVar[tuple[str, ...]] = ()

    hall_id: str
    service_id: str
    day: str
    slots: list[SlotPlaces] | None = sometimes("the hall's copy: the touched slots' places now")
    id: str | None = sometimes("the booker's copy: the booking")
    code: str | None = sometimes('the booker\'s copy: the number the citizen shows ("Y0012")')
    code_text: str | None = sometimes(
        'the booker\'s copy: the code with its day ("11月27日 Y0012")'
    )
    slot_start: datetime | None = sometimes("the booker's copy")
    slot_end: datetime | None = sometimes("the booker's copy")
    checkin_from: datetime | None = sometimes("the booker's copy: the check-in window opens")
    checkin_until: datetime | None = sometimes("the booker's copy: the check-in window closes")
    name: str | None = sometimes("the booker's copy (masked)")
    id_number: str | None = sometimes("the booker's copy (masked)")
    phone: str | None = sometimes("the booker's copy (masked)")
    state: AppointmentState | None = sometimes("the booker's copy")
    created_at: datetime | None = sometimes("the booker's copy")
    reason: str | None = sometimes("the booker's copy")
    notify_sms: bool | None = sometimes("the booker's copy: the booker wants SMS messages")
    slot_text: str | None = sometimes("the booker's copy: the slot in the hall's words")
    checkin_text: str | None = sometimes("the booker's copy: the check-in window in words")
    hall_name: str | None = sometimes("the booker's copy")
    hall_address: str | None = sometimes("the booker's copy")
    service_name: str | None = sometimes("the booker's copy")

    @model_validator(mode="after")
    def _one_copy(self) -> Self:
        shared = {"hall_id", "service_id", "day", "slots"}
        carried = {name for name in type(self).model_fields if getattr(self, name) is not None}
        if self.slots is not None:
            personal = sorted(carried - shared)
            if personal:
                raise ValueError(f"the hall's copy carries the booking's {personal}")
            return self
        required = {*_BOOKING_FIELDS, *self.booker_only}
        missing = sorted(required - carried)
        if missing:
            raise ValueError(f"the booker's copy lacks {missing} (or the hall's lacks slots)")
        return self


_BOOKING_FIELDS = (
    "id",
    "code",
    "code_text",
    "slot_start",
    "slot_end",
    "checkin_from",
    "checkin_until",
    "name",
    "id_number",
    "phone",
    "state",
    "created_at",
    "reason",
    "notify_sms",
    "slot_text",
    "checkin_text",
    "hall_name",
    "hall_address",
    "service_name",
)


# -- a booking's life -------------------------------------------------------------------------


class AppointmentBooked(
    BookingChange, type="appointments.appointment_booked", topics=(CITIZEN, HALL)
):
    """A slot was booked.

    The booker's copy also carries what the message center needs to send the booking's SMS:
    the booker's account (`citizen_id`, whose `citizen:<id>` is the topic) and, when the booking
    asked for SMS (`notify_sms`), the mobile number as typed (`sms_phone`). Only the booker's
    topic gets them."""

    booker_only: ClassVar[tuple[str, ...]] = ("citizen_id",)

    citizen_id: str | None = sometimes("the booker's copy: the booker's account")
    sms_phone: str | None = Field(
        None,
        pattern=r"^1[3-9]\d{9}$",
        exclude_if=_absent,
        description="the booker's copy, with notify_sms: the mobile to send the SMS to",
    )

    @model_validator(mode="after")
    def _phone_when_asked(self) -> Self:
        if self.sms_phone is not None and not self.notify_sms:
            raise ValueError("sms_phone without notify_sms")
        return self


class AppointmentChanged(
    BookingChange, type="appointments.appointment_changed", topics=(CITIZEN, HALL)
):
    """A booking moved to another slot of the same service.

    The hall gets one copy per day touched: the old slot's day and the new one's."""


class AppointmentCancelled(
    BookingChange, type="appointments.appointment_cancelled", topics=(CITIZEN, HALL)
):
    """A booking was cancelled: its place is bookable again (or a walk-in's, once released)."""


class NoShowRecorded(BookingChange, type="appointments.no_show_recorded", topics=(CITIZEN, HALL)):
    """A booking was not checked in by the end of its window: a no-show, recorded against the
    person.

    The booker's copy says (`warning`) when one more no-show would suspend their booking."""

    booker_only: ClassVar[tuple[str, ...]] = ("warning",)

    warning: bool | None = sometimes("the booker's copy: one more suspends booking")


class AppointmentCheckedIn(
    BookerView, type="appointments.appointment_checked_in", topics=(CITIZEN,)
):
    """A booking was checked in at the hall and became a ticket (`ticket_id`, `ticket_code`).

    `reason` is set when the booker came late and got an ordinary walk-in ticket."""


class ReminderSent(BookerView, type="appointments.reminder_sent", topics=(CITIZEN,)):
    """A booking's slot is near (the plan's `reminder_hours` before): remind the booker."""


class PersonBlacklisted(Event, type="appointments.person_blacklisted", topics=(CITIZEN,)):
    """The booker's booking is suspended (no-shows, cancellations or too many bookings of one
    matter); walk-in tickets are not refused for it."""

    until: datetime
    reason: str
    days: int = Field(ge=1, description="how long the suspension lasts")


# -- the hall's slots -------------------------------------------------------------------------


class SlotsReleased(Event, type="appointments.slots_released", topics=(HALL,)):
    """Places became bookable or went to walk-ins.

    `why`: `opened` (a day opened, 放号), `backup` (held-back places released), `walkin` (free
    places handed to walk-ins shortly before their slot)."""

    hall_id: str
    service_id: str
    day: str
    why: Why
    slots: list[SlotPlaces]


__all__ = [
    "AppointmentBooked",
    "AppointmentCancelled",
    "AppointmentChanged",
    "AppointmentCheckedIn",
    "BookerView",
    "BookingChange",
    "NoShowRecorded",
    "PersonBlacklisted",
    "ReminderSent",
    "SlotPlaces",
    "SlotsReleased",
    "Why",
    "citizen_topic",
    "hall_topic",
]

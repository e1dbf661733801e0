"""Stored documents and value objects of the appointment center (预约中心). No I/O."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from hub.gateway.commands import Payload  # request bodies and command payloads
from hub.idempotency import RequestId
from hub.inputs import Day, Instant, Skip

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
# A mainland resident ID number (18 characters, the last may be X); checked in full in domain.
IdNumber = Annotated[str, StringConstraints(pattern=r"^[0-9０-９]{17}[0-9０-９XxＸｘ]$")]
Phone = Annotated[str, StringConstraints(pattern=r"^1[3-9][0-9]{9}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Window(_Model):
    """Bookable hours on the given ISO weekdays (1 = Monday), cut into slots."""

    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5], min_length=1
    )
    opens: time
    closes: time


class BookingPlan(_Model):
    """How one service of one hall takes bookings (collection `appointments_plans`)."""

    id: str = Field(alias="_id")  # "<hall>:<service>"
    hall_id: Slug
    service_id: Slug
    enabled: bool = True
    windows: list[Window] = Field(
        default_factory=lambda: [
            Window(opens=time(9, 0), closes=time(12, 0)),
            Window(opens=time(13, 30), closes=time(17, 0)),
        ]
    )
    slot_minutes: int = Field(30, ge=5, le=240)
    # The share of the counters' capacity for this service held for bookings; with `dynamic`
    # it moves between the bounds with the load the hall saw at that hour in recent weeks.
    # Defaults from bench/hall_sim.py: at 0.2 (0.1–0.3 with the load) bookings are >= 95 % on
    # time and walk-ins' p90 wait stays within 10 % of first come, first served.
    share: float = Field(0.2, ge=0, le=1)
    dynamic: bool = True
    min_share: float = Field(0.1, ge=0, le=1)
    max_share: float = Field(0.3, ge=0, le=1)
    # A fixed number of places per slot instead of the share of the counters' capacity.
    capacity: int | None = Field(None, ge=0, le=500)
    # 备用号源: this share of each slot's places is held back, released `backup_release_hours`
    # before the slot (or when the rest is booked out, with `backup_when_full`).
    backup_share: float = Field(0.2, ge=0, le=1)
    backup_release_hours: int = Field(24, ge=0, le=24 * 14)
    backup_when_full: bool = True
    # 放号: a day opens `horizon_days` working days ahead, at `opens_at` local time.
    horizon_days: int = Field(5, ge=1, le=30)
    opens_at: time = time(8, 0)
    min_lead_minutes: int = Field(60, ge=0, le=24 * 60)  # no booking closer to the slot than this
    # Places still free this long before the slot go to walk-ins (the day's walk-in numbers).
    walkin_release_minutes: int = Field(30, ge=0, le=24 * 60)
    cancel_deadline_minutes: int = Field(120, ge=0, le=7 * 24 * 60)
    # Check-in window at the hall: [slot - early, slot + late]; later is a walk-in (or refused).
    checkin_early_minutes: int = Field(30, ge=0, le=240)
    checkin_late_minutes: int = Field(15, ge=0, le=240)
    late_becomes_walkin: bool = True
    # A checked-in booking is queued as if it came this long before its slot.
    queue_lead_minutes: int = Field(5, ge=0, le=60)
    # Appointment codes ("Y" + 4 digits, numbered per hall day across its services, so told
    # with their day: "12月4日 Y0003") and the tickets of checked-in bookings
    # ("Y" + the service's prefix + number) have their own prefix.
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}$")] = "Y"
    closed_dates: list[date] = Field(default_factory=list)  # holidays
    extra_dates: list[date] = Field(default_factory=list)  # working weekends (调休)
    reminder_hours: int = Field(18, ge=0, le=72)  # the reminder goes this long before

    @model_validator(mode="after")
    def _sound(self) -> BookingPlan:
        for window in self.windows:
            if window.opens >= window.closes:
                raise ValueError(f"预约时段 {window.opens}–{window.closes} 不合理")
        if self.min_share > self.max_share:
            raise ValueError("动态比例下限不能高于上限")
        return self


class AbuseRules(_Model):
    """When booking is suspended for a person (collection `appointments_settings`, one per
    deployment). Defaults: the published rules of Chinese halls."""

    id: str = Field("abuse", alias="_id")
    period_days: int = Field(30, ge=1, le=366)
    no_show_limit: int = Field(2, ge=1, le=20)  # no-shows in the period
    cancel_limit: int = Field(5, ge=1, le=50)  # cancellations in the period
    same_matter_daily_limit: int = Field(3, ge=1, le=20)  # bookings of one service in a day
    blacklist_days: int = Field(90, ge=1, le=3650)


class SlotState(_Model):
    """One slot's places (collection `appointments_slots`), written when its day opens."""

    id: str = Field(alias="_id")  # "<hall>:<service>:<start iso>"
    hall_id: str
    service_id: str
    day: str
    start: datetime
    end: datetime
    capacity: int  # regular places
    backup: int  # held back until released
    free: int  # bookable now
    share: float  # the booking share it was sized with
    backup_released: bool = False
    walkin_released: int | None = None  # places handed to walk-ins (None: not yet)
    holders: list[str] = Field(default_factory=list)  # appointment ids holding a place
    opened_at: datetime


class Slot(_Model):
    """A slot as a citizen sees it."""

    id: str
    start: datetime
    end: datetime
    free: int
    capacity: int
    state: str  # "open", "full", "not_open" (opens later), "closed" (past or released)
    opens_at: datetime | None = None


class AppointmentState(StrEnum):
    PENDING = "pending"  # being booked (a place not yet confirmed)
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    FAILED = "failed"  # the booking did not complete (no place after all)


class Change(_Model):
    at: datetime
    by: str
    what: str


class KeptEvent(_Model):
    """An event written with the change that causes it, published after (the outbox): its data
    as its model (appointments/events.py) made it, checked against the model again when
    published."""

    id: str  # the bus drops a repeat of the same id
    topic: str
    type: str
    data: dict[str, Any]


class Appointment(_Model):
    """A booking (collection `appointments_bookings`)."""

    id: str = Field(alias="_id")
    code: str = ""  # Y0012: the number the citizen shows
    hall_id: str
    service_id: str
    day: str
    slot_id: str
    slot_start: datetime
    slot_end: datetime
    citizen_id: str  # the H5 account that booked
    name: str
    id_number: str
    phone: str
    person: str  # keyed hash of the ID number: limits, holds and the blacklist
    notify_sms: bool = True
    state: AppointmentState = AppointmentState.PENDING
    hold: str = ""  # the hold key while active
    # The idempotency claim it was booked under (hub.idempotency): a repeat of a booking whose
    # node died finds it by this.
    request: str = ""
    ticket_id: str | None = None
    ticket_code: str | None = None
    checked_in_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    reason: str = ""
    reminded: bool = False
    history: list[Change] = Field(default_factory=list)
    # Events written with the change that causes them, published after (and by the sweep).
    outbox: list[KeptEvent] = Field(default_factory=list)
    version: int = 0


class StrikeKind(StrEnum):
    NO_SHOW = "no_show"
    CANCEL = "cancel"
    SAME_MATTER = "same_matter"


class Strike(_Model):
    """A mark against a person (collection `appointments_strikes`), unique per appointment
    and kind so a job run twice counts once."""

    id: str = Field(alias="_id")  # "<appointment>:<kind>" or "<person>:<service>:<day>:matter"
    person: str
    kind: StrikeKind
    appointment_id: str
    at: datetime


class Blacklisting(_Model):
    """A person's booking suspension (collection `appointments_blacklist`, one per person)."""

    id: str = Field(alias="_id")  # the person key
    name: str  # masked
    since: datetime
    until: datetime
    reason: str
    lifted_at: datetime | None = None
    lifted_by: str = ""
    lift_reason: str = ""
    audit: list[Change] = Field(default_factory=list)


# -- inputs -----------------------------------------------------------------------------------


class BookIn(Payload):
    hall_id: Slug
    service_id: Slug
    slot_start: Instant
    name: str = Field(min_length=1, max_length=40)
    id_number: IdNumber
    phone: Phone
    notify_sms: bool = True
    # The page's id for this booking, sent again unchanged on a retry: one booking, not two.
    request_id: RequestId | None = None


class SlotChoice(Payload):
    slot_start: Instant


class ChangeIn(Payload):
    appointment_id: str = Field(min_length=1, max_length=40)
    slot_start: Instant


class AppointmentRef(Payload):
    appointment_id: str = Field(min_length=1, max_length=40)


class CheckInIn(Payload):
    """Check-in at the hall: by the booking (the citizen's phone, having scanned the hall's QR
    code, or staff looking it up), or by ID number or the booking's code at a kiosk or
    counter."""

    hall_id: Slug
    appointment_id: str | None = Field(None, max_length=40)
    id_number: IdNumber | None = None
    # The code the citizen shows ("Y0003", or as told: "12月4日 Y0003"): today's at this hall.
    code: str | None = Field(None, min_length=1, max_length=20)
    hall_code: str | None = Field(None, max_length=80)  # from the hall's QR code


class LiftIn(Payload):
    reason: str = Field(min_length=2, max_length=200)


class SlotsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: Day


class AppointmentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hall_id: Slug | None = None
    service_id: Slug | None = None
    day_from: Day | None = None
    day_to: Day | None = None
    state: AppointmentState | None = None
    limit: int = Field(100, ge=1, le=1000)
    skip: Skip = 0

"""Stored documents and value objects of the queueing domain. No I/O."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.gateway.commands import Payload  # request bodies and command payloads
from hub.idempotency import RequestId

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# -- hall configuration -----------------------------------------------------------------------


class OpeningHours(_Model):
    """Opening hours on the given ISO weekdays (1 = Monday)."""

    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(min_length=1)
    opens: time
    closes: time


class Tag(StrEnum):
    """Citizen tags that give priority."""

    ELDERLY = "elderly"  # 老年人
    DISABLED = "disabled"  # 残疾人
    PREGNANT = "pregnant"  # 孕妇
    MILITARY = "military"  # 军人
    GREEN_CHANNEL = "green_channel"  # 绿色通道
    APPOINTMENT = "appointment"  # 预约


DEFAULT_TAG_WEIGHTS: dict[Tag, int] = {
    Tag.ELDERLY: 1,
    Tag.DISABLED: 2,
    Tag.PREGNANT: 2,
    Tag.MILITARY: 1,
    Tag.GREEN_CHANNEL: 3,
    Tag.APPOINTMENT: 0,  # appointments are served by their arrival window, not by weight
}


class CallingPolicy(_Model):
    """How a hall picks the next ticket and treats people; see `domain.choose_next`."""

    # 2 means "2 normal : 1 priority": after two normal calls a waiting priority ticket goes.
    normal_per_priority: int = Field(2, ge=0, le=20)
    tag_weights: dict[Tag, Annotated[int, Field(ge=0, le=100)]] = Field(
        default_factory=lambda: dict(DEFAULT_TAG_WEIGHTS)
    )
    # Anyone who waited this long is called next, whatever their class (no starvation).
    max_wait_minutes: int = Field(60, ge=5, le=600)
    # A checked-in booking is called first from `early` minutes before its slot to `late`
    # after (bench/hall_sim.py: from the slot itself keeps walk-ins' waits near FIFO's).
    appointment_early_minutes: int = Field(0, ge=0, le=120)
    appointment_late_minutes: int = Field(15, ge=0, le=120)
    no_show_min_calls: int = Field(2, ge=1, le=5)
    turn_near_ahead: int = Field(3, ge=0, le=50)
    turn_near_minutes: int = Field(10, ge=0, le=120)
    announce_repeat: int = Field(2, ge=1, le=5)
    per_person_daily_limit: int = Field(3, ge=1, le=50)
    service_level_minutes: int = Field(30, ge=1, le=600)
    # A citizen who missed their call (过号) and comes back may be put back in the queue by a
    # clerk this many times per ticket (0: never; they take a new ticket) ...
    requeue_limit: int = Field(1, ge=0, le=5)
    # ... behind this many tickets waiting for its service, or at the end (None): far enough
    # back that those who were there on time are not passed, not so far that it is a new ticket.
    requeue_behind: int | None = Field(3, ge=0, le=100)


class GeoPoint(_Model):
    """Where a hall is (WGS-84, as phones' geolocation reports it): nearby halls first."""

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class Hall(_Model):
    """A service hall (网点)."""

    id: Slug = Field(alias="_id")
    name: str = Field(min_length=1, max_length=60)
    address: str = ""
    # The district (区/县) a citizen picks the hall by, and where it is (nearby halls first).
    district: str = Field("", max_length=30)
    location: GeoPoint | None = None
    timezone: str = "Asia/Shanghai"
    opening_hours: list[OpeningHours] = Field(default_factory=list)
    notice: str = Field("", max_length=500)
    policy: CallingPolicy = Field(default_factory=CallingPolicy)
    # The hall display shows the hall's 码上取号 QR code (/m/take.html?hall=<id>): off by
    # default, for halls whose walk-ins may take a ticket on their phone.
    show_take_qr: bool = False


class Service(_Model):
    """A service category (事项类别) with its own ticket numbers."""

    id: Slug = Field(alias="_id")
    hall_id: Slug
    name: str = Field(min_length=1, max_length=60)
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
    # Bounded so that every value fits MongoDB (int64) and a ticket code stays short.
    first_number: int = Field(1, ge=0, le=99_999)
    last_number: int = Field(999, ge=1, le=99_999)
    daily_cap: int | None = Field(None, ge=1, le=99_999)
    expected_minutes: float = Field(10.0, gt=0, le=600)
    opening_hours: list[OpeningHours] = Field(default_factory=list)
    active: bool = True


class CounterService(_Model):
    service_id: Slug
    weight: int = Field(1, ge=1, le=100)


class Counter(_Model):
    """A counter (窗口) and the services it serves."""

    id: Slug = Field(alias="_id")
    hall_id: Slug
    number: int = Field(ge=1, le=999)
    name: str = Field(min_length=1, max_length=40)
    services: list[CounterService] = Field(min_length=1)


class HallSetup(_Model):
    """A hall with its services and counters, as written in a setup file."""

    hall: Hall
    services: list[Service]
    counters: list[Counter]


# -- tickets ----------------------------------------------------------------------------------


class Channel(StrEnum):
    KIOSK = "kiosk"
    MINIAPP = "miniapp"
    QR = "qr"
    STAFF = "staff"
    APPOINTMENT = "appointment"


class Reason(StrEnum):
    """The rule of the calling policy that chose a ticket (`domain.choose_next`)."""

    APPOINTMENT = "appointment"
    OVERDUE = "overdue"
    PRIORITY = "priority"
    NORMAL = "normal"


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    PARKED = "parked"


OPEN_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.PARKED})
AT_COUNTER = frozenset({TicketStatus.CALLED, TicketStatus.SERVING})


class CitizenInfo(_Model):
    """Who took a ticket (all optional: a kiosk ticket may be anonymous)."""

    name: str = ""
    id_number: str = ""
    phone: str = ""
    citizen_id: str | None = None  # the platform account, when the ticket came from the H5 app


class Appointment(_Model):
    appointment_id: str
    slot_start: datetime
    slot_end: datetime


class Call(_Model):
    at: datetime
    counter_id: str
    counter_number: int


class Transfer(_Model):
    at: datetime
    from_service_id: str
    to_service_id: str
    to_counter_id: str | None = None
    by: str = ""


class Requeue(_Model):
    """A no-show ticket put back in the queue by a clerk."""

    at: datetime
    counter_id: str
    by: str = ""
    queue_time: datetime  # its place before (the new one is the ticket's queue_time)


class PendingEvent(_Model):
    """An event written with the state change that causes it, published after (outbox)."""

    id: str
    topic: str
    type: str
    data: dict[str, Any]


class Ticket(_Model):
    id: str = Field(alias="_id")
    hall_id: str
    service_id: str
    day: str  # the hall's local date, YYYY-MM-DD
    number: int
    code: str  # "A001"
    channel: Channel
    status: TicketStatus = TicketStatus.WAITING
    tags: list[Tag] = Field(default_factory=list)
    priority: int = 0  # the highest weight of its tags
    citizen: CitizenInfo = Field(default_factory=CitizenInfo)
    # The idempotency claim it was taken under (hub.idempotency): a repeat of a take whose
    # node died finds it by this.
    request: str = ""
    # Keyed hashes of the ID number, phone and account given: per-person limits match on any.
    person_keys: list[str] = Field(default_factory=list)
    appointment: Appointment | None = None
    issued_at: datetime
    # Its place in the queue: the issue time, kept through transfers.
    queue_time: datetime
    estimate_ahead: int = 0
    estimate_minutes: float = 0.0
    counter_id: str | None = None  # the counter holding it (called, serving) or that parked it
    target_counter_id: str | None = None  # transferred to one counter
    calls: list[Call] = Field(default_factory=list)
    called_at: datetime | None = None
    last_called_at: datetime | None = None
    near_notified_at: datetime | None = None
    serving_at: datetime | None = None
    finished_at: datetime | None = None
    no_show_at: datetime | None = None
    cancelled_at: datetime | None = None
    parked_at: datetime | None = None
    staff_id: str | None = None
    staff_name: str = ""
    case_id: str | None = None
    transfers: list[Transfer] = Field(default_factory=list)
    requeues: list[Requeue] = Field(default_factory=list)
    version: int = 0
    outbox: list[PendingEvent] = Field(default_factory=list)


class Arrival(BaseModel):
    """A ticket issued: when, for which service (the appointment center's recent load)."""

    model_config = ConfigDict(frozen=True)

    service_id: str
    issued_at: datetime


class CounterStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class CounterState(_Model):
    id: str = Field(alias="_id")  # the counter id
    hall_id: str
    status: CounterStatus = CounterStatus.CLOSED
    staff_id: str | None = None
    staff_name: str = ""
    pause_reason: str = ""
    current_ticket_id: str | None = None
    normal_streak: int = 0  # normal tickets called since the last priority one
    since: datetime | None = None  # when the status last changed
    version: int = 0
    outbox: list[PendingEvent] = Field(default_factory=list)


class CounterLogEntry(_Model):
    """One status interval of a counter, for idle-time statistics."""

    counter_id: str
    hall_id: str
    day: str
    status: CounterStatus
    staff_id: str | None
    start: datetime
    end: datetime | None = None


class PhoneCode(_Model):
    """A verification code sent to a walk-in's phone (collection `queueing_phone_codes`, one
    per phone: a new code replaces the old). Only its keyed hash is kept."""

    id: str = Field(alias="_id")  # the phone's keyed hash
    hall_id: str
    digest: str  # keyed hash of phone and code
    issued_at: datetime
    expires_at: datetime
    attempts: int = 0  # wrong codes tried


# -- inputs -----------------------------------------------------------------------------------


class CitizenIn(Payload):
    name: str = Field("", max_length=40)
    id_number: str = Field("", max_length=18)
    phone: str = Field("", max_length=20)
    tags: list[Tag] = Field(default_factory=list, max_length=6)


class TakeTicketIn(Payload):
    hall_id: Slug
    service_id: Slug
    channel: Channel
    citizen: CitizenIn | None = None
    # The screen's id for this take, sent again unchanged on a retry: one ticket, not two.
    request_id: RequestId | None = None


class CounterIn(Payload):
    counter_id: Slug


class CallTicketIn(Payload):
    counter_id: Slug
    ticket_id: str = Field(max_length=80)


class FinishIn(Payload):
    counter_id: Slug
    case_id: str | None = Field(None, max_length=64)


class TransferIn(Payload):
    counter_id: Slug
    service_id: Slug | None = None
    to_counter_id: Slug | None = None


class PauseIn(Payload):
    counter_id: Slug
    reason: str = Field(min_length=1, max_length=60)


class TicketRef(Payload):
    ticket_id: str = Field(max_length=80)


class NoticeIn(Payload):
    notice: str = Field(max_length=500)


# A walk-in's phone (the page keeps a random id in its storage): with the network address,
# what limits an account-less walk-in.
DeviceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class WalkInTicketIn(Payload):
    """码上取号 without an account: a service, and optionally the phone verified by a code."""

    service_id: Slug
    device: DeviceId
    tags: list[Tag] = Field(default_factory=list, max_length=6)
    phone: str = Field("", max_length=20)
    code: str = Field("", max_length=8)
    request_id: RequestId | None = None


class PhoneCodeIn(Payload):
    phone: str = Field(min_length=1, max_length=20)
    device: DeviceId


# -- views ------------------------------------------------------------------------------------


class HallSummary(BaseModel):
    id: str
    name: str
    address: str
    district: str
    location: GeoPoint | None
    timezone: str
    services: int
    counters: int


class HallDetail(BaseModel):
    hall: Hall
    services: list[Service]
    counters: list[Counter]

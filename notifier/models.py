"""Stored documents and value objects of the message center. No I/O."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from hub.inputs import Instant, Skip

# A recipient is named like its in-app topic: "citizen:<id>" or "user:<account>".
RecipientId = Annotated[
    str, StringConstraints(pattern=r"^(citizen|user):[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
]
Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,47}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Channel(StrEnum):
    IN_APP = "in_app"
    SMS = "sms"
    EMAIL = "email"


class Audience(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    ALL = "all"


class DeliveryState(StrEnum):
    QUEUED = "queued"  # waiting for its time, a worker, or a retry
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider reported it delivered (or shown in the inbox)
    FAILED = "failed"  # given up: a permanent error or too many attempts (dead letter)
    SUPPRESSED = "suppressed"  # not sent on purpose: the recipient opted out


FINAL_STATES = frozenset({DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.SUPPRESSED})


class Outcome(StrEnum):
    SENT = "sent"
    TEMPORARY = "temporary"  # try again later (maybe with the next provider)
    PERMANENT = "permanent"  # never: the address is wrong (an invalid number, a landline)


class QuietHours(_Model):
    """Hours in the recipient's time zone when only critical messages go out by SMS or e-mail.
    `start` after `end` spans midnight (21:00-08:00)."""

    start: time
    end: time


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"未知的时区：{name}") from None
    return name


TimeZone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_time_zone)]


class Contact(_Model):
    """How to reach a recipient, and what they want (collection `notifier_contacts`)."""

    id: RecipientId = Field(alias="_id")
    name: str = ""
    phone: str = ""
    email: str = ""
    locale: str = "zh-CN"
    timezone: TimeZone = "Asia/Shanghai"
    # kind -> channels the recipient does not want it on ("*" for every kind)
    opted_out: dict[str, list[Channel]] = Field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    groups: list[str] = Field(default_factory=list)  # e.g. "supervisors:xc-01"


class KindSpec(_Model):
    """A kind of message: what it is, whether it ignores preferences and quiet hours, and the
    data a preview renders its templates with."""

    id: Kind = Field(alias="_id")
    title: str
    critical: bool = False
    # Who gets it: a citizen's preferences list only citizen kinds, staff only staff ones.
    audience: Audience = Audience.ALL
    sample: dict[str, Any] = Field(default_factory=dict)


class Template(_Model):
    """One version of what a kind of message says on a channel in a locale. The newest version
    is the one used; every message remembers the version it was rendered from."""

    id: str = Field(alias="_id")  # kind/channel/locale/v<version>
    kind: Kind
    channel: Channel
    locale: str = "zh-CN"
    version: int = Field(ge=1)
    subject: str = ""  # e-mail subject and in-app title
    text: str  # SMS, in-app body, e-mail text part
    html: str = ""  # e-mail HTML part
    created_at: datetime
    created_by: str = ""  # the account, or "defaults" (the starting templates)
    created_by_name: str = ""  # the name it showed when it saved (the back office shows it)


class Rule(_Model):
    """Which event makes which message for whom, on which channels (collection
    `notifier_rules`). Recipients are patterns over the event's data: "citizen:{citizen_id}",
    "user:supervisor", "group:supervisors:{hall_id}"."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,63}$")] = Field(
        alias="_id"
    )
    event_type: str
    kind: Kind
    recipients: list[str] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    # A channel whose address is wrong (a permanent error) hands over to another.
    fallback: dict[Channel, Channel] = Field(default_factory=dict)
    delay_minutes: int = Field(0, ge=0, le=7 * 24 * 60)
    digest_minutes: int = Field(0, ge=0, le=24 * 60)
    # A channel named here is used only when the event's field is true (a citizen who asked
    # for no SMS with a booking: {sms: notify_sms}).
    when: dict[Channel, str] = Field(default_factory=dict)
    enabled: bool = True


class Message(_Model):
    """A message to one recipient (collection `notifier_messages`)."""

    id: str = Field(alias="_id")
    kind: Kind
    recipient: RecipientId
    data: dict[str, Any]
    locale: str = "zh-CN"
    source: str  # "event:<event id>" or "api:<idempotency key>"
    channels: list[Channel]
    critical: bool = False
    created_at: datetime
    send_at: datetime


class Attempt(_Model):
    at: datetime
    provider: str
    outcome: Outcome | None = None  # None: started, outcome unknown (a crash in between)
    code: str = ""
    detail: str = ""
    provider_message_id: str = ""


class Rendered(_Model):
    subject: str = ""
    text: str
    html: str = ""


class Delivery(_Model):
    """One message on one channel (collection `notifier_deliveries`), written before anything
    is sent: the outbox. `key` is unique: an event yields one delivery per channel and
    recipient, however often it is handled."""

    id: str = Field(alias="_id")
    key: str
    message_id: str
    kind: Kind
    channel: Channel
    recipient: RecipientId
    address: str = ""
    state: DeliveryState = DeliveryState.QUEUED
    critical: bool = False
    due_at: datetime
    lease_until: datetime
    lease_owner: str = ""
    attempts: list[Attempt] = Field(default_factory=list)
    provider_index: int = 0
    provider_message_id: str = ""
    rendered: Rendered | None = None
    template_version: int = 0
    digest_key: str = ""  # deliveries merged into one: the rule, recipient and channel
    items: list[dict[str, Any]] = Field(default_factory=list)  # the digest's events
    fallback: Channel | None = None  # where a permanent error hands the message over
    fallback_of: str = ""  # the delivery this one replaces on another channel
    created_at: datetime
    updated_at: datetime
    final_at: datetime | None = None
    receipt: str = ""  # the provider's last status callback
    reason: str = ""  # why it failed or was suppressed
    version: int = 0


class InboxState(StrEnum):
    UNREAD = "unread"
    READ = "read"
    ARCHIVED = "archived"


class InboxItem(_Model):
    """A message in someone's in-app inbox (collection `notifier_inbox`)."""

    id: str = Field(alias="_id")  # the delivery id
    recipient: RecipientId
    message_id: str
    kind: Kind
    title: str
    body: str
    created_at: datetime
    state: InboxState = InboxState.UNREAD
    read_at: datetime | None = None


# -- inputs -----------------------------------------------------------------------------------


class SendIn(_Input):
    """`POST /api/v1/notifier/messages`: send a message of a kind to recipients."""

    kind: Kind
    recipients: list[RecipientId] = Field(min_length=1, max_length=500)
    data: dict[str, Any] = Field(default_factory=dict)
    channels: list[Channel] = Field(min_length=1)
    send_at: Instant | None = None
    fallback: dict[Channel, Channel] = Field(default_factory=dict)


class ContactIn(_Input):
    name: str = Field("", max_length=40)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=120)
    locale: str = Field("zh-CN", max_length=10)
    timezone: TimeZone = "Asia/Shanghai"
    groups: list[Annotated[str, StringConstraints(max_length=60)]] = Field(
        default_factory=list, max_length=20
    )


class PreferencesIn(_Input):
    opted_out: dict[Kind, list[Channel]] = Field(default_factory=dict)
    quiet_hours: QuietHours | None = None


class TemplateIn(_Input):
    kind: Kind
    channel: Channel
    locale: str = Field("zh-CN", max_length=10)
    subject: str = Field("", max_length=200)
    text: str = Field(min_length=1, max_length=2000)
    html: str = Field("", max_length=20000)


class InboxRef(_Input):
    item_id: str = Field(max_length=64)


class InboxListIn(_Input):
    state: InboxState | None = None
    limit: int = Field(30, ge=1, le=200)
    before: Instant | None = None


class DeliveryQuery(BaseModel):
    """Deliveries by recipient, kind, channel, state and time (`GET /api/v1/notifier/messages`
    and `/dead-letters`), newest first. A query string: "5" is read as 5."""

    model_config = ConfigDict(frozen=True)

    recipient: str | None = Field(None, max_length=140)
    kind: str | None = Field(None, max_length=48)
    channel: Channel | None = None
    state: DeliveryState | None = None
    since: Instant | None = None
    until: Instant | None = None
    limit: int = Field(50, ge=1, le=500)
    skip: Skip = 0

"""The message center's events: typed, and carrying what the hub stored (a screen that applies
them equals a fresh load); and the phones other domains' events carry, kept as the citizen's
SMS address before that event's messages are made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from appointments.api import APPOINTMENTS
from appointments.models import BookingPlan
from hub import keys
from hub.auth import Role
from hub.events import Envelope
from hub.events.types import describe, model_of
from notifier.events import InboxChanged, MessageReceived
from notifier.models import Channel, QuietHours
from notifier.service import PHONE_EVENTS
from queueing import HALLS, QUEUE
from rtc.events import CallbackRequested
from tests.appointments.conftest import NOW as BOOKING_NOW
from tests.appointments.conftest import booking
from tests.notifier.conftest import Center
from tests.queueing.factories import setup
from tests.support import Client, connect

# 10:00:00.357123 in Shanghai: a clock finer than the store's milliseconds.
NOW = datetime(2026, 11, 26, 2, 0, 0, 357123, tzinfo=UTC)
NOTICE = {"title": "系统升级通知", "body": "今日16:00起系统升级。"}
NOTIFIER = Path(__file__).parents[2] / "notifier"


def test_every_event_of_the_message_center_has_a_model_and_a_summary() -> None:
    assert model_of("notifier.message_received") is MessageReceived
    assert model_of("notifier.inbox_changed") is InboxChanged
    described = describe()
    assert described["notifier.message_received"]["summary"] == (
        "A message arrived in the person's in-app inbox."
    )
    changed = described["notifier.inbox_changed"]
    assert changed["topics"] == ["citizen", "user"]
    assert set(changed["data"]["required"]) == {"counts", "item_id", "state", "read_at"}
    item = changed["data"]["$defs"]["InboxCounts"]
    assert set(item["properties"]) == {"unread", "read", "archived"}


def test_nothing_in_the_message_center_publishes_untyped() -> None:
    sources = [p for p in NOTIFIER.rglob("*.py") if "publish_untyped" in p.read_text()]
    assert sources == []


async def _inbox(center: Center, sub: str) -> dict[str, Any]:
    status, body = await center.http("GET", "/api/v1/notifier/inbox", role="citizen", sub=sub)
    assert status == 200
    return dict(body)


async def _mark(center: Center, item_id: str, path: str) -> dict[str, Any]:
    status, body = await center.http(
        "POST", f"/api/v1/notifier/inbox/{item_id}/{path}", role="citizen", sub="c-1"
    )
    assert status == 200, body
    return dict(body)


async def _nth(screen: Client, n: int) -> dict[str, Any]:
    """The data of the screen's n-th event (1: the first)."""
    events = await screen.wait_events(n)
    return dict(events[n - 1]["data"])


async def test_inbox_events_carry_the_item_and_read_time_as_the_inbox_answers_them(
    center: Center,
) -> None:
    center.at(NOW)
    await center.contact("citizen:c-1")
    screen = await connect(center.hub.url, center.hub.token(Role.CITIZEN, "c-1"))
    try:
        await screen.ok("subscribe", {"topic": "citizen:c-1"})
        body = {"kind": "notice", "recipients": ["citizen:c-1"], "data": NOTICE}
        await center.http(
            "POST", "/api/v1/notifier/messages", json={**body, "channels": ["in_app"]}
        )
        await center.drain()
        received = await _nth(screen, 1)
        [listed] = (await _inbox(center, "c-1"))["items"]
        assert received["item"] == listed  # created_at to the millisecond the store keeps
        assert listed["created_at"] == "2026-11-26T02:00:00.357000Z"

        marked = await _mark(center, listed["id"], "read")
        changed = await _nth(screen, 2)
        [read] = (await _inbox(center, "c-1"))["items"]
        assert read["read_at"] == changed["read_at"] == marked["read_at"]
        assert read["read_at"] == "2026-11-26T02:00:00.357000Z"
        assert changed["counts"] == marked["counts"] == {"unread": 0, "read": 1, "archived": 0}

        await _mark(center, listed["id"], "unread")
        changed = await _nth(screen, 3)
        assert changed["state"] == "unread"
        assert changed["read_at"] is None
        [unread] = (await _inbox(center, "c-1"))["items"]
        assert unread["read_at"] is None  # an unread message has no read time

        center.at(NOW + timedelta(seconds=2))
        again = await _mark(center, listed["id"], "read")
        assert again["read_at"] == "2026-11-26T02:00:02.357000Z"
        await _mark(center, listed["id"], "archive")
        changed = await _nth(screen, 5)
        assert (changed["state"], changed["read_at"]) == ("archived", None)
        status, archived = await center.http(
            "GET", "/api/v1/notifier/inbox?state=archived", role="citizen", sub="c-1"
        )
        assert status == 200
        assert archived["items"][0]["read_at"] == again["read_at"]  # it keeps its own
    finally:
        await screen.close()


# -- phones from events -----------------------------------------------------------------------


def test_the_events_that_carry_a_phone_have_the_field_named() -> None:
    for type, field in PHONE_EVENTS.items():
        model = model_of(type)
        assert field in model.model_fields, (type, field)
        assert "citizen" in model.event_topics


def _callback(phone: str = "13800138000", citizen: str = "c-1") -> CallbackRequested:
    return CallbackRequested(
        session_id="s-1",
        citizen_id=citizen,
        citizen_name="张*",
        phone=phone,
        topic_name="社保医保",
    )


async def test_a_call_back_request_keeps_the_phone_and_its_sms_goes_there(
    center: Center,
) -> None:
    center.at(NOW)
    quiet = QuietHours.model_validate({"start": "22:00", "end": "07:00"})
    await center.contact(
        "citizen:c-1",
        name="张三",
        phone="13900139000",
        opted_out={"notice": ["sms"]},
        quiet_hours=quiet.model_dump(),
    )
    bus = center.hub.app[keys.BUS]
    await bus.publish("rtc:queue", _callback("13700137000"))  # the supervisors' copy: not kept
    assert (await center.service.contact("citizen:c-1")).phone == "+8613900139000"

    await bus.publish("citizen:c-1", _callback())
    contact = await center.service.contact("citizen:c-1")
    assert contact.phone == "+8613800138000"
    # The rest of the contact is the citizen's own, untouched.
    assert (contact.name, contact.opted_out, contact.quiet_hours) == (
        "张三",
        {"notice": [Channel.SMS]},
        quiet,
    )
    await center.drain()
    [sms] = center.twilio.sent
    assert sms.to == "+8613800138000"
    assert sms.body == "【政务服务】您的社保医保咨询已登记回电，工作人员将尽快与您联系。"


async def test_a_citizen_known_only_from_an_event_gets_its_sms(center: Center) -> None:
    center.at(NOW)
    await center.hub.app[keys.BUS].publish("citizen:c-7", _callback(citizen="c-7"))
    await center.drain()
    assert [s.to for s in center.twilio.sent] == ["+8613800138000"]
    assert (await center.service.contact("citizen:c-7")).phone == "+8613800138000"


async def test_a_booking_keeps_the_sms_phone_not_the_masked_one(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c-1", name="张三")
    booked = model_of("appointments.appointment_booked")
    data = {
        "hall_id": "h1",
        "service_id": "s1",
        "day": "2026-11-27",
        "id": "a-1",
        "code": "Y0001",
        "code_text": "11月27日 Y0001",
        "slot_start": "2026-11-27T01:30:00Z",
        "slot_end": "2026-11-27T01:45:00Z",
        "checkin_from": "2026-11-27T01:00:00Z",
        "checkin_until": "2026-11-27T01:45:00Z",
        "name": "张*",
        "id_number": "110101**********12",
        "phone": "138****8000",
        "state": "booked",
        "created_at": "2026-11-26T02:00:00Z",
        "reason": "",
        "notify_sms": True,
        "slot_text": "11月27日 09:30",
        "checkin_text": "11月27日 09:00–09:45",
        "hall_name": "市民中心",
        "hall_address": "人民路1号",
        "service_name": "户籍办理",
        "citizen_id": "c-1",
        "sms_phone": "13800138000",
    }
    await center.hub.app[keys.BUS].publish("citizen:c-1", booked.model_validate(data))
    assert (await center.service.contact("citizen:c-1")).phone == "+8613800138000"
    await center.drain()
    assert [s.to for s in center.twilio.sent] == ["+8613800138000"]
    assert "Y0001" in center.twilio.sent[0].body


async def test_a_number_that_cannot_take_sms_is_not_kept_and_the_in_app_message_goes(
    center: Center,
) -> None:
    center.at(NOW)
    await center.contact("citizen:c-1", phone="13900139000")
    # A landline, as a domain's data might have it wrong (its model would refuse to publish
    # it): told straight to the listener, as another node's copy is.
    await center.service.on_event(
        Envelope(
            type="rtc.callback_requested",
            topic="citizen:c-1",
            seq=1,
            ts_ms=0,
            data={**_callback().payload(), "phone": "01012345678"},
            ctx="test",
            event_id="landline",
        )
    )
    assert (await center.service.contact("citizen:c-1")).phone == "+8613900139000"
    await center.drain()
    inbox = await center.service.inbox("citizen:c-1", None, 10, None)
    assert [i["title"] for i in inbox["items"]] == ["已登记回电"]


async def test_a_booking_with_sms_through_the_appointment_api_is_confirmed_on_that_phone(
    center: Center,
) -> None:
    """End to end: the booker's phone reaches the message center only with the booking's
    event, and the booking's SMS goes to it."""
    hub = center.hub
    await hub.app[HALLS].apply_setup(setup())
    appointments = hub.app[APPOINTMENTS]
    for service in (appointments, hub.app[QUEUE], center.service):
        service._now = lambda: BOOKING_NOW
    await appointments.save_plan(
        BookingPlan.model_validate(
            {
                "_id": "h1:s1",
                "hall_id": "h1",
                "service_id": "s1",
                "dynamic": False,
                "capacity": 3,
                "backup_share": 0,
            }
        )
    )
    await center.contact("citizen:c-1", name="张三", phone="13900139000")  # an older number
    body = {**booking(1).model_dump(mode="json"), "phone": "13800138001", "notify_sms": True}
    status, booked = await center.http(
        "POST", "/api/v1/appointments", role="citizen", sub="c-1", json=body
    )
    assert status == 201, booked
    assert (await center.service.contact("citizen:c-1")).phone == "+8613800138001"
    await center.drain()
    [sms] = center.twilio.sent
    assert sms.to == "+8613800138001"
    assert booked["code"] in sms.body

    # Without SMS asked for, the event carries no phone: the number kept stays.
    await center.contact("citizen:c-2", phone="13900139002")
    body = {**booking(2).model_dump(mode="json"), "phone": "13700137000", "notify_sms": False}
    status, other = await center.http(
        "POST", "/api/v1/appointments", role="citizen", sub="c-2", json=body
    )
    assert status == 201, other
    assert (await center.service.contact("citizen:c-2")).phone == "+8613900139002"
    await center.drain()
    assert len(center.twilio.sent) == 1

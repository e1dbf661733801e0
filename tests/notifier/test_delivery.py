"""The outbox end to end: a hub, a real SMTP server, Twilio's client against a local Messages
API, a domestic gateway. The test works the outbox itself (`center.drain`) and moves the clock
(`center.at`), so each step is looked at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub import keys
from hub.events import Envelope
from notifier.api import STATUS_PATH
from notifier.models import Channel, DeliveryState, Rule, TemplateIn
from tests.notifier.conftest import Center

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PHONE = "13800138000"
E164 = "+8613800138000"


async def send(center: Center, body: dict[str, Any], key: str | None = None) -> tuple[int, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    return await center.http("POST", "/api/v1/notifier/messages", json=body, headers=headers)


def notice(*channels: str, to: str = "citizen:c1", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "notice",
        "recipients": [to],
        "data": {"title": "系统升级通知", "body": "今日16:00起系统升级。"},
        "channels": list(channels),
        **extra,
    }


async def test_email_goes_out_over_starttls_with_a_login(center: Center) -> None:
    center.at(NOW)
    await center.contact("user:alice", name="李娜", email="lina@example.cn")
    status, answer = await send(center, notice("email", to="user:alice"))
    assert status == 202
    assert await center.drain() == 1

    [mail] = center.smtp.messages
    assert mail["To"] == "lina@example.cn"
    assert mail["Subject"] == "系统升级通知"
    assert mail["From"] == "政务服务大厅 <noreply@hall.example.cn>"
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "今日16:00起系统升级。" in text.get_content()
    assert "<h2>系统升级通知</h2>" in html.get_content()
    message_id = answer["messages"][0]["message_id"]
    assert await center.states(message_id) == {"email": DeliveryState.SENT}


async def test_a_refused_login_is_temporary_and_retried(center: Center) -> None:
    center.at(NOW)
    await center.contact("user:alice", email="lina@example.cn")
    center.smtp.password = "rotated"  # the server's password changed under us
    _, answer = await send(center, notice("email", to="user:alice"))
    await center.drain()
    [delivery] = await center.deliveries(message_id=answer["messages"][0]["message_id"])
    assert delivery["state"] == "queued"
    assert delivery["attempts"][0]["outcome"] == "temporary"
    assert delivery["attempts"][0]["code"] == "535", delivery["attempts"][0]["detail"]
    assert center.smtp.messages == []

    center.smtp.password = "smtp-secret"
    center.at(NOW + timedelta(seconds=10))  # past the first backoff (5 s, jitter up to 150 %)
    assert await center.drain() == 1
    assert len(center.smtp.messages) == 1


async def test_sms_through_twilio_and_receipts_only_move_forward(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone=PHONE)
    _, answer = await send(center, notice("sms"))
    message_id = answer["messages"][0]["message_id"]
    await center.drain()

    [sms] = center.twilio.sent
    assert sms.to == E164
    assert sms.from_ == "+15005550006"
    assert sms.body == "【政务服务】系统升级通知：今日16:00起系统升级。"
    assert sms.status_callback == center.hub.url + STATUS_PATH
    [delivery] = await center.deliveries(message_id=message_id)
    assert delivery["state"] == "sent"
    assert delivery["provider_message_id"] == sms.sid

    assert await center.twilio.callback(sms, "delivered") == 204
    assert await center.states(message_id) == {"sms": DeliveryState.DELIVERED}
    # Late and repeated callbacks arrive out of order: none moves it back.
    assert await center.twilio.callback(sms, "sent") == 204
    assert await center.twilio.callback(sms, "delivered") == 204
    assert await center.states(message_id) == {"sms": DeliveryState.DELIVERED}


async def test_a_forged_status_callback_is_refused(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone=PHONE)
    _, answer = await send(center, notice("sms"))
    await center.drain()
    [sms] = center.twilio.sent

    assert await center.twilio.callback(sms, "failed", token="not-the-auth-token") == 403
    message_id = answer["messages"][0]["message_id"]
    assert await center.states(message_id) == {"sms": DeliveryState.SENT}
    # Signed for another URL (a replay against a different endpoint): refused as well.
    sms.status_callback = center.hub.url + STATUS_PATH + "?x=1"
    assert await center.twilio.callback(sms, "failed") == 403
    assert await center.states(message_id) == {"sms": DeliveryState.SENT}


async def test_an_undelivered_receipt_fails_the_delivery(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone=PHONE)
    _, answer = await send(center, notice("sms"))
    await center.drain()
    assert await center.twilio.callback(center.twilio.sent[0], "undelivered") == 204
    [delivery] = await center.deliveries(message_id=answer["messages"][0]["message_id"])
    assert delivery["state"] == "failed"
    assert delivery["receipt"] == "undelivered"


async def test_an_invalid_number_stops_at_once_and_falls_back_to_the_inbox(
    center: Center,
) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone=PHONE)
    center.twilio.invalid.add(E164)
    _, answer = await send(center, notice("sms", fallback={"sms": "in_app"}))
    message_id = answer["messages"][0]["message_id"]
    await center.drain()

    assert center.twilio.requests == 1  # no retry
    assert center.gateway.requests == 0  # and no other provider: the number is wrong
    deliveries = {d["channel"]: d for d in await center.deliveries(message_id=message_id)}
    assert deliveries["sms"]["state"] == "failed"
    assert deliveries["sms"]["attempts"][0]["code"] == "21211"
    assert deliveries["in_app"]["state"] == "delivered"
    assert deliveries["in_app"]["fallback_of"] == deliveries["sms"]["id"]
    inbox = await center.service.inbox("citizen:c1", None, 10, None)
    assert [i["title"] for i in inbox["items"]] == ["系统升级通知"]

    status, dead = await center.http("GET", "/api/v1/notifier/dead-letters")
    assert status == 200
    assert [d["id"] for d in dead["deliveries"]] == [deliveries["sms"]["id"]]


async def test_a_rate_limited_provider_backs_off_and_the_next_one_sends(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone=PHONE)
    center.twilio.rate_limited = 5
    _, answer = await send(center, notice("sms"))
    await center.drain()
    [delivery] = await center.deliveries(message_id=answer["messages"][0]["message_id"])
    assert delivery["state"] == "queued"
    assert delivery["attempts"][0]["code"] == "20429"
    due = datetime.fromisoformat(delivery["due_at"])
    assert NOW + timedelta(seconds=2) <= due <= NOW + timedelta(seconds=8)
    assert await center.drain() == 0  # not before its time

    center.at(due)
    assert await center.drain() == 1
    [delivery] = await center.deliveries(message_id=answer["messages"][0]["message_id"])
    assert delivery["state"] == "sent"
    assert [a["provider"] for a in delivery["attempts"]] == ["twilio", "gateway"]
    [request] = center.gateway.received.values()
    assert request["phone"] == E164
    assert request["requestId"] == delivery["id"]
    assert center.twilio.sent == []


async def test_temporary_errors_give_up_after_the_last_attempt_and_resend_works(
    center: Center,
) -> None:
    moment = NOW
    center.at(moment)
    await center.contact("citizen:c1", phone=PHONE)
    center.twilio.down = True
    center.gateway.failing = 100
    _, answer = await send(center, notice("sms"))
    message_id = answer["messages"][0]["message_id"]
    for _ in range(10):
        await center.drain()
        moment += timedelta(minutes=15)
        center.at(moment)
    [delivery] = await center.deliveries(message_id=message_id)
    assert delivery["state"] == "failed"
    assert len(delivery["attempts"]) == 4  # max_attempts in the test settings
    assert [a["provider"] for a in delivery["attempts"]] == ["twilio", "gateway"] * 2
    gaps = [
        datetime.fromisoformat(b["at"]) - datetime.fromisoformat(a["at"])
        for a, b in zip(delivery["attempts"], delivery["attempts"][1:], strict=False)
    ]
    assert all(gap >= timedelta(minutes=15) for gap in gaps)

    center.twilio.down = False
    status, resent = await center.http(
        "POST", f"/api/v1/notifier/deliveries/{delivery['id']}/resend"
    )
    assert status == 200
    assert resent["id"] != delivery["id"]
    assert await center.drain() == 1
    assert len(center.twilio.sent) == 1
    states = sorted(d["state"] for d in await center.deliveries(message_id=message_id))
    assert states == ["failed", "sent"]  # the old one keeps its history


async def test_quiet_hours_hold_a_message_until_morning_but_not_a_critical_one(
    center: Center,
) -> None:
    late = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    center.at(late)
    await center.contact(
        "citizen:c1",
        phone=PHONE,
        quiet_hours={"start": "21:00:00", "end": "08:00:00"},
        timezone="Asia/Shanghai",
    )
    _, answer = await send(center, notice("sms"))
    [delivery] = await center.deliveries(message_id=answer["messages"][0]["message_id"])
    morning = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert datetime.fromisoformat(delivery["due_at"]) == morning
    assert await center.drain() == 0

    called = {
        "kind": "ticket_called",
        "recipients": ["citizen:c1"],
        "data": {"number": "A012", "counter_name": "5号窗口", "service_name": "户籍办理"},
        "channels": ["sms"],
    }
    await send(center, called)
    assert await center.drain() == 1
    assert center.twilio.bodies() == ["【政务服务】请A012号到5号窗口办理户籍办理。"]

    center.at(morning)
    assert await center.drain() == 1
    assert len(center.twilio.sent) == 2


async def test_an_opt_out_suppresses_except_for_critical_kinds(center: Center) -> None:
    center.at(NOW)
    await center.contact(
        "citizen:c1", phone=PHONE, opted_out={"notice": ["sms"], "ticket_called": ["sms"]}
    )
    _, answer = await send(center, notice("sms", "in_app"))
    states = await center.states(answer["messages"][0]["message_id"])
    assert states == {"sms": DeliveryState.SUPPRESSED, "in_app": DeliveryState.QUEUED}
    await send(
        center,
        {
            "kind": "ticket_called",
            "recipients": ["citizen:c1"],
            "data": {"number": "A012", "counter_name": "5号窗口", "service_name": "户籍"},
            "channels": ["sms"],
        },
    )
    await center.drain()
    assert len(center.twilio.sent) == 1  # the call, not the notice
    assert center.twilio.sent[0].body.startswith("【政务服务】请A012号")


async def test_the_hourly_limit_holds_the_eleventh_sms(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone=PHONE)
    for i in range(11):
        center.at(NOW + timedelta(seconds=i))
        await send(center, notice("sms"))
        await center.drain()
    assert len(center.twilio.sent) == 10
    [held] = await center.deliveries(state="queued")
    assert datetime.fromisoformat(held["due_at"]) == NOW + timedelta(hours=1)


async def test_a_digest_merges_events_into_one_message(center: Center) -> None:
    center.at(NOW)
    await center.contact("user:sup", phone=PHONE, groups=["supervisors:h1"])
    await center.service.save_rule(
        Rule.model_validate(
            {
                "_id": "paused-digest",
                "event_type": "queueing.counter_paused",
                "kind": "counter_paused_alert",
                "recipients": ["group:supervisors:{hall_id}"],
                "channels": ["sms"],
                "digest_minutes": 5,
            }
        )
    )
    await center.service.save_template(
        _template(
            "counter_paused_alert", "sms", "【政务服务】{{ counter_name }}暂停：{{ pause_reason }}"
        ),
        by="test",
    )
    for n in (1, 2, 3):
        await center.hub.publish(
            "hall:h1",
            "queueing.counter_paused",
            {
                "hall_id": "h1",
                "counter_id": f"w{n}",
                "counter_number": n,
                "counter_name": f"{n}号窗口",
                "status": "paused",
                "pause_reason": "系统故障",
                "staff_id": "clerk1",
                "staff_name": "王芳",
                "current_ticket_id": None,
            },
        )
    # The default rule's in-app alerts go at once; the SMS collects for five minutes.
    assert await center.drain() == 3
    assert center.twilio.sent == []

    center.at(NOW + timedelta(minutes=5))
    assert await center.drain() == 1
    [sms] = center.twilio.sent
    assert sms.body.startswith("您有 3 条新消息")
    for n in (1, 2, 3):
        assert f"{n}号窗口暂停" in sms.body
    merged = await center.deliveries(recipient="user:sup", channel="sms")
    assert [d["state"] for d in merged] == ["sent"] * 3
    assert {d["provider_message_id"] for d in merged} == {sms.sid}


async def test_an_event_handled_twice_yields_one_delivery_per_channel(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone=PHONE)
    data = {"ticket_id": "h1-20261126-A012", "number": "A012", "ahead": 2, "estimate_minutes": 6.4}
    for _ in range(2):  # the same event again: an outbox retried after a crash
        await center.hub.app[keys.BUS].republish(
            "citizen:c1", "queueing.turn_near", data, event_id="evt-1"
        )
    # A second node told of the same event (by Redis) hands its copy to its own listener.
    await center.service.on_event(
        Envelope(
            type="queueing.turn_near",
            topic="citizen:c1",
            seq=1,
            ts_ms=0,
            data=data,
            ctx="x",
            event_id="evt-1",
        )
    )
    deliveries = await center.deliveries(recipient="citizen:c1")
    assert sorted(d["channel"] for d in deliveries) == ["in_app", "sms"]
    await center.drain()
    assert center.twilio.bodies() == ["【政务服务】您的号码A012前面还有2人，请到大厅等候叫号。"]
    inbox = await center.service.inbox("citizen:c1", None, 10, None)
    assert [i["body"] for i in inbox["items"]] == [
        "您的号码 A012 前面还有 2 人，预计约 6 分钟，请到大厅等候。"
    ]


async def test_an_idempotency_key_answers_a_repeat_and_refuses_a_different_body(
    center: Center,
) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone=PHONE)
    first = await send(center, notice("sms"), key="order-20261126-1")
    again = await send(center, notice("sms"), key="order-20261126-1")
    assert first == again
    assert len(await center.deliveries(recipient="citizen:c1")) == 1
    status, error = await send(center, notice("in_app"), key="order-20261126-1")
    assert status == 409
    assert error["code"] == "IDEMPOTENCY_CONFLICT"
    assert len(await center.deliveries(recipient="citizen:c1")) == 1


def _template(kind: str, channel: str, text: str) -> TemplateIn:
    return TemplateIn(kind=kind, channel=Channel(channel), text=text)


async def test_a_recipient_gets_their_locale_and_others_fall_back_to_chinese(
    center: Center,
) -> None:
    center.at(NOW)
    await center.service.save_template(
        TemplateIn(
            kind="notice",
            channel=Channel.SMS,
            locale="en-US",
            text="[Service Hall] {{ title }}: {{ body }}",
        ),
        by="test",
    )
    await center.contact("citizen:visitor", phone="+447400123456", locale="en-US")
    await center.contact("citizen:c1", phone=PHONE, locale="ug-CN")  # no Uyghur template yet
    body = notice("sms")
    body["recipients"] = ["citizen:visitor", "citizen:c1"]
    body["data"] = {"title": "Upgrade", "body": "closed at 16:00"}
    await send(center, body)
    await center.drain()
    assert sorted(center.twilio.bodies()) == [
        "[Service Hall] Upgrade: closed at 16:00",
        "【政务服务】Upgrade：closed at 16:00",
    ]

"""The message center's API: bad input is refused with a code and changes nothing; the inbox
is live over Socket.IO; the back office edits templates and rules, searches and follows
deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from hub.auth import Role
from notifier.api import NOTIFIER
from notifier.models import Contact, DeliveryQuery
from tests.notifier.conftest import Center
from tests.support import RunningHub, connect

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
NOTICE = {"title": "系统升级通知", "body": "今日16:00起系统升级。"}


async def queued(center: Center) -> tuple[int, int]:
    """How many messages and deliveries the store holds."""
    deliveries = await center.deliveries()
    messages = {d["message_id"] for d in deliveries}
    return len(messages), len(deliveries)


async def test_a_template_with_an_unknown_variable_is_refused_at_save_and_preview(
    center: Center,
) -> None:
    before = await center.http("GET", "/api/v1/notifier/templates/notice/sms/zh-CN")
    bad = {"kind": "notice", "channel": "sms", "text": "【政务服务】{{ title }}：{{ bodyy }}"}
    for path in ("/api/v1/notifier/templates", "/api/v1/notifier/templates/preview"):
        status, error = await center.http("POST", path, json=bad)
        assert status == 422
        assert error["code"] == "TEMPLATE_INVALID"
        assert any("bodyy" in p for p in error["details"]["problems"])
    status, error = await center.http(
        "POST", "/api/v1/notifier/templates", json={**bad, "text": "{{ title "}
    )
    assert error["code"] == "TEMPLATE_INVALID"
    assert await center.http("GET", "/api/v1/notifier/templates/notice/sms/zh-CN") == before


async def test_a_saved_template_is_a_new_version_used_from_then_on(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone="13800138000")
    status, saved = await center.http(
        "POST",
        "/api/v1/notifier/templates",
        json={"kind": "notice", "channel": "sms", "text": "【大厅】{{ title }}。{{ body }}"},
    )
    assert status == 201
    assert saved["version"] == 2
    status, preview = await center.http(
        "POST",
        "/api/v1/notifier/templates/preview",
        json={"kind": "notice", "channel": "sms", "text": "【大厅】{{ title }}", "data": NOTICE},
    )
    assert preview["rendered"]["text"] == "【大厅】系统升级通知"
    _, versions = await center.http("GET", "/api/v1/notifier/templates/notice/sms/zh-CN")
    assert [v["version"] for v in versions] == [2, 1]

    await center.http(
        "POST",
        "/api/v1/notifier/messages",
        json={"kind": "notice", "recipients": ["citizen:c1"], "data": NOTICE, "channels": ["sms"]},
    )
    await center.drain()
    assert center.twilio.bodies() == ["【大厅】系统升级通知。今日16:00起系统升级。"]
    [delivery] = await center.deliveries()
    assert delivery["template_version"] == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "010-12345678"}, "INVALID_ADDRESS"),  # a landline cannot take an SMS
        ({"phone": "1380013800"}, "INVALID_ADDRESS"),
        ({"email": "wang@"}, "INVALID_ADDRESS"),
        ({"timezone": "Mars/Olympus"}, "INVALID_PAYLOAD"),
        ({"phone": "13800138000", "extra": 1}, "INVALID_PAYLOAD"),
    ],
)
async def test_a_bad_contact_is_refused_and_the_old_one_kept(
    center: Center, body: dict[str, Any], code: str
) -> None:
    path = "/api/v1/notifier/contacts/citizen:c1"
    status, saved = await center.http("PUT", path, json={"phone": "+86 138 0013 8000"})
    assert status == 200
    assert saved["phone"] == "+8613800138000"  # kept as E.164
    status, error = await center.http("PUT", path, json=body)
    assert status == 422
    assert error["code"] == code
    assert (await center.http("GET", path))[1] == saved


async def test_a_contact_must_be_named_like_a_topic(center: Center) -> None:
    status, error = await center.http(
        "PUT", "/api/v1/notifier/contacts/someone", json={"phone": "13800138000"}
    )
    assert (status, error["code"]) == (422, "INVALID_PAYLOAD")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"recipients": ["citizen:c1", "citizen:nobody"]}, 404, "RECIPIENT_NOT_FOUND"),
        ({"recipients": ["citizen:c1", "citizen:no-phone"]}, 422, "INVALID_ADDRESS"),
        ({"kind": "no_such_kind"}, 404, "KIND_NOT_FOUND"),
        ({"kind": "counter_paused_alert", "channels": ["sms"]}, 404, "TEMPLATE_NOT_FOUND"),
        ({"channels": ["fax"]}, 422, "INVALID_PAYLOAD"),
        ({"recipients": []}, 422, "INVALID_PAYLOAD"),
        ({"send_at": "tomorrow"}, 422, "INVALID_PAYLOAD"),
    ],
)
async def test_a_bad_send_is_refused_and_nothing_is_queued(
    center: Center, body: dict[str, Any], status: int, code: str
) -> None:
    await center.contact("citizen:c1", phone="13800138000")
    await center.contact("citizen:no-phone", email="a@example.cn")
    request = {
        "kind": "notice",
        "recipients": ["citizen:c1"],
        "data": NOTICE,
        "channels": ["sms", "in_app"],
        **body,
    }
    answer = await center.http("POST", "/api/v1/notifier/messages", json=request)
    assert answer[0] == status, answer
    assert answer[1]["code"] == code
    assert await queued(center) == (0, 0)
    assert await center.drain() == 0


async def test_only_the_back_office_sends_and_reads_deliveries(center: Center) -> None:
    request = {"kind": "notice", "recipients": ["user:x"], "data": NOTICE, "channels": ["in_app"]}
    for role in ("staff", "citizen", "agent"):
        status, _ = await center.http("POST", "/api/v1/notifier/messages", role=role, json=request)
        assert status == 403, role
        assert (await center.http("GET", "/api/v1/notifier/messages", role=role))[0] == 403
    assert (await center.http("GET", "/api/v1/notifier/dead-letters", role="agent"))[0] == 403


async def test_a_rule_for_an_unknown_kind_is_refused(center: Center) -> None:
    rule = {
        "id": "r1",
        "event_type": "queueing.ticket_called",
        "kind": "no_such_kind",
        "recipients": ["{topic}"],
        "channels": ["in_app"],
        "fallback": {},
        "delay_minutes": 0,
        "digest_minutes": 0,
        "when": {},
        "enabled": True,
    }
    status, error = await center.http("PUT", "/api/v1/notifier/rules/r1", json=rule)
    assert (status, error["code"]) == (404, "KIND_NOT_FOUND")
    _, rules = await center.http("GET", "/api/v1/notifier/rules")
    assert "r1" not in {r["id"] for r in rules}


async def test_the_inbox_is_live_over_socketio_and_marking_read_reaches_every_screen(
    center: Center,
) -> None:
    center.at(NOW)
    await center.contact("citizen:c-1", phone="13800138000")
    token = center.hub.token(Role.CITIZEN, "c-1")
    phone = await connect(center.hub.url, token)
    tablet = await connect(center.hub.url, token)
    try:
        for screen in (phone, tablet):
            await screen.ok("subscribe", {"topic": "citizen:c-1"})
        await center.http(
            "POST",
            "/api/v1/notifier/messages",
            json={
                "kind": "notice",
                "recipients": ["citizen:c-1"],
                "data": NOTICE,
                "channels": ["in_app"],
            },
        )
        await center.drain()
        [received] = await phone.wait_events(1)
        assert received["type"] == "notifier.message_received"
        assert received["data"]["unread"] == 1
        item = received["data"]["item"]
        assert (item["title"], item["body"]) == ("系统升级通知", "今日16:00起系统升级。")

        listed = await phone.ok("notifier.list", {})
        assert [i["id"] for i in listed["items"]] == [item["id"]]
        assert listed["counts"] == {"unread": 1, "read": 0, "archived": 0}

        marked = await phone.ok("notifier.mark_read", {"item_id": item["id"]})
        assert marked["counts"]["unread"] == 0
        events = await tablet.wait_events(2)
        assert events[1]["type"] == "notifier.inbox_changed"
        assert events[1]["data"]["counts"]["unread"] == 0

        everything = await tablet.ok("notifier.mark_all_read", {})
        assert everything["counts"]["unread"] == 0
        missing = await phone.error("notifier.mark_read", {"item_id": "nope"})
        assert missing["code"] == "INBOX_ITEM_NOT_FOUND"
        # Someone else's item is refused, and stays as it was.
        other = await connect(center.hub.url, center.hub.token(Role.CITIZEN, "c-2"))
        try:
            error = await other.error("notifier.archive", {"item_id": item["id"]})
            assert error["code"] == "FORBIDDEN"
            assert (await other.ok("notifier.list", {}))["items"] == []
        finally:
            await other.close()
        bad = await phone.error("notifier.list", {"limit": 0})
        assert bad["code"] == "INVALID_PAYLOAD"
    finally:
        await phone.close()
        await tablet.close()


async def test_a_citizen_opts_out_in_preferences_and_the_next_sms_is_suppressed(
    center: Center,
) -> None:
    center.at(NOW)
    await center.contact("citizen:c-1", phone="13800138000")
    prefs = {"opted_out": {"notice": ["sms"]}, "quiet_hours": None}
    status, _ = await center.http(
        "PUT", "/api/v1/notifier/preferences", role="citizen", sub="c-1", json=prefs
    )
    assert status == 200
    _, got = await center.http("GET", "/api/v1/notifier/preferences", role="citizen", sub="c-1")
    assert got["opted_out"] == {"notice": ["sms"]}
    citizen_kinds = {k["id"] for k in got["kinds"]}
    assert {"notice", "ticket_called", "ticket_near", "appointment_booked"} <= citizen_kinds
    assert not citizen_kinds & {"counter_paused_alert", "long_wait_alert"}
    _, staff = await center.http("GET", "/api/v1/notifier/preferences", role="staff", sub="s1")
    assert {k["id"] for k in staff["kinds"]} == {
        "notice",
        "counter_paused_alert",
        "long_wait_alert",
        "video_callback_alert",
    }
    bad = await center.http(
        "PUT",
        "/api/v1/notifier/preferences",
        role="citizen",
        sub="c-1",
        json={"opted_out": {"notice": ["pigeon"]}},
    )
    assert bad[0] == 422
    await center.http(
        "POST",
        "/api/v1/notifier/messages",
        json={
            "kind": "notice",
            "recipients": ["citizen:c-1"],
            "data": NOTICE,
            "channels": ["sms", "in_app"],
        },
    )
    await center.drain()
    assert center.twilio.sent == []
    _, inbox = await center.http("GET", "/api/v1/notifier/inbox", role="citizen", sub="c-1")
    assert len(inbox["items"]) == 1


async def test_search_timeline_and_success_rates(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", phone="13800138000")
    await center.contact("citizen:c2", phone="13900139000")
    center.twilio.invalid.add("+8613900139000")
    _, answer = await center.http(
        "POST",
        "/api/v1/notifier/messages",
        json={
            "kind": "notice",
            "recipients": ["citizen:c1", "citizen:c2"],
            "data": NOTICE,
            "channels": ["sms"],
        },
    )
    await center.drain()

    _, found = await center.http("GET", "/api/v1/notifier/messages?recipient=citizen:c2")
    [failed] = found["deliveries"]
    assert failed["state"] == "failed"
    _, found = await center.http("GET", "/api/v1/notifier/messages?channel=sms&state=sent")
    assert [d["recipient"] for d in found["deliveries"]] == ["citizen:c1"]

    first = answer["messages"][0]["message_id"]
    _, timeline = await center.http("GET", f"/api/v1/notifier/messages/{first}")
    assert timeline["message"]["recipient"] == "citizen:c1"
    [delivery] = timeline["deliveries"]
    assert delivery["attempts"][0]["provider"] == "twilio"
    status, error = await center.http("GET", "/api/v1/notifier/messages/nope")
    assert (status, error["code"]) == (404, "MESSAGE_NOT_FOUND")
    status, error = await center.http("POST", "/api/v1/notifier/deliveries/nope/resend")
    assert (status, error["code"]) == (404, "DELIVERY_NOT_FOUND")

    _, stats = await center.http("GET", "/api/v1/notifier/stats?days=1")
    [sms] = [c for c in stats["channels"] if c["channel"] == "sms"]
    assert sms["states"] == {"sent": 1, "failed": 1}
    assert sms["success_rate"] == 0.5


async def test_a_channel_without_providers_is_refused_for_the_api_and_skipped_by_rules(
    memory_hub: RunningHub,
) -> None:
    """The demo's hub has no SMS or e-mail provider: an API send on them is an error, a rule
    gets its in-app part only (the SMS part recorded as suppressed, not a dead letter)."""
    service = memory_hub.app[NOTIFIER]
    await service.save_contact(Contact(id="citizen:c-1", phone="13800138000"))
    admin = {"Authorization": f"Bearer {memory_hub.token(Role.ADMIN)}"}
    request = {"kind": "notice", "recipients": ["citizen:c-1"], "data": NOTICE}
    async with (
        aiohttp.ClientSession(headers=admin) as http,
        http.post(
            f"{memory_hub.url}/api/v1/notifier/messages", json={**request, "channels": ["sms"]}
        ) as response,
    ):
        assert response.status == 422
        assert (await response.json())["code"] == "CHANNEL_NOT_CONFIGURED"
    await memory_hub.publish(
        "citizen:c-1",
        "queueing.turn_near",
        {"ticket_id": "h1-20261126-A001", "number": "A001", "ahead": 1, "estimate_minutes": 3.0},
    )
    deliveries = {d.channel.value: d for d in await service.search(DeliveryQuery(limit=10))}
    assert deliveries["sms"].state.value == "suppressed"
    assert await service.dead_letters(10, 0) == []

"""The back office finds people the way hall staff know them: by name (张三) or some digits of
their phone, and shows names rather than recipient ids with what was sent to them."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from notifier import domain
from notifier.domain import ContactSearch
from tests.notifier.conftest import Center

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("张三", ContactSearch(name="张三")),
        ("  张  ", ContactSearch(name="张")),
        ("1381234", ContactSearch(phone_digits="1381234")),
        ("138 1234-0000", ContactSearch(phone_digits="13812340000")),
        ("+86 138", ContactSearch(phone_digits="86138")),
        ("citizen:demo-citizen-001", ContactSearch(recipient="citizen:demo-citizen-001")),
        ("user:clerk01", ContactSearch(recipient="user:clerk01")),
        ("wang", ContactSearch(name="wang")),
    ],
)
def test_what_a_search_box_text_looks_for(typed: str, expected: ContactSearch) -> None:
    assert domain.contact_search(typed) == expected


async def find(center: Center, text: str) -> list[str]:
    status, answer = await center.http("GET", f"/api/v1/notifier/contacts?q={quote(text)}")
    assert status == 200, answer
    return [c["id"] for c in answer["contacts"]]


async def test_contacts_are_found_by_name_phone_digits_or_id(center: Center) -> None:
    await center.contact("citizen:c1", name="张三", phone="13812340000")
    await center.contact("citizen:c2", name="张三丰", phone="13900139000")
    await center.contact("user:clerk01", name="王芳", email="wf@example.cn")
    await center.contact("citizen:c3", name="李(四)", phone="13700137000")
    assert await find(center, "张三") == ["citizen:c1", "citizen:c2"]
    assert await find(center, "三丰") == ["citizen:c2"]
    assert await find(center, "1381234") == ["citizen:c1"]
    assert await find(center, "139 0013 9000") == ["citizen:c2"]
    assert await find(center, "+86 137") == ["citizen:c3"]
    assert await find(center, "李(") == ["citizen:c3"]  # typed text, not a pattern
    assert await find(center, "user:clerk01") == ["user:clerk01"]
    assert await find(center, "赵六") == []
    _, answer = await center.http("GET", f"/api/v1/notifier/contacts?q={quote('王芳')}")
    [found] = answer["contacts"]
    assert (found["name"], found["email"]) == ("王芳", "wf@example.cn")


async def test_a_search_is_checked_and_for_administrators(center: Center) -> None:
    status, error = await center.http("GET", "/api/v1/notifier/contacts?q=")
    assert (status, error["code"]) == (422, "INVALID_PAYLOAD")
    status, error = await center.http(
        "GET", f"/api/v1/notifier/contacts?q={quote('张三')}", role="supervisor", sub="boss"
    )
    assert status == 403


async def test_deliveries_and_timelines_name_their_recipients(center: Center) -> None:
    center.at(NOW)
    await center.contact("citizen:c1", name="张三", phone="13800138000")
    await center.contact("citizen:c2", phone="13900139000")  # no name kept
    _, answer = await center.http(
        "POST",
        "/api/v1/notifier/messages",
        json={
            "kind": "notice",
            "recipients": ["citizen:c1", "citizen:c2"],
            "data": {"title": "系统升级通知", "body": "今日16:00起系统升级。"},
            "channels": ["in_app"],
        },
    )
    await center.drain()
    _, found = await center.http("GET", "/api/v1/notifier/messages")
    assert {d["recipient"] for d in found["deliveries"]} == {"citizen:c1", "citizen:c2"}
    assert found["names"] == {"citizen:c1": "张三"}
    _, dead = await center.http("GET", "/api/v1/notifier/dead-letters")
    assert dead == {"deliveries": [], "names": {}}
    first = next(m for m in answer["messages"] if m["recipient"] == "citizen:c1")
    _, timeline = await center.http("GET", f"/api/v1/notifier/messages/{first['message_id']}")
    assert timeline["names"] == {"citizen:c1": "张三"}

"""码上取号 without an account: a walk-in who scans the hall's QR code takes a ticket as the
kiosk prints it (anonymous, with its follow code), or after a code sent by SMS through the
message center; limited per address, device and phone within the hall's caps and per-person
limit; every refusal has a code and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from typing import Any

import aiohttp
import pytest

from hub import keys
from hub.client_address import client_address
from hub.settings import WalkInSettings
from queueing import walk_in
from queueing.api import HALLS, QUEUE, WALK_IN, follow_code
from queueing.errors import PhoneCodeExpired, PhoneCodeInvalid
from queueing.models import PhoneCode
from tests.notifier.conftest import Center, gateway, smtp, twilio  # noqa: F401 - fixtures
from tests.notifier.conftest import center as center
from tests.queueing.factories import setup
from tests.support import RunningHub, db_state

PEPPER = b"p" * 32
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DEVICE = "device-0001"


async def call(
    hub: RunningHub, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, Any]:
    """A request without a token, as a phone that scanned the hall's QR code makes it."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, hub.url + "/api/v1" + path, json=body, headers=headers) as answer,
    ):
        return answer.status, await answer.json()


def limits(hub: RunningHub, **values: int) -> None:
    hub.app[WALK_IN]._settings = WalkInSettings(**values)


async def tickets_and_codes(hub: RunningHub) -> dict[str, list[Any]]:
    """The queueing collections once the work under way (position rounds) is done."""
    await hub.app[QUEUE].settle()
    state = await db_state(hub.app[keys.DB])
    return {
        name: docs
        for name, docs in state.items()
        if name.startswith("queueing_") and name != "queueing_counter_log"
    }


# -- the rules, pure ---------------------------------------------------------------------------


def test_a_window_names_its_period_and_says_when_it_lapses() -> None:
    at = T0 + timedelta(minutes=20, seconds=5)
    found = walk_in.window("tickets", "addr", at, walk_in.HOUR, 30, "取号过于频繁")
    assert found.key == f"tickets:addr:{int(T0.timestamp())}"
    assert found.retry_after == 40 * 60 - 5
    assert found.expires_at > T0 + timedelta(hours=1) - timedelta(seconds=1)
    later = walk_in.window("tickets", "addr", T0 + timedelta(hours=1), walk_in.HOUR, 30, "")
    assert later.key != found.key


def test_a_code_verifies_its_phone_in_its_hall_until_it_expires_or_is_guessed() -> None:
    code = walk_in.new_code("k", "h1", "13800138000", "123456", PEPPER, T0, 5)

    def check(stored: PhoneCode | None, given: str, at: datetime = T0, hall: str = "h1") -> None:
        walk_in.check_code(stored, hall, "13800138000", given, PEPPER, at, 5)

    check(code, "123456")
    check(code, " 123456 ")
    with pytest.raises(PhoneCodeInvalid, match="还可以再试 4 次"):
        check(code, "123457")
    with pytest.raises(PhoneCodeInvalid, match="请输入短信验证码"):
        check(code, "")
    with pytest.raises(PhoneCodeExpired):
        check(code, "123456", T0 + timedelta(minutes=5))
    with pytest.raises(PhoneCodeExpired):
        check(code, "123456", hall="h2")
    with pytest.raises(PhoneCodeExpired):
        check(None, "123456")
    with pytest.raises(PhoneCodeExpired, match="错误次数过多"):
        check(code.model_copy(update={"attempts": 5}), "123456")
    with pytest.raises(PhoneCodeInvalid, match="错误次数过多"):
        check(code.model_copy(update={"attempts": 4}), "000000")
    # Another phone's code (the digest is keyed by phone and code) does not verify this one.
    other = walk_in.new_code("k", "h1", "13900139000", "123456", PEPPER, T0, 5)
    with pytest.raises(PhoneCodeInvalid):
        check(other, "123456")


def test_phones_are_mainland_mobiles_and_codes_wait_before_a_resend() -> None:
    assert walk_in.phone_of(" 138-0013 8000") == "13800138000"
    assert walk_in.phone_of("+8613800138000") == "13800138000"
    for wrong in ("010-12345678", "1380013800", "abc"):
        with pytest.raises(Exception, match="手机号码"):
            walk_in.phone_of(wrong)
    code = walk_in.new_code("k", "h1", "13800138000", "123456", PEPPER, T0, 5)
    assert walk_in.resend_wait(None, T0, 60) == 0
    assert walk_in.resend_wait(code, T0 + timedelta(seconds=15), 60) == 45
    assert walk_in.resend_wait(code, T0 + timedelta(seconds=60), 60) == 0


def test_the_client_address_is_the_proxys_word_only_when_the_proxy_is_trusted() -> None:
    proxies = [ip_network("10.0.0.0/8")]
    assert client_address("203.0.113.9", ["1.2.3.4"], proxies) == "203.0.113.9"
    assert client_address("10.0.0.2", ["198.51.100.7"], proxies) == "198.51.100.7"
    # A client's own X-Forwarded-For entry, left of what the proxy appended, is not believed.
    assert client_address("10.0.0.2", ["6.6.6.6, 198.51.100.7"], proxies) == "198.51.100.7"
    assert client_address("10.0.0.2", ["198.51.100.7, 10.0.0.3"], proxies) == "198.51.100.7"
    assert client_address("10.0.0.2", [], proxies) == "10.0.0.2"


# -- against the hub ---------------------------------------------------------------------------


@pytest.fixture
async def walk_in_hall(memory_hub: RunningHub) -> RunningHub:
    await memory_hub.app[HALLS].apply_setup(setup(address="人民路1号", district="西城区"))
    return memory_hub


async def test_a_walk_in_takes_a_ticket_without_an_account_and_follows_it_by_its_slip_code(
    walk_in_hall: RunningHub,
) -> None:
    hub = walk_in_hall
    status, shown = await call(hub, "GET", "/halls/h1/walk-in")
    assert status == 200
    assert shown["hall"]["name"] == "测试大厅"
    assert shown["hall"]["district"] == "西城区"
    assert [s["id"] for s in shown["services"]] == ["s1", "s2", "s3"]
    assert shown["sms"] is False  # no SMS provider here: the page offers no phone check

    status, taken = await call(
        hub, "POST", "/halls/h1/walk-in/tickets", {"service_id": "s1", "device": DEVICE}
    )
    assert status == 201, taken
    assert taken["number"] == "A001"
    code = follow_code(hub.app, taken["ticket_id"])
    assert taken["follow_code"] == code
    assert taken["follow_path"] == f"/m/ticket.html?id={taken['ticket_id']}&k={code}"
    ticket = await hub.app[QUEUE].ticket(taken["ticket_id"])
    assert ticket.channel.value == "qr"
    assert ticket.citizen.citizen_id is None
    assert ticket.person_keys

    # The kiosk slip's path: the code is traded for a token that follows this ticket only.
    status, traded = await call(
        hub, "POST", f"/halls/h1/tickets/{ticket.id}/follow", {"code": code}
    )
    assert status == 200
    status, view = await call(
        hub, "GET", f"/halls/h1/tickets/{ticket.id}", Authorization=f"Bearer {traded['token']}"
    )
    assert status == 200
    assert view["number"] == "A001"
    assert view["status"] == "waiting"
    status, _ = await call(hub, "GET", "/halls/h1/board", Authorization=f"Bearer {traded['token']}")
    assert status == 403  # the slip's token reads its ticket, nothing else

    # The halls are listed to anyone choosing one, with district and address.
    status, halls = await call(hub, "GET", "/halls")
    assert status == 200
    assert halls[0]["district"] == "西城区"
    assert halls[0]["address"] == "人民路1号"


async def test_a_device_and_an_address_take_only_so_many_and_a_refusal_changes_nothing(
    walk_in_hall: RunningHub,
) -> None:
    hub = walk_in_hall
    limits(hub, tickets_per_address_per_hour=5)
    body = {"service_id": "s1", "device": DEVICE}
    for _ in range(3):  # the hall's per-person daily limit (3): the device is the person
        assert (await call(hub, "POST", "/halls/h1/walk-in/tickets", body))[0] == 201
    before = await tickets_and_codes(hub)
    status, refused = await call(hub, "POST", "/halls/h1/walk-in/tickets", body)
    assert (status, refused["code"]) == (409, "PERSON_LIMIT_REACHED")
    assert await tickets_and_codes(hub) == before

    # Another phone in the same hall network: the address allows two more this hour.
    other = {"service_id": "s1", "device": "device-0002"}
    for _ in range(2):
        assert (await call(hub, "POST", "/halls/h1/walk-in/tickets", other))[0] == 201
    before = await tickets_and_codes(hub)
    status, refused = await call(hub, "POST", "/halls/h1/walk-in/tickets", other)
    assert (status, refused["code"]) == (429, "RATE_LIMITED")
    assert refused["detail"] == "取号过于频繁，请稍后再试或到大厅取号机取号"
    assert refused["details"]["limit"] == "tickets_per_address"
    assert 0 < refused["details"]["retry_after_seconds"] <= 3600
    assert await tickets_and_codes(hub) == before

    # The hall's daily cap holds for walk-ins too (s3: 3 a day).
    limits(hub, tickets_per_address_per_hour=50)
    for n in range(3):
        taken = {"service_id": "s3", "device": f"device-c{n:04d}"}
        assert (await call(hub, "POST", "/halls/h1/walk-in/tickets", taken))[0] == 201
    before = await tickets_and_codes(hub)
    status, refused = await call(
        hub, "POST", "/halls/h1/walk-in/tickets", {"service_id": "s3", "device": "device-c9999"}
    )
    assert (status, refused["code"]) == (409, "DAILY_CAP_REACHED")
    assert await tickets_and_codes(hub) == before


async def test_bad_requests_are_refused_with_codes(walk_in_hall: RunningHub) -> None:
    hub = walk_in_hall
    ticket, code = "/halls/h1/walk-in/tickets", "/halls/h1/walk-in/codes"
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (ticket, {"service_id": "s9", "device": DEVICE}, 404, "SERVICE_NOT_FOUND"),
        (
            "/halls/h9/walk-in/tickets",
            {"service_id": "s1", "device": DEVICE},
            404,
            "HALL_NOT_FOUND",
        ),
        (ticket, {"service_id": "s1", "device": "x"}, 422, "INVALID_PAYLOAD"),
        (ticket, {"service_id": "s1"}, 422, "INVALID_PAYLOAD"),
        (code, {"phone": "13800138000", "device": DEVICE}, 409, "SMS_UNAVAILABLE"),
    ]
    before = await tickets_and_codes(hub)
    for path, body, status, wanted in cases:
        found, refused = await call(hub, "POST", path, body)
        assert (found, refused["code"]) == (status, wanted), (path, body, refused)
    assert await tickets_and_codes(hub) == before


async def sms_code(center: Center, count: int) -> str:
    """The code in the last SMS, once the message center has sent `count` of them."""
    await center.drain()
    assert len(center.twilio.sent) == count, center.twilio.bodies()
    found = re.search(r"验证码为(\d{6})", center.twilio.sent[-1].body)
    assert found is not None, center.twilio.sent[-1].body
    return found.group(1)


async def test_a_walk_in_verifies_their_phone_by_sms_and_the_code_takes_one_ticket(
    center: Center,
) -> None:
    hub = center.hub
    await hub.app[HALLS].apply_setup(setup())
    assert (await call(hub, "GET", "/halls/h1/walk-in"))[1]["sms"] is True
    phone = "13800138000"

    status, sent = await call(
        hub, "POST", "/halls/h1/walk-in/codes", {"phone": phone, "device": DEVICE}
    )
    assert status == 200, sent
    assert sent == {"phone": "138****8000", "expires_in_seconds": 300, "resend_in_seconds": 60}
    code = await sms_code(center, 1)
    assert center.twilio.sent[0].to == "+8613800138000"
    assert center.twilio.sent[0].body == (
        f"【政务服务】您在测试大厅码上取号的验证码为{code}，5分钟内有效。如非本人操作，请忽略本短信。"
    )

    # Asked again at once: refused, and no second SMS.
    status, refused = await call(
        hub, "POST", "/halls/h1/walk-in/codes", {"phone": phone, "device": DEVICE}
    )
    assert (status, refused["code"], refused["details"]["limit"]) == (429, "RATE_LIMITED", "resend")
    assert re.fullmatch(r"验证码已发送，请 \d+ 秒后再获取", refused["detail"])
    await center.drain()
    assert len(center.twilio.sent) == 1

    ticket = {"service_id": "s1", "device": DEVICE, "phone": phone}
    before = await tickets_and_codes(hub)
    wrong = "000000" if code != "000000" else "111111"
    status, refused = await call(
        hub, "POST", "/halls/h1/walk-in/tickets", {**ticket, "code": wrong}
    )
    assert (status, refused["code"]) == (422, "PHONE_CODE_INVALID")
    assert refused["detail"] == "验证码不正确，还可以再试 4 次"
    after = await tickets_and_codes(hub)
    # Only the code's count of wrong tries moved: no ticket, no number, nothing counted.
    [stored] = after["queueing_phone_codes"]
    assert stored["attempts"] == 1
    stored["attempts"] = 0
    assert after == before

    status, taken = await call(hub, "POST", "/halls/h1/walk-in/tickets", {**ticket, "code": code})
    assert status == 201, taken
    held = await hub.app[QUEUE].ticket(taken["ticket_id"])
    assert held.citizen.phone == phone
    assert len(held.person_keys) == 2
    assert taken["follow_path"].endswith(f"&k={follow_code(hub.app, held.id)}")

    # A code takes one ticket: used again, it is gone.
    before = await tickets_and_codes(hub)
    status, refused = await call(hub, "POST", "/halls/h1/walk-in/tickets", {**ticket, "code": code})
    assert (status, refused["code"]) == (422, "PHONE_CODE_EXPIRED")
    assert await tickets_and_codes(hub) == before


async def test_codes_are_limited_per_phone_and_address_and_expire(center: Center) -> None:
    hub = center.hub
    await hub.app[HALLS].apply_setup(setup())
    limits(
        hub,
        code_resend_seconds=0,
        codes_per_phone_per_day=2,
        codes_per_address_per_hour=3,
        code_minutes=5,
    )
    first = {"phone": "13800138001", "device": DEVICE}
    for _ in range(2):
        assert (await call(hub, "POST", "/halls/h1/walk-in/codes", first))[0] == 200
    code = await sms_code(center, 2)
    before = await tickets_and_codes(hub)
    status, refused = await call(hub, "POST", "/halls/h1/walk-in/codes", first)
    assert (status, refused["code"]) == (429, "RATE_LIMITED")
    assert refused["details"]["limit"] == "codes_per_phone"
    assert refused["detail"] == "该手机号今天获取验证码的次数已达上限，请明天再试或直接取号"
    assert await tickets_and_codes(hub) == before  # the address's count was given back

    second = {"phone": "13800138002", "device": DEVICE}
    assert (await call(hub, "POST", "/halls/h1/walk-in/codes", second))[0] == 200
    status, refused = await call(
        hub, "POST", "/halls/h1/walk-in/codes", {"phone": "13800138003", "device": DEVICE}
    )
    assert (status, refused["details"]["limit"]) == (429, "codes_per_address")
    await center.drain()
    assert len(center.twilio.sent) == 3

    status, refused = await call(
        hub, "POST", "/halls/h1/walk-in/codes", {"phone": "01012345678", "device": DEVICE}
    )
    assert (status, refused["code"]) == (422, "INVALID_PHONE")

    # Five minutes later the first phone's last code is no good.
    queue = hub.app[QUEUE]
    now = queue.now()
    queue._now = lambda: now + timedelta(minutes=5, seconds=1)
    status, refused = await call(
        hub,
        "POST",
        "/halls/h1/walk-in/tickets",
        {"service_id": "s1", "device": DEVICE, "phone": first["phone"], "code": code},
    )
    assert (status, refused["code"]) == (422, "PHONE_CODE_EXPIRED")

"""Requests that once answered 500: each is the caller's error, a coded 4xx in problem+json."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hub.auth.models import Role
from queueing.api import HALLS
from tests.queueing.factories import setup
from tests.support import RunningHub


async def _problem(
    hub: RunningHub, method: str, path: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {hub.token(Role.ADMIN)}", **kwargs.pop("headers", {})}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, hub.url + path, headers=headers, **kwargs) as response,
    ):
        assert response.content_type == "application/problem+json", await response.text()
        body: dict[str, Any] = await response.json(content_type=None)
        return response.status, body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/appointments",
        "/api/v1/notifier/messages",
        "/api/v1/notifier/dead-letters",
        "/api/v1/rtc/sessions",
    ],
)
async def test_a_skip_mongodb_cannot_take_is_refused(memory_hub: RunningHub, path: str) -> None:
    status, body = await _problem(memory_hub, "GET", path + "?skip=9223372036854775808")
    assert (status, body["code"]) == (422, "INVALID_PAYLOAD")
    assert body["details"]["errors"][0]["loc"] == "skip"


@pytest.mark.parametrize("day", ["0000-01-01", "2026-13-45", "2026-02-30"])
async def test_a_day_that_is_no_date_is_refused(memory_hub: RunningHub, day: str) -> None:
    await memory_hub.app[HALLS].apply_setup(setup("xc-01"))
    for query in (f"day={day}", f"day=2026-01-01&to={day}"):
        status, body = await _problem(memory_hub, "GET", f"/api/v1/halls/xc-01/stats?{query}")
        assert (status, body["code"]) == (422, "INVALID_PAYLOAD"), query


async def test_a_path_parameter_outside_its_enum_is_refused(memory_hub: RunningHub) -> None:
    status, body = await _problem(
        memory_hub, "GET", "/api/v1/notifier/templates/ticket_called/fax/zh-CN"
    )
    assert (status, body["code"]) == (422, "INVALID_PAYLOAD")
    assert body["details"]["errors"][0]["loc"] == "path.channel"


async def test_a_follow_code_that_is_not_ascii_is_refused(memory_hub: RunningHub) -> None:
    status, body = await _problem(
        memory_hub,
        "POST",
        "/api/v1/halls/xc-01/tickets/xc-01-20260101-A001/follow",
        json={"code": "ääää"},
    )
    assert (status, body["code"]) == (403, "FOLLOW_CODE_INVALID")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/notifier/messages?since=9999-12-31T23:59:59-23:59",
        "/api/v1/notifier/messages?until=0001-01-01T00:00:00%2B23:59",
        "/api/v1/notifier/messages?since=2026-01-01T00:00:00",
        "/api/v1/notifier/inbox?before=9999-12-31T23:59:59-23:59",
        "/api/v1/appointments/halls/h1/services/s1/slots?day=0001-01-01",
        "/api/v1/appointments?day_from=9999-12-31",
    ],
)
async def test_a_time_outside_the_calendar_or_without_a_zone_is_refused(
    memory_hub: RunningHub, path: str
) -> None:
    status, body = await _problem(memory_hub, "GET", path)
    assert (status, body["code"]) == (422, "INVALID_PAYLOAD")


@pytest.mark.parametrize("send_at", ["2026-12-07T09:00:00", "0001-01-01T00:00:00+23:59"])
async def test_a_send_time_without_a_zone_or_out_of_range_is_refused(
    memory_hub: RunningHub, send_at: str
) -> None:
    message = {
        "kind": "notice",
        "recipients": ["citizen:c-1"],
        "channels": ["in_app"],
        "send_at": send_at,
    }
    status, body = await _problem(memory_hub, "POST", "/api/v1/notifier/messages", json=message)
    assert (status, body["code"]) == (422, "INVALID_PAYLOAD")
    assert body["details"]["errors"][0]["loc"] == "send_at"


async def test_a_query_field_given_twice_is_refused(memory_hub: RunningHub) -> None:
    status, body = await _problem(
        memory_hub, "GET", "/api/v1/notifier/messages?recipient=citizen:a&recipient=citizen:b"
    )
    assert (status, body["code"]) == (422, "INVALID_PAYLOAD")
    assert body["details"]["errors"][0]["loc"] == "recipient"


async def test_a_path_parameter_that_breaks_the_input_model_is_refused(
    memory_hub: RunningHub,
) -> None:
    citizen = memory_hub.token(Role.CITIZEN, sub="c-1")
    for path, body in (
        ("/api/v1/rtc/sessions/0/callback", {"phone": "13800000000"}),
        ("/api/v1/rtc/sessions/0/rating", {"stars": 5}),
        ("/api/v1/appointments/" + "a" * 41 + "/change", {"slot_start": "2026-12-07T01:00:00Z"}),
        ("/api/v1/appointments/" + "a" * 41 + "/cancel", None),
    ):
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                memory_hub.url + path, json=body, headers={"Authorization": f"Bearer {citizen}"}
            ) as response,
        ):
            problem = await response.json(content_type=None)
            assert (response.status, problem["code"]) == (422, "INVALID_PAYLOAD"), path


async def test_a_body_past_the_size_limit_is_refused(memory_hub: RunningHub) -> None:
    too_big = b'{"username": "' + b"x" * (9 * 1024 * 1024) + b'", "password": "x"}'
    status, body = await _problem(
        memory_hub,
        "POST",
        "/api/v1/auth/login",
        data=too_big,
        headers={"Content-Type": "application/json"},
    )
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("field", ["first_number", "last_number", "daily_cap"])
async def test_a_number_mongodb_cannot_store_is_refused(memory_hub: RunningHub, field: str) -> None:
    await memory_hub.app[HALLS].apply_setup(setup("xc-01"))
    service = {"id": "s1", "hall_id": "xc-01", "name": "户籍", "prefix": "A", field: 2**64}
    status, body = await _problem(
        memory_hub, "PUT", "/api/v1/halls/xc-01/services/s1", json=service
    )
    assert (status, body["code"]) == (422, "INVALID_PAYLOAD")
    assert body["details"]["errors"][0]["loc"] == field

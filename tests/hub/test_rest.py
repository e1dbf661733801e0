"""REST: sign-in, problem+json errors, OpenAPI, health, metrics, topic snapshots."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hub import keys
from hub.auth.models import Role
from tests.support import SAMPLE, RunningHub, connect


async def _request(
    hub: RunningHub, method: str, path: str, *, token: str | None = None, **kwargs: Any
) -> tuple[int, str, Any]:
    headers = dict(kwargs.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, hub.url + path, headers=headers, **kwargs) as response,
    ):
        body = await response.json(content_type=None)
        return response.status, response.content_type, body


@pytest.fixture
async def clerk(memory_hub: RunningHub) -> RunningHub:
    await memory_hub.app[keys.AUTH].create_account(
        "clerk01", "correct horse", Role.STAFF, name="王芳", hall_id="xc-01"
    )
    return memory_hub


async def test_login_issues_a_token_that_connects(clerk: RunningHub) -> None:
    status, _, body = await _request(
        clerk,
        "POST",
        "/api/v1/auth/login",
        json={"username": "clerk01", "password": "correct horse"},
    )
    assert status == 200
    assert body["principal"] == {"sub": "clerk01", "role": "staff", "hall": "xc-01", "name": "王芳"}
    status, _, me = await _request(clerk, "GET", "/api/v1/auth/me", token=body["token"])
    assert (status, me["sub"]) == (200, "clerk01")
    client = await connect(clerk.url, body["token"])
    try:
        await client.ok("subscribe", {"topic": "hall:xc-01"})
        assert (await client.error("subscribe", {"topic": "hall:other"}))["code"] == (
            "TOPIC_FORBIDDEN"
        )
    finally:
        await client.close()


async def test_wrong_password_and_unknown_user_look_the_same(clerk: RunningHub) -> None:
    for username in ("clerk01", "nobody"):
        status, content_type, body = await _request(
            clerk, "POST", "/api/v1/auth/login", json={"username": username, "password": "wrong"}
        )
        assert status == 401
        assert content_type == "application/problem+json"
        assert body["code"] == "BAD_CREDENTIALS"
        assert body["type"].endswith("BAD_CREDENTIALS")
        assert body["status"] == 401
        assert body["ctx"]


async def test_five_failures_lock_the_account(clerk: RunningHub) -> None:
    for _ in range(5):
        await _request(
            clerk, "POST", "/api/v1/auth/login", json={"username": "clerk01", "password": "wrong"}
        )
    status, _, body = await _request(
        clerk,
        "POST",
        "/api/v1/auth/login",
        json={"username": "clerk01", "password": "correct horse"},
    )
    assert (status, body["code"]) == (403, "ACCOUNT_LOCKED")


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (b"{not json", "BAD_REQUEST", 400),
        (b"", "INVALID_PAYLOAD", 422),
        (b'{"username": {"$gt": ""}, "password": "x"}', "INVALID_PAYLOAD", 422),
        (b'{"username": "a"}', "INVALID_PAYLOAD", 422),
        (b'{"username": "a", "password": "x", "role": "admin"}', "INVALID_PAYLOAD", 422),
    ],
)
async def test_bad_login_bodies(clerk: RunningHub, body: bytes, code: str, status: int) -> None:
    got_status, content_type, problem = await _request(
        clerk, "POST", "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    assert (got_status, problem["code"]) == (status, code)
    assert content_type == "application/problem+json"


async def test_auth_errors(memory_hub: RunningHub) -> None:
    path = "/api/v1/queueing/my-tickets"  # a citizen's own: no token, a device's token refused
    status, _, body = await _request(memory_hub, "GET", path)
    assert (status, body["code"]) == (401, "UNAUTHENTICATED")
    status, _, body = await _request(memory_hub, "GET", path, token="garbage")
    assert (status, body["code"]) == (401, "TOKEN_INVALID")
    display = memory_hub.token(Role.DISPLAY, hall="xc-01")
    status, _, body = await _request(memory_hub, "GET", path, token=display)
    assert (status, body["code"]) == (403, "FORBIDDEN")


async def test_unknown_api_path_is_a_problem(memory_hub: RunningHub) -> None:
    status, content_type, body = await _request(memory_hub, "GET", "/api/v1/nothing/here")
    assert (status, content_type, body["code"]) == (404, "application/problem+json", "NOT_FOUND")


async def test_openapi_lists_every_route(memory_hub: RunningHub) -> None:
    status, _, spec = await _request(memory_hub, "GET", "/api/v1/openapi.json")
    assert status == 200
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/login",
        "/api/v1/halls",
        "/api/v1/halls/{hall_id}",
        "/api/v1/events/{topic}",
    ):
        assert path in spec["paths"], path
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "security" not in login
    assert spec["paths"]["/api/v1/halls/{hall_id}/setup"]["put"]["x-access"] == {"admin": "any"}
    assert "LoginRequest" in spec["components"]["schemas"]
    status, _, commands = await _request(memory_hub, "GET", "/api/v1/commands.json")
    assert "subscribe" in commands
    assert "properties" in commands["subscribe"]["payload"]


async def test_health_readiness_and_metrics(hub: RunningHub) -> None:
    status, _, body = await _request(hub, "GET", "/healthz")
    assert (status, body["status"]) == (200, "ok")
    status, _, body = await _request(hub, "GET", "/readyz")
    assert status == 200
    expected = {"mongodb": "ok", "redis": "ok"} if hub.settings.redis_url else {"mongodb": "ok"}
    assert body["checks"] == expected
    client = await connect(hub.url, hub.token(Role.ADMIN))
    try:
        await client.ok("subscribe", {"topic": "hall:m"})
        await hub.publish("hall:m", SAMPLE, {})
        await client.wait_events(1)
        async with aiohttp.ClientSession() as http, http.get(hub.url + "/metrics") as response:
            text = await response.text()
    finally:
        await client.close()
    assert "hallhub_connections 1.0" in text
    assert 'hallhub_events_published_total{domain="test"} 1.0' in text
    assert "hallhub_events_delivered_total 1.0" in text
    assert 'hallhub_command_latency_seconds_count{command="subscribe"} 1.0' in text


async def test_recent_events_snapshot_matches_the_stream(hub: RunningHub) -> None:
    for i in range(4):
        await hub.publish("hall:s", SAMPLE, {"i": i})
    token = hub.token(Role.DISPLAY, hall="s")
    status, _, snapshot = await _request(hub, "GET", "/api/v1/events/hall:s?limit=2", token=token)
    assert status == 200
    assert snapshot["seq"] == 4
    assert [e["seq"] for e in snapshot["events"]] == [3, 4]
    status, _, body = await _request(hub, "GET", "/api/v1/events/hall:other", token=token)
    assert (status, body["code"]) == (403, "TOPIC_FORBIDDEN")
    status, _, body = await _request(hub, "GET", "/api/v1/events/hall:s?limit=0", token=token)
    assert (status, body["code"]) == (422, "INVALID_PAYLOAD")


async def test_client_apps_are_served_or_explained(memory_hub: RunningHub) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(memory_hub.url + "/", allow_redirects=False) as response:
            assert response.status == 302
            assert response.headers["Location"] == "/web/"
        async with http.get(memory_hub.url + "/web/../../pyproject.toml") as response:
            assert response.status in (404, 503)
        async with http.get(memory_hub.url + "/web/%2e%2e/%2e%2e/pyproject.toml") as response:
            assert response.status in (404, 503)

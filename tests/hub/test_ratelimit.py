"""The command rate limit: the token buckets on their own (the clock passed in), then the hub
answering RATE_LIMITED without running the command."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub import keys
from hub.access import Reach, grant
from hub.auth.models import Role
from hub.errors import RateLimited
from hub.gateway.commands import Call, Payload
from hub.gateway.ratelimit import CommandLimiter, Limited, Rate
from hub.settings import RateLimitSettings
from tests.support import RunningHub, connect, drop_database, make_settings, running_hub

SOCKET = Rate(per_second=2.0, burst=4)
TOKEN = Rate(per_second=3.0, burst=6)


def admitted(limiter: CommandLimiter, sid: str, now: float, times: int) -> list[Limited | None]:
    return [limiter.admit(sid, now) for _ in range(times)]


def test_a_socket_spends_its_burst_then_refills_at_its_rate() -> None:
    limiter = CommandLimiter(SOCKET, TOKEN)
    limiter.open("s1", "t1", now=0.0)
    assert admitted(limiter, "s1", 0.0, 4) == [None] * 4
    refused = limiter.admit("s1", 0.0)
    assert refused == Limited("socket", 0.5)
    assert limiter.admit("s1", 0.25) == Limited("socket", 0.25)
    assert limiter.admit("s1", 0.5) is None  # one more after 1 / rate
    assert limiter.admit("s1", 0.5) is not None
    assert admitted(limiter, "s1", 100.0, 5).count(None) == 4  # never more than the burst


def test_sockets_of_one_token_share_its_bucket_and_others_are_unaffected() -> None:
    limiter = CommandLimiter(SOCKET, TOKEN)
    for sid in ("a1", "a2", "a3"):
        limiter.open(sid, "token-a", now=0.0)
    limiter.open("b1", "token-b", now=0.0)
    assert admitted(limiter, "a1", 0.0, 4) == [None] * 4
    assert admitted(limiter, "a2", 0.0, 3) == [None, None, Limited("token", 1 / 3)]
    assert limiter.admit("a3", 0.0) == Limited("token", 1 / 3)
    assert admitted(limiter, "b1", 0.0, 4) == [None] * 4


def test_a_refused_command_takes_nothing_from_the_other_bucket() -> None:
    limiter = CommandLimiter(SOCKET, Rate(per_second=1.0, burst=100))
    limiter.open("a1", "token-a", now=0.0)
    limiter.open("a2", "token-a", now=0.0)
    admitted(limiter, "a1", 0.0, 50)  # 4 admitted, 46 refused by the socket's bucket
    assert admitted(limiter, "a2", 0.0, 4) == [None] * 4
    assert limiter._tokens["token-a"].bucket.tokens == 92


def test_reopening_the_sockets_does_not_refill_the_token() -> None:
    limiter = CommandLimiter(SOCKET, TOKEN)
    limiter.open("a1", "token-a", now=0.0)
    admitted(limiter, "a1", 0.0, 4)
    limiter.close("a1", now=0.0)
    limiter.open("a2", "token-a", now=0.0)
    assert admitted(limiter, "a2", 0.0, 3) == [None, None, Limited("token", 1 / 3)]
    limiter.close("a2", now=0.0)
    assert len(limiter) == 1  # the token's bucket is kept while it is not full again
    limiter.open("other", "token-b", now=2.0)  # 6 tokens at 3/s: full again at t = 2
    limiter.close("other", now=2.0)
    assert "token-a" not in limiter._tokens
    limiter.open("other", "token-b", now=5.0)
    assert len(limiter) == 2  # the socket and its token; nothing else is kept
    limiter.close("unknown", now=5.0)
    assert limiter.admit("unknown", 5.0) is None  # not connected: the dispatcher refuses it


def test_the_clock_stepping_back_refills_nothing() -> None:
    limiter = CommandLimiter(SOCKET, TOKEN)
    limiter.open("s1", "t1", now=10.0)
    admitted(limiter, "s1", 10.0, 4)
    assert limiter.admit("s1", 5.0) is not None


def test_rate_limited_is_a_hub_error_with_its_code() -> None:
    error = RateLimited(scope="socket", retry_after_ms=50)
    assert (error.code, error.status) == ("RATE_LIMITED", 429)
    assert error.to_dict("c1") == {
        "code": "RATE_LIMITED",
        "message": "操作过于频繁，请稍后再试",
        "ctx": "c1",
        "details": {"scope": "socket", "retry_after_ms": 50},
    }


def test_the_defaults_let_a_screen_resubscribe_after_a_reconnect() -> None:
    defaults = RateLimitSettings()
    assert defaults.socket_burst >= 50  # a supervisor's board follows dozens of counters
    assert defaults.token_burst >= 3 * defaults.socket_burst  # a few screens on one token
    assert defaults.socket_per_second >= 10  # hotkeys, held down


# -- through the hub ---------------------------------------------------------------------------


class CountIn(Payload):
    n: int


@pytest.fixture
async def limited_hub(tmp_path: Path, mongo_url: str) -> AsyncIterator[RunningHub]:
    """Bursts of 5 per socket and 8 per token that (practically) never refill in a test."""
    settings = make_settings(
        tmp_path,
        mongo_url,
        rate_limit={
            "socket_per_second": 0.001,
            "socket_burst": 5,
            "token_per_second": 0.001,
            "token_burst": 8,
        },
    )
    try:
        async with running_hub(settings) as hub:
            yield hub
    finally:
        drop_database(mongo_url, settings.mongodb_db)


def count_runs(hub: RunningHub) -> list[int]:
    runs: list[int] = []

    async def count(call: Call, payload: CountIn) -> int:
        runs.append(payload.n)
        return payload.n

    hub.app[keys.COMMANDS].add("test.count", CountIn, count)
    hub.app[keys.ACCESS].add("test", {"test.count": grant(admin=Reach.ANY)})
    return runs


async def test_excess_commands_are_answered_rate_limited_and_not_run(
    limited_hub: RunningHub,
) -> None:
    hub = limited_hub
    runs = count_runs(hub)
    token = hub.token(Role.ADMIN)
    first = await connect(hub.url, token)
    second = await connect(hub.url, token)
    other = await connect(hub.url, hub.token(Role.ADMIN, sub="another-admin"))
    try:
        answers = await asyncio.gather(*(first.call("test.count", {"n": n}) for n in range(20)))
        assert [a["ok"] for a in answers] == [True] * 5 + [False] * 15
        assert runs == [0, 1, 2, 3, 4]
        error = answers[5]["error"]
        assert error["code"] == "RATE_LIMITED"
        assert error["message"] == "操作过于频繁，请稍后再试"
        assert error["ctx"]
        assert error["details"]["scope"] == "socket"
        assert error["details"]["retry_after_ms"] > 0

        # Another socket of the same token: 3 left of the token's 8.
        answers = [await second.call("test.count", {"n": n}) for n in range(10, 15)]
        assert [a["ok"] for a in answers] == [True] * 3 + [False] * 2
        assert answers[-1]["error"]["details"]["scope"] == "token"
        assert runs == [0, 1, 2, 3, 4, 10, 11, 12]

        # Another token is not affected; unknown commands count too, and are not run.
        assert (await other.error("no_such_command"))["code"] == "UNKNOWN_COMMAND"
        assert await other.ok("test.count", {"n": 20}) == 20
    finally:
        for client in (first, second, other):
            await client.close()
    registry = hub.app[keys.METRICS].registry
    sample = "hallhub_commands_rate_limited_total"
    assert registry.get_sample_value(sample, {"scope": "socket"}) == 15
    assert registry.get_sample_value(sample, {"scope": "token"}) == 2


async def test_a_flood_from_one_socket_is_cut_down_by_the_default_limit(
    tmp_path: Path, mongo_url: str
) -> None:
    settings = make_settings(tmp_path, mongo_url, rate_limit=RateLimitSettings())
    try:
        async with running_hub(settings) as hub:
            client = await connect(hub.url, hub.token(Role.STAFF, hall="h1"))
            try:
                answers = await asyncio.gather(
                    *(client.call("unsubscribe", {"topic": "hall:h1"}) for _ in range(2000))
                )
            finally:
                await client.close()
    finally:
        drop_database(mongo_url, settings.mongodb_db)
    served = sum(1 for a in answers if a["ok"])
    refused = [a["error"]["code"] for a in answers if not a["ok"]]
    # The burst is served whatever the machine's speed; the rest only at the refill rate.
    assert served >= settings.rate_limit.socket_burst
    assert refused
    assert set(refused) == {"RATE_LIMITED"}

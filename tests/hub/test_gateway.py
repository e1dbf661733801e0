"""The Socket.IO gateway against the hub started for real (in-process log and Redis)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import socketio

from hub import keys
from hub.auth.models import Role
from tests.support import (
    SAMPLE,
    RunningHub,
    SamplePublished,
    connect,
    drop_database,
    drop_redis_prefix,
    make_settings,
    running_hub,
)


async def test_connect_refused_without_token(hub: RunningHub) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(hub.url, None)


@pytest.mark.parametrize(
    ("token", "code"),
    [("not-a-jwt", "TOKEN_INVALID"), ("", "TOKEN_INVALID")],
)
async def test_connect_refused_with_bad_token(hub: RunningHub, token: str, code: str) -> None:
    refused = await _refusal(hub, token)
    assert refused["code"] == code


async def test_connect_refused_with_expired_token(hub: RunningHub) -> None:
    token = hub.token(Role.DISPLAY, hall="xc-01", ttl=-60)
    refused = await _refusal(hub, token)
    assert refused["code"] == "TOKEN_EXPIRED"


async def test_connect_refused_with_token_signed_by_another_secret(hub: RunningHub) -> None:
    from hub.auth.tokens import TokenIssuer

    forged, _ = TokenIssuer("another-secret-" + "y" * 40, 3600).issue("x", Role.ADMIN)
    refused = await _refusal(hub, forged)
    assert refused["code"] == "TOKEN_INVALID"


async def _refusal(hub: RunningHub, token: str) -> dict[str, str]:
    """The CONNECT_ERROR's data, checked to be {"message": <text>, "data": {"code": …}}."""
    sio = socketio.AsyncClient(reconnection=False)
    errors: list[dict[str, Any]] = []
    sio.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(hub.url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    await sio.disconnect()
    assert errors, "no connect_error reason received"
    assert set(errors[0]) == {"message", "data"}
    assert isinstance(errors[0]["message"], str)
    assert errors[0]["message"]
    assert set(errors[0]["data"]) == {"code"}
    reason: dict[str, str] = errors[0]["data"]
    return reason


async def test_display_sees_only_its_hall(hub: RunningHub) -> None:
    display = await connect(hub.url, hub.token(Role.DISPLAY, hall="hall-a"))
    try:
        assert (await display.ok("subscribe", {"topic": "hall:hall-a"}))["seq"] == 0
        error = await display.error("subscribe", {"topic": "hall:hall-b"})
        assert error["code"] == "TOPIC_FORBIDDEN"
        assert (await display.error("subscribe", {"topic": "citizen:c1"}))["code"] == (
            "TOPIC_FORBIDDEN"
        )
        # Nothing published to hall B reaches it.
        await hub.publish("hall:hall-b", SAMPLE, {"number": "A001"})
        await hub.publish("hall:hall-a", SAMPLE, {"number": "A002"})
        events = await display.wait_events(1)
        await asyncio.sleep(0.2)
        assert [e["data"]["number"] for e in events] == ["A002"]
    finally:
        await display.close()


async def test_citizen_cannot_read_another_citizen(hub: RunningHub) -> None:
    citizen = await connect(hub.url, hub.token(Role.CITIZEN, sub="c-1"))
    try:
        await citizen.ok("subscribe", {"topic": "citizen:c-1"})
        assert (await citizen.error("subscribe", {"topic": "citizen:c-2"}))["code"] == (
            "TOPIC_FORBIDDEN"
        )
        assert (await citizen.error("subscribe", {"topic": "user:admin"}))["code"] == (
            "TOPIC_FORBIDDEN"
        )
        await hub.publish("citizen:c-2", SAMPLE, {"title": "x"})
        await hub.publish("citizen:c-1", SAMPLE, {"title": "mine"})
        events = await citizen.wait_events(1)
        await asyncio.sleep(0.2)
        assert [e["topic"] for e in events] == ["citizen:c-1"]
    finally:
        await citizen.close()


async def test_events_arrive_in_order_without_gaps(hub: RunningHub) -> None:
    admin = await connect(hub.url, hub.token(Role.ADMIN))
    try:
        await admin.ok("subscribe", {"topic": "hall:h1"})
        await admin.ok("subscribe", {"topic": "hall:h2"})
        # Concurrent publishers on two topics.
        await asyncio.gather(
            *(hub.publish("hall:h1", SAMPLE, {"i": i}) for i in range(50)),
            *(hub.publish("hall:h2", SAMPLE, {"i": i}) for i in range(30)),
        )
        events = await admin.wait_events(80)
        for topic, count in (("hall:h1", 50), ("hall:h2", 30)):
            seqs = [e["seq"] for e in events if e["topic"] == topic]
            assert seqs == list(range(1, count + 1))
        first = events[0]
        assert set(first) == {"type", "topic", "seq", "ts", "data", "ctx"}
        assert first["ts"].endswith("Z")
    finally:
        await admin.close()


async def test_resume_after_forced_disconnect_gets_exactly_the_missed_events(
    hub: RunningHub,
) -> None:
    token = hub.token(Role.DISPLAY, hall="h1")
    display = await connect(hub.url, token)
    answer = await display.ok("subscribe", {"topic": "hall:h1"})
    epoch = answer["epoch"]
    for i in range(3):
        await hub.publish("hall:h1", SAMPLE, {"i": i})
    await display.wait_events(3)
    last_seq = display.events[-1]["seq"]

    assert hub.drop_all_sockets() == 1  # the network drops
    for i in range(3, 7):
        await hub.publish("hall:h1", SAMPLE, {"i": i})
    await display.close()

    again = await connect(hub.url, token)
    try:
        resumed = await again.ok(
            "subscribe", {"topic": "hall:h1", "after_seq": last_seq, "epoch": epoch}
        )
        assert [e["seq"] for e in resumed["missed"]] == [4, 5, 6, 7]
        assert [e["data"]["i"] for e in resumed["missed"]] == [3, 4, 5, 6]
        assert resumed["seq"] == 7
        await hub.publish("hall:h1", SAMPLE, {"i": 7})
        live = await again.wait_events(1)
        assert live[0]["seq"] == 8
    finally:
        await again.close()


async def test_resync_required_when_epoch_differs(hub: RunningHub) -> None:
    admin = await connect(hub.url, hub.token(Role.ADMIN))
    try:
        await hub.publish("hall:h1", SAMPLE, {})
        error = await admin.error(
            "subscribe", {"topic": "hall:h1", "after_seq": 0, "epoch": "stale-epoch"}
        )
        assert error["code"] == "RESYNC_REQUIRED"
        error = await admin.error("subscribe", {"topic": "hall:h1", "after_seq": 99})
        assert error["code"] == "RESYNC_REQUIRED"
    finally:
        await admin.close()


async def test_bad_inputs_get_coded_errors_and_change_nothing(hub: RunningHub) -> None:
    admin = await connect(hub.url, hub.token(Role.ADMIN))
    try:
        cases = [
            ("no_such_command", {}, "UNKNOWN_COMMAND"),
            ("subscribe", {"topic": {"$gt": ""}}, "INVALID_PAYLOAD"),
            ("subscribe", {"topic": "hall:h1", "after_seq": "3"}, "INVALID_PAYLOAD"),
            ("subscribe", {"topic": "hall:h1", "after_seq": -1}, "INVALID_PAYLOAD"),
            ("subscribe", {"topic": "hall:h1", "extra": 1}, "INVALID_PAYLOAD"),
            ("subscribe", ["hall:h1"], "INVALID_PAYLOAD"),
            ("subscribe", {}, "INVALID_PAYLOAD"),
            ("subscribe", {"topic": "no-colon"}, "INVALID_TOPIC"),
            ("subscribe", {"topic": "planet:mars"}, "INVALID_TOPIC"),
            ("subscribe", {"topic": "hall:../../etc"}, "INVALID_TOPIC"),
            ("queueing.set_notice", {"hall_id": "nope", "notice": "x"}, "HALL_NOT_FOUND"),
        ]
        for command, payload, code in cases:
            error = await admin.error(command, payload)
            assert error["code"] == code, (command, payload, error)
            assert error["ctx"]
            assert error["message"]
        # Nothing was joined or published by the refused commands.
        await hub.publish("hall:h1", SAMPLE, {})
        await asyncio.sleep(0.2)
        assert admin.events == []
        assert (await hub.app[keys.BUS].position("hall:h1"))[0] == 1
    finally:
        await admin.close()


async def test_role_may_not_run_back_office_command(hub: RunningHub) -> None:
    display = await connect(hub.url, hub.token(Role.DISPLAY, hall="h1"))
    try:
        error = await display.error("queueing.set_notice", {"hall_id": "h1", "notice": "hi"})
        assert error["code"] == "FORBIDDEN"
    finally:
        await display.close()


async def test_handler_that_raises_still_answers_internal(hub: RunningHub) -> None:
    from hub import keys
    from hub.access import Reach, grant
    from hub.gateway.commands import Call, Payload

    async def explode(call: Call, payload: Payload) -> None:
        raise RuntimeError("boom")

    hub.app[keys.COMMANDS].add("test.explode", Payload, explode)
    hub.app[keys.ACCESS].add("test", {"test.explode": grant(admin=Reach.ANY)})
    admin = await connect(hub.url, hub.token(Role.ADMIN))
    try:
        error = await admin.error("test.explode", {})
        assert error["code"] == "INTERNAL"
        assert "boom" not in error["message"]
        # The connection is still usable afterwards.
        await admin.ok("subscribe", {"topic": "hall:h1"})
    finally:
        await admin.close()


async def test_unsubscribe_stops_events(hub: RunningHub) -> None:
    admin = await connect(hub.url, hub.token(Role.ADMIN))
    try:
        await admin.ok("subscribe", {"topic": "hall:h1"})
        await hub.publish("hall:h1", SAMPLE, {"n": 1})
        await admin.wait_events(1)
        await admin.ok("unsubscribe", {"topic": "hall:h1"})
        await hub.publish("hall:h1", SAMPLE, {"n": 2})
        await asyncio.sleep(0.2)
        assert len(admin.events) == 1
    finally:
        await admin.close()


async def test_event_lost_by_pubsub_is_repaired_from_the_log(redis_hub: RunningHub) -> None:
    from hub.events.redis_log import RedisEventLog

    hub = redis_hub
    display = await connect(hub.url, hub.token(Role.DISPLAY, hall="h1"))
    try:
        await display.ok("subscribe", {"topic": "hall:h1"})
        await hub.publish("hall:h1", SAMPLE, {"n": 1})
        await display.wait_events(1)
        # Appended to the log, but its pub/sub message never sent: as if the channel dropped it.
        event_log = hub.app[keys.BUS]._log
        assert isinstance(event_log, RedisEventLog)
        await event_log.append("hall:h1", "queueing.ticket_called", {"n": 2}, "", False)
        await event_log.append("hall:h1", "queueing.ticket_called", {"n": 3}, "", False)
        assert await hub.app[keys.GATEWAY].repair() == 2
        events = await display.wait_events(3)
        assert [e["seq"] for e in events] == [1, 2, 3]
        # Nothing is written twice when the late message or another repair comes.
        assert await hub.app[keys.GATEWAY].repair() == 0
        await hub.publish("hall:h1", SAMPLE, {"n": 4})
        events = await display.wait_events(4)
        assert [e["seq"] for e in events] == [1, 2, 3, 4]
    finally:
        await display.close()


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])
async def test_resync_required_after_the_log_is_trimmed(
    tmp_path: Path, mongo_url: str, redis: bool
) -> None:
    settings = make_settings(
        tmp_path, mongo_url, redis=redis, event_log={"max_events": 3, "min_age_seconds": 0}
    )
    try:
        async with running_hub(settings) as small:
            display = await connect(small.url, small.token(Role.DISPLAY, hall="h1"))
            try:
                epoch = (await display.ok("subscribe", {"topic": "hall:h1"}))["epoch"]
                await small.publish("hall:h1", SAMPLE, {"n": 1})
                await display.wait_events(1)
                small.drop_all_sockets()
                for n in range(2, 12):  # the log keeps 3: seq 2 is gone
                    await small.publish("hall:h1", SAMPLE, {"n": n})
                    await asyncio.sleep(0.002)
            finally:
                await display.close()
            again = await connect(small.url, small.token(Role.DISPLAY, hall="h1"))
            try:
                error = await again.error(
                    "subscribe", {"topic": "hall:h1", "after_seq": 1, "epoch": epoch}
                )
                assert error["code"] == "RESYNC_REQUIRED"
                # The snapshot path: subscribe fresh, read the recent events with their seq.
                fresh = await again.ok("subscribe", {"topic": "hall:h1"})
                assert fresh["seq"] == 11
                assert fresh["missed"] == []
                kept = await again.ok(
                    "subscribe", {"topic": "hall:h1", "after_seq": 8, "epoch": epoch}
                )
                assert [e["seq"] for e in kept["missed"]] == [9, 10, 11]
            finally:
                await again.close()
    finally:
        if redis:
            await drop_redis_prefix(settings.redis_prefix)
        drop_database(mongo_url, settings.mongodb_db)


async def test_pings_keep_live_clients_and_drop_silent_ones(tmp_path: Path, mongo_url: str) -> None:
    import aiohttp

    settings = make_settings(tmp_path, mongo_url, ping_interval=0.3, ping_timeout=0.3)
    try:
        async with running_hub(settings) as hub:
            token = hub.token(Role.DISPLAY, hall="h1")
            live = await connect(hub.url, token)
            ws_url = hub.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
            async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as silent:
                opened = await silent.receive_str()
                assert opened.startswith("0{")
                await silent.send_str('40{"token":"' + token + '"}')
                assert (await silent.receive_str()).startswith("40{")
                # It never answers a ping ("2"): the hub closes it within interval + timeout.
                frames = []
                async with asyncio.timeout(5):
                    async for message in silent:
                        frames.append(message.data)
                assert "2" in frames
                assert silent.closed
            await asyncio.sleep(1.0)  # several ping rounds
            assert live.sio.connected
            await live.ok("subscribe", {"topic": "hall:h1"})
            await live.close()
    finally:
        drop_database(mongo_url, settings.mongodb_db)


@pytest.mark.parametrize(
    ("query", "headers", "reason"),
    [
        ("EIO=4&transport=polling", {}, "WebSocket transport only"),
        ("EIO=3&transport=websocket", {"Upgrade": "websocket"}, "protocol 4"),
        ("EIO=4&transport=websocket&sid=abc", {"Upgrade": "websocket"}, "WebSocket transport"),
        (
            "EIO=4&transport=websocket",
            {"Upgrade": "websocket", "Origin": "http://evil.example"},
            "not an accepted origin",
        ),
    ],
)
async def test_engine_refuses_what_it_does_not_serve(
    memory_hub: RunningHub, query: str, headers: dict[str, str], reason: str
) -> None:
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{memory_hub.url}/socket.io/?{query}", headers=headers) as response,
    ):
        assert response.status == 400
        assert reason in await response.text()
    assert len(memory_hub.app[keys.GATEWAY].connections) == 0


async def test_publishing_an_event_id_twice_delivers_it_once(hub: RunningHub) -> None:
    display = await connect(hub.url, hub.token(Role.DISPLAY, hall="h1"))
    try:
        await display.ok("subscribe", {"topic": "hall:h1"})
        bus = hub.app[keys.BUS]
        first = await bus.publish("hall:h1", SamplePublished(n=1), event_id="e1")
        again = await bus.publish("hall:h1", SamplePublished(n=1), event_id="e1")
        await bus.publish("hall:h1", SamplePublished(n=2), event_id="e2")
        await display.wait_events(2)
        await asyncio.sleep(0.2)
        assert first.seq == again.seq == 1
        assert [e["seq"] for e in display.events] == [1, 2]
    finally:
        await display.close()

"""Tickets and counters against the real store, bus and hub (both event-log backends)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from hub import keys
from hub.auth.models import Principal, Role
from hub.errors import Forbidden, HubError
from queueing import errors
from queueing.api import HALLS, QUEUE, queue_versions
from queueing.models import Channel, CitizenIn, Tag, TicketStatus
from queueing.service import QueueingService, open_services
from tests.queueing.factories import setup
from tests.support import RunningHub, connect

CLERK_1 = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
CLERK_2 = Principal("clerk2", Role.STAFF, hall="h1", name="刘洋")
ADMIN = Principal("root", Role.ADMIN)


@pytest.fixture
async def hall(hub: RunningHub) -> RunningHub:
    await hub.app[HALLS].apply_setup(setup())
    return hub


def queue(hub: RunningHub) -> QueueingService:
    return hub.app[QUEUE]


async def take(hub: RunningHub, service: str = "s1", **citizen: Any) -> str:
    ticket = await queue(hub).take_ticket(
        "h1", service, Channel.KIOSK, CitizenIn(**citizen) if citizen else None
    )
    return ticket.code


async def test_200_concurrent_takers_get_200_consecutive_numbers(hall: RunningHub) -> None:
    codes = await asyncio.gather(*(take(hall) for _ in range(200)))
    assert sorted(codes) == [f"A{n:03d}" for n in range(1, 201)]
    day = queue(hall).today(await hall.app[HALLS].get_hall("h1")).isoformat()
    assert len(await queue(hall).tickets_of_day("h1", day)) == 200


async def test_daily_cap_refuses_and_changes_nothing(hall: RunningHub) -> None:
    assert [await take(hall, "s3") for _ in range(3)] == ["C001", "C002", "C003"]
    with pytest.raises(errors.DailyCapReached):
        await take(hall, "s3")
    day = queue(hall).today(await hall.app[HALLS].get_hall("h1")).isoformat()
    assert sum(t.service_id == "s3" for t in await queue(hall).tickets_of_day("h1", day)) == 3


async def test_two_counters_calling_at_once_never_share_a_ticket(hall: RunningHub) -> None:
    service = queue(hall)
    # A second service instance: another node's locks, the same database.
    _, other = await open_services(
        hall.app[keys.DB], hall.app[keys.BUS], pepper=b"x", versions=queue_versions(hall.app)
    )
    await service.open_counter("w1", CLERK_1)
    await other.open_counter("w2", CLERK_2)
    for _ in range(12):
        await take(hall)
    called: list[str] = []
    for _ in range(6):
        first, second = await asyncio.gather(
            service.call_next("w1", CLERK_1), other.call_next("w2", CLERK_2)
        )
        assert first.id != second.id
        called += [first.id, second.id]
        await asyncio.gather(service.finish("w1", None, CLERK_1), other.finish("w2", None, CLERK_2))
    assert len(set(called)) == 12
    with pytest.raises(errors.NoTicketWaiting):
        await service.call_next("w1", CLERK_1)
    await other.close()


async def test_a_finished_ticket_cannot_be_called_again(hall: RunningHub) -> None:
    service = queue(hall)
    await service.open_counter("w1", CLERK_1)
    await take(hall)
    called = await service.call_next("w1", CLERK_1)
    await service.start("w1", CLERK_1)
    await service.finish("w1", "CASE-9", CLERK_1)
    with pytest.raises(errors.TicketNotCallable):
        await service.call_ticket("w1", called.id, CLERK_1)
    finished = await service.ticket(called.id)
    assert finished.status is TicketStatus.FINISHED
    assert finished.case_id == "CASE-9"
    assert finished.serving_at is not None
    assert finished.finished_at is not None


async def test_call_a_specific_ticket_and_the_counter_holds_one(hall: RunningHub) -> None:
    service = queue(hall)
    await service.open_counter("w1", CLERK_1)
    for _ in range(3):
        await take(hall)
    day = queue(hall).today(await hall.app[HALLS].get_hall("h1")).isoformat()
    third = next(t for t in await service.tickets_of_day("h1", day) if t.code == "A003")
    called = await service.call_ticket("w1", third.id, CLERK_1)
    assert called.code == "A003"
    with pytest.raises(errors.CounterBusy):
        await service.call_next("w1", CLERK_1)


async def test_clerks_work_only_their_own_counter(hall: RunningHub) -> None:
    service = queue(hall)
    await service.open_counter("w1", CLERK_1)
    await take(hall)
    with pytest.raises(errors.CounterTaken):
        await service.open_counter("w1", CLERK_2)
    with pytest.raises(errors.NotYourCounter):
        await service.call_next("w1", CLERK_2)
    with pytest.raises(errors.CounterClosed):
        await service.call_next("w2", CLERK_2)
    other_hall = Principal("clerk9", Role.STAFF, hall="h9")
    with pytest.raises(Forbidden) as refused:
        await service.open_counter("w2", other_hall)
    assert refused.value.code == "FORBIDDEN"
    # A supervisor may step in at a counter.
    assert (await service.call_next("w1", ADMIN)).code == "A001"


async def test_person_limits_and_checks(hall: RunningHub) -> None:
    person = {"name": "张三", "id_number": "11010519491231002X", "phone": "13812340000"}
    for _ in range(3):
        await take(hall, **person)
    with pytest.raises(errors.PersonLimitReached):
        await take(hall, **person)
    with pytest.raises(errors.PersonLimitReached):  # the same person by phone alone
        await take(hall, phone="13812340000")
    await take(hall, "s2", **person)  # another service is another count
    with pytest.raises(errors.InvalidIdNumber):
        await take(hall, id_number="110105194912310021")
    with pytest.raises(errors.InvalidPhone):
        await take(hall, phone="12345")
    with pytest.raises(errors.ServiceNotFound):
        await take(hall, "nope")

    async def blacklisted(person_key: str, now: datetime) -> str | None:
        return "您因多次爽约已被限制取号至12月1日"

    queue(hall).add_gate(blacklisted)
    with pytest.raises(errors.PersonRefused, match="爽约"):
        await take(hall, "s2", phone="13900000000")
    await take(hall, "s2")  # an anonymous kiosk ticket has no person to refuse


async def test_opening_hours(hall: RunningHub) -> None:
    hours = [{"weekdays": [1, 2, 3, 4, 5], "opens": "08:30", "closes": "17:30"}]
    await hall.app[HALLS].apply_setup(setup(opening_hours=hours))
    service = queue(hall)
    thursday_evening = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    service._now = lambda: thursday_evening
    with pytest.raises(errors.ServiceClosed):
        await take(hall)
    service._now = lambda: thursday_evening - timedelta(hours=3)
    assert await take(hall) == "A001"


async def test_no_show_transfer_park(hall: RunningHub) -> None:
    service = queue(hall)
    await service.open_counter("w1", CLERK_1)
    await service.open_counter("w2", CLERK_2)
    for _ in range(3):
        await take(hall)
    first = await service.call_next("w1", CLERK_1)
    with pytest.raises(errors.TooFewCalls):
        await service.no_show("w1", CLERK_1)
    await service.recall("w1", CLERK_1)
    assert (await service.no_show("w1", CLERK_1)).status is TicketStatus.NO_SHOW
    second = await service.call_next("w1", CLERK_1)
    moved = await service.transfer("w1", None, "w2", CLERK_1)
    assert moved.target_counter_id == "w2"
    assert moved.queue_time == second.queue_time
    # w2 gets the transferred ticket first: it is older than A003.
    assert (await service.call_next("w2", CLERK_2)).id == second.id
    third = await service.call_next("w1", CLERK_1)
    parked = await service.park("w1", CLERK_1)
    assert parked.status is TicketStatus.PARKED
    with pytest.raises(errors.NoTicketWaiting):
        await service.call_next("w1", CLERK_1)  # a parked ticket is not in the queue
    back = await service.call_ticket("w1", third.id, CLERK_1)
    assert back.status is TicketStatus.CALLED
    assert first.code == "A001"


async def test_displays_and_phones_hear_every_step(hall: RunningHub) -> None:
    display = await connect(hall.url, hall.token(Role.DISPLAY, hall="h1"))
    citizen_token = hall.token(Role.CITIZEN, sub="c-7")
    phone = await connect(hall.url, citizen_token)
    try:
        # With Redis the hall setup's own event may still be on its way: clients drop events
        # up to the seq their subscription answered.
        since = (await display.ok("subscribe", {"topic": "hall:h1"}))["seq"]
        await phone.ok("subscribe", {"topic": "citizen:c-7"})
        taken = await phone.ok(
            "queueing.take_ticket",
            {
                "hall_id": "h1",
                "service_id": "s1",
                "channel": "miniapp",
                "citizen": {"name": "李四", "phone": "13700001111", "tags": ["elderly"]},
            },
        )
        assert taken["number"] == "A001"
        assert taken["follow_code"] is None  # an account follows its own tickets
        assert taken["status"] == "waiting"
        service = queue(hall)
        await service.settle()  # position updates follow the answer
        await service.open_counter("w1", CLERK_1)
        await service.call_next("w1", CLERK_1)
        await service.settle()
        await display.wait_events(4)
        hall_events = [e for e in display.events if e["seq"] > since]
        types = [e["type"] for e in hall_events]
        assert types[:2] == ["queueing.ticket_issued", "queueing.waiting_changed"]
        called = next(e for e in hall_events if e["type"] == "queueing.ticket_called")
        assert called["data"]["number"] == "A001"
        assert called["data"]["counter_number"] == 1
        assert called["data"]["counter_name"] == "1号窗口"
        assert called["data"]["service_name"] == "户籍"
        text = str(hall_events)
        assert "李四" not in text
        assert "13700001111" not in text
        phone_types = [e["type"] for e in await phone.wait_events(3)]
        assert "queueing.ticket_issued" in phone_types
        assert "queueing.turn_near" in phone_types
        assert "queueing.ticket_called" in phone_types
        seqs = [e["seq"] for e in hall_events]
        assert seqs == list(range(since + 1, since + 1 + len(seqs)))  # in order, no gap
    finally:
        await display.close()
        await phone.close()


async def test_a_crash_between_write_and_publish_loses_nothing(hall: RunningHub) -> None:
    """The ticket is written with its events, the process dies before publishing: the
    sweeper publishes them once; publishing again changes nothing."""
    display = await connect(hall.url, hall.token(Role.DISPLAY, hall="h1"))
    try:
        await display.ok("subscribe", {"topic": "hall:h1"})
        service = queue(hall)
        flush = service._flush_ticket

        async def crash(*_: Any) -> None:
            raise ConnectionError("process killed")

        service._flush_ticket = crash  # type: ignore[method-assign,assignment]
        with pytest.raises(ConnectionError):
            await take(hall)
        service._flush_ticket = flush  # type: ignore[method-assign]
        assert display.events == []
        assert await service.sweep_outboxes() == 3  # hall, ticket and desk topics
        events = await display.wait_events(1)
        assert events[0]["type"] == "queueing.ticket_issued"
        assert await service.sweep_outboxes() == 0
        day = queue(hall).today(await hall.app[HALLS].get_hall("h1")).isoformat()
        ticket = (await service.tickets_of_day("h1", day))[0]
        # Published again (a sweeper on another node racing this one): no second event.
        for event in [e for e in ticket.outbox]:
            await hall.app[keys.BUS].republish(
                event.topic, event.type, event.data, event_id=event.id
            )
        await asyncio.sleep(0.2)
        assert len([e for e in display.events if e["type"] == "queueing.ticket_issued"]) == 1
    finally:
        await display.close()


async def test_a_counter_split_from_its_ticket_by_a_crash_is_repaired(hall: RunningHub) -> None:
    service = queue(hall)
    await service.open_counter("w1", CLERK_1)
    await take(hall)
    real_save = service._counters.save

    async def lost(*_: Any) -> None:
        return None

    service._counters.save = lost  # type: ignore[method-assign,assignment]
    with pytest.raises(errors.ConcurrentChange):
        await service.call_next("w1", CLERK_1)
    service._counters.save = real_save  # type: ignore[method-assign]
    # The ticket write was undone; the counter is free and the ticket still waits.
    called = await service.call_next("w1", CLERK_1)
    assert called.code == "A001"
    # Now the other order: the ticket is at the counter but the counter forgot it.
    place, state = await service.counter_state("w1")
    forgot = state.model_copy(update={"current_ticket_id": None})
    assert await service._counters.save(forgot, state.version) is not None
    assert await service.reconcile_counters() == 0  # seen once: maybe an action under way
    assert await service.reconcile_counters() == 1  # still so on the next sweep: repaired
    _, repaired = await service.counter_state("w1")
    assert repaired.current_ticket_id == called.id
    assert place.counter.id == "w1"
    # And a counter holding a ticket that was finished meanwhile lets it go.
    await service.finish("w1", None, CLERK_1)
    _, state = await service.counter_state("w1")
    stale = state.model_copy(update={"current_ticket_id": called.id})
    assert await service._counters.save(stale, state.version) is not None
    await service.reconcile_counters()
    await service.reconcile_counters()
    _, state = await service.counter_state("w1")
    assert state.current_ticket_id is None


async def test_commands_check_their_input_and_change_nothing(hall: RunningHub) -> None:
    staff = await connect(hall.url, hall.token(Role.STAFF, sub="clerk1", hall="h1"))
    kiosk = await connect(hall.url, hall.token(Role.DISPLAY, hall="h1"))
    try:
        cases: list[tuple[Any, str, dict[str, Any], str]] = [
            (
                kiosk,
                "queueing.take_ticket",
                {"hall_id": "h1", "service_id": "nope", "channel": "kiosk"},
                "SERVICE_NOT_FOUND",
            ),
            (
                kiosk,
                "queueing.take_ticket",
                {"hall_id": "h1", "service_id": "s1", "channel": "miniapp"},
                "CHANNEL_NOT_ALLOWED",
            ),
            (
                kiosk,
                "queueing.take_ticket",
                {"hall_id": "h2", "service_id": "s1", "channel": "kiosk"},
                "FORBIDDEN",
            ),
            (
                kiosk,
                "queueing.take_ticket",
                {"hall_id": "h1", "service_id": 5, "channel": "kiosk"},
                "INVALID_PAYLOAD",
            ),
            (
                kiosk,
                "queueing.take_ticket",
                {"hall_id": "h1", "service_id": {"$ne": ""}, "channel": "kiosk"},
                "INVALID_PAYLOAD",
            ),
            (
                kiosk,
                "queueing.take_ticket",
                {"hall_id": "h1", "service_id": "s1", "channel": "fax"},
                "INVALID_PAYLOAD",
            ),
            (
                kiosk,
                "queueing.take_ticket",
                {
                    "hall_id": "h1",
                    "service_id": "s1",
                    "channel": "kiosk",
                    "citizen": {"tags": ["vip"]},
                },
                "INVALID_PAYLOAD",
            ),
            (kiosk, "queueing.call_next", {"counter_id": "w1"}, "FORBIDDEN"),
            (staff, "queueing.call_next", {"counter_id": "w1"}, "COUNTER_CLOSED"),
            (staff, "queueing.call_next", {"counter_id": "nope"}, "COUNTER_NOT_FOUND"),
            (staff, "queueing.call_next", {}, "INVALID_PAYLOAD"),
            (staff, "queueing.transfer", {"counter_id": "w1"}, "INVALID_PAYLOAD"),
            (
                staff,
                "queueing.call_ticket",
                {"counter_id": "w1", "ticket_id": "x"},
                "COUNTER_CLOSED",
            ),
        ]
        for client, command, payload, code in cases:
            error = await client.error(command, payload)
            assert error["code"] == code, (command, payload, error)
        day = queue(hall).today(await hall.app[HALLS].get_hall("h1")).isoformat()
        assert await queue(hall).tickets_of_day("h1", day) == []
        await staff.ok("queueing.open_counter", {"counter_id": "w1"})
        assert (await staff.error("queueing.call_next", {"counter_id": "w1"}))["code"] == (
            "NO_TICKET_WAITING"
        )
        taken = await kiosk.ok(
            "queueing.take_ticket", {"hall_id": "h1", "service_id": "s1", "channel": "kiosk"}
        )
        assert taken["follow_code"]
        assert (await staff.ok("queueing.call_next", {"counter_id": "w1"}))["number"] == "A001"
        assert (await staff.error("queueing.transfer", {"counter_id": "w1", "service_id": "nope"}))[
            "code"
        ] == ("SERVICE_NOT_FOUND")
        assert (await staff.ok("queueing.finish", {"counter_id": "w1"}))["status"] == "finished"
    finally:
        await staff.close()
        await kiosk.close()


async def _rest(
    hub: RunningHub, method: str, path: str, token: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, hub.url + path, json=body, headers=headers) as response,
    ):
        if response.content_type in ("application/json", "application/problem+json"):
            return response.status, await response.json()
        return response.status, await response.read()


async def test_rest_counter_actions_board_and_follow_token(hall: RunningHub) -> None:
    kiosk = hall.token(Role.DISPLAY, hall="h1")
    clerk = hall.token(
        Role.STAFF,
        sub="clerk1",
        hall="h1",
    )
    status, taken = await _rest(
        hall, "POST", "/api/v1/halls/h1/tickets", kiosk, {"service_id": "s2", "channel": "kiosk"}
    )
    assert status == 201
    assert taken["number"] == "B001"
    assert taken["follow_url"].endswith(taken["follow_path"])
    assert taken["follow_path"] == (
        f"/m/ticket.html?id={taken['ticket_id']}&k={taken['follow_code']}"
    )
    follow_path = f"/api/v1/halls/h1/tickets/{taken['ticket_id']}/follow"
    status, refused = await _rest(hall, "POST", follow_path, "", {"code": "wrong-code"})
    assert (status, refused["code"]) == (403, "FOLLOW_CODE_INVALID")
    status, traded = await _rest(hall, "POST", follow_path, "", {"code": taken["follow_code"]})
    assert status == 200
    follow = traded["token"]
    # A follow token reads its ticket; it takes no tickets.
    status, refused = await _rest(
        hall, "POST", "/api/v1/halls/h1/tickets", follow, {"service_id": "s1", "channel": "qr"}
    )
    assert (status, refused["code"]) == (403, "FORBIDDEN")
    status, mine = await _rest(
        hall, "GET", f"/api/v1/halls/h1/tickets/{taken['ticket_id']}", follow
    )
    assert (status, mine["status"], mine["ahead"]) == (200, "waiting", 0)
    status, refused = await _rest(hall, "GET", "/api/v1/halls/h1/board", follow)
    assert (status, refused["code"]) == (403, "FORBIDDEN")  # its ticket only
    for action, body in (("open-counter", None), ("call-next", None), ("start", None)):
        status, answer = await _rest(
            hall, "POST", f"/api/v1/halls/h1/counters/w1/{action}", clerk, body
        )
        assert status == 200, answer
    status, board = await _rest(hall, "GET", "/api/v1/halls/h1/board", kiosk)
    assert board["calls"][0]["number"] == "B001"
    assert board["calls"][0]["counter_number"] == 1
    assert next(c for c in board["counters"] if c["counter_id"] == "w1")["current"]["number"] == (
        "B001"
    )
    assert board["seq"] >= 3
    status, desk = await _rest(hall, "GET", "/api/v1/halls/h1/counters/w1/workstation", clerk)
    assert desk["current"]["number"] == "B001"
    assert desk["current"]["status"] == "serving"
    status, answer = await _rest(
        hall, "POST", "/api/v1/halls/h1/counters/w1/finish", clerk, {"case_id": "CASE-1"}
    )
    assert answer["status"] == "finished"
    status, answer = await _rest(
        hall, "POST", "/api/v1/halls/h1/counters/w1/pause", clerk, {"reason": 12}
    )
    assert (status, answer["code"]) == (422, "INVALID_PAYLOAD")
    status, answer = await _rest(
        hall, "POST", "/api/v1/halls/h2/counters/w1/pause", clerk, {"reason": "午休"}
    )
    assert (status, answer["code"]) == (404, "COUNTER_NOT_FOUND")
    status, desk = await _rest(hall, "GET", "/api/v1/halls/h1/counters/w1/workstation", clerk)
    assert desk["figures"]["served"] == 1
    assert desk["history"][0]["case_id"] == "CASE-1"


async def test_statistics_and_exports(hall: RunningHub) -> None:
    service = queue(hall)
    await service.open_counter("w1", CLERK_1)
    for _ in range(4):
        await take(hall)
    await service.call_next("w1", CLERK_1)
    await service.start("w1", CLERK_1)
    await service.finish("w1", None, CLERK_1)
    await service.call_next("w1", CLERK_1)
    await service.recall("w1", CLERK_1)
    await service.no_show("w1", CLERK_1)
    admin = hall.token(Role.ADMIN)
    day = service.today(await hall.app[HALLS].get_hall("h1")).isoformat()
    status, report = await _rest(hall, "GET", f"/api/v1/halls/h1/stats?day={day}&by=service", admin)
    assert status == 200
    row = report["rows"][0]
    assert (row["label"], row["arrived"], row["served"], row["no_show"]) == ("A 户籍", 4, 1, 1)
    assert row["no_show_rate"] == 0.5
    status, by_counter = await _rest(
        hall, "GET", f"/api/v1/halls/h1/stats?day={day}&by=counter", admin
    )
    assert by_counter["rows"][0]["label"] == "1号窗口"
    assert by_counter["rows"][0]["idle_minutes"] is not None
    status, by_clerk = await _rest(hall, "GET", f"/api/v1/halls/h1/stats?day={day}&by=clerk", admin)
    assert [r["key"] for r in by_clerk["rows"]] == ["clerk1"]
    status, csv_body = await _rest(
        hall, "GET", f"/api/v1/halls/h1/stats?day={day}&by=hour&format=csv", admin
    )
    assert status == 200
    assert "取号数" in csv_body.decode("utf-8-sig")
    status, xlsx = await _rest(hall, "GET", f"/api/v1/halls/h1/stats?day={day}&format=xlsx", admin)
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    assert sheet["A1"].value == "分组"
    assert sheet["B2"].value == 4
    status, problem = await _rest(hall, "GET", "/api/v1/halls/h1/stats?day=26-11-2026", admin)
    assert (status, problem["code"]) == (422, "INVALID_PAYLOAD")
    staff = hall.token(Role.STAFF, sub="clerk1", hall="h1")
    status, problem = await _rest(hall, "GET", f"/api/v1/halls/h1/stats?day={day}", staff)
    assert status == 403


def test_hub_errors_have_stable_codes() -> None:
    codes = {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, HubError)
    }
    assert {
        "DAILY_CAP_REACHED",
        "COUNTER_BUSY",
        "TICKET_NOT_CALLABLE",
        "PERSON_LIMIT_REACHED",
    } <= codes
    assert Tag.GREEN_CHANNEL.value == "green_channel"


async def test_a_node_sees_tickets_another_node_issued(hall: RunningHub) -> None:
    """Each node keeps the queue in memory; a version in the store tells it when another node
    changed the queue."""
    node_a = queue(hall)
    _, node_b = await open_services(
        hall.app[keys.DB], hall.app[keys.BUS], pepper=b"x", versions=queue_versions(hall.app)
    )
    await node_a.open_counter("w1", CLERK_1)
    with pytest.raises(errors.NoTicketWaiting):
        await node_a.call_next("w1", CLERK_1)  # node A has read the (empty) queue
    taken = await node_b.take_ticket("h1", "s1", Channel.KIOSK, None)
    called = await node_a.call_next("w1", CLERK_1)
    assert called.id == taken.id
    # And a ticket node B's copy still lists is not called twice once node A called it.
    await node_b.open_counter("w2", CLERK_2)
    with pytest.raises(errors.NoTicketWaiting):
        await node_b.call_next("w2", CLERK_2)
    await node_b.close()


async def test_a_counter_changed_on_another_node_is_read_again(hall: RunningHub) -> None:
    """Each node keeps the counter states it read or wrote; a stamp every write bumps tells it
    when another node changed one."""
    node_a = queue(hall)
    _, node_b = await open_services(
        hall.app[keys.DB], hall.app[keys.BUS], pepper=b"x", versions=queue_versions(hall.app)
    )
    try:
        await node_a.open_counter("w1", CLERK_1)
        await take(hall)
        await node_b.pause("w1", "午休", CLERK_1)
        with pytest.raises(errors.CounterPaused):
            await node_a.call_next("w1", CLERK_1)  # not the open state node A kept
        await node_b.close_counter("w1", CLERK_1)
        await node_b.open_counter("w1", CLERK_2)
        with pytest.raises(errors.NotYourCounter):
            await node_a.call_next("w1", CLERK_1)
        called = await node_a.call_next("w1", CLERK_2)
        # Node B's copy is behind now (node A wrote the call): its write fails on the
        # version, is not retried blindly, and node B reads the counter again.
        started = await node_b.start("w1", CLERK_2)
        assert (started.id, started.status) == (called.id, TicketStatus.SERVING)
    finally:
        await node_b.close()


async def test_a_clerks_keys_read_neither_the_counter_nor_its_ticket_again(
    hall: RunningHub,
) -> None:
    """After F1, start and finish use the counter state and the ticket this node wrote: their
    writes are guarded by version, so the store is not read before them."""
    service = queue(hall)
    await service.open_counter("w1", CLERK_1)
    for _ in range(3):
        await take(hall)
    reads: list[str] = []
    store_get, ticket_get = service._counters._store.get, service._tickets.get

    async def counter_read(counter: Any) -> Any:
        reads.append("counter")
        return await store_get(counter)

    async def ticket_read(ticket_id: str) -> Any:
        reads.append("ticket")
        return await ticket_get(ticket_id)

    service._counters._store.get = counter_read  # type: ignore[method-assign]
    service._tickets.get = ticket_read  # type: ignore[method-assign]
    await service.call_next("w1", CLERK_1)
    await service.start("w1", CLERK_1)
    await service.finish("w1", None, CLERK_1)
    await service.call_next("w1", CLERK_1)
    await service.recall("w1", CLERK_1)
    await service.no_show("w1", CLERK_1)
    assert reads == []

    # A ticket changed by someone else meanwhile: the held copy's write fails, the ticket is
    # read again and the action done on it (not refused as a concurrent change).
    called = await service.call_next("w1", CLERK_1)
    stored = await ticket_get(called.id)
    assert stored is not None
    assert await service._tickets.save(stored, stored.version) is not None  # version + 1
    started = await service.start("w1", CLERK_1)
    assert started.version == stored.version + 2
    assert reads == ["ticket"]


async def test_a_finish_on_this_node_moves_the_estimates_without_reading_the_day_again(
    hall: RunningHub,
) -> None:
    """The pace of a service (its recent service times) is read from the store now and then;
    a ticket this node finishes joins it at once."""
    service = queue(hall)
    now = datetime.now(UTC)
    service._now = lambda: now
    reads: list[str] = []
    recent = service._tickets.recent_service_minutes

    async def counted(*args: Any) -> list[float]:
        reads.append(args[1])
        return await recent(*args)

    service._tickets.recent_service_minutes = counted  # type: ignore[method-assign,assignment]
    await service.open_counter("w1", CLERK_1)
    for _ in range(3):
        await take(hall)
    day = service.today(await hall.app[HALLS].get_hall("h1")).isoformat()
    last = next(t for t in await service.tickets_of_day("h1", day) if t.code == "A003")
    _, before = await service.position(last)
    assert reads == ["s1"]
    await service.call_next("w1", CLERK_1)
    await service.start("w1", CLERK_1)
    now += timedelta(minutes=30)  # a long one: the pace slows
    await service.finish("w1", None, CLERK_1)
    _, after = await service.position(last)
    assert after > before
    assert reads == ["s1"]


async def test_published_outboxes_are_cleared_together_and_a_crash_before_loses_nothing(
    hall: RunningHub,
) -> None:
    """Outboxes are cleared a few milliseconds after publishing, many with one command; a
    process that dies before the clearing leaves them pending, and the sweeper publishes
    them again, each dropped as a repeat: nothing lost, nothing twice."""
    display = await connect(hall.url, hall.token(Role.DISPLAY, hall="h1"))
    try:
        await display.ok("subscribe", {"topic": "hall:h1"})
        service = queue(hall)
        cleared: list[int] = []
        clear = service._tickets.clear_outboxes

        async def counted(outboxes: dict[str, tuple[int, str]]) -> None:
            if outboxes:
                cleared.append(len(outboxes))
            await clear(outboxes)

        service._tickets.clear_outboxes = counted  # type: ignore[method-assign]
        await asyncio.gather(*(take(hall) for _ in range(5)))
        await service.settle()
        assert sum(cleared) == 5
        assert len(cleared) < 5  # together, not one command each
        assert await service._tickets.with_pending_events() == []

        # The process dies between publishing and clearing.
        service._tickets.clear_outboxes = clear  # type: ignore[method-assign]
        await take(hall)
        assert service._clearing is not None
        service._clearing.cancel()
        service._tickets_to_clear.clear()
        assert len(await service._tickets.with_pending_events()) == 1
        await asyncio.sleep(0.2)
        before = len(display.events)
        assert await service.sweep_outboxes() == 3  # hall, ticket and desk topics
        await asyncio.sleep(0.2)
        assert len(display.events) == before  # published again: dropped as repeats
        issued = [e["data"]["number"] for e in display.events if e["type"].endswith("issued")]
        assert sorted(issued) == [f"A{n:03d}" for n in range(1, 7)]
        assert await service._tickets.with_pending_events() == []
    finally:
        await display.close()


async def test_a_ticket_written_again_before_its_clearing_clears_what_was_published(
    hall: RunningHub,
) -> None:
    """A call then a start within the clearing delay: the start's write leaves out the call's
    published events (no clearing command of its own), and keeps any never published."""
    display = await connect(hall.url, hall.token(Role.DISPLAY, hall="h1"))
    try:
        await display.ok("subscribe", {"topic": "hall:h1"})
        service = queue(hall)
        await service.open_counter("w1", CLERK_1)
        await take(hall)
        called = await service.call_next("w1", CLERK_1)
        stored = await service._tickets.get(called.id)
        assert stored is not None
        assert stored.outbox  # published, not cleared yet
        started = await service.start("w1", CLERK_1)
        stored = await service._tickets.get(called.id)
        assert stored is not None
        assert [e.id for e in stored.outbox] == [e.id for e in started.outbox]
        assert not {e.id for e in called.outbox} & {e.id for e in stored.outbox}

        # Events a failed publish left behind are never left out.
        stuck = stored.outbox[-1]
        service._tickets_to_clear.pop(called.id, None)
        finished = await service.finish("w1", None, CLERK_1)
        assert stuck.id in {e.id for e in finished.outbox}
        await service.settle()
        assert await service._tickets.with_pending_events() == []
        await asyncio.sleep(0.2)
        types = [e["type"] for e in display.events]
        assert types.count("queueing.ticket_called") == 1
        assert types.count("queueing.ticket_finished") == 1
    finally:
        await display.close()


async def test_an_outbox_written_by_an_older_version_is_swept_and_cleared(
    hall: RunningHub,
) -> None:
    """Batched clears recognise an outbox by `outbox_last`; a pending document without it (an
    older version wrote it) is still published once by the sweeper and cleared."""
    service = queue(hall)
    await take(hall)
    assert service._clearing is not None
    service._clearing.cancel()  # as if the process died before clearing
    service._tickets_to_clear.clear()
    (pending,) = await service._tickets.with_pending_events()
    tickets = hall.app[keys.DB]["queueing_tickets"]
    await tickets.update_one({"_id": pending.id}, {"$unset": {"outbox_last": ""}})
    await service._tickets.clear_outboxes({pending.id: (len(pending.outbox), "elsewhere")})
    assert len(await service._tickets.with_pending_events()) == 1  # not that outbox: kept
    assert await service.sweep_outboxes() == len(pending.outbox)
    assert await service._tickets.with_pending_events() == []
    stored = await tickets.find_one({"_id": pending.id})
    assert stored is not None
    assert "outbox" not in stored
    assert "outbox_last" not in stored


async def test_estimates_use_a_queue_copy_known_right_a_moment_ago_but_f1_always_checks(
    hall: RunningHub,
) -> None:
    service = queue(hall)
    reads: list[str] = []
    versions = service._queue._versions
    current = versions.current

    async def counted(hall_id: str, day: str) -> int:
        reads.append(hall_id)
        return await current(hall_id, day)

    versions.current = counted  # type: ignore[method-assign]
    await service.open_counter("w1", CLERK_1)
    await take(hall)
    await service.settle()
    reads.clear()
    ticket = (
        await service.tickets_of_day(
            "h1", queue(hall).today(await hall.app[HALLS].get_hall("h1")).isoformat()
        )
    )[0]
    await service.position(ticket)  # its own take made the copy exact a moment ago
    assert reads == []
    await service.call_next("w1", CLERK_1)
    assert reads  # F1 asks whether another node changed the queue (again if it did)
    assert set(reads) == {"h1"}

"""Every screen that keeps state: its snapshot + the events of a scripted sequence of commands,
applied by the screen's own reducer, equals a snapshot loaded afresh (tests/e2e/screens.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from hub.auth.models import Principal, Role
from notifier.api import NOTIFIER
from notifier.models import Channel, Contact, InboxState, SendIn
from queueing import HALLS, QUEUE
from queueing.models import Channel as TicketChannel
from queueing.models import CitizenIn
from tests.e2e.screens import follow, verify
from tests.queueing.factories import setup
from tests.support import RunningHub, connect

CLERK_1 = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
CLERK_2 = Principal("clerk2", Role.STAFF, hall="h1", name="刘洋")
CITIZEN = Principal("c-9", Role.CITIZEN)


@pytest.fixture
async def hall(memory_hub: RunningHub) -> RunningHub:
    await memory_hub.app[HALLS].apply_setup(setup())
    return memory_hub


async def get(hub: RunningHub, path: str, token: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            hub.url + "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def take(hub: RunningHub, service: str = "s1", citizen: str | None = None) -> str:
    ticket = await hub.app[QUEUE].take_ticket(
        "h1",
        service,
        TicketChannel.MINIAPP if citizen else TicketChannel.KIOSK,
        CitizenIn(),
        citizen_id=citizen,
    )
    return ticket.id


async def a_morning_at_the_counters(hub: RunningHub, mine: str | None = None) -> None:
    """Two clerks call, recall, serve, finish, set aside, transfer, mark a no-show and put it
    back in the queue; a notice; a cancellation; a pause and a resume (`mine`: a ticket taken
    before the snapshot, called and finished)."""
    queue = hub.app[QUEUE]
    await queue.open_counter("w1", CLERK_1)
    await queue.open_counter("w2", CLERK_2)
    for _ in range(4):
        await take(hub)
    await take(hub, "s2")
    if mine is not None:
        await queue.call_ticket("w1", mine, CLERK_1)
    else:
        await queue.call_next("w1", CLERK_1)
    await queue.call_next("w2", CLERK_2)
    await queue.recall("w1", CLERK_1)
    await queue.start("w1", CLERK_1)
    await queue.finish("w1", None, CLERK_1)
    await queue.park("w2", CLERK_2)
    await queue.call_next("w1", CLERK_1)
    await queue.transfer("w1", "s2", None, CLERK_1)
    await queue.call_next("w2", CLERK_2)
    await queue.recall("w2", CLERK_2)
    missed = await queue.no_show("w2", CLERK_2)
    await queue.requeue("w1", missed.id, CLERK_1)  # its holder came back to counter 1
    await queue.pause("w2", "午休", CLERK_2)
    await hub.app[HALLS].set_notice("h1", "今日16:00起系统升级")
    await queue.cancel(await take(hub), CLERK_1)
    await queue.resume("w2", CLERK_2)
    await queue.call_next("w1", CLERK_1)


async def test_the_hall_board(hall: RunningHub) -> None:
    token = hall.token(Role.DISPLAY, hall="h1")
    display = await connect(hall.url, token)
    try:
        followed = await follow(display, "hall:h1")
        applied = await verify(
            "board",
            followed,
            lambda: get(hall, "/halls/h1/board", token),
            lambda: a_morning_at_the_counters(hall),
        )
        assert applied >= 20
    finally:
        await display.close()


async def calls_that_end_while_announced(hub: RunningHub) -> None:
    """What the hall display's 正在呼叫 panel must follow (issue 12): two counters calling and
    one finishing; a call put on hold (挂起) and its window paused for 午休; a transfer; a
    no-show after a recall; a closed window; and a call being served at the end."""
    queue = hub.app[QUEUE]
    await queue.open_counter("w1", CLERK_1)
    await queue.open_counter("w2", CLERK_2)
    for _ in range(5):
        await take(hub)
    await take(hub, "s2")
    await queue.call_next("w2", CLERK_2)
    await queue.call_next("w1", CLERK_1)
    await queue.finish("w2", None, CLERK_2)
    await queue.park("w1", CLERK_1)
    await queue.pause("w1", "午休", CLERK_1)
    await queue.call_next("w2", CLERK_2)
    await queue.transfer("w2", "s2", None, CLERK_2)
    await queue.call_next("w2", CLERK_2)
    await queue.recall("w2", CLERK_2)
    await queue.no_show("w2", CLERK_2)
    await queue.close_counter("w2", CLERK_2)
    await queue.resume("w1", CLERK_1)
    await queue.call_next("w1", CLERK_1)
    await queue.start("w1", CLERK_1)


async def test_the_hall_board_when_calls_end_while_announced(hall: RunningHub) -> None:
    token = hall.token(Role.DISPLAY, hall="h1")
    display = await connect(hall.url, token)
    try:
        followed = await follow(display, "hall:h1")
        applied = await verify(
            "board",
            followed,
            lambda: get(hall, "/halls/h1/board", token),
            lambda: calls_that_end_while_announced(hall),
        )
        assert applied >= 15
        board = await get(hall, "/halls/h1/board", token)
        held = {c["counter_id"]: c["current"] for c in board["counters"]}
        assert held["w2"] is None
        assert held["w1"]["status"] == "serving"
        statuses = {c["status"] for c in board["calls"]}
        assert {"finished", "parked", "no_show", "serving"} <= statuses
    finally:
        await display.close()


@pytest.mark.parametrize("counter", ["w1", "w2"])
async def test_the_counter_display(hall: RunningHub, counter: str) -> None:
    token = hall.token(Role.DISPLAY, hall="h1")
    screen = await connect(hall.url, token)
    try:
        followed = await follow(screen, f"counter:{counter}")

        async def load() -> dict[str, Any]:
            board = await get(hall, "/halls/h1/board", token)
            recent = await get(hall, f"/events/counter:{counter}?limit=1", token)
            row = next(c for c in board["counters"] if c["counter_id"] == counter)
            return {"seq": recent["seq"], "row": row}

        applied = await verify(
            "counter",
            followed,
            load,
            lambda: a_morning_at_the_counters(hall),
            pick=lambda snapshot: snapshot["row"],
        )
        assert applied >= 5
    finally:
        await screen.close()


@pytest.mark.parametrize(("counter", "clerk"), [("w1", CLERK_1), ("w2", CLERK_2)])
async def test_the_counter_workstation(hall: RunningHub, counter: str, clerk: Principal) -> None:
    """The clerk's desk: its counter's topic and the hall's desk topic, applied by
    `applyDeskEvent`; the lists, the calling order and the figures made at the fresh
    snapshot's time equal that snapshot's."""
    token = hall.token(Role.STAFF, sub=clerk.sub, hall="h1")
    desk = await connect(hall.url, token)
    try:
        await take(hall)  # waiting before the snapshot
        followed = await follow(desk, f"counter:{counter}", "desk:h1")
        applied = await verify(
            "desk",
            followed,
            lambda: get(hall, f"/halls/h1/counters/{counter}/workstation", token),
            lambda: a_morning_at_the_counters(hall),
            position=lambda s: {
                f"counter:{counter}": s["seq"]["counter"],
                "desk:h1": s["seq"]["desk"],
            },
            ignore=("seq", "epoch", "now"),
            now=lambda s: str(s["now"]),
        )
        assert applied >= 20
    finally:
        await desk.close()


async def test_the_citizens_ticket(hall: RunningHub) -> None:
    token = hall.token(Role.CITIZEN, sub=CITIZEN.sub)
    phone = await connect(hall.url, token)
    try:
        mine = await take(hall, citizen=CITIZEN.sub)
        followed = await follow(phone, f"ticket:{mine}")
        applied = await verify(
            "ticket",
            followed,
            lambda: get(hall, f"/halls/h1/tickets/{mine}", token),
            lambda: a_morning_at_the_counters(hall, mine=mine),
        )
        assert applied >= 3
    finally:
        await phone.close()


async def test_the_inbox(hall: RunningHub) -> None:
    notifier = hall.app[NOTIFIER]
    await notifier.save_contact(Contact(id="citizen:c-9", name="张三"))
    token = hall.token(Role.CITIZEN, sub=CITIZEN.sub)
    phone = await connect(hall.url, token)
    try:
        followed = await follow(phone, "citizen:c-9")

        async def load() -> dict[str, Any]:
            inbox = await get(hall, "/notifier/inbox", token)
            recent = await get(hall, "/events/citizen:c-9?limit=1", token)
            return {**inbox, "seq": recent["seq"]}

        async def messages() -> None:
            for number in ("A001", "A002", "A003"):
                await notifier.send(
                    SendIn(
                        kind="ticket_called",
                        recipients=["citizen:c-9"],
                        channels=[Channel.IN_APP],
                        data={
                            "number": number,
                            "counter_name": "1号窗口",
                            "counter_number": 1,
                            "service_name": "户籍",
                        },
                    ),
                    idempotency_key=None,
                )
            for _ in range(200):  # the outbox's worker delivers them
                listed = await notifier.inbox("citizen:c-9", None, 10, None)
                if len(listed["items"]) == 3:
                    break
                await asyncio.sleep(0.05)
            first = listed["items"][-1]["id"]
            await notifier.mark(CITIZEN, first, InboxState.READ)
            await notifier.mark(CITIZEN, None, InboxState.READ)

        applied = await verify("inbox", followed, load, messages)
        assert applied >= 4
    finally:
        await phone.close()

"""Services listed in one order everywhere: the hall's (by ticket prefix, A, B, C …), whatever
their ids or the order a setup or a counter names them in. Every read the screens use answers
them in that order, so the display, kiosk, H5 app, workstation and back office agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from hub.auth.models import Principal, Role
from queueing import HALLS, QUEUE, domain
from queueing.models import Channel, HallSetup
from tests.support import RunningHub

CLERK = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
# Ids in another alphabetical order than the prefixes, a setup listing them out of order, a
# counter naming its services backwards, counter 10 whose id sorts before counter 2's.
SETUP = {
    "hall": {"id": "h1", "name": "测试大厅"},
    "services": [
        {"id": "zonghe", "hall_id": "h1", "name": "综合咨询", "prefix": "E"},
        {"id": "huji", "hall_id": "h1", "name": "户籍办理", "prefix": "A"},
        {"id": "qiye", "hall_id": "h1", "name": "企业开办", "prefix": "D"},
        {"id": "shebao", "hall_id": "h1", "name": "社保医保", "prefix": "B"},
        {"id": "gongjijin", "hall_id": "h1", "name": "公积金", "prefix": "C"},
    ],
    "counters": [
        {
            "id": "w10",
            "hall_id": "h1",
            "number": 10,
            "name": "10号窗口",
            "services": [
                {"service_id": "zonghe"},
                {"service_id": "shebao"},
                {"service_id": "huji"},
            ],
        },
        {
            "id": "w2",
            "hall_id": "h1",
            "number": 2,
            "name": "2号窗口",
            "services": [{"service_id": "gongjijin"}, {"service_id": "huji", "weight": 2}],
        },
    ],
}
HALL_ORDER = ["huji", "shebao", "gongjijin", "qiye", "zonghe"]


@pytest.fixture
async def hall(hub: RunningHub) -> RunningHub:
    await hub.app[HALLS].apply_setup(HallSetup.model_validate(SETUP))
    return hub


async def get(hub: RunningHub, path: str, role: Role = Role.ADMIN) -> Any:
    token = hub.token(role, sub="clerk1", hall="h1")
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{hub.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}) as got,
    ):
        assert got.status == 200, await got.text()
        return await got.json()


def test_counters_list_their_services_in_the_halls_order() -> None:
    setup = HallSetup.model_validate(SETUP)
    services = sorted(setup.services, key=lambda s: s.prefix)
    ordered = domain.in_hall_order(services, setup.counters)
    assert [[s.service_id for s in c.services] for c in ordered] == [
        ["huji", "shebao", "zonghe"],
        ["huji", "gongjijin"],
    ]
    assert ordered[1].services[0].weight == 2  # the weights stay with their service


async def test_every_read_lists_services_in_the_halls_order(hall: RunningHub) -> None:
    detail = await get(hall, "/halls/h1")
    assert [s["id"] for s in detail["services"]] == HALL_ORDER
    assert [c["number"] for c in detail["counters"]] == [2, 10]
    assert [[s["service_id"] for s in c["services"]] for c in detail["counters"]] == [
        ["huji", "gongjijin"],
        ["huji", "shebao", "zonghe"],
    ]
    board = await get(hall, "/halls/h1/board", Role.DISPLAY)
    assert [s["id"] for s in board["services"]] == HALL_ORDER
    await hall.app[QUEUE].open_counter("w10", CLERK)
    desk = await get(hall, "/halls/h1/counters/w10/workstation", Role.STAFF)
    assert [s["id"] for s in desk["services"]] == HALL_ORDER
    assert desk["counter"]["services"] == ["huji", "shebao", "zonghe"]


async def test_statistics_rows_follow_the_halls_order(hall: RunningHub) -> None:
    queue = hall.app[QUEUE]
    await queue.open_counter("w10", CLERK)
    await queue.open_counter("w2", Principal("clerk2", Role.STAFF, hall="h1", name="刘洋"))
    for service in reversed(HALL_ORDER):
        await queue.take_ticket("h1", service, Channel.KIOSK, None)
    await queue.call_next("w10", CLERK)
    await queue.call_next("w2", Principal("clerk2", Role.STAFF, hall="h1", name="刘洋"))
    day = domain.local_day(datetime.now(UTC), "Asia/Shanghai").isoformat()
    by_service = await get(hall, f"/halls/h1/stats?day={day}&by=service")
    assert [r["key"] for r in by_service["rows"]] == HALL_ORDER
    assert by_service["rows"][0]["label"] == "A 户籍办理"
    by_counter = await get(hall, f"/halls/h1/stats?day={day}&by=counter")
    assert [r["key"] for r in by_counter["rows"]] == ["w2", "w10"]

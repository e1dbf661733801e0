"""Hall setup and notice against the real store and bus."""

from __future__ import annotations

import aiohttp
import pytest

from hub.auth.models import Role
from queueing.api import HALLS
from queueing.errors import InvalidHallSetup
from queueing.models import HallSetup
from tests.queueing.test_domain import _setup
from tests.support import RunningHub, connect


async def test_apply_setup_stores_and_announces(hub: RunningHub) -> None:
    admin = await connect(hub.url, hub.token(Role.ADMIN))
    try:
        await admin.ok("subscribe", {"topic": "hall:h1"})
        detail = await hub.app[HALLS].apply_setup(_setup())
        assert [s.prefix for s in detail.services] == ["A", "B"]
        events = await admin.wait_events(1)
        assert events[0]["type"] == "queueing.hall_updated"
        # Re-applying with a service removed removes it; counters are replaced.
        smaller = _setup(
            services=[{"id": "s1", "hall_id": "h1", "name": "户籍", "prefix": "A"}],
            counters=[
                {
                    "id": "w9",
                    "hall_id": "h1",
                    "number": 9,
                    "name": "9号",
                    "services": [{"service_id": "s1"}],
                }
            ],
        )
        detail = await hub.app[HALLS].apply_setup(smaller)
        assert [s.id for s in detail.services] == ["s1"]
        assert [c.id for c in detail.counters] == ["w9"]
    finally:
        await admin.close()


async def test_bad_setup_changes_nothing(memory_hub: RunningHub) -> None:
    service = memory_hub.app[HALLS]
    await service.apply_setup(_setup())
    with pytest.raises(InvalidHallSetup):
        await service.apply_setup(_setup(services__prefix="B", hall__name="改名"))
    detail = await service.hall("h1")
    assert detail.hall.name == "大厅"
    assert [s.prefix for s in detail.services] == ["A", "B"]


async def test_notice_rest_and_command_scopes(memory_hub: RunningHub) -> None:
    await memory_hub.app[HALLS].apply_setup(_setup())
    await memory_hub.app[HALLS].apply_setup(
        HallSetup.model_validate(
            {"hall": {"id": "h2", "name": "二号厅"}, "services": [], "counters": []}
        )
    )
    supervisor = memory_hub.token(Role.SUPERVISOR, hall="h1")
    async with aiohttp.ClientSession() as http:
        async with http.put(
            memory_hub.url + "/api/v1/halls/h1/notice",
            json={"notice": " 今日下午停电检修 "},
            headers={"Authorization": f"Bearer {supervisor}"},
        ) as response:
            assert response.status == 200
            assert (await response.json())["hall"]["notice"] == "今日下午停电检修"
        async with http.put(
            memory_hub.url + "/api/v1/halls/h2/notice",
            json={"notice": "x"},
            headers={"Authorization": f"Bearer {supervisor}"},
        ) as response:
            assert response.status == 403
        async with http.put(
            memory_hub.url + "/api/v1/halls/h1/setup",
            json=_setup().model_dump(mode="json", by_alias=False),
            headers={"Authorization": f"Bearer {supervisor}"},
        ) as response:
            assert response.status == 403
    assert (await memory_hub.app[HALLS].hall("h2")).hall.notice == ""
    display = await connect(memory_hub.url, memory_hub.token(Role.DISPLAY, hall="h1"))
    try:
        error = await display.error("queueing.set_notice", {"hall_id": "h1", "notice": "x"})
        assert error["code"] == "FORBIDDEN"
    finally:
        await display.close()


async def test_counter_topic_follows_the_counters_hall(memory_hub: RunningHub) -> None:
    await memory_hub.app[HALLS].apply_setup(_setup())
    display_h1 = await connect(memory_hub.url, memory_hub.token(Role.DISPLAY, hall="h1"))
    display_h2 = await connect(memory_hub.url, memory_hub.token(Role.DISPLAY, hall="h2"))
    try:
        await display_h1.ok("subscribe", {"topic": "counter:w1"})
        assert (await display_h2.error("subscribe", {"topic": "counter:w1"}))["code"] == (
            "TOPIC_FORBIDDEN"
        )
        assert (await display_h1.error("subscribe", {"topic": "counter:nope"}))["code"] == (
            "TOPIC_FORBIDDEN"
        )
    finally:
        await display_h1.close()
        await display_h2.close()


async def test_service_ids_are_per_hall_and_counter_ids_unique(memory_hub: RunningHub) -> None:
    halls = memory_hub.app[HALLS]
    await halls.apply_setup(_setup())
    second = _setup(hall={"id": "h2", "name": "二号厅"})
    second = second.model_copy(
        update={
            "services": [s.model_copy(update={"hall_id": "h2"}) for s in second.services],
            "counters": [
                c.model_copy(update={"hall_id": "h2", "id": "h2-w1"}) for c in second.counters
            ],
        }
    )
    await halls.apply_setup(second)  # the same service ids "s1", "s2" in another hall
    assert [s.hall_id for s in (await halls.hall("h1")).services] == ["h1", "h1"]
    assert [s.hall_id for s in (await halls.hall("h2")).services] == ["h2", "h2"]
    stealing = second.model_copy(
        update={"counters": [c.model_copy(update={"id": "w1"}) for c in second.counters]}
    )
    with pytest.raises(InvalidHallSetup, match="w1"):
        await halls.apply_setup(stealing)
    assert (await halls.counter("w1")) is not None
    assert (await halls.counter("w1")).hall_id == "h1"  # type: ignore[union-attr]

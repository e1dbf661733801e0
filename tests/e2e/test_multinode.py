"""Two hub processes sharing Redis and MongoDB: an event published on one reaches clients on
the other, in order, and a client can move between nodes without losing events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.auth.models import Role
from hub.auth.tokens import TokenIssuer
from tests.support import (
    JWT_SECRET,
    REDIS_URL,
    HubProcess,
    connect,
    drop_database,
    drop_redis_prefix,
    hub_process,
)

pytestmark = pytest.mark.multinode

HALL = {
    "hall": {"id": "h1", "name": "测试大厅"},
    "services": [{"id": "s1", "hall_id": "h1", "name": "户籍", "prefix": "A"}],
    "counters": [
        {
            "id": "h1-w1",
            "hall_id": "h1",
            "number": 1,
            "name": "1号窗口",
            "services": [{"service_id": "s1"}],
        },
    ],
}


@pytest.fixture
def cluster(tmp_path: Path, mongo_url: str) -> Iterator[tuple[HubProcess, HubProcess]]:
    prefix = f"hhtest:{uuid.uuid4().hex[:8]}:"
    db = f"t_{uuid.uuid4().hex[:12]}"
    env = {
        "HALLHUB_MONGODB_URL": mongo_url,
        "HALLHUB_MONGODB_DB": db,
        "HALLHUB_REDIS_URL": REDIS_URL,
        "HALLHUB_REDIS_PREFIX": prefix,
        "HALLHUB_JWT_SECRET": JWT_SECRET,
    }
    with (
        hub_process({**env, "HALLHUB_DATA_DIR": str(tmp_path / "a")}) as node_a,
        hub_process({**env, "HALLHUB_DATA_DIR": str(tmp_path / "b")}) as node_b,
    ):
        yield node_a, node_b
    asyncio.run(drop_redis_prefix(prefix))
    drop_database(mongo_url, db)


def _token(role: Role, **kwargs: Any) -> str:
    token, _ = TokenIssuer(JWT_SECRET, 3600).issue(f"{role.value}-x", role, **kwargs)
    return token


async def _rest(node: HubProcess, method: str, path: str, body: Any) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method,
            node.url + path,
            json=body,
            headers={"Authorization": f"Bearer {_token(Role.ADMIN)}"},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        return await response.json()


async def test_events_cross_nodes_in_order_and_a_client_can_move(
    cluster: tuple[HubProcess, HubProcess],
) -> None:
    node_a, node_b = cluster
    admin_on_a = await connect(node_a.url, _token(Role.ADMIN))
    display_on_b = await connect(node_b.url, _token(Role.DISPLAY, hall="h1"))
    try:
        await admin_on_a.ok("subscribe", {"topic": "hall:h1"})
        subscribed = await display_on_b.ok("subscribe", {"topic": "hall:h1"})
        assert subscribed["seq"] == 0

        await _rest(node_a, "PUT", "/api/v1/halls/h1/setup", HALL)
        for i in range(5):  # commands on node A
            await admin_on_a.ok("queueing.set_notice", {"hall_id": "h1", "notice": f"通知{i}"})
        await _rest(node_b, "PUT", "/api/v1/halls/h1/notice", {"notice": "来自B"})  # on node B

        for client in (display_on_b, admin_on_a):
            events = await client.wait_events(7)
            assert [e["seq"] for e in events] == list(range(1, 8))
            assert events[0]["type"] == "queueing.hall_updated"
            assert [e["data"]["notice"] for e in events[1:]] == [
                "通知0",
                "通知1",
                "通知2",
                "通知3",
                "通知4",
                "来自B",
            ]
        last_seq = display_on_b.events[-1]["seq"]
        epoch = subscribed["epoch"]
        await display_on_b.close()

        # While the display is away, two more notices; it comes back on the other node.
        await admin_on_a.ok("queueing.set_notice", {"hall_id": "h1", "notice": "离线1"})
        await admin_on_a.ok("queueing.set_notice", {"hall_id": "h1", "notice": "离线2"})
        moved = await connect(node_a.url, _token(Role.DISPLAY, hall="h1"))
        try:
            resumed = await moved.ok(
                "subscribe", {"topic": "hall:h1", "after_seq": last_seq, "epoch": epoch}
            )
            assert [e["data"]["notice"] for e in resumed["missed"]] == ["离线1", "离线2"]
            assert [e["seq"] for e in resumed["missed"]] == [8, 9]
        finally:
            await moved.close()
    finally:
        await admin_on_a.close()
        await display_on_b.close()

"""The store restarted or hung: commands answer STORE_UNAVAILABLE at once (never hang, never a
500 with a trace), /readyz goes red, a metric and a log line say so, and everything resumes
when the store is back, nothing lost. The embedded default's store process, killed, is started
again by its hub."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.auth.models import Role
from tests.faults.driver import Backoff
from tests.faults.harness import Cluster, Node, hall_cluster, hall_setup, token, until
from tests.faults.scenario import build, describe, wait_messages
from tests.faults.truth import faults
from tests.support import JWT_SECRET, UNLIMITED_COMMANDS, Client, connect

pytestmark = pytest.mark.faults

# Small bounds, so the test sees an outage answered in about a second.
OUTAGE_ENV = {
    "HALLHUB_STORE_TIMEOUT_SECONDS": "1",
    "HALLHUB_STORE_OPERATION_TIMEOUT_SECONDS": "2",
}
TAKE = {"hall_id": "h1", "service_id": "s1", "channel": "kiosk"}


async def take(kiosk: Client, n: int) -> dict[str, Any]:
    return await kiosk.call("queueing.take_ticket", {**TAKE, "request_id": f"take-{n:06d}"})


async def timed_take(kiosk: Client, n: int) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    answer = await take(kiosk, n)
    return answer, time.monotonic() - started


async def wait_ready(http: aiohttp.ClientSession, node: Node, seconds: float = 30) -> float:
    """Seconds until the node's /readyz answers 200."""
    started = time.monotonic()
    async with asyncio.timeout(seconds):
        while True:
            async with http.get(node.url + "/readyz") as response:
                if response.status == 200:
                    return time.monotonic() - started
            await asyncio.sleep(0.1)


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with hall_cluster(halls=[hall_setup("h1")], env=OUTAGE_ENV) as running:
        yield running


async def test_a_store_restart_is_answered_with_a_code_and_nothing_is_lost(
    cluster: Cluster,
) -> None:
    node = cluster.nodes[0]
    crowd = build(cluster, displays_per_hall=2, phones_per_hall=4, backoff=Backoff(0.3))
    kiosk = await connect(node.url, token(Role.DISPLAY, hall="h1"))
    stop = asyncio.Event()
    try:
        await crowd.start()
        await crowd.register(cluster)
        before = [await take(kiosk, n) for n in range(3)]
        assert all(answer["ok"] for answer in before), before
        # Messages queued just before the store goes: their deliveries are pending in the
        # outbox when it dies.
        center = crowd.center
        assert center is not None
        for phone in crowd.phones:
            assert await center.send(f"citizen:{phone.citizen_id}", stop)

        cluster.store.kill()
        answer, seconds = await timed_take(kiosk, 3)
        assert answer["ok"] is False
        assert answer["error"]["code"] == "STORE_UNAVAILABLE", answer
        assert seconds < 8  # answered, not hung until the command timeout (15 s)
        status, problem = await cluster.rest("GET", "/halls/h1", base=node.url)
        assert status == 503, problem
        assert problem["code"] == "STORE_UNAVAILABLE"
        ready, body = await cluster.ready(node)
        assert ready == 503
        assert body["checks"]["mongodb"].startswith("error")
        up = 'hallhub_dependency_up{system="mongodb"}'
        # The health check runs every second; the gauge falls with the log line.
        await until(lambda: bool(node.lines("dependency_down")), 10, "dependency_down logged")
        assert await node.metric(cluster.http, up) == 0
        assert node.lines("dependency_down")

        await cluster.store.start()
        await wait_ready(cluster.http, node)
        # The take that failed is sent again with the same id: it runs now, once.
        again = await take(kiosk, 3)
        assert again["ok"] is True, again
        repeat = await take(kiosk, 3)
        assert repeat["data"]["ticket_id"] == again["data"]["ticket_id"]
        numbers = [a["data"]["number"] for a in [*before, again]]
        assert numbers == ["A0001", "A0002", "A0003", "A0004"]
        assert cluster.store.count(cluster.db, "queueing_tickets", {}) == 4
        await until(lambda: bool(node.lines("dependency_up")), 10, "dependency_up logged")
        assert "down_seconds" in node.lines("dependency_up")[-1]

        # The messages pending in the outbox were delivered, each exactly once.
        await wait_messages(cluster, crowd)
        logs, counted = await crowd.judge(cluster.url, cluster.http)
        assert crowd.messages(logs) == dict.fromkeys(center.sent, 1)
        assert faults(counted) == {}, describe(counted)
        for each in cluster.nodes:
            assert not each.lines("Traceback"), "\n".join(each.output[-30:])
    finally:
        await kiosk.close()
        await crowd.close()


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[Node]:
    """One node on the embedded default: no HALLHUB_MONGODB_URL, its own store process."""
    env = {
        "HALLHUB_DATA_DIR": str(tmp_path / "var"),
        "HALLHUB_JWT_SECRET": JWT_SECRET,
        **OUTAGE_ENV,
        **{f"HALLHUB_RATE_LIMIT__{k.upper()}": str(v) for k, v in UNLIMITED_COMMANDS.items()},
    }
    node = Node("embedded", env)
    node.env = {k: v for k, v in (node.env or {}).items() if k != "HALLHUB_MONGODB_URL"}
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


def store_pid(tmp_path: Path) -> int:
    return int((tmp_path / "var" / "nx-27017.pid").read_text().strip())


async def test_the_embedded_store_hung_or_killed(embedded: Node, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        setup = hall_setup("h1")
        async with http.put(
            embedded.url + "/api/v1/halls/h1/setup",
            json=setup,
            headers={"Authorization": f"Bearer {token(Role.ADMIN)}"},
        ) as response:
            assert response.status == 200, await response.text()
        kiosk = await connect(embedded.url, token(Role.DISPLAY, hall="h1"))
        try:
            assert (await take(kiosk, 0))["ok"]

            # Hung (stopped, not dead): each command waits at most the operation timeout.
            pid = store_pid(tmp_path)
            os.kill(pid, signal.SIGSTOP)
            try:
                answer, seconds = await timed_take(kiosk, 1)
                assert answer["error"]["code"] == "STORE_UNAVAILABLE", answer
                assert seconds < 8
            finally:
                os.kill(pid, signal.SIGCONT)
            await wait_ready(http, embedded)
            resumed = await take(kiosk, 1)
            assert resumed["ok"], resumed

            # Killed: the hub starts it again on the same port and data; nothing is lost.
            os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.5)
            await wait_ready(http, embedded)
            assert store_pid(tmp_path) != pid
            # Told once the restarted store answers.
            await until(
                lambda: bool(embedded.lines("embedded_store_restarted")), 10, "restart logged"
            )
            restarts = await embedded.metric(http, "hallhub_embedded_store_restarts_total")
            assert restarts == 1
            third = await take(kiosk, 2)
            assert third["ok"], third
            assert third["data"]["number"] == "A0003"
        finally:
            await kiosk.close()

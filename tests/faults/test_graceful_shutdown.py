"""A node stopped with SIGTERM during traffic: it stops taking connections, finishes the
commands it is running, tells its clients (1001 going away), exits cleanly, and the clients
carry on through nginx on the other node with nothing missed, repeated or taken twice."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from hub.auth.models import Role
from tests.faults.driver import Backoff
from tests.faults.harness import hall_cluster, hall_setup, token
from tests.faults.scenario import build, describe, wait_messages
from tests.faults.truth import faults, total

pytestmark = pytest.mark.faults


async def going_away_code(url: str, auth: str, connected: asyncio.Event) -> int | None:
    """A socket held open on one node: the close code the node sends when it stops."""
    async with aiohttp.ClientSession() as http:
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(ws_url, autoping=True) as ws:
            await ws.receive()  # Engine.IO OPEN
            await ws.send_str("40" + json.dumps({"token": auth}))
            connected.set()
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT and message.data == "2":
                    await ws.send_str("3")
            return ws.close_code


async def test_sigterm_during_traffic_drains_and_loses_nothing() -> None:
    async with hall_cluster(halls=[hall_setup("h1")]) as cluster:
        stopping = cluster.nodes[0]
        crowd = build(cluster, displays_per_hall=10, phones_per_hall=10, backoff=Backoff(0.3))
        stop = asyncio.Event()
        try:
            await crowd.start()
            await crowd.register(cluster)
            await crowd.fill(20, stop)
            connected = asyncio.Event()
            held = asyncio.create_task(
                going_away_code(stopping.url, token(Role.DISPLAY, hall="h1"), connected)
            )
            await connected.wait()
            busy = asyncio.create_task(crowd.busy(stop))
            await asyncio.sleep(1.5)
            takes = asyncio.create_task(crowd.take(crowd.phones, stop, spread=0.5))
            await asyncio.sleep(0.1)
            stopping.terminate()
            exit_code = await stopping.wait(20)
            await asyncio.sleep(3.0)
            stop.set()
            await asyncio.gather(busy, takes)
            await wait_messages(cluster, crowd)
            logs, counted = await crowd.judge(cluster.url, cluster.http)
            close_code = await asyncio.wait_for(held, 5)
        finally:
            await crowd.close()

        assert exit_code == 0, "\n".join(stopping.output[-20:])
        assert stopping.lines("node_draining")
        assert not stopping.lines("Traceback"), "\n".join(stopping.output[-30:])
        assert close_code == 1001
        assert faults(counted) == {}, describe(counted)
        # Every message the center was answered for arrived once.
        seen = crowd.messages(logs)
        assert seen, "no message was sent"
        assert set(seen.values()) == {1}, seen
        whole = total(counted.values())
        assert whole.resyncs == 0, describe(counted)
        assert whole.delivered > 300, describe(counted)
        # Commands the stopping node was running were answered; those it refused were sent
        # again elsewhere: every phone has exactly the one ticket it was answered.
        for phone in crowd.phones:
            stored = cluster.tickets_of(phone.citizen_id)
            assert (stored, len(phone.tickets)) == (1, 1), (phone.citizen_id, phone.outcomes.codes)

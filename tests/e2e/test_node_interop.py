"""The official Node client (socket.io-client from npm) talks to the hub."""

from __future__ import annotations

import asyncio
import json
import shutil

from hub.auth.models import Role
from tests.support import ROOT, SAMPLE, RunningHub

SCRIPT = ROOT / "tests" / "e2e" / "node_interop.mjs"


async def _run_node(*args: str) -> asyncio.subprocess.Process:
    node = shutil.which("node")
    assert node, "Node.js is required"
    return await asyncio.create_subprocess_exec(
        node, str(SCRIPT), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


async def test_node_client_subscribes_and_receives(hub: RunningHub) -> None:
    process = await _run_node(hub.url, hub.token(Role.DISPLAY, hall="h1"), "hall:h1")
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
    assert line.startswith("SUBSCRIBED "), line
    ack = json.loads(line.split(" ", 1)[1])
    assert ack["ok"] is True
    assert ack["data"]["topic"] == "hall:h1"
    await hub.publish("hall:h1", SAMPLE, {"number": "A001", "窗口": "5号"})
    line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
    assert line.startswith("EVENT "), line
    envelope = json.loads(line.split(" ", 1)[1])
    assert envelope["seq"] == ack["data"]["seq"] + 1
    assert envelope["data"] == {"number": "A001", "窗口": "5号"}
    assert await asyncio.wait_for(process.wait(), 20) == 0


async def test_node_client_is_refused_with_a_reason(hub: RunningHub) -> None:
    process = await _run_node(hub.url, "bad-token", "hall:h1")
    stdout, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    line = stdout.decode().strip().splitlines()[-1]
    assert line.startswith("REFUSED ")
    assert json.loads(line.split(" ", 1)[1])["code"] == "TOKEN_INVALID"

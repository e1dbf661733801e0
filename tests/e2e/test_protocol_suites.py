"""The official Engine.IO and Socket.IO protocol test suites, in our port (tests/protocol/,
node:test and `ws`), run by Node against the hub started for real."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub import keys
from hub.access import Reach, grant
from hub.auth.models import Role
from hub.gateway.commands import Call, Payload
from tests.support import ROOT, RunningHub, drop_database, make_settings, running_hub

SUITES = ROOT / "tests" / "protocol"
# Upstream suite -> our port, and how many cases it has (each upstream case is one test).
CASES = {
    "engine.io-protocol": ("engineio_suite.mjs", 24),
    "socket.io-protocol": ("socketio_suite.mjs", 32),
}


class EchoIn(Payload):
    value: Any


class MessageIn(Payload):
    args: list[Any]


@pytest.fixture
async def suite_hub(tmp_path: Path, mongo_url: str) -> AsyncIterator[RunningHub]:
    """Timings of the upstream suites' reference servers (ping every 300 ms, 200 ms to answer,
    1 s to connect), and the two commands standing in for their "message" handlers."""
    settings = make_settings(
        tmp_path,
        mongo_url,
        ping_interval=0.3,
        ping_timeout=0.2,
        connect_timeout=1.0,
        attachment_timeout=1.0,
    )
    try:
        async with running_hub(settings) as hub:
            gateway = hub.app[keys.GATEWAY]

            async def echo(call: Call, payload: EchoIn) -> dict[str, Any]:
                return {"value": payload.value}

            async def message(call: Call, payload: MessageIn) -> None:
                await gateway.sio.emit("message-back", {"args": payload.args}, to=call.sid)

            hub.app[keys.COMMANDS].add("test.echo", EchoIn, echo)
            hub.app[keys.COMMANDS].add("test.message", MessageIn, message)
            hub.app[keys.ACCESS].add(
                "test",
                {"test.echo": grant(admin=Reach.ANY), "test.message": grant(admin=Reach.ANY)},
            )
            yield hub
    finally:
        drop_database(mongo_url, settings.mongodb_db)


@pytest.mark.parametrize("suite", list(CASES))
async def test_protocol_suite(suite_hub: RunningHub, suite: str) -> None:
    node = shutil.which("node")
    assert node, "Node.js is required"
    script, cases = CASES[suite]
    settings = suite_hub.settings
    env = {
        **os.environ,
        "HALLHUB_SUITE_URL": suite_hub.url,
        "HALLHUB_SUITE_TOKEN": suite_hub.token(Role.ADMIN),
        "HALLHUB_SUITE_PING_INTERVAL": str(round(settings.ping_interval * 1000)),
        "HALLHUB_SUITE_PING_TIMEOUT": str(round(settings.ping_timeout * 1000)),
    }
    process = await asyncio.create_subprocess_exec(
        node,
        "--test-reporter=tap",
        str(SUITES / script),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 100)
    tap = output.decode()
    counts = {k: int(v) for k, v in re.findall(r"^# (\w+) (\d+)$", tap, re.MULTILINE)}
    print(f"\n{suite}: {counts.get('pass')} passed, {counts.get('fail')} failed of {cases}")
    failed = [line for line in tap.splitlines() if line.lstrip().startswith("not ok")]
    assert process.returncode == 0, "\n".join(failed) + "\n\n" + tap[-6000:]
    # Every upstream case ran and passed: none failed, skipped, left to do or cancelled.
    assert counts.get("tests") == cases, tap[-3000:]
    assert (counts.get("pass"), counts.get("fail")) == (cases, 0), tap[-3000:]
    assert counts.get("skipped") == counts.get("todo") == counts.get("cancelled") == 0

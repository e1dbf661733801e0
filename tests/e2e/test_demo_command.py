"""`hallhub demo` as a new user runs it: embedded store started and stopped with the hub,
demo data loaded, every printed URL works, data and tokens survive a restart."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.support import connect, hub_process


def _store_processes(data_dir: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "hub.nx_server" in text and str(data_dir) in text:
            found.append(text)
    return found


async def test_demo_runs_on_the_embedded_store_and_prints_working_urls(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    env = {"HALLHUB_DATA_DIR": str(data_dir), "HALLHUB_MONGODB_URL": "", "HALLHUB_REDIS_URL": ""}
    with hub_process(env, command="demo") as node:
        printed = "\n".join(node.output)
        display_url = re.search(r"Hall display: (\S+)", printed)
        citizen_url = re.search(r"Citizen mini-app: (\S+)", printed)
        assert display_url, printed
        assert citizen_url, printed
        assert (data_dir / "mongo").is_dir()
        assert len(_store_processes(data_dir)) == 1
        async with aiohttp.ClientSession() as http:
            async with http.get(node.url + "/readyz") as response:
                assert (await response.json())["status"] == "ready"
            async with http.post(
                node.url + "/api/v1/auth/login",
                json={"username": "admin", "password": "hallhub-admin"},
            ) as response:
                admin = (await response.json())["token"]
            async with http.get(
                node.url + "/api/v1/halls", headers={"Authorization": f"Bearer {admin}"}
            ) as response:
                halls = await response.json()
        assert [h["id"] for h in halls] == ["xc-01"]
        assert halls[0]["services"] == 5
        assert halls[0]["counters"] == 7

        # Every screen of the README is printed, and every printed URL answers.
        urls = sorted(set(re.findall(r"https?://\S+", printed)))
        pages = {url.removeprefix(node.url).split("?")[0] for url in urls}
        assert {
            "/web/",
            "/web/admin.html",
            "/web/workstation.html",
            "/web/display.html",
            "/web/counter.html",
            "/web/kiosk.html",
            "/web/agent.html",
            "/web/monitor.html",
            "/m/",
            "/m/take.html",
            "/m/book.html",
            "/m/checkin.html",
            "/m/video.html",
        } <= pages, pages
        async with aiohttp.ClientSession() as http:
            for url in urls:
                async with http.get(url) as response:
                    assert response.status == 200, url

        display_token = display_url.group(1).split("token=")[1]
        display = await connect(node.url, display_token)
        try:
            answer = await display.ok("subscribe", {"topic": "hall:xc-01"})
            assert answer["seq"] >= 1  # the demo's hall_updated
        finally:
            await display.close()
        # A stopping node says "going away" (1001) so clients move to another node.
        ws_url = node.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
            await ws.receive_str()
            await ws.send_str('40{"token":"' + display_token + '"}')
            await ws.receive_str()
            node.process.terminate()
            closing = await ws.receive()
            assert closing.type == aiohttp.WSMsgType.CLOSE
            assert closing.data == aiohttp.WSCloseCode.GOING_AWAY
        assert await asyncio.to_thread(node.process.wait, 20) == 0
    assert _store_processes(data_dir) == []

    # Second start: same data directory, accounts kept, the old display token still valid.
    with hub_process(env, command="serve") as node:
        display = await connect(node.url, display_token)
        try:
            await display.ok("subscribe", {"topic": "hall:xc-01"})
        finally:
            await display.close()
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                node.url + "/api/v1/auth/login",
                json={"username": "clerk01", "password": "hallhub-clerk"},
            ) as response,
        ):
            assert response.status == 200


def test_token_command_prints_a_token_the_hub_accepts(tmp_path: Path) -> None:
    from hub.auth.models import Role
    from hub.auth.tokens import TokenIssuer

    secret = "cli-secret-" + "z" * 40
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "token",
            "--role",
            "display",
            "--hall",
            "xc-01",
            "--days",
            "2",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={
            "HALLHUB_JWT_SECRET": secret,
            "PATH": "/usr/bin:/bin",
            "HALLHUB_DATA_DIR": str(tmp_path),
        },
        cwd=Path(__file__).resolve().parents[2],
    )
    principal = TokenIssuer(secret, 60).verify(out.stdout.strip())
    assert (principal.role, principal.hall) == (Role.DISPLAY, "xc-01")
    failed = subprocess.run(
        [sys.executable, "-m", "hub", "token", "--role", "display"],
        capture_output=True,
        text=True,
        env={
            "HALLHUB_JWT_SECRET": secret,
            "PATH": "/usr/bin:/bin",
            "HALLHUB_DATA_DIR": str(tmp_path),
        },
        cwd=Path(__file__).resolve().parents[2],
    )
    assert failed.returncode != 0

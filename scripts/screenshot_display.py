"""Take the README's screenshot of the hall display (docs/screenshot-display.png) from the demo.

    .venv/bin/python scripts/screenshot_display.py [--out docs/screenshot-display.png]

Starts `hallhub demo` on a free port with its data in a temporary directory, makes a morning
at the counters through the REST API as the demo clerks would (tickets taken, counters opened,
calls, one counter serving, one paused for 午休), and photographs the display in headless
Chromium at 1920×1080 (voice allowed without a click, so no overlay covers it). Needs the
built clients (`scripts/setup` or `cd clients && npm run build`) and Debian's Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import async_playwright, expect

ROOT = Path(__file__).resolve().parent.parent
HALL = "xc-01"
# The demo's staff accounts (config/demo.yaml).
CLERKS = {"clerk01": "hallhub-clerk", "clerk02": "hallhub-clerk", "supervisor": "hallhub-super"}
SERVICES = ["huji", "huji", "shebao", "gongjijin", "huji", "qiye", "zonghe", "shebao", "zonghe"]


def chromium() -> str:
    for candidate in (os.environ.get("HALLHUB_CHROMIUM", ""), "chromium", "chromium-browser"):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    sys.exit("Chromium not found: install Debian's chromium (scripts/setup --test-deps)")


async def start_demo(data_dir: Path) -> tuple[asyncio.subprocess.Process, str, str]:
    """The demo hub and, from what it prints, its address and the display's URL."""
    env = {**os.environ, "HALLHUB_DATA_DIR": str(data_dir), "HALLHUB_LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        str(ROOT / ".venv" / "bin" / "hallhub"),
        "demo",
        "--port",
        "0",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    display = ""
    async with asyncio.timeout(120):
        while line := (await process.stdout.readline()).decode("utf-8", "replace"):
            if found := re.search(r"Hall display: (\S+)", line):
                display = found.group(1)
            if found := re.search(r"HALLHUB_READY (\S+)", line):
                return process, found.group(1), display
    sys.exit("the demo did not start")


async def call(
    http: aiohttp.ClientSession, base: str, token: str, path: str, body: dict[str, Any]
) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(f"{base}/api/v1{path}", json=body, headers=headers) as response:
        answer = await response.json()
        if response.status >= 400:
            raise RuntimeError(f"{path}: {answer}")
        return answer


async def a_morning(base: str) -> None:
    """Tickets for every service; counter 1 calling its second ticket, 3 serving, 7 calling,
    5 paused for 午休, the others closed."""
    async with aiohttp.ClientSession() as http:
        tokens = {}
        for user, password in CLERKS.items():
            async with http.post(
                f"{base}/api/v1/auth/login", json={"username": user, "password": password}
            ) as response:
                tokens[user] = (await response.json())["token"]
        for service in SERVICES:
            body = {"service_id": service, "channel": "staff"}
            await call(http, base, tokens["clerk01"], f"/halls/{HALL}/tickets", body)
        steps = [
            ("clerk01", "w1", "open-counter", {}),
            ("clerk01", "w1", "call-next", {}),
            ("clerk01", "w1", "finish", {}),
            ("clerk01", "w1", "call-next", {}),
            ("clerk02", "w3", "open-counter", {}),
            ("clerk02", "w3", "call-next", {}),
            ("clerk02", "w3", "start", {}),
            ("supervisor", "w5", "open-counter", {}),
            ("supervisor", "w5", "pause", {"reason": "午休"}),
            ("supervisor", "w7", "open-counter", {}),
            ("supervisor", "w7", "call-next", {}),
        ]
        for user, counter, action, body in steps:
            path = f"/halls/{HALL}/counters/{HALL}-{counter}/{action}"
            await call(http, base, tokens[user], path, body)


async def photograph(display_url: str, out: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
        )
        page = await browser.new_page(
            viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        await page.goto(display_url)
        await expect(page.get_by_test_id("conn-state")).to_have_attribute(
            "data-state", "online", timeout=30_000
        )
        await expect(page.get_by_test_id("latest-call")).to_be_visible(timeout=30_000)
        await page.wait_for_timeout(3000)  # the call's highlight settles
        out.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(out))
        await browser.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot-display.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hallhub-screenshot-") as data_dir:
        process, base, display = await start_demo(Path(data_dir))
        try:
            await a_morning(base)
            await photograph(display, args.out)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    asyncio.run(main())

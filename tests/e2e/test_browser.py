"""The display page and the citizen H5 page in headless Chromium (Debian's, driven by
Playwright), against the hub serving its built clients."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from hub.auth.models import Role
from queueing.api import HALLS
from tests.queueing.test_domain import _setup
from tests.support import CHROMIUM_ARGS, RunningHub, chromium_path

pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[BrowserContext]:
    with tempfile.TemporaryDirectory(prefix="hallhub-chromium-") as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=chromium_path(),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1920, "height": 1080},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            try:
                yield context
            finally:
                await context.close()


async def _rows(page: Page) -> list[int]:
    seqs = await page.locator('[data-testid="event-row"]').evaluate_all(
        "rows => rows.map(r => Number(r.dataset.seq))"
    )
    return sorted(seqs)


async def test_display_shows_live_events_and_survives_a_reconnect(
    memory_hub: RunningHub, browser: BrowserContext
) -> None:
    hub = memory_hub
    await hub.app[HALLS].apply_setup(_setup())  # seq 1: hall_updated
    token = hub.token(Role.DISPLAY, hall="h1")
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{hub.url}/web/display.html?hall=h1&token={token}")
    state = page.get_by_test_id("conn-state")
    await expect(state).to_have_attribute("data-state", "online")
    await expect(page.get_by_test_id("hall-name")).to_have_text("大厅")
    await expect(page.get_by_test_id("event-row")).to_have_count(1)  # from the snapshot
    await page.evaluate("window.__sameDocument = true")

    await hub.publish("hall:h1", "queueing.ticket_called", {"number": "A001", "counter": "1号"})
    await expect(page.get_by_test_id("event-row")).to_have_count(2)
    await page.screenshot(path=str(hub.settings.data_dir / "display.png"))

    # The network drops; two calls happen while the page is away.
    assert hub.drop_all_sockets() == 1
    await hub.publish("hall:h1", "queueing.ticket_called", {"number": "A002", "counter": "2号"})
    await hub.publish("hall:h1", "queueing.ticket_called", {"number": "A003", "counter": "3号"})
    await expect(page.get_by_test_id("event-row")).to_have_count(4, timeout=15_000)
    await expect(state).to_have_attribute("data-state", "online")
    assert await _rows(page) == [1, 2, 3, 4]
    assert await page.evaluate("window.__sameDocument") is True  # no reload
    await hub.publish("hall:h1", "queueing.ticket_called", {"number": "A004", "counter": "1号"})
    await expect(page.get_by_test_id("event-row")).to_have_count(5)
    assert await _rows(page) == [1, 2, 3, 4, 5]
    # The hall notice changes live at the foot of the screen.
    await hub.app[HALLS].set_notice("h1", "今日16:00起系统升级，请提前取号")
    await expect(page.get_by_test_id("hall-notice")).to_have_text("今日16:00起系统升级，请提前取号")
    assert errors == []


async def test_display_with_a_bad_token_says_so(
    memory_hub: RunningHub, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    await page.goto(f"{memory_hub.url}/web/display.html?hall=h1&token=not-a-token")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "refused")


async def test_citizen_page_receives_its_own_events(
    memory_hub: RunningHub, browser: BrowserContext
) -> None:
    hub = memory_hub
    token = hub.token(Role.CITIZEN, sub="c-100")
    page = await browser.new_page()
    await page.set_viewport_size({"width": 375, "height": 812})
    await page.goto(f"{hub.url}/m/?token={token}")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "online")
    await hub.publish("citizen:c-999", "queueing.turn_near", {"number": "B007"})
    await hub.publish("citizen:c-100", "queueing.turn_near", {"number": "B008", "ahead": 2})
    await expect(page.get_by_test_id("event-row")).to_have_count(1)
    assert await _rows(page) == [1]

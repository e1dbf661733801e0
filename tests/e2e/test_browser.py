"""The screens in headless Chromium (Debian's, driven by Playwright) against the hub serving its
built clients: the hall display, the counter workstation and the citizen H5 app, end to end."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import BrowserContext, Page, expect

from hub.auth.models import Principal, Role
from queueing.api import HALLS, QUEUE
from queueing.models import Channel
from tests.support import RunningHub

pytestmark = pytest.mark.browser

CLERK = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")


async def open_display(hub: RunningHub, browser: BrowserContext) -> Page:
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    token = hub.token(Role.DISPLAY, hall="h1")
    await page.goto(f"{hub.url}/web/display.html?hall=h1&token={token}")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "online")
    await expect(page.get_by_test_id("hall-name")).to_have_text("测试大厅")
    await page.evaluate("window.__sameDocument = true")
    page.set_default_timeout(15_000)
    setattr(page, "_errors", errors)  # noqa: B010 - read back at the end of the test
    return page


async def announced(page: Page) -> list[str]:
    log: list[str] = await page.evaluate(
        "window.hallhubAnnouncer ? [...window.hallhubAnnouncer.log] : []"
    )
    return log


async def announced_eventually(page: Page, expected: list[str], seconds: float = 15) -> None:
    """The announcer's log becomes `expected` (announcements queue up, never cut off)."""
    log: list[str] = []
    async with asyncio.timeout(seconds):
        while (log := await announced(page)) != expected:
            if len(log) > len(expected):
                break
            await asyncio.sleep(0.1)
    assert log == expected


async def test_display_shows_calls_announces_them_and_misses_none_across_a_reconnect(
    hall: RunningHub, browser: BrowserContext
) -> None:
    queue = hall.app[QUEUE]
    await queue.open_counter("w1", CLERK)
    for _ in range(4):
        await queue.take_ticket("h1", "s1", Channel.KIOSK, None)
    page = await open_display(hall, browser)
    await expect(
        page.locator('[data-testid="service-waiting"][data-service="s1"]')
    ).to_have_attribute("data-waiting", "4")

    await queue.call_next("w1", CLERK)
    latest = page.get_by_test_id("latest-call")
    await expect(latest).to_have_attribute("data-number", "A001")
    await expect(latest).to_have_attribute("data-counter-number", "1")
    await expect(page.locator('[data-testid="counter-tile"][data-counter="w1"]')).to_have_attribute(
        "data-number", "A001"
    )
    assert await announced(page) == ["请A001号到1号窗口办理"]
    await page.screenshot(path=str(hall.settings.data_dir / "display-called.png"))

    # The network drops; the counter finishes and calls twice while the screen is away.
    assert hall.drop_all_sockets() >= 1
    await queue.finish("w1", None, CLERK)
    await queue.call_next("w1", CLERK)
    await queue.finish("w1", None, CLERK)
    await queue.call_next("w1", CLERK)
    await expect(latest).to_have_attribute("data-number", "A003")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "online")
    rows = await page.get_by_test_id("call-row").evaluate_all(
        "rows => rows.map(r => r.dataset.number)"
    )
    assert rows[:3] == ["A003", "A002", "A001"]
    # Missed calls a couple of seconds old are announced after the reconnect, in order, once.
    await announced_eventually(
        page, ["请A001号到1号窗口办理", "请A002号到1号窗口办理", "请A003号到1号窗口办理"]
    )
    assert await page.evaluate("window.__sameDocument") is True  # no reload
    await queue.recall("w1", CLERK)
    await announced_eventually(page, [*(await announced(page))[:3], "请A003号到1号窗口办理"])
    await hall.app[HALLS].set_notice("h1", "今日16:00起系统升级，请提前取号")
    await expect(page.get_by_test_id("hall-notice")).to_contain_text("今日16:00起系统升级")
    assert getattr(page, "_errors") == []  # noqa: B009


async def test_display_with_a_bad_token_says_so(hall: RunningHub, browser: BrowserContext) -> None:
    page = await browser.new_page()
    await page.goto(f"{hall.url}/web/display.html?hall=h1&token=not-a-token")
    # the whole screen explains it (tests/e2e/test_display_browser.py covers the cases)
    await expect(page.get_by_test_id("device-problem-title")).to_have_text("大屏链接无效")


async def test_take_on_the_phone_call_with_f1_display_and_phone_follow(
    hall: RunningHub, browser: BrowserContext
) -> None:
    """码上取号 on the H5 page, F1 at the workstation, the hall display shows and announces
    the call, the phone says which counter to go to."""
    display = await open_display(hall, browser)

    phone = await browser.new_page()
    await phone.set_viewport_size({"width": 375, "height": 812})
    phone.set_default_timeout(15_000)
    citizen = hall.token(Role.CITIZEN, sub="c-42")
    await phone.goto(f"{hall.url}/m/take.html?hall=h1&token={citizen}")
    await phone.locator('[data-testid="take-service"][data-service="s1"]').click()
    await phone.get_by_test_id("take-submit").click()
    await expect(phone.get_by_test_id("ticket-number")).to_have_text("A001")
    await expect(phone.get_by_test_id("ticket-status")).to_have_attribute("data-status", "waiting")

    desk = await browser.new_page()
    await desk.set_viewport_size({"width": 1366, "height": 768})
    desk.set_default_timeout(15_000)
    await desk.goto(f"{hall.url}/web/workstation.html")
    await desk.get_by_test_id("ws-username").fill("clerk1")
    await desk.get_by_test_id("ws-password").fill("clerk-password")
    await desk.get_by_test_id("ws-login").click()
    await desk.locator('[data-testid="ws-counter-select"] [data-counter="w1"]').click()
    await desk.get_by_test_id("ws-open").click()
    await expect(desk.locator('[data-testid="ws-waiting-row"][data-number="A001"]')).to_be_visible()
    await desk.keyboard.press("F1")

    await expect(desk.get_by_test_id("ws-current")).to_have_attribute("data-number", "A001")
    await expect(display.get_by_test_id("latest-call")).to_have_attribute("data-number", "A001")
    await announced_eventually(display, ["请A001号到1号窗口办理"])
    await expect(phone.get_by_test_id("ticket-status")).to_have_attribute("data-status", "called")
    await expect(phone.get_by_test_id("ticket-alert")).to_contain_text("1号窗口")
    await phone.screenshot(path=str(hall.settings.data_dir / "phone-called.png"))

    # F5 is "no show" (after enough calls), never a page reload; F2 recalls, then F5 works.
    await desk.evaluate("window.__sameDocument = true")
    await desk.keyboard.press("F2")
    await expect(desk.get_by_test_id("ws-call-count")).to_contain_text("2")
    await desk.keyboard.press("F5")
    await expect(phone.get_by_test_id("ticket-status")).to_have_attribute("data-status", "no_show")
    assert await desk.evaluate("window.__sameDocument") is True

"""The accessibility pass (axe-core: no serious or critical WCAG A/AA violation) on the screens
whose own browser tests do not run it: the sign-in page and hall list, the kiosk (its services,
its form and a printed slip) and the video monitor. The other screens run it in their tests."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, expect

from hub import keys
from hub.auth.models import Role
from tests.e2e.axe import assert_accessible
from tests.support import RunningHub

pytestmark = pytest.mark.browser


async def test_sign_in_page_and_hall_list(hall: RunningHub, browser: BrowserContext) -> None:
    page = await browser.new_page()
    await page.goto(f"{hall.url}/web/")
    await expect(page.get_by_test_id("login-submit")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_test_id("login-submit").click()  # empty: the form's own errors
    await assert_accessible(page)
    await page.locator('input[name="username"]').fill("clerk1")
    await page.locator('input[name="password"]').fill("wrong-password")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("login-error")).to_be_visible()
    await assert_accessible(page)
    await page.locator('input[name="password"]').fill("clerk-password")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("hall-card")).to_have_count(1)
    await assert_accessible(page)


async def test_kiosk_services_form_and_slip(hall: RunningHub, browser: BrowserContext) -> None:
    page = await browser.new_page()
    token = hall.token(Role.DISPLAY, hall="h1")
    await page.goto(f"{hall.url}/web/kiosk.html?hall=h1&token={token}")
    await expect(page.get_by_test_id("kiosk-service").first).to_be_visible()
    await assert_accessible(page)
    await page.get_by_test_id("kiosk-service").first.click()
    await expect(page.get_by_test_id("kiosk-take")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_test_id("kiosk-phone").click()
    keypad = page.get_by_test_id("kiosk-keypad")
    for digit in "12":
        await keypad.get_by_role("button", name=digit, exact=True).click()
    await page.get_by_test_id("kiosk-take").click()
    await expect(page.get_by_test_id("kiosk-error")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_test_id("kiosk-skip").click()
    await expect(page.get_by_test_id("kiosk-ticket")).to_be_visible()
    await assert_accessible(page)


async def test_video_monitor(hall: RunningHub, browser: BrowserContext) -> None:
    await hall.app[keys.AUTH].create_account(
        "boss", "boss-password", Role.SUPERVISOR, name="李主任", hall_id="h1"
    )
    page = await browser.new_page()
    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.goto(f"{hall.url}/web/monitor.html")
    await expect(page.get_by_test_id("monitor-login")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_test_id("monitor-username").fill("boss")
    await page.get_by_test_id("monitor-password").fill("boss-password")
    await page.get_by_test_id("monitor-login").click()
    await expect(page.get_by_test_id("monitor-login")).to_have_count(0)
    await page.wait_for_load_state("networkidle")
    await assert_accessible(page)

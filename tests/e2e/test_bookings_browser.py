"""Bookings as a citizen meets them in headless Chromium: two bookings in a row end on their
success page (never "the slot was just booked out": their own booking filled it), each code
told with its day, the check-in window the same everywhere and following the plan's one
setting, and the demo's booking for today checked in from the URL `hallhub demo` prints. Every
page passes the accessibility pass."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, Route, WebSocket, expect

from appointments.api import APPOINTMENTS
from appointments.models import BookingPlan
from hub.auth.models import Role
from queueing import QUEUE
from tests.appointments.conftest import id_number
from tests.e2e.axe import assert_accessible
from tests.support import RunningHub, hub_process

pytestmark = pytest.mark.browser

THURSDAY_10 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
FRIDAY_0910 = datetime(2026, 11, 27, 1, 10, tzinfo=UTC)  # before the window of the 09:30 slot
FRIDAY_0930 = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
FRIDAY_0925 = datetime(2026, 11, 27, 1, 25, tzinfo=UTC)
GONE = "您选择的时段刚刚约满"


class HubClock:
    def __init__(self, hub: RunningHub, now: datetime) -> None:
        self.now = now
        hub.app[APPOINTMENTS]._now = lambda: self.now
        hub.app[QUEUE]._now = lambda: self.now


async def plan(hub: RunningHub, service: str, **fields: Any) -> None:
    await hub.app[APPOINTMENTS].save_plan(
        BookingPlan.model_validate(
            {
                "_id": f"h1:{service}",
                "hall_id": "h1",
                "service_id": service,
                "backup_share": 0,
                "dynamic": False,
                **fields,
            }
        )
    )


# Every notice the page shows, kept: one replaced by the next is still caught.
RECORD_NOTICES = """
window.__notices = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll('.van-notify')) {
    const text = el.textContent || '';
    if (text && !window.__notices.includes(text)) window.__notices.push(text);
  }
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


async def phone(browser: BrowserContext, now: datetime) -> Page:
    page = await browser.new_page()
    await page.set_viewport_size({"width": 375, "height": 812})
    page.set_default_timeout(15_000)
    await page.clock.set_fixed_time(now)
    await page.add_init_script(RECORD_NOTICES)
    return page


async def notices(page: Page) -> list[str]:
    shown: list[str] = await page.evaluate("() => window.__notices")
    return shown


async def hold_answers_until_the_halls_event(
    page: Page, event: str = "appointments.appointment_booked", path: str = r"/appointments"
) -> None:
    """The hall's event of a booking (or a change) reaches the page before the answer (the
    order the hub sends them in, made certain): the answer to the POST waits for it."""
    arrived = asyncio.Event()

    def on_socket(socket: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            text = payload if isinstance(payload, str) else payload.decode(errors="replace")
            if event in text and '"hall:h1"' in text:
                arrived.set()

        socket.on("framereceived", on_frame)

    async def answer_after_event(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        arrived.clear()
        response = await route.fetch()
        await asyncio.wait_for(arrived.wait(), 15)
        await route.fulfill(response=response)

    page.on("websocket", on_socket)
    await page.route(re.compile(rf".*/api/v1{path}$"), answer_after_event)


async def book(page: Page, service: str, slot: str, n: int) -> None:
    await page.locator(f'[data-testid="book-service"][data-service="{service}"]').click()
    await page.locator('[data-testid="book-day"][data-day="2026-11-27"]').click()
    choice = page.locator(f'[data-testid="book-slot"][data-slot="{slot}"]')
    await expect(choice).to_have_attribute("data-free", "1")
    await choice.click()
    await page.get_by_test_id("book-next").click()
    await page.get_by_test_id("book-name").fill("张伟")
    await page.get_by_test_id("book-id-number").fill(id_number(n))
    await page.get_by_test_id("book-phone").fill("13800138042")
    await assert_accessible(page)
    await page.get_by_test_id("book-submit").click()


async def test_two_bookings_in_a_row_end_on_their_success_page_with_codes_told_by_day(
    hall: RunningHub, browser: BrowserContext
) -> None:
    # One place a slot: each booking fills its slot, and the hall's event says so at once.
    await plan(hall, "s1", capacity=1)
    await plan(hall, "s2", capacity=1)
    HubClock(hall, THURSDAY_10)
    citizen = hall.token(Role.CITIZEN, sub="c-42", ttl=7 * 24 * 3600)
    page = await phone(browser, THURSDAY_10)
    await hold_answers_until_the_halls_event(page)
    await page.goto(f"{hall.url}/m/book.html?hall=h1&token={citizen}")
    await expect(page.locator('[data-testid="book-service"]').first).to_be_visible()
    await assert_accessible(page)

    await book(page, "s1", "h1:s1:20261127T0130", 42)
    await expect(page.get_by_test_id("book-done")).to_be_visible()
    await expect(page.get_by_test_id("book-code")).to_have_text("11月27日 Y0001")
    await expect(page.get_by_text(GONE)).to_have_count(0)
    assert not [n for n in await notices(page) if GONE in n]
    await assert_accessible(page)

    await page.get_by_test_id("book-again").click()
    await book(page, "s2", "h1:s2:20261127T0200", 42)
    await expect(page.get_by_test_id("book-done")).to_be_visible()
    # Unique within the hall's day across services, and told with the day.
    await expect(page.get_by_test_id("book-code")).to_have_text("11月27日 Y0002")
    await expect(page.get_by_text(GONE)).to_have_count(0)
    assert not [n for n in await notices(page) if GONE in n]
    await assert_accessible(page)

    # The slots this page booked are booked out, as anyone choosing now sees.
    await page.get_by_test_id("book-again").click()
    await page.locator('[data-testid="book-service"][data-service="s1"]').click()
    await page.locator('[data-testid="book-day"][data-day="2026-11-27"]').click()
    booked = page.locator('[data-testid="book-slot"][data-slot="h1:s1:20261127T0130"]')
    await expect(booked).to_have_attribute("data-free", "0")
    await expect(page.get_by_text(GONE)).to_have_count(0)


async def test_a_change_to_the_last_place_of_another_day_says_the_new_slot_and_code(
    hall: RunningHub, browser: BrowserContext
) -> None:
    from appointments.models import BookIn
    from hub.auth.models import Principal

    await plan(hall, "s1", capacity=1)
    HubClock(hall, THURSDAY_10)
    for n, start in ((7, datetime(2026, 11, 30, 1, 30, tzinfo=UTC)), (42, FRIDAY_0930)):
        await hall.app[APPOINTMENTS].book(
            Principal(f"c-{n}", Role.CITIZEN),
            BookIn(
                hall_id="h1",
                service_id="s1",
                slot_start=start,
                name="张伟",
                id_number=id_number(n),
                phone="13800138042",
            ),
        )
    citizen = hall.token(Role.CITIZEN, sub="c-42", ttl=7 * 24 * 3600)
    page = await phone(browser, THURSDAY_10)
    await hold_answers_until_the_halls_event(
        page, "appointments.appointment_changed", r"/appointments/[0-9a-f]+/change"
    )
    await page.goto(f"{hall.url}/m/?token={citizen}#appointments")
    await expect(page.get_by_test_id("mine-code")).to_contain_text("预约号 11月27日 Y0001")
    await page.get_by_test_id("mine-change").click()
    sheet = page.get_by_test_id("mine-change-sheet")
    await sheet.locator('[data-testid="book-day"][data-day="2026-11-30"]').click()
    last = sheet.locator('[data-testid="book-slot"][data-slot="h1:s1:20261130T0200"]')
    await expect(last).to_have_attribute("data-free", "1")
    await last.click()
    await assert_accessible(page)
    await page.get_by_test_id("mine-change-submit").click()
    # Monday already has a Y0001 (c-7's): the moved booking takes Monday's next code.
    await expect(
        page.get_by_text("已改约至 11月30日（周一）10:00–10:30，预约号 11月30日 Y0002")
    ).to_be_visible()
    assert not [n for n in await notices(page) if GONE in n]
    await expect(page.get_by_test_id("mine-code")).to_contain_text("预约号 11月30日 Y0002")
    await assert_accessible(page)


async def test_a_slot_others_book_out_meanwhile_is_still_let_go(
    hall: RunningHub, browser: BrowserContext
) -> None:
    from appointments.models import BookIn
    from hub.auth.models import Principal

    await plan(hall, "s1", capacity=1)
    HubClock(hall, THURSDAY_10)
    page = await phone(browser, THURSDAY_10)
    citizen = hall.token(Role.CITIZEN, sub="c-42", ttl=7 * 24 * 3600)
    await page.goto(f"{hall.url}/m/book.html?hall=h1&service=s1&token={citizen}")
    await page.locator('[data-testid="book-day"][data-day="2026-11-27"]').click()
    await page.locator('[data-testid="book-slot"][data-slot="h1:s1:20261127T0130"]').click()
    await page.get_by_test_id("book-next").click()
    await expect(page.get_by_test_id("book-name")).to_be_visible()
    await hall.app[APPOINTMENTS].book(
        Principal("c-7", Role.CITIZEN),
        BookIn(
            hall_id="h1",
            service_id="s1",
            slot_start=datetime(2026, 11, 27, 1, 30, tzinfo=UTC),
            name="李四",
            id_number=id_number(7),
            phone="13800138007",
        ),
    )
    await expect(page.get_by_text(GONE)).to_be_visible()
    await expect(page.get_by_test_id("book-next")).to_be_disabled()


async def test_the_check_in_window_follows_the_plans_setting_on_every_page(
    hall: RunningHub, browser: BrowserContext
) -> None:
    await plan(hall, "s1", capacity=4)  # the defaults: 30 minutes before, 15 after
    clock = HubClock(hall, THURSDAY_10)
    citizen = hall.token(Role.CITIZEN, sub="c-42", ttl=7 * 24 * 3600)
    page = await phone(browser, THURSDAY_10)
    await page.goto(f"{hall.url}/m/book.html?hall=h1&service=s1&token={citizen}")
    await page.locator('[data-testid="book-day"][data-day="2026-11-27"]').click()
    await page.locator('[data-testid="book-slot"][data-slot="h1:s1:20261127T0130"]').click()
    await page.get_by_test_id("book-next").click()
    await expect(page.get_by_test_id("book-rules")).to_contain_text("11月27日 09:00–09:45")
    await page.get_by_test_id("book-name").fill("张伟")
    await page.get_by_test_id("book-id-number").fill(id_number(42))
    await page.get_by_test_id("book-phone").fill("13800138042")
    await page.get_by_test_id("book-submit").click()
    await expect(page.get_by_test_id("book-done-checkin")).to_have_text(
        "签到时间：11月27日 09:00–09:45"
    )

    # The hall changes the setting: every page says the new window.
    await plan(hall, "s1", capacity=4, checkin_early_minutes=10, checkin_late_minutes=5)
    await page.goto(f"{hall.url}/m/book.html?hall=h1&service=s1&token={citizen}")
    await page.locator('[data-testid="book-day"][data-day="2026-11-27"]').click()
    await page.locator('[data-testid="book-slot"][data-slot="h1:s1:20261127T0200"]').click()
    await page.get_by_test_id("book-next").click()
    await expect(page.get_by_test_id("book-rules")).to_contain_text("11月27日 09:50–10:05")
    await page.goto(f"{hall.url}/m/?token={citizen}#appointments")
    await expect(page.get_by_test_id("mine-code")).to_contain_text("预约号 11月27日 Y0001")
    await expect(page.get_by_test_id("mine-checkin")).to_have_text("签到时间 11月27日 09:20–09:35")
    await assert_accessible(page)

    # At the hall on Friday, too early: the page says when check-in opens.
    clock.now = FRIDAY_0910
    await page.clock.set_fixed_time(FRIDAY_0910)
    code = hall.app[APPOINTMENTS].hall_code("h1")
    await page.goto(f"{hall.url}/m/checkin.html?code={code}&token={citizen}")
    window = page.get_by_test_id("checkin-window")
    await expect(window).to_have_text("签到时间 11月27日 09:20–09:35")
    await expect(window).to_have_attribute("data-phase", "early")
    await expect(page.get_by_test_id("checkin-notice")).to_have_text(
        "签到将于 09:20 开始，请到时再点“签到”"
    )
    await expect(page.get_by_test_id("checkin-code")).to_have_text("预约号 11月27日 Y0001")
    await assert_accessible(page)
    await page.get_by_test_id("checkin-submit").click()
    await expect(page.get_by_test_id("checkin-error")).to_have_text(
        "还未到签到时间，请于 09:20 后再来签到"
    )
    await assert_accessible(page)

    clock.now = FRIDAY_0925
    await page.clock.set_fixed_time(FRIDAY_0925)
    await page.reload()
    await expect(page.get_by_test_id("checkin-window")).to_have_attribute("data-phase", "open")
    await expect(page.get_by_test_id("checkin-notice")).to_have_count(0)
    await page.get_by_test_id("checkin-submit").click()
    await expect(page.get_by_test_id("checkin-ticket")).to_have_text("YA001")
    await assert_accessible(page)


async def test_the_demo_prints_a_check_in_url_for_todays_booking_that_checks_in(
    tmp_path: Path, browser: BrowserContext
) -> None:
    env = {
        "HALLHUB_DATA_DIR": str(tmp_path / "var"),
        "HALLHUB_MONGODB_URL": "",
        "HALLHUB_REDIS_URL": "",
    }
    with hub_process(env, command="demo") as node:
        printed = "\n".join(node.output)
        line = re.search(r"today's booking: (预约号 (\S+ Y\d{4})[^)]*)\): (\S+)", printed)
        assert line, printed
        told, code_text, url = line.groups()
        page = await browser.new_page()
        await page.set_viewport_size({"width": 375, "height": 812})
        page.set_default_timeout(15_000)
        await page.goto(url)
        item = page.get_by_test_id("checkin-item")
        await expect(item).to_have_count(1)
        await expect(page.get_by_test_id("checkin-code")).to_have_text(f"预约号 {code_text}")
        # The window the screen list told is the one the page says, and it is open now.
        window = page.get_by_test_id("checkin-window")
        await expect(window).to_have_attribute("data-phase", "open")
        assert told.split("签到时间 ")[1] in (await window.inner_text())
        await assert_accessible(page)
        await page.get_by_test_id("checkin-submit").click()
        await expect(page.get_by_test_id("checkin-ticket")).to_have_text(re.compile(r"^YE\d{3}$"))
        await expect(page.get_by_test_id("checkin-done")).to_have_attribute("data-late", "false")
        await assert_accessible(page)

"""A booking end to end in headless Chromium: booked on the H5 page the day before, checked
in the next morning by scanning the hall's QR code, called by the counter with F1, shown on
the hall display."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.async_api import BrowserContext, expect

from appointments.api import APPOINTMENTS
from appointments.models import AppointmentQuery, BookingPlan
from hub.auth.models import Role
from queueing import QUEUE
from tests.appointments.conftest import id_number
from tests.support import RunningHub

pytestmark = pytest.mark.browser

THURSDAY_10 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
FRIDAY_0920 = datetime(2026, 11, 27, 1, 20, tzinfo=UTC)  # 09:20: inside the check-in window


class HubClock:
    def __init__(self, hub: RunningHub, now: datetime) -> None:
        self.now = now
        hub.app[APPOINTMENTS]._now = lambda: self.now
        hub.app[QUEUE]._now = lambda: self.now


async def test_book_on_the_phone_check_in_by_qr_and_the_counter_calls_it(
    hall: RunningHub, browser: BrowserContext
) -> None:
    await hall.app[APPOINTMENTS].save_plan(
        BookingPlan.model_validate(
            {
                "_id": "h1:s1",
                "hall_id": "h1",
                "service_id": "s1",
                "capacity": 4,
                "backup_share": 0,
                "dynamic": False,
            }
        )
    )
    clock = HubClock(hall, THURSDAY_10)
    citizen = hall.token(Role.CITIZEN, sub="c-42", ttl=7 * 24 * 3600)

    phone = await browser.new_page()
    await phone.set_viewport_size({"width": 375, "height": 812})
    phone.set_default_timeout(15_000)
    await phone.clock.set_fixed_time(THURSDAY_10)
    await phone.goto(f"{hall.url}/m/book.html?hall=h1&token={citizen}")
    await phone.locator('[data-testid="book-service"][data-service="s1"]').click()
    await phone.locator('[data-testid="book-day"][data-day="2026-11-27"]').click()
    slot = phone.locator('[data-testid="book-slot"][data-slot="h1:s1:20261127T0130"]')
    await expect(slot).to_have_attribute("data-free", "4")
    await slot.click()
    await phone.get_by_test_id("book-next").click()
    await phone.get_by_test_id("book-name").fill("张伟")
    await phone.get_by_test_id("book-id-number").fill(id_number(42))
    await phone.get_by_test_id("book-phone").fill("13800138042")
    await phone.get_by_test_id("book-submit").click()
    await expect(phone.get_by_test_id("book-code")).to_have_text("11月27日 Y0001")
    [booked] = await hall.app[APPOINTMENTS].search(AppointmentQuery())
    assert (booked.state.value, booked.name, booked.slot_start) == (
        "booked",
        "张伟",
        datetime(2026, 11, 27, 1, 30, tzinfo=UTC),
    )

    # The next morning at the hall: the QR code posted there opens the check-in page.
    clock.now = FRIDAY_0920
    await phone.clock.set_fixed_time(FRIDAY_0920)
    code = hall.app[APPOINTMENTS].hall_code("h1")
    await phone.goto(f"{hall.url}/m/checkin.html?code={code}&token={citizen}")
    await expect(
        phone.locator(f'[data-testid="checkin-item"][data-id="{booked.id}"]')
    ).to_be_visible()
    await phone.locator(f'[data-testid="checkin-submit"][data-id="{booked.id}"]').click()
    await expect(phone.get_by_test_id("checkin-ticket")).to_have_text("YA001")
    await phone.screenshot(path=str(hall.settings.data_dir / "phone-checked-in.png"))

    display = await browser.new_page()
    display.set_default_timeout(15_000)
    await display.goto(
        f"{hall.url}/web/display.html?hall=h1&token={hall.token(Role.DISPLAY, hall='h1')}"
    )
    await expect(display.get_by_test_id("conn-state")).to_have_attribute("data-state", "online")

    desk = await browser.new_page()
    await desk.set_viewport_size({"width": 1366, "height": 768})
    desk.set_default_timeout(15_000)
    await desk.goto(f"{hall.url}/web/workstation.html")
    await desk.get_by_test_id("ws-username").fill("clerk1")
    await desk.get_by_test_id("ws-password").fill("clerk-password")
    await desk.get_by_test_id("ws-login").click()
    await desk.locator('[data-testid="ws-counter-select"] [data-counter="w1"]').click()
    await desk.get_by_test_id("ws-open").click()
    await expect(
        desk.locator('[data-testid="ws-waiting-row"][data-number="YA001"]')
    ).to_be_visible()
    await desk.keyboard.press("F1")
    await expect(desk.get_by_test_id("ws-current")).to_have_attribute("data-number", "YA001")
    await expect(display.get_by_test_id("latest-call")).to_have_attribute("data-number", "YA001")
    await expect(phone.get_by_test_id("checkin-live")).to_have_attribute("data-status", "called")
    [appointment] = await hall.app[APPOINTMENTS].search(AppointmentQuery())
    assert (appointment.state.value, appointment.ticket_code) == ("checked_in", "YA001")

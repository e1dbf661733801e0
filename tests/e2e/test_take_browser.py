"""码上取号 in headless Chromium, as a walk-in does it: scan the hall's QR code with no account,
take a ticket (or verify the phone by SMS first), follow it live until a clerk calls it, and
reopen its link later. The H5 home's hall picker (nearby or by district, never a code to type),
the 动态 feed (one sentence per real change), and the contrast of every page touched."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from hub.auth.models import Principal, Role
from queueing.api import HALLS, QUEUE
from queueing.models import Channel, HallSetup
from tests.e2e.axe import assert_accessible
from tests.notifier.fakes import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.queueing.factories import setup
from tests.support import RunningHub, drop_database, make_settings, running_hub

pytestmark = pytest.mark.browser

CLERK = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
# Where the halls of the picker test are (WGS-84).
XICHENG = {"lat": 39.9066, "lng": 116.3615}
DONGCHENG = {"lat": 39.9280, "lng": 116.4160}


async def phone_page(browser: BrowserContext) -> Page:
    page = await browser.new_page()
    await page.set_viewport_size({"width": 375, "height": 812})
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    setattr(page, "_errors", errors)  # noqa: B010 - read back at the end of a test
    return page


async def settled(page: Page) -> Page:
    """The page once its transitions are over (a dialog fading in is judged as it will be)."""
    await page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    return page


async def take_as_walk_in(page: Page, hub: RunningHub, service: str = "s1") -> str:
    """Scan the hall's QR code (no token anywhere), pick a service, take: the ticket's page."""
    await page.goto(f"{hub.url}/m/take.html?hall=h1")
    await expect(page.get_by_test_id("hall-name")).to_have_text("测试大厅")
    await page.locator(f'[data-testid="take-service"][data-service="{service}"]').click()
    await expect(page.get_by_test_id("take-confirm")).to_be_visible()
    await page.get_by_test_id("take-submit").click()
    await page.wait_for_url(re.compile(r"/m/ticket\.html\?id=.+&k=.+"))
    return page.url


async def test_a_walk_in_scans_takes_and_sees_the_call_live_and_the_link_reopens(
    hall: RunningHub, browser: BrowserContext
) -> None:
    phone = await phone_page(browser)
    await phone.goto(f"{hall.url}/m/take.html?hall=h1")
    await expect(phone.get_by_test_id("take-service")).to_have_count(3)
    # The dead end this page used to be: no sign-in is asked for.
    await expect(phone.get_by_text("请先从政务服务小程序登录")).to_have_count(0)
    await assert_accessible(await settled(phone))
    await phone.locator('[data-testid="take-service"][data-service="s1"]').click()
    await expect(phone.get_by_test_id("take-confirm")).to_be_visible()
    await expect(phone.get_by_test_id("phone-toggle")).to_have_count(0)  # no SMS provider here
    await assert_accessible(await settled(phone))
    await phone.get_by_test_id("take-submit").click()
    await phone.wait_for_url(re.compile(r"/m/ticket\.html\?id=.+&k=.+"))
    link = phone.url

    await expect(phone.get_by_test_id("ticket-number")).to_have_text("A001")
    await expect(phone.get_by_test_id("ticket-status")).to_have_attribute("data-status", "waiting")
    await expect(phone.get_by_test_id("conn-state")).to_have_attribute("data-state", "online")
    await assert_accessible(await settled(phone))
    [ticket] = await hall.app[QUEUE].tickets_of_day("h1", await _today(hall))
    assert ticket.channel is Channel.QR
    assert ticket.citizen.citizen_id is None

    # A clerk calls it: the page says where to go, live.
    queue = hall.app[QUEUE]
    await queue.open_counter("w1", CLERK)
    await queue.call_next("w1", CLERK)
    await expect(phone.get_by_test_id("ticket-status")).to_have_attribute("data-status", "called")
    await expect(phone.get_by_test_id("ticket-alert")).to_contain_text("1号窗口")
    await assert_accessible(await settled(phone))
    await phone.screenshot(path=str(hall.settings.data_dir / "walk-in-called.png"))

    # The link, bookmarked, opens the ticket again on a phone that kept nothing.
    assert "k=" in phone.url
    await phone.evaluate("localStorage.clear()")
    await phone.goto(link)
    await expect(phone.get_by_test_id("ticket-status")).to_have_attribute("data-status", "called")

    # Back at the hall's QR code, the page lists the ticket this phone took today.
    await phone.evaluate("localStorage.clear()")
    again = await phone_page(browser)
    await take_as_walk_in(again, hall, "s2")
    await again.goto(f"{hall.url}/m/take.html?hall=h1")
    mine = again.get_by_test_id("my-ticket")
    await expect(mine).to_have_count(1)
    await expect(mine).to_contain_text("B001")
    assert getattr(phone, "_errors") == []  # noqa: B009
    assert getattr(again, "_errors") == []  # noqa: B009


async def test_a_sign_in_that_ran_out_still_lets_the_citizen_take_a_ticket(
    hall: RunningHub, browser: BrowserContext
) -> None:
    phone = await phone_page(browser)
    stale = hall.token(Role.CITIZEN, sub="c-42", ttl=-60)
    await phone.goto(f"{hall.url}/m/take.html?hall=h1&token={stale}")
    await phone.get_by_test_id("take-without-account").click()
    await expect(phone.get_by_test_id("take-service")).to_have_count(3)
    await assert_accessible(await settled(phone))


async def test_a_walk_in_past_the_hall_limit_is_told_why(
    hall: RunningHub, browser: BrowserContext
) -> None:
    phone = await phone_page(browser)
    for _ in range(3):  # the hall's per-person limit (3 a day): this phone is the person
        await take_as_walk_in(phone, hall)
    await phone.goto(f"{hall.url}/m/take.html?hall=h1")
    await expect(phone.get_by_test_id("my-ticket")).to_have_count(3)
    await phone.locator('[data-testid="take-service"][data-service="s1"]').click()
    await phone.get_by_test_id("take-submit").click()
    await expect(phone.locator(".van-notify")).to_contain_text("您今天取该业务的号已达上限")
    await assert_accessible(await settled(phone))
    assert len(await hall.app[QUEUE].tickets_of_day("h1", await _today(hall))) == 3


async def _today(hub: RunningHub) -> str:
    queue = hub.app[QUEUE]
    return queue.today((await queue.config("h1")).hall).isoformat()


def other_hall() -> HallSetup:
    """A second hall, 东城, with counter ids of its own (ids are unique across halls)."""
    raw = setup(
        "h2",
        name="东城区政务服务中心",
        address="东四大街1号",
        district="东城区",
        location=DONGCHENG,
    ).model_dump(by_alias=True)
    for counter in raw["counters"]:
        counter["_id"] = f"h2-{counter['_id']}"
    return HallSetup.model_validate(raw)


@pytest.fixture
async def sms_hall(tmp_path: Path, mongo_url: str) -> AsyncIterator[tuple[RunningHub, FakeTwilio]]:
    """The test hall with an SMS provider (a local Twilio) the message center's worker uses."""
    twilio = await FakeTwilio().start()
    provider = {
        "name": "twilio",
        "type": "twilio",
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": "+15005550006",
        "base_url": twilio.url,
    }
    settings = make_settings(tmp_path, mongo_url, notifier={"sms": [provider]})
    try:
        async with running_hub(settings) as hub:
            await hub.app[HALLS].apply_setup(setup())
            yield hub, twilio
    finally:
        drop_database(mongo_url, settings.mongodb_db)
        await twilio.stop()


async def test_a_walk_in_verifies_their_phone_by_sms_before_taking(
    sms_hall: tuple[RunningHub, FakeTwilio], browser: BrowserContext
) -> None:
    hub, twilio = sms_hall
    phone = await phone_page(browser)
    await phone.goto(f"{hub.url}/m/take.html?hall=h1")
    await phone.locator('[data-testid="take-service"][data-service="s1"]').click()
    await phone.get_by_test_id("phone-toggle").click()
    await phone.get_by_test_id("phone-number").locator("input").fill("13800138000")
    await phone.get_by_test_id("phone-send").click()
    await expect(phone.get_by_test_id("phone-sent")).to_contain_text("138****8000")
    await expect(phone.get_by_test_id("phone-send")).to_be_disabled()  # the resend countdown
    await assert_accessible(await settled(phone))
    async with asyncio.timeout(15):
        await twilio.wait_sent(1)
    found = re.search(r"验证码为(\d{6})", twilio.sent[0].body)
    assert found is not None
    assert twilio.sent[0].to == "+8613800138000"
    code = found.group(1)

    wrong = "000000" if code != "000000" else "111111"
    await phone.get_by_test_id("phone-code").locator("input").fill(wrong)
    await phone.get_by_test_id("take-submit").click()
    await expect(phone.locator(".van-notify")).to_contain_text("验证码不正确，还可以再试 4 次")
    assert await hub.app[QUEUE].tickets_of_day("h1", await _today(hub)) == []

    await phone.get_by_test_id("phone-code").locator("input").fill(code)
    await phone.get_by_test_id("take-submit").click()
    await phone.wait_for_url(re.compile(r"/m/ticket\.html\?id=.+&k=.+"))
    await expect(phone.get_by_test_id("ticket-number")).to_have_text("A001")
    [ticket] = await hub.app[QUEUE].tickets_of_day("h1", await _today(hub))
    assert ticket.citizen.phone == "13800138000"
    assert getattr(phone, "_errors") == []  # noqa: B009


async def test_the_h5_home_offers_halls_nearby_or_by_district_never_a_code(
    hall: RunningHub, browser: BrowserContext
) -> None:
    halls = hall.app[HALLS]
    await halls.apply_setup(setup(address="二龙路27号", district="西城区", location=XICHENG))
    await halls.apply_setup(other_hall())
    citizen = hall.token(Role.CITIZEN, sub="c-42")
    home = await phone_page(browser)
    await home.goto(f"{hall.url}/m/?token={citizen}")
    picker = home.get_by_test_id("hall-picker")
    await expect(picker).to_have_attribute("data-mode", "district")
    await expect(home.get_by_test_id("hall-code")).to_have_count(0)  # nothing to type
    districts = home.get_by_test_id("hall-district")
    await expect(districts).to_have_count(2)
    assert await districts.evaluate_all("els => els.map(e => e.dataset.district)") == [
        "东城区",
        "西城区",
    ]
    option = home.locator('[data-testid="hall-option"][data-hall="h1"]')
    await expect(option).to_contain_text("测试大厅")
    await expect(option).to_contain_text("二龙路27号")
    await assert_accessible(await settled(home))

    # Allowed to know where the phone is (near 东城): the nearest hall first, with its distance.
    await browser.grant_permissions(["geolocation"], origin=hall.url)
    await browser.set_geolocation({"latitude": 39.9275, "longitude": 116.4150})
    await home.reload()
    await expect(picker).to_have_attribute("data-mode", "nearby")
    options = home.get_by_test_id("hall-option")
    await expect(options.first).to_have_attribute("data-hall", "h2")
    await expect(options.first).to_contain_text("米")
    await expect(options.nth(1)).to_contain_text("公里")
    await assert_accessible(await settled(home))
    await browser.clear_permissions()

    # The QR code's page without a hall offers the same choice; a hall leads to its services.
    await home.goto(f"{hall.url}/m/take.html")
    await home.locator('[data-testid="hall-option"][data-hall="h2"]').click()
    await expect(home.get_by_test_id("hall-name")).to_have_text("东城区政务服务中心")
    assert getattr(home, "_errors") == []  # noqa: B009


BACK_LINK = ".van-nav-bar__left"


async def back_link_readable(page: Page) -> None:
    """The back link of a sub-page is white on the red bar (it was red on red)."""
    link = page.locator(BACK_LINK).first
    await expect(link).to_be_visible()
    colors = await link.evaluate(
        """el => {
            const bar = getComputedStyle(el.closest('.van-nav-bar')).backgroundColor;
            const shown = el.querySelectorAll('.van-nav-bar__arrow, .van-nav-bar__text');
            const parts = [...shown].map(e => getComputedStyle(e).color);
            return {bar, parts};
        }"""
    )
    assert colors["bar"] == "rgb(200, 22, 29)", colors
    assert colors["parts"], colors
    assert set(colors["parts"]) == {"rgb(255, 255, 255)"}, colors


async def test_sub_pages_back_links_are_readable_and_pages_pass_axe(
    hall: RunningHub, browser: BrowserContext
) -> None:
    citizen = hall.token(Role.CITIZEN, sub="c-42")
    await hall.app[QUEUE].take_ticket("h1", "s1", Channel.MINIAPP, None, citizen_id="c-42")
    page = await phone_page(browser)
    await page.goto(f"{hall.url}/m/?token={citizen}")  # signed in, as the platform opens it
    await expect(page.get_by_test_id("my-ticket")).to_have_count(1)
    await page.get_by_test_id("my-ticket").click()
    await expect(page.get_by_test_id("ticket-number")).to_have_text("A001")
    await back_link_readable(page)
    await assert_accessible(await settled(page))
    # 码上取号 signed in (the platform's account): its services and its confirmation.
    await page.goto(f"{hall.url}/m/take.html?hall=h1")
    await expect(page.get_by_test_id("my-ticket")).to_have_count(1)
    await assert_accessible(await settled(page))
    await page.locator('[data-testid="take-service"][data-service="s2"]').click()
    await expect(page.get_by_test_id("take-confirm")).to_be_visible()
    await assert_accessible(await settled(page))
    await page.goto(f"{hall.url}/m/video.html")
    await back_link_readable(page)
    await assert_accessible(await settled(page))
    for sub_page in ("book.html", "checkin.html?code=x"):  # the bookings' pages share the bar
        await page.goto(f"{hall.url}/m/{sub_page}")
        if await page.locator(BACK_LINK).count():
            await back_link_readable(page)


async def test_the_feed_says_one_sentence_per_real_change_of_a_ticket(
    hall: RunningHub, browser: BrowserContext
) -> None:
    citizen = hall.token(Role.CITIZEN, sub="c-42")
    home = await phone_page(browser)
    await home.goto(f"{hall.url}/m/?token={citizen}")
    await expect(home.get_by_test_id("conn-state")).to_have_attribute("data-state", "online")
    await expect(home.get_by_test_id("empty")).to_be_visible()

    queue = hall.app[QUEUE]
    await queue.open_counter("w1", CLERK)
    ticket = await queue.take_ticket("h1", "s1", Channel.MINIAPP, None, citizen_id="c-42")
    await queue.settle()  # its place told: nothing ahead, its turn is near
    await queue.call_next("w1", CLERK)
    await queue.recall("w1", CLERK)
    await queue.start("w1", CLERK)
    await queue.finish("w1", None, CLERK)
    # The message center's in-app copies (near, called, called again) have arrived too.
    await expect(home.get_by_test_id("inbox-badge")).to_have_attribute("data-unread", "3")

    rows = home.get_by_test_id("event-row")
    await expect(rows).to_have_count(6)
    texts = await rows.evaluate_all(
        "rows => rows.map(r => [r.querySelector('.van-cell__title > span').innerText,"
        " r.querySelector('.van-cell__label').innerText])"
    )
    number = ticket.code
    assert texts == [
        ["业务已办结", f"{number} 号（户籍）已在 1号窗口 办结，感谢您的耐心等候"],
        ["开始办理", f"{number} 号（户籍）正在 1号窗口 办理"],
        ["再次叫号", f"{number} 号（户籍）第 2 次叫号，请尽快到 1号窗口 办理"],
        ["轮到您了", f"{number} 号（户籍）已叫号，请到 1号窗口 办理"],
        ["即将轮到您", f"{number} 号（户籍）马上就轮到您，请到大厅等候"],
        ["取号成功", f"{number} 号（户籍）取号成功，前面没有人等候，请留意叫号"],
    ]
    await assert_accessible(await settled(home))
    # The 消息 tab holds the messages themselves (叫号通知 …), each once.
    await home.get_by_test_id("inbox-badge").click()
    await expect(home.get_by_test_id("inbox-item")).to_have_count(3)
    await assert_accessible(await settled(home))
    assert getattr(home, "_errors") == []  # noqa: B009

"""The hall display and the counter display in headless Chromium, on the demo hall: the 正在呼叫
panel tells one truth (the call being announced, cleared when it is over), every screen size
from a 1024×768 panel to a 4K TV and portrait shows everything uncut and readable from 10 m, a
TV needs no mouse, a bad or expired link says so in words, and the hall's 码上取号 QR code."""

from __future__ import annotations

import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from hub import demo, keys
from hub.auth.models import Principal, Role
from queueing.api import HALLS, QUEUE
from queueing.models import Channel, HallSetup, Ticket
from tests.e2e.axe import assert_accessible
from tests.support import CHROMIUM_ARGS, ROOT, RunningHub, chromium_path

pytestmark = pytest.mark.browser

HALL = "xc-01"
JSQR = ROOT / "clients" / "node_modules" / "jsqr" / "dist" / "jsQR.js"
SIZES = [
    (1920, 1080),  # 16:9, the usual TV
    (1366, 768),  # a cheap 16:9 panel
    (1280, 800),  # 16:10
    (1024, 768),  # 4:3
    (1080, 1920),  # portrait, by the door
    (3840, 2160),  # 4K
]


def clerk(n: int) -> Principal:
    return Principal(f"clerk{n}", Role.STAFF, hall=HALL, name=f"工作人员{n}")


def counter(n: int) -> str:
    return f"{HALL}-w{n}"


@pytest.fixture
async def demo_hall(memory_hub: RunningHub) -> RunningHub:
    """The demo's hall: five services, seven counters (two with long names)."""
    for raw in demo.load().halls:
        await memory_hub.app[HALLS].apply_setup(HallSetup.model_validate(raw))
    return memory_hub


@pytest.fixture
async def tv() -> AsyncIterator[BrowserContext]:
    """Chromium as a TV would start it without the kiosk flags: no autoplay."""
    with tempfile.TemporaryDirectory(prefix="hallhub-tv-") as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=chromium_path(),
                headless=True,
                args=[*CHROMIUM_ARGS, "--autoplay-policy=document-user-activation-required"],
                viewport={"width": 1920, "height": 1080},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            try:
                yield context
            finally:
                await context.close()


async def take(hub: RunningHub, service: str) -> Ticket:
    return await hub.app[QUEUE].take_ticket(HALL, service, Channel.KIOSK, None)


async def open_display(hub: RunningHub, browser: BrowserContext, token: str | None = None) -> Page:
    page = await browser.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    setattr(page, "_errors", errors)  # noqa: B010 - read back at the end of a test
    token = token or hub.token(Role.DISPLAY, hall=HALL)
    await page.goto(f"{hub.url}/web/display.html?hall={HALL}&token={token}")
    return page


async def online(page: Page) -> None:
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "online")
    await expect(page.get_by_test_id("counter-tile")).to_have_count(7)


async def settled(page: Page) -> None:
    """The size observers have measured, the page is laid out again, and what comes into view
    has stopped moving (endless ones, the connection dot and the notice, go on)."""
    for _ in range(2):
        await page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
    await page.wait_for_function(
        """() => document.getAnimations().every((a) =>
          a.playState !== "running" || a.effect.getComputedTiming().iterations === Infinity)"""
    )


# -- one state, one truth -----------------------------------------------------------------------

PANEL = """() => {
  const panel = document.querySelector('[data-testid="latest-call"]');
  const text = (id) => panel.querySelector(`[data-testid="${id}"]`)?.textContent.trim() ?? "";
  const now = window.hallhubAnnouncer?.current() ?? null;
  return {
    ticket: panel.dataset.ticket,
    number: panel.dataset.number,
    counter: panel.dataset.counterNumber,
    shownNumber: text("latest-number"),
    shownCounter: text("latest-counter"),
    sentence: text("announcing"),
    announcing: panel.dataset.announcing === "true",
    playing: now ? now.key : null,
    playingText: now ? now.text : null,
  };
}"""


async def panel(page: Page) -> dict[str, Any]:
    """The 正在呼叫 panel as one snapshot, with the announcement playing at that moment; the
    panel must be one call's (the number, the window and the sentence) and, while something is
    announced, the announced call's."""
    seen: dict[str, Any] = await page.evaluate(PANEL)
    if not seen["number"]:
        assert seen["shownNumber"] == seen["sentence"] == "", seen
        assert seen["playing"] is None, f"announcing a call that is over: {seen}"
        return seen
    assert seen["shownNumber"] == seen["number"], seen
    assert seen["shownCounter"] == f"{seen['counter']}号窗口", seen
    assert seen["sentence"] == f"请{seen['number']}号到{seen['counter']}号窗口办理", seen
    if seen["playing"] is not None:
        assert seen["playing"] == seen["ticket"], f"the panel is not the call announced: {seen}"
        assert seen["playingText"] == seen["sentence"], seen
        assert seen["announcing"], seen
    return seen


async def showing(page: Page, ticket: Ticket | None) -> dict[str, Any]:
    latest = page.get_by_test_id("latest-call")
    await expect(latest).to_have_attribute("data-ticket", ticket.id if ticket else "")
    return await panel(page)


async def queued(page: Page, text: str) -> None:
    """Until `text` was queued for announcement."""
    await page.wait_for_function(
        "text => (window.hallhubAnnouncer?.log ?? []).includes(text)", arg=text
    )


async def test_the_panel_shows_the_call_announced_and_clears_a_call_that_is_over(
    demo_hall: RunningHub, browser: BrowserContext
) -> None:
    queue = demo_hall.app[QUEUE]
    for n in (1, 7):
        await queue.open_counter(counter(n), clerk(n))
    e001 = await take(demo_hall, "zonghe")
    a001, a002 = await take(demo_hall, "huji"), await take(demo_hall, "huji")
    page = await open_display(demo_hall, browser)
    await online(page)
    await expect(page.get_by_test_id("hall-screen")).to_have_attribute("data-audio", "on")
    await showing(page, None)

    # Two counters call: 7号窗口 first, and while E001 is being announced 1号窗口 calls A001.
    await queue.call_ticket(counter(7), e001.id, clerk(7))
    seen = await showing(page, e001)
    assert seen["sentence"] == "请E001号到7号窗口办理"
    assert seen["announcing"]
    await queue.call_ticket(counter(1), a001.id, clerk(1))
    await queued(page, "请A001号到1号窗口办理")
    seen = await panel(page)
    # The big number, the window and the sentence stay E001's while E001 is announced.
    assert seen["playing"] == e001.id, seen
    assert seen["number"] == "E001", seen
    rows = page.locator('[data-testid="call-row"]')
    await expect(rows.first).to_have_attribute("data-number", "A001")

    # E001 is finished at once: its announcement stops and the panel moves on to A001.
    await queue.finish(counter(7), None, clerk(7))
    seen = await showing(page, a001)
    assert seen["playing"] == a001.id, seen
    assert seen["sentence"] == "请A001号到1号窗口办理", seen
    await assert_accessible(page)

    # A001 is put on hold (挂起) and window 1 pauses for 午休: nothing stands, the panel clears.
    await queue.park(counter(1), clerk(1))
    await showing(page, None)
    await queue.pause(counter(1), "午休", clerk(1))
    tile = page.locator(f'[data-testid="counter-tile"][data-counter="{counter(1)}"]')
    await expect(tile).to_have_attribute("data-status", "paused")
    await expect(tile).to_contain_text("午休")
    await showing(page, None)
    await expect(rows.filter(has_text="A001")).to_have_attribute("data-status", "parked")
    await expect(rows.filter(has_text="E001")).to_have_attribute("data-status", "finished")
    await expect(page.get_by_test_id("latest-call")).to_contain_text("请留意叫号")

    # A transferred call clears too; a served one stays (办理中) until it is finished.
    await queue.resume(counter(1), clerk(1))
    await queue.call_ticket(counter(1), a002.id, clerk(1))
    await showing(page, a002)
    await queue.transfer(counter(1), "shebao", None, clerk(1))
    await showing(page, None)
    e002 = await take(demo_hall, "zonghe")
    await queue.call_ticket(counter(7), e002.id, clerk(7))
    await queue.start(counter(7), clerk(7))
    await expect(rows.filter(has_text="E002")).to_have_attribute("data-status", "serving")
    await showing(page, e002)

    # A fresh snapshot (a reload) shows the same.
    await page.reload()
    await online(page)
    assert (await showing(page, e002))["playing"] is None
    assert getattr(page, "_errors") == []  # noqa: B009


# -- any screen ---------------------------------------------------------------------------------

# Nothing goes off the screen or out of a box that clips it (a panel, a tile), no text is wider
# than its box, and none is cut short with "…". (Vertically a line's box may be lower than the
# font's ascent and descent: only what a clipping box or the screen cuts off counts.)
FITS = """(root) => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  const vh = document.documentElement.clientHeight;
  const name = (el) => {
    const where = el.closest("[data-testid]")?.dataset.testid ?? "";
    const cls = typeof el.className === "string" ? el.className.trim().replace(/\\s+/g, ".") : "";
    const text = (el.textContent ?? "").trim().slice(0, 16);
    return `${where} ${el.tagName.toLowerCase()}.${cls} "${text}"`;
  };
  const clipping = (el) => {
    for (let n = el.parentElement; n && n !== document.body; n = n.parentElement) {
      if (getComputedStyle(n).overflow !== "visible") return n;
    }
    return null;
  };
  const box = (r) => [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
  for (const el of document.querySelectorAll(`${root}, ${root} *`)) {
    if (el.closest("[data-marquee]")) continue;
    if (el instanceof SVGElement && el.tagName !== "svg") continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    if (r.left < -1 || r.top < -1 || r.right > vw + 1 || r.bottom > vh + 1) {
      problems.push(`${name(el)} goes off the screen: ${box(r)}`);
    }
    const clip = clipping(el);
    if (clip) {
      const c = clip.getBoundingClientRect();
      const out = r.left < c.left - 1 || r.top < c.top - 1;
      if (out || r.right > c.right + 1 || r.bottom > c.bottom + 1) {
        problems.push(`${name(el)} is cut off by ${name(clip)}: ${box(r)} outside ${box(c)}`);
      }
    }
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} is wider than its box: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    if (style.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth) {
      problems.push(`${name(el)} is cut short with an ellipsis`);
    }
  }
  return problems;
}"""

FONT_SIZES = """(selectors) => Object.fromEntries(selectors.map((s) => [
  s, [...document.querySelectorAll(s)].map((e) => parseFloat(getComputedStyle(e).fontSize)),
]))"""

BOXES = """(selector) => [...document.querySelectorAll(selector)].map((e) => {
  const r = e.getBoundingClientRect();
  const {left, top, right, bottom, width, height} = r;
  return {left, top, right, bottom, width, height};
})"""

CONTRAST = """(selector) => [...document.querySelectorAll(selector)].map((el) => {
  const rgba = (text) => {
    const [r, g, b, a = 1] = text.match(/[\\d.]+/g).map(Number);
    return [r, g, b, a];
  };
  const background = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let [r, g, b] = [0, 0, 0];
    for (const [lr, lg, lb, la] of layers.reverse()) {
      [r, g, b] = [r * (1 - la) + lr * la, g * (1 - la) + lg * la, b * (1 - la) + lb * la];
    }
    return [r, g, b];
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const fg = lum(rgba(getComputedStyle(el).color));
  const bg = lum(background(el));
  const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  return {text: el.textContent.trim(), ratio};
})"""

# Secondary text that must read from 10 m: ~40 px on a 1080p screen, twice that at 4K.
SECONDARY = [
    '[data-testid="counter-tile"] .name',
    '[data-testid="counter-tile"] .state',
    '[data-testid="counter-tile"] .reason',
    '[data-testid="call-row"] .number',
    '[data-testid="call-row"] .status',
    '[data-testid="call-row"] .counter',
    '[data-testid="service-waiting"] .name',
    '[data-testid="service-waiting"] .count',
    '[data-testid="announcing"]',
]


async def a_busy_morning(hub: RunningHub) -> None:
    """Every kind of tile and call: called, served, paused for 午休, closed, idle, recalled
    (第2次呼叫), finished; tickets waiting in every service; a notice longer than the screen;
    the 码上取号 QR code on."""
    halls = hub.app[HALLS]
    detail = await halls.hall(HALL)
    hall = detail.hall.model_copy(
        update={
            "show_take_qr": True,
            "notice": "请携带本人有效身份证件，按叫号顺序到指定窗口办理。今日16:00起系统升级，"
            "请提前取号；企业开办业务请到6号窗口，综合咨询请到7号窗口。",
        }
    )
    await halls.apply_setup(
        HallSetup(hall=hall, services=detail.services, counters=detail.counters)
    )
    queue = hub.app[QUEUE]
    for n in (1, 2, 3, 5, 6, 7):
        await queue.open_counter(counter(n), clerk(n))
    tickets = {s: [await take(hub, s) for _ in range(12)] for s in ("huji", "qiye", "zonghe")}
    tickets["gongjijin"] = [await take(hub, "gongjijin") for _ in range(2)]
    await take(hub, "shebao")
    await queue.call_ticket(counter(5), tickets["gongjijin"][0].id, clerk(5))
    await queue.finish(counter(5), None, clerk(5))
    await queue.call_ticket(counter(1), tickets["huji"][0].id, clerk(1))
    await queue.call_ticket(counter(2), tickets["huji"][1].id, clerk(2))
    await queue.start(counter(2), clerk(2))
    await queue.pause(counter(3), "午休", clerk(3))
    await queue.call_ticket(counter(6), tickets["qiye"][0].id, clerk(6))
    await queue.call_ticket(counter(7), tickets["zonghe"][0].id, clerk(7))
    await queue.recall(counter(7), clerk(7))


async def measure_display(page: Page, width: int, height: int) -> dict[str, Any]:
    await page.set_viewport_size({"width": width, "height": height})
    await settled(page)
    fonts: dict[str, list[float]] = await page.evaluate(FONT_SIZES, [*SECONDARY, ".number"])
    return {
        "problems": await page.evaluate(FITS, "#app"),
        "fonts": fonts,
        "number": (await page.evaluate(FONT_SIZES, ['[data-testid="latest-number"]']))[
            '[data-testid="latest-number"]'
        ][0],
        "tiles": await page.evaluate(BOXES, '[data-testid="counter-tile"]'),
        "grid": (await page.evaluate(BOXES, '[data-testid="counter-grid"]'))[0],
        "qr": (await page.evaluate(BOXES, '[data-testid="take-qr-image"]'))[0],
    }


async def test_the_hall_display_fits_every_screen_and_reads_from_ten_metres(
    demo_hall: RunningHub, browser: BrowserContext
) -> None:
    await a_busy_morning(demo_hall)
    page = await open_display(demo_hall, browser)
    await online(page)
    await expect(page.get_by_test_id("latest-call")).to_have_attribute("data-number", "E001")
    await expect(page.get_by_test_id("take-qr")).to_be_visible()
    await expect(page.get_by_test_id("latest-call")).to_contain_text("第2次呼叫")

    seen = {}
    failures = []
    for width, height in SIZES:
        size = f"{width}×{height}"
        seen[size] = found = await measure_display(page, width, height)
        failures += [f"{size}: {p}" for p in found["problems"]]
        # every counter on screen, each a real tile, inside the grid
        grid = found["grid"]
        for tile in found["tiles"]:
            inside = (
                tile["left"] >= grid["left"] - 1
                and tile["right"] <= grid["right"] + 1
                and tile["top"] >= grid["top"] - 1
                and tile["bottom"] <= grid["bottom"] + 1
            )
            if not inside or tile["height"] < 0.08 * min(width, height):
                failures.append(f"{size}: a counter tile is cut off or tiny: {tile}")
        scale = min(width / 1920, height / 1080) if width > height else width / 1080
        for selector in SECONDARY:
            sizes = found["fonts"][selector]
            if not sizes:
                failures.append(f"{size}: nothing matches {selector}")
            elif min(sizes) < 39.5 * scale * 0.95:
                failures.append(f"{size}: {selector} is {min(sizes)}px, too small to read")
        if found["qr"]["width"] < 0.08 * min(width, height):
            failures.append(f"{size}: the QR code is too small to scan ({found['qr']})")
    assert not failures, "\n".join(failures)

    # 4K: the same screen, twice as large, filling it (not a 1080p layout in a corner).
    hd, uhd = seen["1920×1080"], seen["3840×2160"]
    assert uhd["number"] >= 1.9 * hd["number"]
    for selector in SECONDARY:
        assert min(uhd["fonts"][selector]) >= 1.9 * min(hd["fonts"][selector]), selector
    grid_hd = hd["grid"]["width"] * hd["grid"]["height"] / (1920 * 1080)
    grid_uhd = uhd["grid"]["width"] * uhd["grid"]["height"] / (3840 * 2160)
    assert grid_uhd >= 0.95 * grid_hd
    assert grid_hd > 0.2

    # Closed and paused tiles stay readable (WCAG AA: 4.5:1), and axe finds nothing serious.
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await settled(page)
    for status in ("closed", "paused"):
        texts = await page.evaluate(CONTRAST, f'[data-testid="counter-tile"].{status} > div')
        assert texts, status
        for text in texts:
            assert text["ratio"] >= 4.5, f"{status} tile: {text}"
    await assert_accessible(page)
    await page.screenshot(path=str(demo_hall.settings.data_dir / "display-1080p.png"))
    assert getattr(page, "_errors") == []  # noqa: B009


async def test_the_counter_display_fits_every_screen(
    demo_hall: RunningHub, browser: BrowserContext
) -> None:
    await a_busy_morning(demo_hall)
    token = demo_hall.token(Role.DISPLAY, hall=HALL)
    failures = []
    numbers: dict[str, float] = {}
    # 7号窗口（综合）: a long name and a recalled call; 3号窗口: paused for 午休; 4号窗口: closed
    for n, status in ((7, "open"), (3, "paused"), (4, "closed")):
        page = await browser.new_page()
        page.set_default_timeout(15_000)
        await page.goto(f"{demo_hall.url}/web/counter.html?counter={counter(n)}&token={token}")
        await expect(page.get_by_test_id("counter-status")).to_have_attribute("data-status", status)
        if n == 7:
            await expect(page.get_by_test_id("counter-current")).to_have_attribute(
                "data-number", "E001"
            )
        for width, height in [*SIZES, (800, 300)]:
            await page.set_viewport_size({"width": width, "height": height})
            await settled(page)
            size = f"{counter(n)} {width}×{height}"
            failures += [f"{size}: {p}" for p in await page.evaluate(FITS, "#app")]
            big = (await page.evaluate(FONT_SIZES, [".big"]))[".big"][0]
            numbers[f"{n} {width}×{height}"] = big
            if big < 0.2 * min(width, height):
                failures.append(f"{size}: the big text is {big}px, too small")
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await settled(page)
        await assert_accessible(page)
        await page.close()
    assert not failures, "\n".join(failures)
    assert numbers["7 3840×2160"] >= 1.9 * numbers["7 1920×1080"]


# -- a TV has no mouse; a link that cannot work -------------------------------------------------


async def test_kiosk_flags_need_no_click_and_a_tv_remote_unlocks_voice_otherwise(
    demo_hall: RunningHub, browser: BrowserContext, tv: BrowserContext
) -> None:
    queue = demo_hall.app[QUEUE]
    await queue.open_counter(counter(1), clerk(1))
    a001 = await take(demo_hall, "huji")

    # Started with --autoplay-policy=no-user-gesture-required: sound at once, no overlay.
    kiosk = await open_display(demo_hall, browser)
    await online(kiosk)
    await expect(kiosk.get_by_test_id("hall-screen")).to_have_attribute("data-audio", "on")
    assert await kiosk.get_by_test_id("enable-audio").count() == 0
    await queue.call_ticket(counter(1), a001.id, clerk(1))
    await queued(kiosk, "请A001号到1号窗口办理")

    # Without the flags: the overlay asks once; the remote's OK key (Enter, no mouse) answers.
    page = await open_display(demo_hall, tv)
    await online(page)
    await expect(page.get_by_test_id("hall-screen")).to_have_attribute("data-audio", "blocked")
    button = page.get_by_test_id("enable-audio")
    await expect(button).to_be_visible()
    await expect(button).to_be_focused()
    await assert_accessible(page)
    await page.keyboard.press("Enter")
    await expect(button).to_have_count(0)
    await expect(page.get_by_test_id("hall-screen")).to_have_attribute("data-audio", "on")
    # The choice is remembered on this device: after a restart no overlay covers the screen.
    await page.reload()
    await online(page)
    screen = page.get_by_test_id("hall-screen")
    await expect(screen).not_to_have_attribute("data-audio", "unknown")
    assert await page.get_by_test_id("enable-audio").count() == 0
    if await screen.get_attribute("data-audio") == "blocked":  # a key press will turn it on
        await expect(page.get_by_test_id("audio-muted")).to_be_visible()
        await page.keyboard.press("Enter")
        await expect(screen).to_have_attribute("data-audio", "on")


async def expect_problem(page: Page, title: str) -> None:
    problem = page.get_by_test_id("device-problem")
    await expect(problem).to_be_visible()
    await expect(page.get_by_test_id("device-problem-title")).to_have_text(title)
    text = await page.locator("body").inner_text()
    assert "TOKEN_" not in text, text
    assert "UNAUTHENTICATED" not in text, text
    assert "联系管理员" in text, text
    assert await page.get_by_test_id("enable-audio").count() == 0
    # nothing lies on top of the explanation
    box = await problem.bounding_box()
    assert box is not None
    on_top = await page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y)?.closest('[data-testid=device-problem]')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top
    await assert_accessible(page)


async def test_a_bad_or_expired_link_says_what_to_do_in_chinese(
    demo_hall: RunningHub, tv: BrowserContext
) -> None:
    """On a TV without the kiosk flags, so that the voice overlay would show if it could."""
    page = await open_display(demo_hall, tv, token="not-a-token")
    await expect_problem(page, "大屏链接无效")
    await expect(page.get_by_test_id("device-problem-action")).to_have_text(
        "请联系管理员重新生成大屏链接，并在本机浏览器中打开新链接。"
    )

    expired, _ = demo_hall.app[keys.TOKENS].issue(
        "display-old", Role.DISPLAY, hall=HALL, ttl_seconds=3600, now=time.time() - 86_400
    )
    page = await open_display(demo_hall, tv, token=expired)
    await expect_problem(page, "大屏链接已过期")

    other, _ = demo_hall.app[keys.TOKENS].issue("display-other", Role.DISPLAY, hall="hd-02")
    page = await open_display(demo_hall, tv, token=other)
    await expect_problem(page, "大屏链接不能用于本大厅")

    page = await tv.new_page()
    await page.goto(f"{demo_hall.url}/web/counter.html?counter={counter(1)}&token=not-a-token")
    await expect_problem(page, "窗口屏链接无效")
    token = demo_hall.token(Role.DISPLAY, hall=HALL)
    await page.goto(f"{demo_hall.url}/web/counter.html?counter=xc-01-w99&token={token}")
    await expect_problem(page, "找不到这个窗口")


# -- 码上取号 -------------------------------------------------------------------------------------


async def decoded_qr(page: Page) -> str:
    """What a phone reads from the QR code on the screen (jsQR on the image's pixels)."""
    await page.add_script_tag(content=JSQR.read_text(encoding="utf-8"))
    text: str = await page.evaluate(
        """async () => {
          const img = document.querySelector('[data-testid="take-qr-image"]');
          await img.decode();
          const canvas = document.createElement("canvas");
          canvas.width = img.naturalWidth;
          canvas.height = img.naturalHeight;
          const g = canvas.getContext("2d");
          g.drawImage(img, 0, 0);
          const pixels = g.getImageData(0, 0, canvas.width, canvas.height);
          return window.jsQR(pixels.data, canvas.width, canvas.height)?.data ?? "";
        }"""
    )
    return text


async def put_setup(hub: RunningHub, show: bool) -> None:
    """The admin turns the QR code on or off through the hall setup API."""
    token = hub.token(Role.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{hub.url}/api/v1/halls/{HALL}") as response:
            assert response.status == 200
            detail = await response.json()
        detail["hall"]["show_take_qr"] = show
        async with http.put(f"{hub.url}/api/v1/halls/{HALL}/setup", json=detail) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["hall"]["show_take_qr"] is show


async def test_the_halls_take_qr_code_shows_when_the_hall_wants_it(
    demo_hall: RunningHub, browser: BrowserContext
) -> None:
    await put_setup(demo_hall, False)  # the demo hall shows it; a hall may not
    page = await open_display(demo_hall, browser)
    await online(page)
    assert await page.get_by_test_id("take-qr").count() == 0

    await put_setup(demo_hall, True)
    qr = page.get_by_test_id("take-qr")
    await expect(qr).to_be_visible()  # the display reloads its board on hall_updated
    url = f"{demo_hall.settings.base_url}/m/take.html?hall={HALL}"
    await expect(qr).to_have_attribute("data-url", url)
    await expect(qr).to_contain_text("扫码取号")
    assert await decoded_qr(page) == url
    await assert_accessible(page)

    await put_setup(demo_hall, False)
    await expect(qr).to_have_count(0)

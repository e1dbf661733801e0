"""The staff screens in headless Chromium, as a clerk, a video agent and a hall manager use them:
the workstation (a no-show put back in the queue, waits as 分:秒, one F7 for 暂停/恢复, 挂起 on
F10, one word per concept), the agent console (no camera or microphone said in Chinese, a
voice-only call, a header that matches the agent), the back office (names, not ids; Chinese
labels; Jinja and JSON behind 高级; contacts found by name or phone; the Back button; no
English), and the hall's services in one order on every screen. Each screen passes axe."""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from hub import keys
from hub.auth.models import Principal, Role
from notifier.api import NOTIFIER
from notifier.models import Channel as NotifierChannel
from notifier.models import Contact, SendIn
from queueing import HALLS, QUEUE
from queueing.models import Channel, HallSetup
from tests.e2e.axe import assert_accessible
from tests.queueing.test_service_order import HALL_ORDER, SETUP
from tests.support import CHROMIUM_ARGS, RunningHub, chromium_path, connect

pytestmark = pytest.mark.browser

CLERK = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
CLOCK = re.compile(r"^\d+:\d{2}(:\d{2})?$")
# File formats a button may name (导出 CSV, 导出 Excel); nothing else in Latin letters.
ALLOWED_WORDS = {"CSV", "Excel"}
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# A computer with a microphone and no camera: the browser refuses video as Chromium does.
NO_CAMERA = """
(() => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) =>
    constraints && constraints.video
      ? Promise.reject(new DOMException("Requested device not found", "NotFoundError"))
      : real(constraints);
  const list = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
  navigator.mediaDevices.enumerateDevices = async () =>
    (await list()).filter((device) => device.kind !== "videoinput");
})();
"""


async def english(page: Page) -> list[str]:
    """Latin words a person can see on the page (ids, raw codes, untranslated labels)."""
    text: str = await page.evaluate("document.body.innerText")
    return [w for w in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text) if w not in ALLOWED_WORDS]


async def sign_in(
    page: Page, hub: RunningHub, screen: str, prefix: str, user: str, pw: str
) -> None:
    page.set_default_timeout(15_000)
    await page.goto(f"{hub.url}/web/{screen}.html")
    await page.get_by_test_id(f"{prefix}-username").fill(user)
    await page.get_by_test_id(f"{prefix}-password").fill(pw)
    await page.get_by_test_id(f"{prefix}-login").click()


async def open_counter(page: Page, hub: RunningHub, counter: str = "w1") -> None:
    await sign_in(page, hub, "workstation", "ws", "clerk1", "clerk-password")
    await page.locator(f'[data-testid="ws-counter-select"] [data-counter="{counter}"]').click()
    await page.get_by_test_id("ws-open").click()
    await expect(page.get_by_test_id("ws-counter-status")).to_have_attribute("data-status", "open")


async def waiting_numbers(page: Page) -> list[str]:
    rows = page.get_by_test_id("ws-waiting-row")
    numbers: list[str] = await rows.evaluate_all("rows => rows.map(r => r.dataset.number)")
    return numbers


# -- the counter workstation ------------------------------------------------------------------


async def test_workstation_puts_a_no_show_back_shows_clock_times_one_f7_and_park_on_f10(
    hall: RunningHub, browser: BrowserContext
) -> None:
    queue = hall.app[QUEUE]
    for _ in range(5):
        await queue.take_ticket("h1", "s1", Channel.KIOSK, None)
    desk = await browser.new_page()
    await desk.set_viewport_size({"width": 1366, "height": 768})
    await sign_in(desk, hall, "workstation", "ws", "clerk1", "clerk-password")
    picker = desk.get_by_test_id("ws-counter-select")
    await expect(picker).to_contain_text("未开窗")
    await expect(desk.get_by_test_id("ws-open")).to_have_text("开窗，开始叫号")
    await assert_accessible(desk)
    await desk.locator('[data-testid="ws-counter-select"] [data-counter="w1"]').click()
    await desk.get_by_test_id("ws-open").click()
    status = desk.get_by_test_id("ws-counter-status")
    await expect(status).to_have_text("服务中")
    await expect(desk.get_by_test_id("ws-close")).to_have_text("关窗")
    assert await waiting_numbers(desk) == ["A001", "A002", "A003", "A004", "A005"]

    # Every button shows its key; one F7 (暂停服务), 挂起 on F10.
    keys_shown = await desk.locator('[data-testid^="ws-action-"] kbd').all_inner_texts()
    assert sorted(keys_shown) == sorted(["F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F10"])
    await expect(desk.get_by_test_id("ws-action-pause")).to_contain_text("暂停服务")
    await expect(desk.get_by_test_id("ws-action-resume")).to_have_count(0)
    await expect(desk.get_by_test_id("ws-action-park")).to_contain_text("F10")

    # Waits read as a clock (分:秒), never "0.9 分钟".
    waited = await desk.locator('[data-testid="ws-waiting-row"] td.num').all_inner_texts()
    assert waited
    assert all(CLOCK.match(w.strip()) for w in waited), waited
    await desk.keyboard.press("F1")
    current = desk.get_by_test_id("ws-current")
    await expect(current).to_have_attribute("data-number", "A001")
    await expect(desk.get_by_test_id("ws-done")).to_have_text("已呼叫 A001")
    assert CLOCK.match((await desk.get_by_test_id("ws-waited").inner_text()).strip())
    assert CLOCK.match((await desk.get_by_test_id("ws-figure-wait").inner_text()).strip())
    assert "分钟" not in await desk.locator(".bench").inner_text()
    await assert_accessible(desk)

    # A001 does not come: recalled, a no-show (F5), then back at the desk: put back in the queue
    # behind three waiting (the hall's policy), marked 过号重排.
    await desk.keyboard.press("F2")
    await expect(desk.get_by_test_id("ws-done")).to_have_text("已重呼 A001")
    await expect(desk.get_by_test_id("ws-call-count")).to_have_text("2")
    await desk.keyboard.press("F5")
    await expect(current).to_have_attribute("data-number", "")
    await desk.get_by_role("tab", name=re.compile("今日已办")).click()
    row = desk.locator('[data-testid="ws-history-row"][data-number="A001"]')
    await expect(row).to_contain_text("已过号")
    await row.get_by_test_id("ws-history-requeue").click()
    await expect(desk.get_by_test_id("ws-done")).to_have_text("A001 已重新排队")
    await expect(row).to_have_count(0)
    await expect(desk.get_by_test_id("ws-waiting-row").nth(3)).to_have_attribute(
        "data-number", "A001"
    )
    assert await waiting_numbers(desk) == ["A002", "A003", "A004", "A001", "A005"]
    back = desk.locator('[data-testid="ws-waiting-row"][data-number="A001"]')
    await expect(back.locator('[data-tag="requeued"]')).to_have_text("过号重排")

    # 挂起 by its key: F1 calls A002, F10 sets it aside.
    await desk.keyboard.press("F1")
    await expect(desk.get_by_test_id("ws-done")).to_have_text("已呼叫 A002")
    await expect(current).to_have_attribute("data-number", "A002")
    await desk.keyboard.press("F10")
    await expect(desk.get_by_test_id("ws-done")).to_have_text("A002 已挂起")
    await desk.get_by_role("tab", name=re.compile("^挂起")).click()
    await expect(desk.locator('[data-testid="ws-parked-row"][data-number="A002"]')).to_be_visible()

    # One F7: pauses (with a reason), then the same key resumes.
    await desk.keyboard.press("F7")
    await desk.get_by_test_id("ws-pause-confirm").click()
    await expect(status).to_have_attribute("data-status", "paused")
    await expect(desk.get_by_test_id("ws-done")).to_have_text("窗口已暂停")
    await expect(desk.get_by_test_id("ws-pause-dialog")).to_be_hidden()  # faded out
    await expect(desk.get_by_test_id("ws-action-pause")).to_have_count(0)
    resume = desk.get_by_test_id("ws-action-resume")
    await expect(resume).to_contain_text("恢复服务")
    await expect(resume.locator("kbd")).to_have_text("F7")
    await assert_accessible(desk)
    await desk.keyboard.press("F7")
    await expect(status).to_have_attribute("data-status", "open")
    await expect(desk.get_by_test_id("ws-action-pause")).to_contain_text("暂停服务")

    # One word per concept: the clerk 开窗/关窗, the citizen's 预约签到 stays theirs; 挂起.
    text = await desk.locator("body").inner_text()
    assert "签退" not in text
    assert "暂挂" not in text
    assert "签到" not in text.replace("预约签到", ""), text


# -- the agent console -------------------------------------------------------------------------


@pytest.fixture
async def media_browser() -> AsyncIterator[BrowserContext]:
    with tempfile.TemporaryDirectory(prefix="hallhub-chromium-") as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=chromium_path(),
                headless=True,
                args=[*CHROMIUM_ARGS, *MEDIA_ARGS, "--autoplay-policy=no-user-gesture-required"],
                viewport={"width": 1366, "height": 768},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                permissions=["camera", "microphone"],
            )
            try:
                yield context
            finally:
                await context.close()


async def agent_console(hub: RunningHub, browser: BrowserContext) -> Page:
    await hub.app[keys.AUTH].create_account("agent01", "agent-password", Role.AGENT, name="李强")
    console = await browser.new_page()
    await console.set_viewport_size({"width": 1366, "height": 768})
    await sign_in(console, hub, "agent", "agent", "agent01", "agent-password")
    await expect(console.get_by_test_id("agent-set-available")).to_be_enabled()
    return console


async def a_caller(hub: RunningHub) -> tuple[Any, str]:
    """A citizen asking for a video call (a socket, no media of its own): and the session."""
    phone = await connect(hub.url, hub.token(Role.CITIZEN, sub="c-7"))
    session = await phone.ok("rtc.request", {"topic": "shebao", "name": "张三"})
    return phone, str(session["id"])


async def hang_up(console: Page, phone: Any, session_id: str) -> None:
    """The citizen hangs up; the console goes to wrap-up (the hub's recorder stops)."""
    await phone.ok("rtc.leave", {"session_id": session_id})
    await expect(console.get_by_test_id("agent-call-state")).to_have_attribute(
        "data-state", "wrap_up"
    )
    await expect(console.get_by_test_id("agent-status")).to_have_text("话后处理")
    await phone.close()


async def test_agent_console_without_camera_or_microphone_says_so_in_chinese(
    memory_hub: RunningHub, browser: BrowserContext
) -> None:
    """No devices at all (headless Chromium without fake ones): the browser's "Requested device
    not found" becomes a Chinese explanation, before the call and in it; the call goes on."""
    console = await agent_console(memory_hub, browser)
    header = console.get_by_test_id("agent-status")
    await expect(console.get_by_test_id("agent-devices-hint")).to_contain_text(
        "未检测到摄像头和麦克风"
    )
    await console.get_by_test_id("agent-set-away").click()
    await expect(header).to_have_attribute("data-status", "away")
    await expect(header).to_have_text("小休 · 暂不接听来电")
    await expect(console.get_by_test_id("agent-idle-title")).to_have_text("小休中")
    await assert_accessible(console)
    await console.get_by_test_id("agent-set-available").click()
    await expect(header).to_have_text("空闲 · 等待来电")
    await expect(console.get_by_test_id("agent-idle-title")).to_have_text("等待来电")

    phone, session_id = await a_caller(memory_hub)
    try:
        await expect(console.get_by_test_id("agent-offer")).to_be_visible()
        await expect(header).to_have_text("来电振铃")
        await console.get_by_test_id("agent-accept").click()
        notice = console.get_by_test_id("agent-media-notice")
        await expect(notice).to_contain_text("未检测到摄像头和麦克风")
        await expect(notice).to_have_attribute("data-level", "error")
        await expect(header).to_have_text(re.compile("^(正在接通|通话中)"))
        body = await console.locator("body").inner_text()
        assert "Requested device" not in body
        assert "NotFoundError" not in body
        await assert_accessible(console, exclude=["video"])
    finally:
        await hang_up(console, phone, session_id)


async def test_agent_without_a_camera_talks_by_voice_and_the_header_follows_the_call(
    memory_hub: RunningHub, media_browser: BrowserContext
) -> None:
    """Fake devices, the camera taken away: a voice-only call, said so; the header says 通话中
    during it and never 空闲."""
    await media_browser.add_init_script(NO_CAMERA)
    console = await agent_console(memory_hub, media_browser)
    header = console.get_by_test_id("agent-status")
    await expect(console.get_by_test_id("agent-devices-hint")).to_contain_text("未检测到摄像头")
    await console.get_by_test_id("agent-set-available").click()
    await expect(header).to_have_text("空闲 · 等待来电")
    phone, session_id = await a_caller(memory_hub)
    try:
        await console.get_by_test_id("agent-accept").click()
        notice = console.get_by_test_id("agent-media-notice")
        await expect(notice).to_contain_text("本次为语音通话")
        await expect(notice).to_have_attribute("data-level", "warning")
        await expect(header).not_to_contain_text("空闲")
        await expect(console.get_by_test_id("agent-call-state")).to_have_attribute(
            "data-state", re.compile("connecting|connected|reconnecting")
        )
        tracks = await console.evaluate(
            """() => {
                const v = document.querySelector('[data-testid="agent-local"]');
                const s = v && v.srcObject;
                return s ? s.getTracks().map((t) => t.kind) : [];
            }"""
        )
        assert tracks == ["audio"]
    finally:
        await hang_up(console, phone, session_id)


# -- the back office ---------------------------------------------------------------------------


async def back_office_data(hub: RunningHub) -> None:
    notifier = hub.app[NOTIFIER]
    await notifier.save_contact(
        Contact(id="citizen:c-9", name="张三", phone="+8613812340000", email="zs@example.cn")
    )
    await notifier.save_contact(Contact(id="citizen:c-10", name="张三丰", phone="+8613900139000"))
    await notifier.save_contact(Contact(id="user:boss", name="大厅主管", groups=["supervisors:h1"]))
    await notifier.send(
        SendIn(
            kind="notice",
            recipients=["citizen:c-9", "user:boss"],
            channels=[NotifierChannel.IN_APP],
            data={"title": "系统升级通知", "body": "今日16:00起系统升级。"},
        ),
        idempotency_key=None,
    )
    await hub.app[keys.AUTH].create_account("root", "root-password", Role.ADMIN, name="系统管理员")


async def section(page: Page, name: str) -> None:
    await page.get_by_test_id(f"admin-menu-{name}").click()
    await expect(page.get_by_test_id(f"admin-section-{name}")).to_be_visible()


async def test_back_office_speaks_to_hall_staff_finds_people_and_goes_back(
    hall: RunningHub, browser: BrowserContext
) -> None:
    await back_office_data(hall)
    page = await browser.new_page()
    await page.set_viewport_size({"width": 1440, "height": 900})
    await sign_in(page, hall, "admin", "admin", "root", "root-password")
    await expect(page.get_by_test_id("admin-section-hall")).to_be_visible()

    # 消息查询: recipients by name.
    await section(page, "messages")
    recipients = page.get_by_test_id("delivery-recipient")
    await expect(recipients.first).to_be_visible()
    shown = await recipients.all_inner_texts()
    assert sorted(shown) == ["大厅主管", "张三"], shown
    text = await page.locator("main").inner_text()
    assert "citizen:" not in text
    assert "user:" not in text
    assert await english(page) == []
    await assert_accessible(page)
    await page.get_by_test_id("delivery-timeline").first.click()
    drawer = page.get_by_test_id("timeline-drawer")
    await expect(drawer.get_by_test_id("timeline-recipient")).to_have_text(
        re.compile("张三|大厅主管")
    )
    await expect(drawer).not_to_contain_text("citizen:")
    await expect(drawer.get_by_test_id("timeline-message")).to_have_count(0)  # ids: 高级 only
    await page.keyboard.press("Escape")

    # 发送规则: events and recipients in Chinese; no {topic}, no group:… patterns.
    await section(page, "rules")
    rules = page.get_by_test_id("admin-section-rules")
    await expect(rules.get_by_test_id("rule-recipient").first).to_be_visible()
    assert "办事市民本人" in await rules.inner_text()
    assert "本大厅主管" in await rules.inner_text()
    for raw in ("{topic}", "group:", "queueing.", "appointments.", "rtc."):
        assert raw not in await rules.inner_text(), raw
    assert await english(page) == []
    await assert_accessible(page)

    # 消息模板: plain words; Jinja and the JSON sample behind 高级.
    await section(page, "templates")
    templates = page.get_by_test_id("admin-section-templates")
    await expect(templates.get_by_test_id("template-author").first).to_have_text("系统预置")
    assert "{{" not in await templates.inner_text()
    assert await english(page) == []
    await assert_accessible(page)
    await page.locator(
        '[data-testid="template-edit"][data-kind="ticket_called"][data-channel="sms"]'
    ).click()
    dialog = page.get_by_test_id("template-dialog")
    await expect(dialog.get_by_test_id("template-text")).to_have_value(re.compile(r"\{号码\}"))
    await expect(dialog.get_by_test_id("template-sample")).to_have_count(0)
    await assert_accessible(page)
    await dialog.get_by_test_id("template-advanced").click()
    await expect(dialog.get_by_test_id("template-sample")).to_be_visible()
    await expect(dialog.get_by_test_id("template-text")).to_have_value(
        re.compile(r"\{\{ ?number ?\}\}")
    )
    await page.keyboard.press("Escape")

    # 联系人: found by name and by some digits of the phone (searching 张三 once said 保存失败).
    await section(page, "contacts")
    contacts = page.get_by_test_id("admin-section-contacts")
    await contacts.get_by_test_id("contact-search").fill("张三")
    await contacts.get_by_test_id("contact-lookup").click()
    await expect(contacts.get_by_test_id("contact-results")).to_have_attribute("data-count", "2")
    await expect(contacts).not_to_contain_text("保存失败")
    await contacts.locator('[data-testid="contact-edit"][data-recipient="citizen:c-9"]').click()
    await expect(contacts.get_by_test_id("contact-form-title")).to_have_text("编辑联系人：张三")
    await expect(contacts.get_by_test_id("contact-phone")).to_have_value("+8613812340000")
    await contacts.get_by_test_id("contact-search").fill("1390013")
    await contacts.get_by_test_id("contact-lookup").click()
    await expect(contacts.get_by_test_id("contact-form-title")).to_have_text("编辑联系人：张三丰")
    assert await english(page) == []
    await assert_accessible(page)

    # The browser's Back button goes back through the sections, Forward again.
    await expect(page).to_have_url(re.compile("#contacts$"))
    await page.go_back()
    await expect(page.get_by_test_id("admin-section-templates")).to_be_visible()
    await page.go_back()
    await expect(page.get_by_test_id("admin-section-rules")).to_be_visible()
    await page.go_forward()
    await expect(page.get_by_test_id("admin-section-templates")).to_be_visible()

    # 叫号策略: the rule for putting a no-show back, saved and read by the hub.
    await section(page, "policy")
    policy = page.get_by_test_id("admin-section-policy")
    await policy.get_by_test_id("policy-requeue-at-end").click()
    await policy.get_by_test_id("policy-save").click()
    await expect(page.locator(".el-message--success")).to_be_visible()
    hall_now = await hall.app[HALLS].get_hall("h1")
    assert hall_now.policy.requeue_behind is None
    for name in ("hall", "services", "counters", "policy", "stats"):
        await section(page, name)
        assert await english(page) == [], name
        await assert_accessible(page)


# -- the hall's services in one order ----------------------------------------------------------


async def test_the_halls_services_are_in_one_order_on_every_screen(
    memory_hub: RunningHub, browser: BrowserContext
) -> None:
    hub = memory_hub
    await hub.app[HALLS].apply_setup(HallSetup.model_validate(SETUP))
    await hub.app[keys.AUTH].create_account(
        "clerk1", "clerk-password", Role.STAFF, name="王芳", hall_id="h1"
    )
    await hub.app[keys.AUTH].create_account("root", "root-password", Role.ADMIN, name="管理员")
    names = {s["id"]: s["name"] for s in SETUP["services"]}  # type: ignore[index]
    in_order = [names[s] for s in HALL_ORDER]

    display = await browser.new_page()
    token = hub.token(Role.DISPLAY, hall="h1")
    await display.goto(f"{hub.url}/web/display.html?hall=h1&token={token}")
    strip = display.get_by_test_id("service-waiting")
    await expect(strip).to_have_count(5)
    assert await strip.evaluate_all("els => els.map(e => e.dataset.service)") == HALL_ORDER

    desk = await browser.new_page()
    await sign_in(desk, hub, "workstation", "ws", "clerk1", "clerk-password")
    counter = desk.locator('[data-testid="ws-counter-select"] [data-counter="w10"]')
    await expect(counter).to_contain_text("办理：户籍办理、社保医保、综合咨询")

    admin = await browser.new_page()
    await admin.set_viewport_size({"width": 1440, "height": 900})
    await sign_in(admin, hub, "admin", "admin", "root", "root-password")
    await section(admin, "services")
    rows = admin.get_by_test_id("admin-section-services").locator("tbody tr")
    await expect(rows).to_have_count(5)
    firsts = [t.split("\n")[0].strip() for t in await rows.all_inner_texts()]
    assert [n for n in firsts if n in in_order] == in_order, firsts
    await section(admin, "counters")
    chips = admin.locator('[data-testid="counter-services"][data-counter="w10"] [data-service]')
    await expect(chips).to_have_count(3)
    assert await chips.evaluate_all("els => els.map(e => e.dataset.service)") == [
        "huji",
        "shebao",
        "zonghe",
    ]

"""The in-app inbox in headless Chromium: a message sent by the back office reaches the counter
workstation's bell and the citizen's H5 消息 tab live; reading it there clears the badge, on
that screen and on the citizen's other one."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import BrowserContext, Page, expect

from hub.auth.models import Role
from notifier.api import NOTIFIER
from notifier.models import Contact
from tests.support import RunningHub

pytestmark = pytest.mark.browser


async def send(hub: RunningHub, recipient: str, title: str, body: str) -> None:
    admin = hub.token(Role.ADMIN)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{hub.url}/api/v1/notifier/messages",
            json={
                "kind": "notice",
                "recipients": [recipient],
                "data": {"title": title, "body": body},
                "channels": ["in_app"],
            },
            headers={"Authorization": f"Bearer {admin}"},
        ) as response,
    ):
        assert response.status == 202, await response.text()


async def open_phone(hub: RunningHub, browser: BrowserContext, token: str) -> Page:
    phone = await browser.new_page()
    await phone.set_viewport_size({"width": 375, "height": 812})
    phone.set_default_timeout(15_000)
    await phone.goto(f"{hub.url}/m/index.html?token={token}#messages")
    await expect(phone.get_by_test_id("tab-panel-messages")).to_be_visible()
    return phone


async def test_workstation_bell_and_h5_inbox_receive_live_and_mark_read(
    hall: RunningHub, browser: BrowserContext
) -> None:
    notifier = hall.app[NOTIFIER]
    await notifier.save_contact(Contact(id="user:clerk1", name="王芳"))
    await notifier.save_contact(Contact(id="citizen:c-42", name="张伟"))

    desk = await browser.new_page()
    await desk.set_viewport_size({"width": 1366, "height": 768})
    desk.set_default_timeout(15_000)
    await desk.goto(f"{hall.url}/web/workstation.html")
    await desk.get_by_test_id("ws-username").fill("clerk1")
    await desk.get_by_test_id("ws-password").fill("clerk-password")
    await desk.get_by_test_id("ws-login").click()
    bell = desk.get_by_test_id("inbox-bell")
    await expect(bell).to_have_attribute("data-unread", "0")

    citizen = hall.token(Role.CITIZEN, sub="c-42")
    phone = await open_phone(hall, browser, citizen)
    tablet = await open_phone(hall, browser, citizen)  # the same citizen on a second screen
    for screen in (phone, tablet):
        await expect(screen.get_by_test_id("inbox-badge")).to_have_attribute("data-unread", "0")

    await send(hall, "user:clerk1", "3号窗口暂停", "3号窗口已暂停服务（系统故障）。")
    await send(hall, "citizen:c-42", "材料补正提醒", "您的户籍迁入申请需补充身份证复印件一份。")

    # Live: no reload, the badge counts it and the list shows it.
    await expect(bell).to_have_attribute("data-unread", "1")
    for screen in (phone, tablet):
        await expect(screen.get_by_test_id("inbox-badge")).to_have_attribute("data-unread", "1")
    item = phone.get_by_test_id("inbox-item").first
    await expect(item).to_contain_text("材料补正提醒")
    await expect(item).to_have_attribute("data-state", "unread")

    await item.click()  # reading it marks it read
    await expect(phone.get_by_test_id("inbox-message")).to_contain_text("身份证复印件")
    for screen in (phone, tablet):
        await expect(screen.get_by_test_id("inbox-badge")).to_have_attribute("data-unread", "0")
    await expect(tablet.get_by_test_id("inbox-item").first).to_have_attribute("data-state", "read")

    await bell.click()
    entry = desk.get_by_test_id("inbox-drawer").get_by_test_id("inbox-item").first
    await expect(entry).to_contain_text("3号窗口暂停")
    await entry.click()
    await expect(bell).to_have_attribute("data-unread", "0")
    await expect(entry).to_have_attribute("data-state", "read")

    inbox = await hall.app[NOTIFIER].inbox("citizen:c-42", None, 10, None)
    assert inbox["counts"] == {"unread": 0, "read": 1, "archived": 0}
    await phone.screenshot(path=str(hall.settings.data_dir / "phone-inbox.png"))

"""A video consultation in headless Chromium, both sides real browsers with fake camera and
microphone: the citizen asks on the H5 page, the agent takes it in the console, they see each
other, chat with text and a picture, a supervisor listens in, the citizen hangs up and rates;
the hub records it."""

from __future__ import annotations

import io
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import av
import pytest
from PIL import Image
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from hub import keys
from hub.auth.models import Role
from rtc.api import RTC
from rtc.store import RtcStore
from tests.support import CHROMIUM_ARGS, RunningHub, chromium_path

pytestmark = pytest.mark.browser

MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
async def media_browser() -> AsyncIterator[BrowserContext]:
    with tempfile.TemporaryDirectory(prefix="hallhub-chromium-") as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=chromium_path(),
                headless=True,
                args=[*CHROMIUM_ARGS, *MEDIA_ARGS, "--autoplay-policy=no-user-gesture-required"],
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                permissions=["camera", "microphone"],
            )
            try:
                yield context
            finally:
                await context.close()


async def playing(page: Page, testid: str) -> None:
    """Until the <video> shows real frames."""
    video = page.get_by_test_id(testid)
    await expect(video).to_be_visible()
    await page.wait_for_function(
        """(testid) => {
            const v = document.querySelector(`[data-testid="${testid}"]`);
            return v !== null && v.videoWidth > 0 && !v.paused;
        }""",
        arg=testid,
        timeout=20_000,
    )


async def test_citizen_and_agent_talk_chat_with_a_picture_hang_up_and_rate(
    memory_hub: RunningHub, media_browser: BrowserContext, tmp_path: Path
) -> None:
    hub = memory_hub
    await hub.app[keys.AUTH].create_account("agent01", "agent-password", Role.AGENT, name="李强")
    await hub.app[keys.AUTH].create_account("boss", "boss-password", Role.SUPERVISOR, name="主管")

    console = await media_browser.new_page()
    console.set_default_timeout(20_000)
    await console.set_viewport_size({"width": 1366, "height": 768})
    await console.goto(f"{hub.url}/web/agent.html")
    await console.get_by_test_id("agent-username").fill("agent01")
    await console.get_by_test_id("agent-password").fill("agent-password")
    await console.get_by_test_id("agent-login").click()
    await console.get_by_test_id("agent-set-available").click()
    await expect(console.get_by_test_id("agent-status")).to_have_attribute(
        "data-status", "available"
    )

    phone = await media_browser.new_page()
    phone.set_default_timeout(20_000)
    await phone.set_viewport_size({"width": 375, "height": 812})
    citizen = hub.token(Role.CITIZEN, sub="c-7")
    await phone.goto(f"{hub.url}/m/video.html?token={citizen}")
    await phone.locator('[data-testid="video-topic"][data-topic="shebao"]').click()
    await phone.get_by_test_id("video-request").click()
    await expect(phone.get_by_test_id("video-state")).to_have_attribute("data-state", "waiting")

    await expect(console.get_by_test_id("agent-offer")).to_be_visible()
    await console.get_by_test_id("agent-accept").click()
    await expect(console.get_by_test_id("agent-call-state")).to_have_attribute(
        "data-state", "connected"
    )
    await expect(phone.get_by_test_id("video-state")).to_have_attribute("data-state", "connected")
    await playing(phone, "video-remote")
    await playing(console, "agent-remote")

    await phone.get_by_test_id("video-chat-open").click()
    await phone.get_by_test_id("video-chat-input").fill("我想咨询医保报销")
    await phone.get_by_test_id("video-chat-send").click()
    await expect(
        console.locator('[data-testid="agent-chat-message"][data-sender="citizen"]')
    ).to_contain_text("我想咨询医保报销")
    picture = tmp_path / "form.png"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 120, 200)).save(buffer, format="PNG")
    picture.write_bytes(buffer.getvalue())
    await console.get_by_test_id("agent-chat-file").set_input_files(str(picture))
    await expect(
        phone.locator('[data-testid="video-chat-message"][data-sender="agent"][data-kind="image"]')
    ).to_be_visible()
    await phone.screenshot(path=str(hub.settings.data_dir / "video-call.png"))

    [session] = await hub.app[RTC].search(limit=5)

    # A supervisor listens in from the monitor: both parties' pictures, nothing sent.
    monitor = await media_browser.new_page()
    monitor.set_default_timeout(20_000)
    await monitor.set_viewport_size({"width": 1366, "height": 768})
    await monitor.goto(f"{hub.url}/web/monitor.html")
    await monitor.get_by_test_id("monitor-username").fill("boss")
    await monitor.get_by_test_id("monitor-password").fill("boss-password")
    await monitor.get_by_test_id("monitor-login").click()
    await monitor.locator(f'[data-testid="monitor-listen"][data-session="{session.id}"]').click()
    await monitor.wait_for_function(
        """() => {
            const videos = [...document.querySelectorAll('[data-testid="monitor-video"]')];
            return videos.length === 2 && videos.every((v) => v.videoWidth > 0);
        }""",
        timeout=20_000,
    )
    await monitor.screenshot(path=str(hub.settings.data_dir / "video-monitor.png"))
    await monitor.get_by_test_id("monitor-stop").click()

    await phone.get_by_test_id("video-chat-close").click()
    await phone.get_by_test_id("video-hangup").click()
    await expect(phone.get_by_test_id("video-state")).to_have_attribute("data-state", "ended")
    await phone.locator('[data-testid="video-rate-star"][data-stars="4"]').click()
    await phone.get_by_test_id("video-rate-comment").fill("讲解清楚")
    await phone.get_by_test_id("video-rate-submit").click()
    await expect(phone.get_by_test_id("video-rated")).to_be_visible()

    await console.get_by_test_id("agent-wrapup-notes").fill("已解答医保报销流程")
    await console.get_by_test_id("agent-wrapup-submit").click()
    await expect(console.get_by_test_id("agent-status")).to_have_attribute(
        "data-status", "available"
    )

    stored = await RtcStore(hub.app[keys.DB]).get(session.id)
    assert stored is not None
    assert stored.state.value == "ended"
    assert stored.rating is not None
    assert (stored.rating.stars, stored.rating.comment) == (4, "讲解清楚")
    assert stored.notes == "已解答医保报销流程"
    kinds = [("image" if m.image_id else "text", m.sender) for m in stored.chat]
    assert ("text", "citizen") in kinds
    assert ("image", "agent") in kinds
    assert stored.recording is not None
    assert stored.recording.state == "done", stored.recording
    path = hub.app[RTC].recorder.directory / str(stored.recording.file)
    with av.open(str(path)) as container:
        titles = sorted(s.metadata.get("title", "") for s in container.streams)
    assert titles == ["agent audio", "agent video", "citizen audio", "citizen video"]

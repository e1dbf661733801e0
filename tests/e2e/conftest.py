"""Shared by the browser tests: headless Chromium (Debian's) and a hall to show."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import BrowserContext, async_playwright

from hub import keys
from hub.auth.models import Role
from queueing.api import HALLS
from tests.queueing.factories import setup
from tests.support import CHROMIUM_ARGS, RunningHub, chromium_path


@pytest.fixture
async def browser() -> AsyncIterator[BrowserContext]:
    with tempfile.TemporaryDirectory(prefix="hallhub-chromium-") as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=chromium_path(),
                headless=True,
                args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
                viewport={"width": 1920, "height": 1080},
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
            )
            try:
                yield context
            finally:
                await context.close()


@pytest.fixture
async def hall(memory_hub: RunningHub) -> RunningHub:
    await memory_hub.app[HALLS].apply_setup(setup())
    await memory_hub.app[keys.AUTH].create_account(
        "clerk1", "clerk-password", Role.STAFF, name="王芳", hall_id="h1"
    )
    return memory_hub

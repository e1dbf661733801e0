from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.auth import Role
from hub.embedded import free_port
from notifier.api import NOTIFIER
from notifier.models import Contact, DeliveryQuery, DeliveryState
from notifier.service import NotifierService
from tests.notifier.fakes import ACCOUNT_SID, AUTH_TOKEN, FakeGateway, FakeTwilio, SmtpServer
from tests.support import RunningHub, drop_database, make_settings, running_hub


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = await FakeTwilio().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    fake = await FakeGateway().start()
    yield fake
    await fake.stop()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer().start(tmp_path)
    yield server
    server.stop()


def notifier_settings(
    twilio: FakeTwilio, gateway: FakeGateway, smtp: SmtpServer, *, worker: bool = False
) -> dict[str, Any]:
    """Two SMS providers in order (Twilio, then the domestic gateway) and the SMTP server."""
    return {
        "worker": worker,
        "max_attempts": 4,
        "sms": [
            {
                "name": "twilio",
                "type": "twilio",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "from_number": "+15005550006",
                "base_url": twilio.url,
            },
            {"name": "gateway", "type": "http", "url": gateway.url, "auth_header": "Bearer gw"},
        ],
        "email": [
            {
                "name": "smtp",
                "host": "127.0.0.1",
                "port": smtp.port,
                "tls": "starttls",
                "username": smtp.username,
                "password": smtp.password,
                "ca_file": smtp.ca_file,
                "sender": "政务服务大厅 <noreply@hall.example.cn>",
            }
        ],
    }


@dataclass
class Center:
    """A hub with the message center wired to real local providers; the outbox is worked by
    the test (`drain`) so every step can be looked at."""

    hub: RunningHub
    twilio: FakeTwilio
    gateway: FakeGateway
    smtp: SmtpServer

    @property
    def service(self) -> NotifierService:
        return self.hub.app[NOTIFIER]

    def at(self, moment: datetime) -> None:
        self.service._now = lambda: moment

    async def drain(self, limit: int = 100) -> int:
        """Work every due delivery; the number of steps taken."""
        steps = 0
        while steps < limit and await self.service.work_once():
            steps += 1
        return steps

    async def contact(self, recipient: str, **fields: Any) -> Contact:
        return await self.service.save_contact(Contact.model_validate({"_id": recipient, **fields}))

    async def deliveries(self, message_id: str | None = None, **query: Any) -> list[dict[str, Any]]:
        """A message's deliveries (its timeline), or those the back office's search finds."""
        if message_id is not None:
            found: list[dict[str, Any]] = (await self.service.timeline(message_id))["deliveries"]
            return found
        search = DeliveryQuery.model_validate({**query, "limit": 500})
        return [d.model_dump(mode="json") for d in await self.service.search(search)]

    async def states(self, message_id: str) -> dict[str, DeliveryState]:
        return {d["channel"]: DeliveryState(d["state"]) for d in await self.deliveries(message_id)}

    async def http(
        self, method: str, path: str, role: str = "admin", sub: str = "", **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.hub.token(Role(role), sub)}"}
        headers.update(kwargs.pop("headers", {}))
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.hub.url + path, headers=headers, **kwargs) as response,
        ):
            body = await response.json() if response.content_length != 0 else None
            return response.status, body


@pytest.fixture
async def center(
    tmp_path: Path, mongo_url: str, twilio: FakeTwilio, gateway: FakeGateway, smtp: SmtpServer
) -> AsyncIterator[Center]:
    port = free_port()
    settings = make_settings(
        tmp_path,
        mongo_url,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        notifier=notifier_settings(twilio, gateway, smtp),
    )
    async with running_hub(settings) as hub:
        yield Center(hub, twilio, gateway, smtp)
    drop_database(mongo_url, settings.mongodb_db)

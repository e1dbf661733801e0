"""A ticket taken while the event log (Redis) fails after the ticket was stored: the take is
answered with the ticket (its topic position left out), not an error that would make the
screen take a second one."""

from __future__ import annotations

from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from hub import keys
from hub.auth.models import Role
from queueing.api import HALLS, QUEUE
from tests.queueing.factories import setup
from tests.support import RunningHub, connect


async def test_a_take_answers_its_ticket_when_the_log_position_cannot_be_read(
    hub: RunningHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    await hub.app[HALLS].apply_setup(setup())
    bus = hub.app[keys.BUS]

    async def log_down(topic: str) -> Any:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    kiosk = await connect(hub.url, hub.token(Role.DISPLAY, hall="h1"))
    try:
        monkeypatch.setattr(bus, "position", log_down)
        taken = await kiosk.ok(
            "queueing.take_ticket", {"hall_id": "h1", "service_id": "s1", "channel": "kiosk"}
        )
        assert (taken["number"], taken["seq"], taken["epoch"]) == ("A001", 0, "")
        # A ticket read again (not just taken) still answers the outage, with its code.
        with pytest.raises(RedisConnectionError):
            await hub.app[QUEUE].holder_view(await hub.app[QUEUE].ticket(taken["ticket_id"]))
    finally:
        await kiosk.close()
    assert await hub.app[keys.DB]["queueing_tickets"].count_documents({}) == 1

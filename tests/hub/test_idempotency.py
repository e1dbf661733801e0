"""Idempotency keys: a command that creates something, sent again with the same request id
because its answer never arrived, makes nothing new and answers what the first made; even when
the first attempt's node died midway."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from hub import keys
from hub.auth.models import Role
from hub.errors import IdempotencyConflict, RequestInProgress
from hub.idempotency import LEASE, RequestKey, Requests
from queueing.api import HALLS
from tests.queueing.factories import setup
from tests.support import RunningHub, connect

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
PEPPER = b"test-pepper"


class Made:
    """What `make` would create: documents in a collection, each tagged with its claim."""

    def __init__(self, hub: RunningHub) -> None:
        self.docs = hub.app[keys.DB]["test_made"]
        self.calls = 0

    async def make(self, claim: str) -> str:
        self.calls += 1
        made = f"thing-{self.calls}"
        await self.docs.insert_one({"_id": made, "claim": claim})
        return made

    async def made_by(self, claim: str) -> str | None:
        doc = await self.docs.find_one({"claim": claim})
        return None if doc is None else str(doc["_id"])

    async def load(self, made: str) -> str:
        return made

    def once(self, requests: Requests, request: RequestKey, now: datetime = T0) -> Any:
        return requests.once(
            request,
            now=now,
            make=self.make,
            made_by=self.made_by,
            load=self.load,
            id_of=lambda made: made,
        )


@pytest.fixture
def requests(hub: RunningHub) -> Requests:
    return Requests(hub.app[keys.DB]["test_requests"])


async def test_a_repeat_answers_what_the_first_made(hub: RunningHub, requests: Requests) -> None:
    made = Made(hub)
    request = RequestKey.of("take:c-1", "req-00000001", {"service": "s1"}, PEPPER)
    assert await made.once(requests, request) == "thing-1"
    assert await made.once(requests, request, T0 + timedelta(minutes=5)) == "thing-1"
    assert made.calls == 1
    # Another sender's same id is another request.
    other = RequestKey.of("take:c-2", "req-00000001", {"service": "s1"}, PEPPER)
    assert await made.once(requests, other) == "thing-2"


async def test_the_same_id_with_other_content_is_refused(
    hub: RunningHub, requests: Requests
) -> None:
    made = Made(hub)
    await made.once(requests, RequestKey.of("take:c-1", "req-00000001", {"service": "s1"}, PEPPER))
    with pytest.raises(IdempotencyConflict):
        await made.once(
            requests, RequestKey.of("take:c-1", "req-00000001", {"service": "s2"}, PEPPER)
        )
    assert made.calls == 1


async def test_a_repeat_while_the_first_runs_is_told_to_wait(
    hub: RunningHub, requests: Requests
) -> None:
    made = Made(hub)
    release = asyncio.Event()

    async def slow(claim: str) -> str:
        await release.wait()
        return await made.make(claim)

    request = RequestKey.of("book:c-1", "req-00000002", {}, PEPPER)
    first = asyncio.create_task(
        requests.once(request, now=T0, make=slow, made_by=made.made_by, load=made.load, id_of=str)
    )
    await asyncio.sleep(0.2)
    with pytest.raises(RequestInProgress):
        await made.once(requests, request, T0 + timedelta(seconds=1))
    release.set()
    assert await first == "thing-1"
    assert await made.once(requests, request, T0 + timedelta(seconds=2)) == "thing-1"
    assert made.calls == 1


async def test_after_a_node_died_midway_a_repeat_on_another_finds_what_it_made(
    hub: RunningHub, requests: Requests
) -> None:
    """The dead node claimed the id and created the thing, but never recorded it as done; the
    repeat reaches another node (its own Requests on the same collection)."""
    made = Made(hub)
    request = RequestKey.of("take:c-1", "req-00000003", {}, PEPPER)
    dead = asyncio.Event()

    async def dies_after_making(claim: str) -> str:
        await made.make(claim)
        await dead.wait()  # never returns: the process is gone
        raise AssertionError

    task = asyncio.create_task(
        requests.once(
            request, now=T0, make=dies_after_making, made_by=made.made_by, load=made.load, id_of=str
        )
    )
    await asyncio.sleep(0.2)
    other_node = Requests(hub.app[keys.DB]["test_requests"])
    # Its lease still runs: a repeat now must not make a second thing.
    with pytest.raises(RequestInProgress):
        await made.once(other_node, request, T0 + LEASE - timedelta(seconds=1))
    # The lease is over: the repeat finds the thing the dead attempt made.
    assert await made.once(other_node, request, T0 + LEASE + timedelta(seconds=1)) == "thing-1"
    assert made.calls == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_claim_this_node_left_behind_is_taken_over_at_once(
    hub: RunningHub, requests: Requests
) -> None:
    """An attempt that could not give its claim back (the store went away before its expiry
    was written) left it running; on the same node nothing runs it, so the repeat does not
    wait for the lease, and two repeats at once still make one thing."""
    made = Made(hub)
    request = RequestKey.of("take:c-1", "req-00000005", {}, PEPPER)
    claims = hub.app[keys.DB]["test_requests"]

    async def fails(claim: str) -> str:
        await claims.update_one({"_id": claim}, {"$set": {"pinned": True}})
        raise RuntimeError("the store went away")

    with pytest.raises(RuntimeError):
        await requests.once(
            request, now=T0, make=fails, made_by=made.made_by, load=made.load, id_of=str
        )
    # As if its expiry had not reached the store: the lease still runs.
    await claims.update_one({"pinned": True}, {"$set": {"lease_until": T0 + LEASE}})
    slow = asyncio.Event()

    async def make_slowly(claim: str) -> str:
        await slow.wait()
        return await made.make(claim)

    first = asyncio.create_task(
        requests.once(
            request,
            now=T0 + timedelta(seconds=1),
            make=make_slowly,
            made_by=made.made_by,
            load=made.load,
            id_of=str,
        )
    )
    await asyncio.sleep(0.2)
    with pytest.raises(RequestInProgress):  # the take-over is running: wait for it
        await made.once(requests, request, T0 + timedelta(seconds=2))
    slow.set()
    assert await first == "thing-1"
    assert made.calls == 1


async def test_an_attempt_that_failed_lets_the_repeat_run_again(
    hub: RunningHub, requests: Requests
) -> None:
    made = Made(hub)
    request = RequestKey.of("take:c-1", "req-00000004", {}, PEPPER)

    async def refused(claim: str) -> str:
        raise RuntimeError("the store went away before anything was written")

    with pytest.raises(RuntimeError):
        await requests.once(
            request, now=T0, make=refused, made_by=made.made_by, load=made.load, id_of=str
        )
    # No wait for the lease: the failed attempt gave it back; nothing was made, so it runs.
    assert await made.once(requests, request, T0 + timedelta(seconds=1)) == "thing-1"


async def test_take_ticket_sent_twice_makes_one_ticket(hub: RunningHub) -> None:
    await hub.app[HALLS].apply_setup(setup())
    kiosk = await connect(hub.url, hub.token(Role.DISPLAY, hall="h1"))
    try:
        take = {"hall_id": "h1", "service_id": "s1", "channel": "kiosk", "request_id": "k-0001aa"}
        first = await kiosk.ok("queueing.take_ticket", take)
        again = await kiosk.ok("queueing.take_ticket", take)
        assert (again["ticket_id"], again["number"]) == (first["ticket_id"], first["number"])
        other = await kiosk.ok("queueing.take_ticket", {**take, "request_id": "k-0002aa"})
        assert other["number"] != first["number"]
        changed = await kiosk.error("queueing.take_ticket", {**take, "service_id": "s2"})
        assert changed["code"] == "IDEMPOTENCY_CONFLICT"
        bad = await kiosk.error("queueing.take_ticket", {**take, "request_id": "x"})
        assert bad["code"] == "INVALID_PAYLOAD"
        tickets = hub.app[keys.DB]["queueing_tickets"]
        assert await tickets.count_documents({}) == 2
    finally:
        await kiosk.close()


async def test_take_ticket_over_rest_sent_twice_makes_one_ticket(hub: RunningHub) -> None:
    """The kiosk takes over REST: the same request id (in the body) answers the same ticket."""
    await hub.app[HALLS].apply_setup(setup())
    headers = {"Authorization": f"Bearer {hub.token(Role.DISPLAY, hall='h1')}"}
    body = {"service_id": "s1", "channel": "kiosk", "request_id": "kiosk-touch-0001"}
    async with aiohttp.ClientSession(headers=headers) as http:
        answers = []
        for _ in range(2):
            async with http.post(f"{hub.url}/api/v1/halls/h1/tickets", json=body) as response:
                assert response.status in (200, 201), await response.text()
                answers.append(await response.json())
        async with http.post(
            f"{hub.url}/api/v1/halls/h1/tickets", json={**body, "request_id": "bad id!"}
        ) as response:
            assert response.status == 422
            assert (await response.json())["code"] == "INVALID_PAYLOAD"
    assert answers[0]["ticket_id"] == answers[1]["ticket_id"]
    assert await hub.app[keys.DB]["queueing_tickets"].count_documents({}) == 1

"""A whole hall's people at once, for a fault test or the fault bench: displays on the hall
topics, clerks at every counter, citizens' phones with their tickets, kiosks, the message
center. `Crowd.busy()` runs the hall's calls until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from hub.auth.models import Role
from tests.faults.driver import (
    DEFAULT_BACKOFF,
    Backoff,
    Follower,
    Kiosk,
    MessageCenter,
    Phone,
    Workstation,
)
from tests.faults.harness import Cluster, token, until
from tests.faults.truth import Log, Tally, faults, read_logs, settle, tallies, total


@dataclass
class Crowd:
    displays: list[Follower] = field(default_factory=list)
    workstations: list[Workstation] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    kiosks: list[Kiosk] = field(default_factory=list)
    center: MessageCenter | None = None
    services: int = 3
    print_every: float = 0.15

    @property
    def followers(self) -> Iterator[Follower]:
        yield from self.displays
        for desk in self.workstations:
            yield desk.follower
        for phone in self.phones:
            yield phone.follower
        for kiosk in self.kiosks:
            yield kiosk.follower

    @property
    def screens(self) -> list[Follower]:
        """The clients judged on what they show: displays and phones."""
        return [*self.displays, *(p.follower for p in self.phones)]

    async def start(self, seconds: float = 60) -> None:
        everyone = list(self.followers)
        for follower in everyone:
            follower.start()
        await until(lambda: all(f.resumed for f in everyone), seconds, "every client subscribed")

    async def close(self) -> None:
        await asyncio.gather(*(f.close() for f in self.followers))

    async def register(self, cluster: Cluster) -> None:
        """The phones' citizens as the message center's contacts (in-app needs no address)."""
        for phone in self.phones:
            status, answer = await cluster.rest(
                "PUT", f"/notifier/contacts/citizen:{phone.citizen_id}", {"name": "市民"}
            )
            assert status == 200, answer

    async def fill(self, per_hall: int, stop: asyncio.Event) -> None:
        """Kiosks print tickets (the queue the counters call from)."""
        await asyncio.gather(*(k.print_tickets(per_hall, self.services, stop) for k in self.kiosks))

    async def take(self, phones: list[Phone], stop: asyncio.Event, spread: float = 0.0) -> None:
        """Each phone takes a ticket, at a random moment within `spread` seconds."""

        async def one(phone: Phone) -> None:
            await asyncio.sleep(random.uniform(0, spread))
            await phone.take(f"s{random.randint(1, self.services)}", stop)

        await asyncio.gather(*(one(p) for p in phones))

    async def busy(self, stop: asyncio.Event, *, messages_every: float = 0.2) -> None:
        """Counters call, serve and finish, kiosks keep printing, the message center sends, until
        `stop`."""
        tasks = [asyncio.create_task(desk.run(stop)) for desk in self.workstations]
        tasks += [asyncio.create_task(self._print(k, stop)) for k in self.kiosks]
        if self.center is not None and self.phones:
            tasks.append(asyncio.create_task(self._send(self.center, stop, messages_every)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _print(self, kiosk: Kiosk, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await kiosk.print_tickets(1, self.services, stop)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.print_every):
                    await stop.wait()

    async def _send(self, center: MessageCenter, stop: asyncio.Event, every: float) -> None:
        while not stop.is_set():
            phone = random.choice(self.phones)
            await center.send(f"citizen:{phone.citizen_id}", stop)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await stop.wait()

    def messages(self, logs: dict[str, Log]) -> dict[str, int]:
        return {} if self.center is None else messages_in(logs, self.center)

    async def judge(
        self, url: str, http: aiohttp.ClientSession, seconds: float = 30
    ) -> tuple[dict[str, Log], dict[tuple[str, str], Tally]]:
        """Wait until every client has caught up with the logs; each client's tally."""
        logs = await settle(url, http, list(self.followers), seconds)
        return logs, tallies(self.followers, logs)


def build(
    cluster: Cluster,
    *,
    displays_per_hall: int,
    phones_per_hall: int,
    screens_url: str | None = None,
    desks_url: str | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    message_center: bool = True,
) -> Crowd:
    """Everyone of every hall loaded in `cluster`. Displays and phones connect to `screens_url`
    (a fault proxy, or nginx), clerks and kiosks to `desks_url` (nginx by default)."""
    screens = screens_url or cluster.url
    desks = desks_url or cluster.url
    http = cluster.http
    crowd = Crowd()
    for setup in cluster.halls:
        hall_id = setup["hall"]["id"]
        crowd.services = len(setup["services"])
        for i in range(displays_per_hall):
            crowd.displays.append(
                Follower(
                    f"display-{hall_id}-{i}",
                    screens,
                    token(Role.DISPLAY, f"display-{hall_id}-{i}", hall=hall_id),
                    http,
                    topics={f"hall:{hall_id}": f"/halls/{hall_id}/board"},
                    backoff=backoff,
                )
            )
        for counter in setup["counters"]:
            crowd.workstations.append(
                Workstation(hall_id, counter["id"], desks, http, backoff=backoff)
            )
        for i in range(phones_per_hall):
            crowd.phones.append(Phone(f"c-{hall_id}-{i}", hall_id, screens, http, backoff=backoff))
        crowd.kiosks.append(Kiosk(hall_id, desks, http, backoff=backoff))
    if message_center:
        crowd.center = MessageCenter(cluster.url, http, backoff)
    return crowd


def describe(counted: dict[tuple[str, str], Tally]) -> str:
    """A failure message: the totals and the first clients that went wrong."""
    bad = faults(counted)
    lines = [f"total: {total(counted.values())}", f"clients with faults: {len(bad)}"]
    lines += [f"  {name} {topic}: {one}" for (name, topic), one in list(bad.items())[:15]]
    return "\n".join(lines)


def messages_in(logs: dict[str, Log], center: MessageCenter) -> dict[str, int]:
    """How many times each message the center sent reached its recipient's topic."""
    seen: dict[str, int] = dict.fromkeys(center.sent, 0)
    for title, recipient in center.sent.items():
        for envelope in logs[recipient].events:
            if envelope["type"] == "notifier.message_received" and _title(envelope) == title:
                seen[title] += 1
    return seen


async def wait_messages(cluster: Cluster, crowd: Crowd, seconds: float = 30) -> None:
    """Until every message the center had answered is in its recipient's inbox topic (the
    outbox worker delivers them after the answer)."""
    if crowd.center is None:
        return
    phones = [p.follower for p in crowd.phones]
    deadline = time.monotonic() + seconds
    while True:
        seen = messages_in(await read_logs(cluster.url, cluster.http, phones), crowd.center)
        if all(seen.values()) or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.5)


def _title(envelope: dict[str, Any]) -> str:
    item = envelope.get("data", {}).get("item", {})
    return str(item.get("title", ""))

"""The world the access matrix runs in, and the runner.

Two halls: xc-01 is "own" (the resource of every case lives there, belongs to its citizen, is
worked by its clerk, is a call of its agent), hd-02 is "foreign". Every row of every access table
is tried by every role (admin, supervisor, staff, agent, display, citizen, ticket), each once
bound to the resource's own scope and once to a foreign one, and once with no token at all.
What the row allows must succeed; what it refuses must answer FORBIDDEN (TOPIC_FORBIDDEN for a
topic, UNAUTHENTICATED without a token) and leave every collection as it was.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp

from appointments.api import APPOINTMENTS
from appointments.jobs import AppointmentJobs
from appointments.models import BookingPlan
from hub import keys
from hub.access import Grant, Reach
from hub.auth.models import Principal, Role
from notifier.api import NOTIFIER
from queueing import HALLS, QUEUE
from queueing.models import CitizenIn, HallSetup
from rtc.api import RTC
from tests.queueing.factories import setup
from tests.support import Client, RunningHub, connect, db_state

OWN_HALL, FOREIGN_HALL = "xc-01", "hd-02"
# Thursday 26 November 2026, 10:00 in Shanghai (Friday can be booked).
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
FRIDAY_0930 = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
FRIDAY_0920 = datetime(2026, 11, 27, 1, 20, tzinfo=UTC)

Scope = Literal["own", "foreign"]
REFUSED_CODES = frozenset({"FORBIDDEN", "TOPIC_FORBIDDEN"})


@dataclass(frozen=True, slots=True)
class Who:
    role: Role | None  # None: no token at all
    scope: Scope


@dataclass(frozen=True, slots=True)
class Target:
    """Whose the resource of a case is: its hall, citizen, clerk, agent, and the ticket a
    ticket token follows."""

    hall: str = OWN_HALL
    citizen: str = "c-a"
    clerk: str = "clerk-a"
    agent: str = "agent-a"
    ticket: str = ""  # empty: a ticket of the own hall the world took at start


@dataclass(frozen=True, slots=True)
class Act:
    """One request: a Socket.IO command, a REST call, or a topic (subscribed to and read
    through GET /events/{topic}; both must agree)."""

    command: str = ""
    payload: dict[str, Any] | None = None
    method: str = ""
    path: str = ""
    body: Any = None
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    topic: str = ""
    # For an allowed case: error codes that still show access was granted and the resource's
    # state (not the caller) decided (each use says why).
    ok_codes: frozenset[str] = frozenset()


Builder = Callable[["World", Who], Awaitable[tuple[Target, Act]]]


def cmd(name: str, payload: dict[str, Any] | None = None, **kw: Any) -> Act:
    return Act(command=name, payload=payload or {}, **kw)


def rest(method: str, path: str, body: Any = None, **kw: Any) -> Act:
    return Act(method=method, path=path, body=body, **kw)


def topic(name: str) -> Act:
    return Act(topic=name)


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    code: str = ""
    status: int = 0
    detail: str = ""


def expected(row: Grant, who: Who) -> bool:
    if row.public:
        return True
    if who.role is None or who.role not in row.reach:
        return False
    return row.reach[who.role] is Reach.ANY or who.scope == "own"


def hall_setup(hall_id: str) -> HallSetup:
    """The test hall with counter ids of its own (ids are unique across halls)."""
    raw = setup(hall_id).model_dump(by_alias=True)
    raw["hall"]["policy"] = {"per_person_daily_limit": 50, "no_show_min_calls": 1}
    for counter in raw["counters"]:
        counter["_id"] = f"{hall_id}-{counter['_id']}"
    for service in raw["services"]:
        service["daily_cap"] = 5000
    return HallSetup.model_validate(raw)


def id_number(n: int) -> str:
    """A valid resident ID number for person n (check digit computed)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = f"1101011990{(n // 28) % 12 + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


class World:
    def __init__(self, hub: RunningHub, http: aiohttp.ClientSession) -> None:
        self.hub = hub
        self.app = hub.app
        self.http = http
        self._numbers = itertools.count(1)
        self._clients: dict[str, Client] = {}
        self._counts: dict[str, int] = {}
        self._jobs_done_at: datetime | None = None
        self.now = NOW

    # -- set-up ----------------------------------------------------------------------------

    async def start(self) -> None:
        for hall in (OWN_HALL, FOREIGN_HALL):
            await self.app[HALLS].apply_setup(hall_setup(hall))
            plan = BookingPlan.model_validate(
                {
                    "_id": f"{hall}:s1",
                    "hall_id": hall,
                    "service_id": "s1",
                    "dynamic": False,
                    "capacity": 500,
                    "backup_share": 0,
                }
            )
            await self.app[APPOINTMENTS].save_plan(plan)
        self.at(NOW)
        # Video calls on a clock that stands still: no offer runs out, nobody's presence ends,
        # and the clock's second-by-second rounds find nothing to write.
        still = datetime.now(UTC)
        self.app[RTC]._now = lambda: still
        # The foreign ticket a foreign ticket token follows.
        foreign = await self.take(hall=FOREIGN_HALL, citizen="c-b")
        self.foreign_ticket = foreign.id
        self.own_ticket = (await self.take(citizen="c-a")).id

    def at(self, moment: datetime) -> None:
        self.now = moment
        self.app[QUEUE]._now = lambda: self.now
        self.app[APPOINTMENTS]._now = lambda: self.now

    def n(self) -> int:
        return next(self._numbers)

    def count(self, what: str) -> int:
        """0, 1, 2, … per thing counted, in this world."""
        self._counts[what] = self._counts.get(what, -1) + 1
        return self._counts[what]

    async def take(self, hall: str = OWN_HALL, citizen: str = "", service: str = "s1") -> Any:
        """A ticket taken on the H5 app (by a citizen of its own unless named: a person takes
        only so many a day)."""
        n = self.n()
        citizen = citizen or f"c-x{n}"
        return await self.app[QUEUE].take_ticket(
            hall,
            service,
            _miniapp(),
            CitizenIn(name="市民", id_number=id_number(n)),
            citizen_id=citizen,
        )

    @property
    def rtc(self) -> Any:
        return self.app[RTC]

    @property
    def notifier(self) -> Any:
        return self.app[NOTIFIER]

    # -- who -------------------------------------------------------------------------------

    def principal(self, who: Who, target: Target) -> Principal | None:
        role, own = who.role, who.scope == "own"
        hall = target.hall if own else FOREIGN_HALL
        if role is None:
            return None
        if role is Role.ADMIN:
            return Principal("root" if own else "root-2", role)
        if role is Role.SUPERVISOR:
            return Principal(f"sup-{hall}", role, hall=hall)
        if role is Role.STAFF:
            return Principal(target.clerk if own else "clerk-b", role, hall=hall)
        if role is Role.AGENT:
            return Principal(target.agent if own else "agent-b", role)
        if role is Role.DISPLAY:
            return Principal(f"screen-{hall}", role, hall=hall)
        if role is Role.CITIZEN:
            return Principal(target.citizen if own else "c-b", role)
        ticket = (target.ticket or self.own_ticket) if own else self.foreign_ticket
        return Principal(f"ticket-{ticket}", role, ticket=ticket)

    def token(self, principal: Principal) -> str:
        token, _ = self.app[keys.TOKENS].issue(
            principal.sub,
            principal.role,
            hall=principal.hall,
            ticket=principal.ticket,
            ttl_seconds=3600,
        )
        return token

    async def client(self, principal: Principal) -> Client:
        key = f"{principal.role}:{principal.sub}:{principal.hall}:{principal.ticket}"
        found = self._clients.get(key)
        if found is None or not found.sio.connected:
            found = await connect(self.hub.url, self.token(principal))
            self._clients[key] = found
        return found

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()

    # -- acting ----------------------------------------------------------------------------

    async def perform(self, principal: Principal | None, act: Act) -> Outcome:
        if act.topic:
            return await self._topic(principal, act.topic)
        if act.command:
            if principal is None:
                return Outcome(False, "UNAUTHENTICATED", 401)
            answer = await (await self.client(principal)).call(act.command, act.payload)
            if answer.get("ok"):
                return Outcome(True)
            error = answer.get("error") or {}
            return Outcome(False, str(error.get("code")), detail=str(error.get("message")))
        return await self._rest(principal, act)

    async def _rest(self, principal: Principal | None, act: Act) -> Outcome:
        headers = dict(act.headers)
        if principal is not None:
            headers["Authorization"] = f"Bearer {self.token(principal)}"
        kwargs: dict[str, Any] = {"headers": headers}
        if act.data is not None:
            kwargs["data"] = act.data
        elif act.body is not None:
            kwargs["data"] = json.dumps(act.body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        url = self.hub.url + "/api/v1" + act.path
        async with self.http.request(act.method, url, **kwargs) as response:
            raw = await response.read()
            if 200 <= response.status < 300:
                return Outcome(True, status=response.status)
            try:
                problem = json.loads(raw)
            except ValueError:
                problem = {}
            return Outcome(
                False, str(problem.get("code")), response.status, str(problem.get("detail"))
            )

    async def _topic(self, principal: Principal | None, name: str) -> Outcome:
        read = await self._rest(principal, rest("GET", f"/events/{name}"))
        if principal is None:
            return read
        answer = await (await self.client(principal)).call("subscribe", {"topic": name})
        if answer.get("ok"):
            await (await self.client(principal)).call("unsubscribe", {"topic": name})
        subscribed = Outcome(True) if answer.get("ok") else Outcome(False, answer["error"]["code"])
        if subscribed.ok != read.ok or (not read.ok and subscribed.code != read.code):
            return Outcome(False, "DISAGREE", detail=f"subscribe {subscribed}, GET {read}")
        return subscribed

    async def settle(self) -> dict[str, list[Any]]:
        """The database once the work under way has been done (what the refused cases are
        compared with)."""
        queue = self.app[QUEUE]
        if self._jobs_done_at != self.now:
            # What the appointment center's clockwork does at this time, done now: its next
            # round (every 15 s) then finds nothing to write amid the refused cases.
            await AppointmentJobs(self.app[APPOINTMENTS]).run_once()
            self._jobs_done_at = self.now
        await queue.settle()
        await asyncio.sleep(0.05)  # a publish's listeners (message rules) run after it
        await queue.settle()
        return await db_state(self.app[keys.DB])


def _miniapp() -> Any:
    from queueing.models import Channel

    return Channel.MINIAPP


@dataclass
class Report:
    cells: int = 0
    allowed: int = 0
    refused: int = 0
    failures: list[str] = field(default_factory=list)


ROLES: tuple[Role | None, ...] = (*Role, None)


async def run_row(world: World, key: str, row: Grant, build: Builder, report: Report) -> None:
    import os
    import time

    if os.environ.get("MATRIX_TRACE"):
        print("ROW", key, time.monotonic(), flush=True)
    whos = [Who(role, scope) for role in ROLES for scope in ("own", "foreign")]
    whos = [w for w in whos if not (w.role is None and w.scope == "foreign")]
    refused = [w for w in whos if not expected(row, w)]
    if refused:
        world.at(NOW)
        target, act = await build(world, refused[0])
        act = replace(act, ok_codes=frozenset())
        if act.command:  # a command cannot be sent without a token: no anonymous cell
            refused = [w for w in refused if w.role is not None]
        for attempt in (1, 2):
            before = await world.settle()
            outcomes = [
                (who, await world.perform(world.principal(who, target), act)) for who in refused
            ]
            after = await world.settle()
            # Background work the refused requests did not cause (a position update, a
            # clock's round) may land in between: a change must show twice to count.
            if after == before or attempt == 2:
                break
        for who, outcome in outcomes:
            report.cells += 1
            report.refused += 1
            wanted = {"UNAUTHENTICATED"} if who.role is None else REFUSED_CODES
            if outcome.ok or outcome.code not in wanted:
                report.failures.append(f"{key} {_name(who)}: should be refused, got {outcome}")
        if after != before:
            keys = after.keys() | before.keys()
            changed = sorted(k for k in keys if after.get(k) != before.get(k))
            report.failures.append(f"{key}: refused requests changed {changed}")
    for who in whos:
        if not expected(row, who):
            continue
        world.at(NOW)
        target, act = await build(world, who)
        outcome = await world.perform(world.principal(who, target), act)
        report.cells += 1
        report.allowed += 1
        if not outcome.ok and outcome.code not in act.ok_codes:
            report.failures.append(f"{key} {_name(who)}: should be allowed, got {outcome}")


def _name(who: Who) -> str:
    return f"{who.role.value if who.role else 'anonymous'}/{who.scope}"

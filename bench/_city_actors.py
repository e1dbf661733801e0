"""The people and screens of bench/city.py's city day, each a bench/_city_clients.py client:

- hall displays (hall:<id>), counter displays (counter:<id>), kiosks taking tickets;
- clerks at workstations (hall:<id> and counter:<id>): call_next -> start -> finish with the
  model's service times, and now and then recall, no-show, park, transfer, pause;
- citizens' phones following their ticket (citizen:<id> from the H5 app, or ticket:<id> from
  a printed slip's QR code), booking later days, and phones standing open on their messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import date, timedelta
from typing import Any

from bench._city_clients import Client, Ctx, answer_of, command, rest
from bench._city_model import PAUSE, CounterSpec, HallSpec, Visit, id_number
from bench._city_model import phone as phone_number
from bench._city_probe import called_tag
from bench._sim_model import DAY
from hub.auth.models import Role

CALLED = "queueing.ticket_called"
RECALLED = "queueing.ticket_recalled"
TERMINAL = {"queueing.ticket_finished", "queueing.ticket_no_show", "queueing.ticket_cancelled"}


# -- screens ------------------------------------------------------------------------------------


def hall_screen(ctx: Ctx, hall: HallSpec, kind: str, i: int) -> Client:
    """A hall display (its calls timed), a kiosk or a workstation's hall view."""
    state = ctx.hall_state[hall.id]

    def handle(envelope: dict[str, Any], received: float) -> None:
        kind_ = envelope["type"]
        data = envelope["data"]
        if kind_ == "queueing.waiting_changed":
            state.update(data, int(envelope["seq"]))
        elif kind == "display" and kind_ in (CALLED, RECALLED):
            ctx.calls.receipt("display", (data["ticket_id"], int(data["call_count"])), received)

    return Client(ctx, f"{kind} {hall.id}#{i}", handle)


def counter_screen(ctx: Ctx, counter: CounterSpec) -> Client:
    def handle(envelope: dict[str, Any], received: float) -> None:
        current = envelope["data"].get("current") if envelope["type"].endswith("updated") else None
        if current and current.get("status") == "called":
            key = (current["ticket_id"], int(current["call_count"]))
            ctx.calls.receipt("counter display", key, received)

    return Client(ctx, f"counter display {counter.id}", handle)


async def open_screens(ctx: Ctx) -> list[Client]:
    """Every hall's displays, counter displays and kiosks, connected and subscribed."""
    screens: list[Client] = []
    jobs = []
    for hall in ctx.day.halls:
        token = ctx.token(f"device-{hall.id}", Role.DISPLAY, hall=hall.id)
        topic = f"hall:{hall.id}"
        for i in range(hall.displays):
            jobs.append((hall_screen(ctx, hall, "display", i), token, topic))
        ctx.kiosks[hall.id] = []
        for i in range(hall.kiosks):
            kiosk = hall_screen(ctx, hall, "kiosk", i)
            ctx.kiosks[hall.id].append(kiosk)
            jobs.append((kiosk, token, topic))
        for counter in hall.counters:
            jobs.append((counter_screen(ctx, counter), token, f"counter:{counter.id}"))

    async def one(client: Client, token: str, topic: str) -> None:
        if await client.connect(token, "connect (screens)"):
            await client.subscribe(topic, "subscribe (screens)")
            screens.append(client)

    for start in range(0, len(jobs), 100):
        await asyncio.gather(*(one(*job) for job in jobs[start : start + 100]))
    return screens


async def standing_phones(ctx: Ctx, count: int) -> list[Client]:
    phones: list[Client] = []

    async def one(n: int) -> None:
        phone = Client(ctx, f"standing phone {n}", None)
        if await phone.connect(ctx.token(f"s{n}", Role.CITIZEN), "connect (screens)"):
            await phone.subscribe(f"citizen:s{n}", "subscribe (screens)")
            phones.append(phone)

    for start in range(0, count, 100):
        await asyncio.gather(*(one(n) for n in range(start, min(count, start + 100))))
    return phones


# -- citizens -----------------------------------------------------------------------------------


class Phone(Client):
    """A citizen's phone following one ticket until it is finished, a no-show or cancelled."""

    def __init__(self, ctx: Ctx, visit: Visit) -> None:
        super().__init__(ctx, f"phone {visit.n}", self._handle)
        self.visit = visit
        self.ticket: str | None = None
        self.called = False
        self.calls = 0  # ticket_called events received
        self.done = asyncio.Event()
        self.in_app_calls = 0
        self.in_app = asyncio.Event()  # as many called messages as calls
        self.early: list[tuple[dict[str, Any], float]] = []

    def _handle(self, envelope: dict[str, Any], received: float) -> None:
        if self.ticket is None:
            self.early.append((envelope, received))
            return
        kind, data = envelope["type"], envelope["data"]
        if kind == "notifier.message_received":
            message_kind = str(data.get("item", {}).get("kind", ""))
            self.ctx.messages[message_kind] += 1
            if message_kind == "ticket_called":
                self.in_app_calls += 1
                tag = called_tag(str(data.get("item", {}).get("body", "")))
                if tag is not None:
                    self.ctx.calls.tag_receipt("in-app", tag, received)
                if self.in_app_calls >= self.calls:
                    self.in_app.set()
        elif data.get("ticket_id") != self.ticket:
            return
        elif kind == CALLED:
            self.called = True
            self.calls += 1
            self.in_app.clear()
            self.ctx.calls.receipt("phone", (self.ticket, int(data["call_count"])), received)
        elif kind in TERMINAL:
            self.done.set()

    def topics_ready(self) -> bool:
        """Subscribed (the answer came) to the topic that carries the ticket's events."""
        return any(state.base is not None for state in self.tracker.topics.values())

    def following(self, ticket_id: str) -> None:
        self.ticket = ticket_id
        self.ctx.tickets[ticket_id] = self.visit
        self.ctx.phones[ticket_id] = self
        early, self.early = self.early, []
        for envelope, received in early:
            self._handle(envelope, received)

    async def follow(self) -> None:
        """Until the ticket ends (or the run does); an H5 holder may cancel while waiting."""
        if self.visit.cancel_after is not None:
            try:
                async with asyncio.timeout(self.visit.cancel_after * 60 / self.ctx.clock.speed):
                    await self.done.wait()
            except TimeoutError:
                if not self.called and self.ticket is not None:
                    answer = await command(
                        self.ctx, self.sock, "queueing.cancel_ticket", {"ticket_id": self.ticket}
                    )
                    if answer is not None:
                        self.ctx.spawn(self.expect_end())
        await self.done.wait()
        if self.visit.channel in ("h5", "booked") and self.calls > self.in_app_calls:
            # The called messages come through the message center's outbox: wait for them.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    await self.in_app.wait()
        await asyncio.sleep(0.5)
        await self.close()
        if self.ticket is not None:
            self.ctx.phones.pop(self.ticket, None)

    async def expect_end(self) -> None:
        await asyncio.sleep(10.0)
        if not self.done.is_set() and self.sock is not None:
            self.ctx.seqs.missing_expected += 1
            self.ctx.seqs.note(f"{self.name}: no end event for {self.ticket}")
            self.done.set()


async def kiosk_ticket(ctx: Ctx, visit: Visit) -> dict[str, Any] | None:
    kiosks = ctx.kiosks.get(visit.hall) or []
    if not kiosks:
        return None
    kiosk = kiosks[visit.n % len(kiosks)]
    payload: dict[str, Any] = {"hall_id": visit.hall, "service_id": visit.service}
    payload["channel"] = "kiosk"
    if visit.elderly:
        payload["citizen"] = {"tags": ["elderly"]}
    answer = await command(ctx, kiosk.sock, "queueing.take_ticket", payload, "take_ticket")
    if answer is not None:
        ctx.tickets[answer["ticket_id"]] = visit
    return answer


async def walk_in(ctx: Ctx, visit: Visit) -> None:
    """A walk-in: a slip from the kiosk (maybe followed on a phone), or a ticket in the H5 app."""
    if visit.channel == "kiosk":
        await kiosk_ticket(ctx, visit)
        return
    phone = Phone(ctx, visit)
    if visit.channel == "slip":
        slip = await kiosk_ticket(ctx, visit)
        if slip is None or not slip.get("follow_code"):
            return
        ticket_id = slip["ticket_id"]
        path = f"/halls/{visit.hall}/tickets/{ticket_id}/follow"
        anyone = ctx.token("bench-h5", Role.CITIZEN)
        follow = await rest(ctx, "POST", path, anyone, {"code": slip["follow_code"]}, "follow")
        if follow is None or not await phone.connect(follow["token"]):
            return
        if not await phone.subscribe(f"ticket:{ticket_id}"):
            await phone.close()
            return
        phone.following(ticket_id)
    else:
        if not await phone.connect(ctx.token(visit.citizen, Role.CITIZEN)):
            return
        if not await phone.subscribe(f"citizen:{visit.citizen}"):
            await phone.close()
            return
        if visit.channel == "booked":
            answer = await command(
                ctx,
                phone.sock,
                "appointments.check_in",
                {
                    "hall_id": visit.hall,
                    "appointment_id": ctx.appointments.get(visit.n, "unknown"),
                    "hall_code": ctx.hall_codes.get(visit.hall, ""),
                },
                "check_in",
            )
        else:
            payload: dict[str, Any] = {
                "hall_id": visit.hall,
                "service_id": visit.service,
                "channel": "miniapp",
            }
            if visit.elderly:
                payload["citizen"] = {"tags": ["elderly"]}
            answer = await command(ctx, phone.sock, "queueing.take_ticket", payload, "take_ticket")
        if answer is None or not answer.get("ticket_id"):
            await phone.close()
            return
        phone.following(str(answer["ticket_id"]))
    await phone.follow()


def slot_start(day: date, minute: float) -> str:
    """A slot's start on `day` (minutes after 09:00 there) as the API takes it."""
    moment = DAY.replace(year=day.year, month=day.month, day=day.day)
    return (moment + timedelta(minutes=minute)).isoformat()


async def book(
    ctx: Ctx, n: int, hall: str, service: str, start: str, sms: bool, label: str
) -> str | None:
    """A citizen books through the appointment center's API (the H5 app's REST call)."""
    body = {
        "hall_id": hall,
        "service_id": service,
        "slot_start": start,
        "name": f"市民{n}",
        "id_number": id_number(n),
        "phone": phone_number(n),
        "notify_sms": sms,
    }
    answer = await rest(ctx, "POST", "/appointments", ctx.token(f"c{n}", Role.CITIZEN), body, label)
    return str(answer["id"]) if isinstance(answer, dict) and "id" in answer else None


# -- clerks -------------------------------------------------------------------------------------


class Clerk:
    """A clerk at a counter's workstation, working the day's sessions."""

    def __init__(self, ctx: Ctx, hall: HallSpec, counter: CounterSpec) -> None:
        self.ctx = ctx
        self.hall = hall
        self.counter = counter
        self.services = [s for s, _ in counter.services]
        self.state = ctx.hall_state[hall.id]
        self.parked: list[str] = []
        self.code = ""  # the last action's error code
        self.rng = random.Random(f"{ctx.rng.random()}{counter.id}")
        self.client = hall_screen(ctx, hall, "workstation", counter.number)
        self.token = ctx.token(f"clerk-{counter.id}", Role.STAFF, hall=hall.id, name="办事员")

    async def sign_in(self) -> bool:
        if not await self.client.connect(self.token, "connect (screens)"):
            return False
        await self.client.subscribe(f"counter:{self.counter.id}", "subscribe (screens)")
        await self.client.subscribe(f"hall:{self.hall.id}", "subscribe (screens)")
        return True

    async def act(self, name: str, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
        payload = {"counter_id": self.counter.id, **(extra or {})}
        data, self.code = await answer_of(
            self.ctx, self.client.sock, f"queueing.{name}", payload, name
        )
        return data

    async def clear(self) -> None:
        """The counter holds a ticket the clerk lost track of (an answer that timed out while
        the hub went on): the workstation shows it, the clerk finishes it."""
        if await self.act("finish") is None and self.code != "NO_CURRENT_TICKET":
            await self.act("no_show")

    async def work(self, sessions: list[tuple[float, float]]) -> None:
        clock = self.ctx.clock
        path = f"/halls/{self.hall.id}/counters/{self.counter.id}/workstation"
        for i, (opens, closes) in enumerate(sessions):
            await clock.until(opens - self.rng.uniform(0.5, 3.0))
            if self.ctx.stopping:
                return
            if i == 0:  # the workstation page loads its snapshot once, then applies events
                await rest(self.ctx, "GET", path, self.token, label="workstation snapshot")
            await self.act("open_counter")
            await self.serve(closes)
            if self.ctx.stopping:
                return
            await self.act("close_counter")

    async def serve(self, closes: float) -> None:
        """Call while the hall's screens show someone waiting for one of the counter's
        services (and once every two city minutes anyway); after closing time, until none."""
        clock = self.ctx.clock
        while not self.ctx.stopping:
            look_again = 120 / clock.speed  # real seconds (the ramp changes the speed)
            late = clock.minute() >= closes
            if self.parked and (late or self.rng.random() < 0.3):
                await self.call_parked()
                continue
            if not self.state.has_work(self.services):
                if late:
                    return
                if await self.state.wait(look_again):
                    # A person sees the count change and reaches for F1 a few seconds later
                    # (if it still shows someone for them then).
                    await clock.sleep(self.rng.uniform(1.0, 6.0) / 60)
                    continue
                # Nothing changed for two minutes: F1 once anyway, in case.
            sent = time.time()
            called = await self.act("call_next")
            if called is None and self.code == "COUNTER_BUSY":
                await self.clear()
                continue
            if called is None:
                if late:
                    return
                await self.state.wait(look_again)
                continue
            await self.serve_ticket(called, sent)
            if self.rng.random() < PAUSE and not late:
                await self.act("pause", {"reason": "临时离开"})
                await clock.sleep(self.rng.uniform(2.0, 8.0))
                await self.act("resume")

    def watch(self, called: dict[str, Any], sent: float) -> None:
        ticket_id = str(called["ticket_id"])
        visit = self.ctx.tickets.get(ticket_id)
        phone = self.ctx.phones.get(ticket_id)
        expect = {"display": self.hall.displays, "counter display": 1}
        if phone is not None and phone.sock is not None and phone.topics_ready():
            expect["phone"] = 1
            if visit is not None and visit.channel in ("h5", "booked"):
                expect["in-app"] = 1
        if visit is not None and visit.sms:
            expect["sms"] = 1
        tag = (str(called.get("number", "")), self.counter.name)
        self.ctx.calls.called((ticket_id, int(called["call_count"])), sent, expect, tag)

    async def recall(self, ticket_id: str) -> None:
        sent = time.time()
        recalled = await self.act("recall")
        if recalled is not None:
            self.watch(recalled, sent)

    async def serve_ticket(self, called: dict[str, Any], sent: float) -> None:
        clock = self.ctx.clock
        self.watch(called, sent)
        ticket_id = str(called["ticket_id"])
        visit = self.ctx.tickets.get(ticket_id)
        minutes = visit.service_minutes if visit is not None else 4.0
        await clock.sleep(self.ctx.day.model.changeover / 2)
        if visit is not None and visit.absent:
            await clock.sleep(1.0)
            await self.recall(ticket_id)
            await clock.sleep(1.0)
            if await self.act("no_show") is not None:
                self.ctx.ended(ticket_id)
            return
        if visit is not None and visit.slow:
            await clock.sleep(0.7)
            await self.recall(ticket_id)
            await clock.sleep(0.3)
        if await self.act("start") is None:
            return
        if visit is not None and visit.park and not visit.parked_done:
            visit.parked_done = True
            await clock.sleep(1.0)
            if await self.act("park") is not None:
                self.parked.append(ticket_id)
                return
        if visit is not None and visit.transfer_to and not visit.transferred_done:
            visit.transferred_done = True
            await clock.sleep(minutes / 2)
            if await self.act("transfer", {"service_id": visit.transfer_to}) is not None:
                self.ctx.calls.forget(ticket_id)  # its calls are counted from one again
                return
        await clock.sleep(minutes)
        if await self.act("finish") is not None:
            self.ctx.ended(ticket_id)
        await clock.sleep(self.ctx.day.model.changeover / 2)

    async def call_parked(self) -> None:
        ticket_id = self.parked.pop(0)
        if self.rng.random() < 0.5:  # put back in the queue: someone's F1 takes it
            await self.act("unpark", {"ticket_id": ticket_id})
            return
        sent = time.time()
        called = await self.act("call_ticket", {"ticket_id": ticket_id})
        if called is not None:
            await self.serve_ticket(called, sent)

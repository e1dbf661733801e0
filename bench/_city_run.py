"""bench/city.py's run against one hub node: set the city up, book the day's appointments the
day before, connect every screen, replay the day on the city's clock (or ramp its speed over a
peak hour), then check every client's events and take the figures."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench._city_actors import (
    Clerk,
    book,
    open_screens,
    slot_start,
    standing_phones,
    walk_in,
)
from bench._city_clients import Client, Ctx, command, rest
from bench._city_model import (
    SESSIONS,
    VIDEO_TOPICS,
    Channel,
    CityDay,
    FutureBooking,
    VideoCall,
    Visit,
)
from bench._city_probe import (
    BenchClock,
    LoopLag,
    called_tag,
    children,
    clock_text,
    core_times,
    cpu_seconds,
    percentile,
)
from bench._city_video import Agent, video_call
from bench._sim_model import DAY
from hub.auth.models import Role

P99_TARGET_MS = 50.0
DAY_BEFORE = -23 * 60.0  # 10:00 the day before: when the day's bookings are made


@dataclass
class NodeInfo:
    pid: int
    hooks: dict[str, Any] | None = None  # what bench/_city_hooks.py installed (None: no hooks)

    def store_pids(self) -> list[int]:
        return children(self.pid)


@dataclass
class Sample:
    at: float
    minute: float
    hub_cpu: float
    store_cpu: float
    bench_cpu: float
    hooks: dict[str, Any] | None
    cores: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Step:
    speed: float
    start: Sample
    end: Sample


@dataclass
class Plan:
    """What to replay: minutes after 09:00, and the speed (or the ramp's speeds)."""

    replay_from: float
    start: float
    end: float
    speed: float
    ramp: list[float] = field(default_factory=list)  # --find-max: one speed per step


@dataclass
class Outcome:
    ctx: Ctx
    steps: list[Step]
    loop: LoopLag
    phases: dict[str, float]
    screens: int
    degraded: list[str]
    sms: int = 0
    sms_near: int = 0
    store_core: int = 0


async def hooks_of(ctx: Ctx, mark: bool = False) -> dict[str, Any] | None:
    """The node's hook figures (None: it has no hooks); `mark` starts new maxima."""
    query = "?mark=1" if mark else ""
    try:
        async with ctx.http.get(f"{ctx.url}/bench/city/stats{query}") as response:
            if response.status != 200:
                return None
            data: dict[str, Any] = await response.json()
            return data
    except aiohttp.ClientError:
        return None


async def set_clock(ctx: Ctx, node: NodeInfo, minute: float, speed: float) -> None:
    """The node's clock and the bench's, to the same origin (a real moment just ahead)."""
    real = time.time() + 0.05
    if node.hooks is not None:
        body = {"origin": ctx.clock.city(minute).isoformat(), "real": real, "speed": speed}
        async with ctx.http.post(f"{ctx.url}/bench/city/clock", json=body) as response:
            response.raise_for_status()
    ctx.clock.set(minute, real, speed)


async def sample(ctx: Ctx, node: NodeInfo, mark: bool = True) -> Sample:
    """The node's, its store's and this process's CPU, the cores' and the hooks' figures;
    `mark` starts new maxima (a step's bounds do; the progress lines do not)."""
    hooks = await hooks_of(ctx, mark=mark) if node.hooks is not None else None
    return Sample(
        time.time(),
        ctx.clock.minute(),
        cpu_seconds(node.pid),
        sum(cpu_seconds(p) for p in node.store_pids()),
        time.process_time(),
        hooks,
        core_times(),
    )


async def wait_quiet(node: NodeInfo, limit: float) -> float:
    """Until the node and its store use under a tenth of a core for a second."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(node.pid) + sum(cpu_seconds(p) for p in node.store_pids())
        await asyncio.sleep(1.0)
        after = cpu_seconds(node.pid) + sum(cpu_seconds(p) for p in node.store_pids())
        if after - before < 0.1:
            break
    return time.monotonic() - started


async def set_up(ctx: Ctx) -> None:
    admin = ctx.token("bench-admin", Role.ADMIN, name="管理员")
    for hall in ctx.day.halls:
        if await rest(ctx, "PUT", f"/halls/{hall.id}/setup", admin, hall.setup()) is None:
            raise RuntimeError(f"hall setup failed: {ctx.stats.messages}")
        for service in hall.services:
            plan = {
                "id": f"{hall.id}:{service.id}",
                "hall_id": hall.id,
                "service_id": service.id,
                "capacity": ctx.day.capacity.get((hall.id, service.id), 2),
                "backup_share": 0.0,
                # Reminders go out as soon as a booking is made (the city's evening reminders
                # for tomorrow fall within the replayed day, as they do in a real day).
                "reminder_hours": 72,
            }
            path = f"/appointments/plans/{hall.id}/{service.id}"
            if await rest(ctx, "PUT", path, admin, plan) is None:
                raise RuntimeError(f"booking plan failed: {ctx.stats.messages}")
        code = await rest(ctx, "GET", f"/appointments/halls/{hall.id}/check-in-code", admin)
        if isinstance(code, dict):
            ctx.hall_codes[hall.id] = str(code["code"])


async def book_the_day_before(ctx: Ctx, bookings: list[Visit], concurrency: int = 16) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(visit: Visit) -> None:
        async with gate:
            assert visit.slot is not None
            start = slot_start(DAY.date(), visit.slot)
            made = await book(
                ctx, visit.n, visit.hall, visit.service, start, visit.sms, "book (the day before)"
            )
            if made is not None:
                ctx.appointments[visit.n] = made

    await asyncio.gather(*(one(v) for v in bookings))


async def future_booking(ctx: Ctx, f: FutureBooking) -> None:
    await book(ctx, f.n, f.hall, f.service, slot_start(f.day, f.slot), False, "book")


async def until(clock: BenchClock, minute: float, ctx: Ctx) -> None:
    """Sleep until the city's minute, in short steps (the ramp may change the speed)."""
    while not ctx.stopping:
        remaining = clock.real_at(minute) - time.time()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, 0.25))


async def drive(ctx: Ctx, day: CityDay) -> None:
    """Each visit, booking and video call at its minute, none waiting for another."""
    agenda: list[tuple[float, int, Any]] = [(v.minute, 0, v) for v in day.visits]
    agenda += [(f.minute, 1, f) for f in day.future]
    agenda += [(c.minute, 2, c) for c in day.video]
    agenda.sort(key=lambda item: (item[0], item[1]))
    for minute, kind, item in agenda:
        await until(ctx.clock, minute, ctx)
        if ctx.stopping:
            return
        if kind == 0:
            ctx.spawn(walk_in(ctx, item))
        elif kind == 1:
            ctx.spawn(future_booking(ctx, item))
        else:
            call: VideoCall = item
            ctx.spawn(video_call(ctx, call.n, call.topic, call.minutes, call.chats))


async def progress(ctx: Ctx, node: NodeInfo, every: float = 30.0) -> None:
    """A line on stderr every `every` seconds: where the day is, and how the node copes."""
    before = await sample(ctx, node, mark=False)
    while True:
        await asyncio.sleep(every)
        now = await sample(ctx, node, mark=False)
        wall = now.at - before.at
        answered = sum(
            1 for values in ctx.stats.latencies.values() for sent, _ in values if sent >= before.at
        )
        print(
            f"  {clock_text(now.minute)} at {ctx.clock.speed:g}x: {len(ctx.tickets):,} tickets "
            f"taken, {len(ctx.completed):,} done, {ctx.live:,} clients live, "
            f"{answered / wall:,.0f} answers/s; hub {(now.hub_cpu - before.hub_cpu) / wall:.0%}"
            f", store {(now.store_cpu - before.store_cpu) / wall:.0%} of a core",
            file=sys.stderr,
            flush=True,
        )
        before = now


async def final_check(ctx: Ctx, clients: list[Client]) -> None:
    """Every long-lived client asks the log for what came after the last seq it saw: what the
    log has and the client never got (a second and a half later) was lost."""
    pending: list[tuple[Client, str, list[int]]] = []

    async def one(client: Client) -> None:
        for topic, state in list(client.tracker.topics.items()):
            payload = {"topic": topic, "after_seq": state.last}
            answer = await command(ctx, client.sock, "subscribe", payload, "subscribe (check)")
            if answer is not None:
                seqs = [int(e["seq"]) for e in answer.get("missed", []) if e["seq"] > state.last]
                if seqs:
                    pending.append((client, topic, seqs))

    for start in range(0, len(clients), 200):
        await asyncio.gather(*(one(c) for c in clients[start : start + 200]))
    await asyncio.sleep(1.5)
    for client, topic, seqs in pending:
        last = client.tracker.topics[topic].last
        never = [s for s in seqs if s > last]
        if never:
            ctx.seqs.missing_final += len(never)
            ctx.seqs.note(f"{client.name}: {topic} never got {never[:5]}")


async def sms_received(ctx: Ctx, control: str) -> tuple[int, int]:
    """SMS at the fake provider: called ones matched to their calls; (called, turn-near)."""
    async with ctx.http.get(control + "/received") as response:
        raw = await response.json()
    called = near = 0
    for body, at in sorted(raw.get("sms", []), key=lambda item: float(item[1])):
        tag = called_tag(body)
        if tag is not None:
            called += 1
            ctx.calls.tag_receipt("sms", tag, float(at))
        elif "前面还有" in body:
            near += 1
    return called, near


async def replay(ctx: Ctx, node: NodeInfo, plan: Plan, providers: dict[str, Any] | None) -> Outcome:
    loop = LoopLag()
    ticker = asyncio.create_task(loop.run())
    phases: dict[str, float] = {}
    degraded: list[str] = []
    day = ctx.day
    node.hooks = (await hooks_of(ctx) or {}).get("hooks")
    if node.hooks is None:
        degraded.append(
            "the node has no bench hooks (bench/_city_hooks.py): its domains run on real time, "
            "so no booking can be made for the replayed day or the days after it (booked "
            "citizens walk in with the H5 app instead; nobody books later days; quiet hours "
            "follow the real clock), and store operations, loop lateness and GC are not measured"
        )
        for visit in day.visits:
            if visit.channel is Channel.BOOKED:
                visit.channel = Channel.H5
        day.bookings, day.future = [], []
    elif not node.hooks.get("clock"):
        degraded.append("no service of the checkout takes a clock: the hub ran on real time")

    started = time.monotonic()
    await set_clock(ctx, node, DAY_BEFORE, 1.0)
    await set_up(ctx)
    phases["set-up (halls, plans)"] = time.monotonic() - started
    if node.hooks is not None:
        started = time.monotonic()
        await book_the_day_before(ctx, day.bookings)
        took = [ms for _, ms in ctx.stats.latencies.get("book (the day before)", [])]
        phases[
            f"{len(took):,} of {len(day.bookings):,} bookings made the day before, 16 at a time "
            f"(p50 {percentile(took, 50):.0f} ms, p99 {percentile(took, 99):.0f} ms)"
        ] = time.monotonic() - started
        phases["waiting for the node to settle"] = await wait_quiet(node, 240)

    started = time.monotonic()
    screens = await open_screens(ctx)
    clerks = [Clerk(ctx, h, c) for h in day.halls for c in h.counters]
    for start in range(0, len(clerks), 100):
        await asyncio.gather(*(c.sign_in() for c in clerks[start : start + 100]))
    agents = [Agent(ctx, n) for n in range(day.agents)]
    for agent in agents:
        await agent.sign_in(list(VIDEO_TOPICS))
    standing = await standing_phones(ctx, day.standing_phones)
    phases[f"{ctx.live:,} screens, workstations and phones connected"] = time.monotonic() - started
    long_lived: list[Client] = [*screens, *(c.client for c in clerks), *agents, *standing]

    await set_clock(ctx, node, plan.replay_from, plan.speed)
    sessions = [
        (max(opens, plan.replay_from + 1), closes)
        for opens, closes in SESSIONS
        if closes > plan.replay_from and opens < plan.end
    ]
    workers = [asyncio.create_task(c.work(sessions)) for c in clerks]
    driver = asyncio.create_task(drive(ctx, day))
    reporter = asyncio.create_task(progress(ctx, node))
    steps: list[Step] = []
    await until(ctx.clock, plan.start, ctx)
    if plan.ramp:
        span = (plan.end - plan.start) / len(plan.ramp)
        failures = 0
        for i, speed in enumerate(plan.ramp):
            await set_clock(ctx, node, ctx.clock.minute(), speed)
            first = await sample(ctx, node)
            await until(ctx.clock, plan.start + (i + 1) * span, ctx)
            steps.append(Step(speed, first, await sample(ctx, node)))
            failures = 0 if step_passes(ctx, steps[-1]) else failures + 1
            if failures == 2:
                break
    else:
        first = await sample(ctx, node)
        await until(ctx.clock, plan.end, ctx)
        steps.append(Step(plan.speed, first, await sample(ctx, node)))

    ctx.stopping = True
    driver.cancel()
    reporter.cancel()
    await asyncio.sleep(2.0)
    for task in [*workers, *ctx.tasks]:
        task.cancel()
    await asyncio.gather(*workers, *ctx.tasks, return_exceptions=True)
    await asyncio.sleep(1.0)
    await final_check(ctx, long_lived)
    open_phones = list(ctx.phones.values())
    for client in [*long_lived, *open_phones]:
        await client.close()
    outcome = Outcome(ctx, steps, loop, phases, len(long_lived), degraded)
    if providers is not None:
        outcome.sms, outcome.sms_near = await sms_received(ctx, providers["control"])
    ticker.cancel()
    return outcome


MIN_ANSWERS = 20  # a p99 of fewer answers is their maximum: shown, not judged


def judged_p99s(ctx: Ctx, start: float, end: float) -> dict[str, float]:
    """p99 of each command of the day answered at least MIN_ANSWERS times in [start, end)."""
    found = {}
    for name in measured_commands(ctx):
        values = ctx.stats.between(name, start, end)
        if len(values) >= MIN_ANSWERS:
            found[name] = percentile(values, 99)
    return found


def step_passes(ctx: Ctx, step: Step) -> bool:
    return all(
        p99 <= P99_TARGET_MS for p99 in judged_p99s(ctx, step.start.at, step.end.at).values()
    )


def measured_commands(ctx: Ctx) -> list[str]:
    """The commands of the day (not the set-up's, the check's, or one-way times)."""
    skip = ("(screens)", "(the day before)", "(check)", "one-way")
    return sorted(n for n in ctx.stats.latencies if not any(s in n for s in skip))

"""Bench-only instrumentation of a hub node for bench/city.py. Installed by bench/_hub_node.py
when BENCH_CITY_HOOKS is set, or by bench/_city_node.py into another checkout's node.

- The city's clock: every constructor of the domain packages that takes a `clock` (the
  services' replaceable clock) gets the city's, a virtual time running `speed` times faster
  than the real one from an origin that `POST /bench/city/clock` sets. Only the domains' own
  reading of the time moves (opening hours, slots, check-in windows, waits, quiet hours); the
  transport (pings, timeouts, tokens) and every asyncio timer keep real time.
- Store operations: pymongo's command monitoring counts every MongoDB command the node sends,
  by command and collection, with its duration.
- The event loop: how late a 20 ms ticker wakes up, and how long each garbage collection takes.

`GET /bench/city/stats` answers all of it: counters since start (the bench takes differences),
maxima since the last `?mark=1`.
Only the standard library, aiohttp and pymongo: it runs inside any checkout's node.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pymongo import monitoring

TICK_SECONDS = 0.02
# Histogram buckets (upper bounds, ms) for loop lateness, GC pauses and store round trips.
BUCKETS_MS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 1e9)


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * len(BUCKETS_MS)
        self.total_ms = 0.0
        self.max_ms = 0.0

    def add(self, ms: float) -> None:
        for i, bound in enumerate(BUCKETS_MS):
            if ms <= bound:
                self.counts[i] += 1
                break
        self.total_ms += ms
        self.max_ms = max(self.max_ms, ms)

    def dump(self) -> dict[str, Any]:
        return {"counts": self.counts, "total_ms": self.total_ms, "max_ms": self.max_ms}


class CityClock:
    """city time = origin + (real now - real origin) x speed; real time until set."""

    def __init__(self) -> None:
        self.origin = datetime.now(UTC)
        self.real = time.time()
        self.speed = 1.0

    def now(self) -> datetime:
        return self.origin + timedelta(seconds=(time.time() - self.real) * self.speed)

    def set(self, origin: datetime, real: float, speed: float) -> None:
        self.origin, self.real, self.speed = origin, real, speed


def _shape(command: Any) -> str:
    """The fields a command filters on ("{day,status}"): where a slow query comes from."""
    name = next(iter(command), "")
    query = command.get("filter") or command.get("query")
    if query is None:
        statements = command.get("updates") or command.get("deletes") or []
        query = statements[0].get("q") if statements else None
    if name == "aggregate":
        match = [s["$match"] for s in command.get("pipeline", []) if "$match" in s]
        query = match[0] if match else None
    if not isinstance(query, dict):
        return ""
    return "{" + ",".join(sorted(query)) + "}"


class StoreCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.started_at: dict[int, tuple[str, str]] = {}
        self.ops: dict[str, list[float]] = {}  # "command collection" -> [count, ms, max ms]
        self.shapes: dict[str, list[float]] = {}  # the same with the filter's fields
        self.round_trips = Histogram()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        key = f"{event.command_name} {target if isinstance(target, str) else ''}".strip()
        self.started_at[event.request_id] = (key, f"{key} {_shape(event.command)}")

    def _done(self, request_id: int, micros: int) -> None:
        key, shape = self.started_at.pop(request_id, ("?", "?"))
        ms = micros / 1000
        for table, name in ((self.ops, key), (self.shapes, shape)):
            entry = table.setdefault(name, [0, 0.0, 0.0])
            entry[0] += 1
            entry[1] += ms
            entry[2] = max(entry[2], ms)
        self.round_trips.add(ms)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._done(event.request_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._done(event.request_id, event.duration_micros)


class LoopWatch:
    def __init__(self) -> None:
        self.late = Histogram()
        self.gc = {generation: Histogram() for generation in range(3)}
        self._gc_started = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc[info["generation"]].add((time.perf_counter() - self._gc_started) * 1000)

    async def tick(self) -> None:
        while True:
            planned = time.perf_counter() + TICK_SECONDS
            await asyncio.sleep(TICK_SECONDS)
            self.late.add(max(0.0, time.perf_counter() - planned) * 1000)


CLOCK = CityClock()
STORE = StoreCounter()
LOOP = LoopWatch()
_installed: dict[str, Any] = {}


def _domain_packages() -> list[str]:
    """The top-level packages of the app's plugins (queueing, appointments, notifier, rtc …)."""
    try:
        plugins = importlib.import_module("hub.app").default_plugins()
    except Exception:
        return ["queueing", "appointments", "notifier", "rtc"]
    return sorted({p.__module__.split(".")[0] for p in plugins})


def _give_city_clock(packages: list[str]) -> list[str]:
    """Wrap every class of these packages whose constructor takes `clock` so that it gets the
    city's clock when none is given. Returns the classes' names."""
    done = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in packages:
            continue
        for cls in list(vars(module).values()):
            if not inspect.isclass(cls) or cls.__module__ != name or "_city_init" in vars(cls):
                continue
            try:
                signature = inspect.signature(cls.__init__)
            except (TypeError, ValueError):
                continue
            if "clock" not in signature.parameters:
                continue
            cls.__init__ = _with_clock(cls.__init__, signature)  # type: ignore[method-assign]
            cls._city_init = True  # type: ignore[attr-defined]
            done.append(f"{name}.{cls.__name__}")
    return sorted(done)


def _with_clock(init: Callable[..., None], signature: inspect.Signature) -> Callable[..., None]:
    def __init__(self: object, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind_partial(self, *args, **kwargs)
        if "clock" not in bound.arguments:
            kwargs["clock"] = CLOCK.now
        init(self, *args, **kwargs)

    return __init__


async def set_clock(request: web.Request) -> web.Response:
    body = await request.json()
    CLOCK.set(datetime.fromisoformat(body["origin"]), float(body["real"]), float(body["speed"]))
    return web.json_response({"now": CLOCK.now().isoformat()})


async def stats(request: web.Request) -> web.Response:
    """Counters since start; the maxima since the last call with ?mark=1 (which resets them)."""
    answer = web.json_response(
        {
            "hooks": _installed,
            "clock": {"now": CLOCK.now().isoformat(), "speed": CLOCK.speed},
            "store": {
                "ops": STORE.ops,
                "shapes": STORE.shapes,
                "round_trips": STORE.round_trips.dump(),
            },
            "loop": {
                "late": LOOP.late.dump(),
                "gc": {str(g): h.dump() for g, h in LOOP.gc.items()},
            },
            "buckets_ms": list(BUCKETS_MS),
        }
    )
    if request.query.get("mark"):
        for histogram in (STORE.round_trips, LOOP.late, *LOOP.gc.values()):
            histogram.max_ms = 0.0
        for entry in [*STORE.ops.values(), *STORE.shapes.values()]:
            entry[2] = 0.0
    return answer


async def _ticker(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(LOOP.tick(), name="bench-loop-ticker")
    gc.callbacks.append(LOOP.on_gc)
    yield
    gc.callbacks.remove(LOOP.on_gc)
    task.cancel()


def install(app: web.Application) -> None:
    """Call once the app is created, before it starts (its Mongo client is made at start)."""
    if _installed:
        return
    monitoring.register(STORE)
    _installed["clock"] = _give_city_clock(_domain_packages())
    _installed["store_ops"] = True
    _installed["loop"] = True
    app.cleanup_ctx.append(_ticker)
    app.router.add_post("/bench/city/clock", set_clock)
    app.router.add_get("/bench/city/stats", stats)

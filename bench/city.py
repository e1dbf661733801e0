"""A whole city on one hub node (issue #11, part 4; prints its figures, not a test).

Replays one simulated city day (bench/_city_model.py: 60 halls, 600 counters, 40,000 tickets
with the morning and afternoon peaks of bench/_sim_model.py, 15 % of them booked the day
before, 3,000 live screens and phones, 50 video calls) against a real hub node on the
embedded store (bench/_hub_node.py, pinned to core 0), at --speed times real time, from this
process on core 1:

- kiosks, the H5 app and printed slips' QR codes take tickets; booked citizens (booked the day
  before through the appointment center's API) check in with their phone at the hall; others
  book later days meanwhile;
- a clerk at every counter loops call_next -> start -> finish with the model's service times,
  and now and then recalls, marks a no-show, parks, transfers or pauses;
- hall displays, counter displays, workstations and the citizens' phones follow their topics
  and check every topic's seq (gaps and repeats); the message center sends turn-near and
  called messages in the app and, to booked citizens who asked, by SMS (a local fake Twilio,
  bench/_providers.py);
- video callers and agents go through request, accept, signaling and chat, hang-up, wrap-up.

The hub's domains run on the city's clock (bench/_city_hooks.py gives the services a clock
running --speed times faster; transport and timers keep real time), so slots, check-in windows
and waits are the day's. Figures: per command p50/p99, call -> hall display / counter display /
phone / message p99, hub and store CPU (/proc), MongoDB commands per ticket lifecycle (pymongo's
command monitoring in the node), the hub's event loop and GC, events lost or repeated on every
client, and the targets at 10x. --src runs another checkout's node (its own bench/_hub_node.py,
with the hooks injected by bench/_city_node.py when it has none); --plain-node runs it without
them (real time: no bookings; no store, loop or GC figures). --idle N: see bench/_city_idle.py.

--store-core 1 moves the store to the bench's core (the node keeps core 0): a node and its
store on two cores, as in production, with the bench's clients (a few % of a core) beside.

Not measured: media (signaling only, recording off), Redis and several nodes (one node, its
in-process event log), the screens' own REST reloads after the first snapshot, browsers'
rendering, and real networks (everything is on loopback). The machine's two cores are shared
with the bench's clients (core 1): take the figures on a quiet machine.

    .venv/bin/python bench/city.py                         # the whole day at 10x (~55 min)
    .venv/bin/python bench/city.py --hours 9:50-11         # the morning peak (~10 min)
    .venv/bin/python bench/city.py --scale 0.05 --hours 9:45-10:15 --speed 20   # a smoke run
    .venv/bin/python bench/city.py --find-max              # ramp the speed over the peak hour
    .venv/bin/python bench/city.py --src /tmp/hallhub-before --hours 9:50-11    # another checkout
    .venv/bin/python bench/city.py --idle 20000            # idle connections, memory each
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp
import uvloop
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._city_clients import Ctx
from bench._city_idle import report as idle_report
from bench._city_idle import run_idle
from bench._city_model import build_city, draw_day, select, window_of
from bench._city_probe import BenchClock, clock_text
from bench._city_report import report
from bench._city_run import NodeInfo, Plan, replay
from bench._node_common import prepare_process, raise_fd_limit
from bench.fanout import BenchError, Child, remove_stale_work_dirs
from hub.auth.tokens import TokenIssuer
from hub.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent
console = Console(stderr=True, highlight=False)
WORK_PREFIX = "hallhub-bench-"
SPEED = 10.0
RAMP_FROM = 5.0  # below the target's 10x: the ramp shows where the node stands either way
RAMP_STEPS = 12
RAMP_FACTOR = 1.25


def minutes(text: str) -> float:
    """ "9:30" or "9.5" (local time) as minutes after 09:00."""
    if ":" in text:
        hours, mins = text.split(":")
        return (int(hours) - 9) * 60 + int(mins)
    return (float(text) - 9) * 60


def parse_hours(text: str) -> tuple[float, float]:
    start, end = text.split("-")
    return minutes(start), minutes(end)


def start_node(
    src: Path, work: Path, secret: str, extra: dict[str, str], plain: bool = False
) -> tuple[Child, str, str]:
    """The checkout's own node (`python -m bench._hub_node` with cwd and PYTHONPATH at it and
    this venv), instrumented by bench/_city_hooks.py: through BENCH_CITY_HOOKS where its node
    knows it, else through this checkout's bench/_city_node.py; `plain`: not instrumented."""
    port = free_port()
    data = work / "data"
    node_source = (src / "bench" / "_hub_node.py").read_text()
    if plain or "BENCH_CITY_HOOKS" in node_source:
        argv = [sys.executable, "-m", "bench._hub_node", str(port), str(data)]
    else:
        argv = [sys.executable, str(ROOT / "bench" / "_city_node.py"), str(port), str(data)]
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "BENCH_JWT_SECRET": secret,
        "BENCH_PARENT_PID": str(os.getpid()),
        **({} if plain else {"BENCH_CITY_HOOKS": "1"}),
        "PYTHONUNBUFFERED": "1",
        "HALLHUB_RTC__RECORD": "false",  # signaling only: no media reaches the hub
        # A lease is city time: at 10x its 30 s would end while a send is still running.
        "HALLHUB_NOTIFIER__LEASE_SECONDS": "3600",
        **extra,
    }
    # `cd` then exec: the node is our child (it checks), its cwd the checkout.
    shell = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', str(src), *argv]
    node = Child("hub node", shell, env, work / "node.log")
    try:
        node.expect("BENCH_READY", timeout=180)
    except BenchError:
        node.stop()
        raise
    return node, f"http://127.0.0.1:{port}", secret


def raise_hard_limit(want: int) -> None:
    """Open files for `want` sockets, above the hard limit where this user may raise it."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < want:
        with contextlib.suppress(ValueError, OSError):  # not permitted: the hard limit stays
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))


def sms_settings(providers: dict[str, Any]) -> dict[str, str]:
    twilio = {
        "name": "twilio",
        "type": "twilio",
        "account_sid": "AC" + "0" * 32,
        "auth_token": "test-auth-token-" + "0" * 16,
        "from_number": "+15005550006",
        "base_url": providers["twilio"],
    }
    return {"HALLHUB_NOTIFIER__SMS": json.dumps([twilio])}


def plan_of(args: argparse.Namespace) -> Plan:
    if args.find_max:
        start, end = parse_hours(args.hours or "9:30-10:30")
        first = args.speed or RAMP_FROM
        ramp = [first * RAMP_FACTOR**i for i in range(RAMP_STEPS)]
        return Plan(start - args.warmup, start, end, first, ramp)
    start, end = parse_hours(args.hours or "9:00-17:00")
    warmup = args.warmup if start > 0 else 10.0  # the clerks sign in before nine
    return Plan(start - warmup, start, end, args.speed or SPEED)


async def run(
    url: str, secret: str, node: Child, args: argparse.Namespace, providers: dict[str, Any] | None
) -> int:
    plan = plan_of(args)
    halls = select(build_city(args.seed), args.scale)
    day = window_of(draw_day(halls, args.seed, args.scale), plan.replay_from, plan.end)
    console.print(
        f"{len(halls)} halls, {day.counters} counters, {len(day.visits):,} tickets to replay, "
        f"{clock_span(plan)} at {plan.speed:g}x"
        + (f" ramping to {plan.ramp[-1]:.0f}x" if plan.ramp else "")
    )
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        ctx = Ctx(
            http=http,
            url=url,
            issuer=TokenIssuer(secret, 3600),
            clock=BenchClock(plan.replay_from, time.time(), 1.0),
            day=day,
            rng=random.Random(args.seed),
        )
        info = NodeInfo(node.pid)
        for pid in info.store_pids():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(pid, {args.store_core})
        outcome = await replay(ctx, info, plan, providers)
        outcome.store_core = args.store_core
    src = str(args.src) + ("" if args.src == ROOT else " (--src)")
    return report(outcome, plan, src)


def clock_span(plan: Plan) -> str:
    real = (plan.end - plan.replay_from) * 60 / plan.speed
    return f"{clock_text(plan.replay_from)}–{clock_text(plan.end)} (~{real / 60:.0f} min real)"


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join((__doc__ or "").split("\n\n")[1:]),
    )
    parser.add_argument(
        "--speed",
        type=float,
        help=f"x real time (default {SPEED:g}; --find-max: where the ramp starts, {RAMP_FROM:g})",
    )
    parser.add_argument(
        "--hours", help="the window to replay and measure, local time: 9:30-11 (default: the day)"
    )
    parser.add_argument("--warmup", type=float, default=15.0, help="city minutes before it")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the city's halls")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--find-max",
        action="store_true",
        help=f"ramp the speed x{RAMP_FACTOR} a step from --speed over the peak hour (or --hours)",
    )
    parser.add_argument("--src", type=Path, default=ROOT, help="the checkout whose hub node to run")
    parser.add_argument("--no-sms", action="store_true", help="no fake SMS provider")
    parser.add_argument(
        "--plain-node",
        action="store_true",
        help="the node without the bench's hooks: real time (no bookings the day before), "
        "no store operations, loop or GC figures",
    )
    parser.add_argument(
        "--store-core",
        type=int,
        default=0,
        choices=(0, 1),
        help="the core of the node's store (default 0, with the node; 1: beside the bench's "
        "clients, the two cores a node and its store would have)",
    )
    parser.add_argument("--idle", type=int, metavar="N", help="N idle connections instead")
    args = parser.parse_args()
    args.src = args.src.resolve()
    if not (args.src / "bench" / "_hub_node.py").exists():
        parser.error(f"{args.src} has no bench/_hub_node.py")
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    remove_stale_work_dirs()
    # Children inherit it: the node and the client processes get every file the hard limit has.
    raise_fd_limit(want=1_048_576)
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-city-"))
    secret = secrets.token_urlsafe(40)
    children: list[Child] = []
    try:
        if args.idle:
            raise_hard_limit(args.idle + 1024)
            found = run_idle(
                args.idle,
                lambda extra: start_node(args.src, work, secret, extra),
                work,
                console.print,
            )
            return idle_report(found, print)
        providers = None
        extra: dict[str, str] = {}
        if not args.no_sms:
            env = {**os.environ, "BENCH_PARENT_PID": str(os.getpid())}
            argv = [sys.executable, str(ROOT / "bench" / "_providers.py"), "1"]
            child = Child("providers", argv, env, work / "providers.log")
            children.append(child)
            providers = json.loads(child.expect("PROVIDERS_READY ", 60).split(" ", 1)[1])
            extra = sms_settings(providers)
        node, url, _ = start_node(args.src, work, secret, extra, plain=args.plain_node)
        children.append(node)
        prepare_process(core=1)
        try:
            return uvloop.run(run(url, secret, node, args, providers))
        except Exception:
            console.print(f"[red]the run failed; the node's log ends:[/red]\n{node.log_tail(40)}")
            raise
    except BenchError as exc:
        console.print(f"[red]benchmark failed:[/red] {exc}")
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]")
        return 130
    finally:
        for child in reversed(children):
            child.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

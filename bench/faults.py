"""Faults, repeated, with their figures (issue #13; prints, not a test).

Each fault runs on its own cluster of real processes (tests/faults/harness.py): the embedded
store, Redis, two hub nodes behind Debian's nginx configured as the README shows, and a busy
hall's people over Socket.IO (tests/faults/scenario.py): displays, clerks calling, phones
following their tickets. The fault is repeated --repeats times during the hall's calls; then
every client's events are judged against every topic's full log.

Figures, per fault: seconds from the fault to each affected client being back (connected),
resubscribed (every topic caught up) and applying events again (first event applied after it
came back; displays), as p50 / p99 / max over clients and repeats; events delivered, missed,
applied twice, reordered; and for a slow consumer, when the node drops it and the node's RSS.

    .venv/bin/python bench/faults.py                          # every fault, 5 repeats, 200 clients
    .venv/bin/python bench/faults.py --faults kill,cuts --repeats 10
    .venv/bin/python bench/faults.py --faults slow

Faults: kill (SIGKILL the node with most clients, started again after 6 s; with the README's
nginx block, which sets `max_fails=0` on its servers, then with nginx's default `max_fails=1`
for comparison), term (SIGTERM, a graceful drain; the same two), cuts (every connection reset
at once, then 1,000 random resets), halfopen (the link silent both ways; nodes ping every
5 s with a 5 s timeout), redis (Redis killed, started empty 2 s later), store (the store
killed, started again 2 s later), slow (a client that stops reading: 64 KiB cap and the
4 MiB default, straight to a node and through nginx).

Everything runs on this machine's two cores: nodes, store, Redis, nginx and the clients share
them, so the seconds are an upper bound of what a deployment sees.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._faults_runs import (
    FaultFigures,
    Options,
    half_open,
    network_reset,
    node_killed,
    node_terminated,
    redis_restarted,
    slow_consumer,
    store_restarted,
)
from bench._node_common import raise_fd_limit

out = Console(highlight=False, width=120)

Run = Callable[[Options], Awaitable[FaultFigures]]
# nginx's default (max_fails=1) marks a server that failed once as down until a request to it
# completes, and a WebSocket never completes: after a restart the node takes one new connection
# per fail_timeout (10 s). The README's block sets max_fails=0; this shows why.
NGINX_DEFAULT = "max_fails=1"

FAULTS: dict[str, list[Run]] = {
    # The README's nginx block, then nginx's default accounting it avoids (see node_killed).
    "kill": [node_killed, lambda o: node_killed(o, NGINX_DEFAULT)],
    "term": [node_terminated, lambda o: node_terminated(o, NGINX_DEFAULT)],
    "cuts": [network_reset],
    "halfopen": [half_open],
    "redis": [redis_restarted],
    "store": [store_restarted],
    "slow": [
        lambda o: slow_consumer(64 * 1024, via_nginx=False),
        lambda o: slow_consumer(64 * 1024, via_nginx=True),
        lambda o: slow_consumer(None, via_nginx=True),
    ],
}


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def report(figures: FaultFigures, seconds: float) -> None:
    out.rule(f"[bold]{figures.name}[/bold]  ({seconds:.0f} s)")
    if figures.samples:
        table = Table(box=None, pad_edge=False)
        for column in ("seconds from the fault", "samples", "p50", "p99", "max"):
            table.add_column(column, justify="left" if column.startswith("sec") else "right")
        for metric, values in figures.samples.items():
            table.add_row(
                metric,
                str(len(values)),
                f"{percentile(values, 50):.2f}",
                f"{percentile(values, 99):.2f}",
                f"{max(values):.2f}",
            )
        out.print(table)
    tally = figures.tally
    if tally.expected:
        out.print(
            f"events: {tally.delivered:,} delivered of {tally.expected:,} expected,"
            f" {tally.missed} missed, {tally.duplicated} applied twice,"
            f" {tally.reordered} reordered, {tally.mismatched} mismatched;"
            f" {tally.raw_dropped} repeats dropped by the screens' rule,"
            f" {tally.catch_ups} catch-ups, {tally.resyncs} resyncs"
            f" ({tally.covered} events covered by a reloaded snapshot);"
            f" clients with a fault: {figures.clients_with_faults}"
        )
    for what, count in figures.counts.items():
        out.print(f"  {what}: {count}")
    for note in figures.notes:
        out.print(f"  {note}")


async def main_async(names: list[str], options: Options) -> None:
    for name in names:
        for run in FAULTS[name]:
            started = time.monotonic()
            figures = await run(options)
            report(figures, time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--faults", default=",".join(FAULTS), help=",".join(FAULTS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--halls", type=int, default=4)
    args = parser.parse_args()
    names = [n.strip() for n in args.faults.split(",") if n.strip()]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        parser.error(f"unknown faults {unknown}; choose from {','.join(FAULTS)}")
    raise_fd_limit()
    # A client whose connection was cut logs its aborted writer loop; the figures say enough.
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    out.print(
        f"faults: {', '.join(names)}; {args.repeats} repeats, {args.clients} clients"
        f" (3/5 displays, 2/5 phones) over {args.halls} halls"
    )
    asyncio.run(main_async(names, Options(args.repeats, args.clients, args.halls)))


if __name__ == "__main__":
    main()

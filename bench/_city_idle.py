"""bench/city.py --idle N: N idle connections on one hub node and the memory each costs.

Each connection is a display's Socket.IO socket subscribed to `hall:bench` (bench/_clients.py,
in several processes on core 1 so that none runs short of open files). The node's VmRSS after
a one-client warm-up, then with all N connected and idle: (after - before) / connected is the
memory per connection (the node process only; its embedded store is shown apart).
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._city_probe import children, cpu_seconds
from bench.fanout import BenchError, Child, rss_kb
from hub.auth.models import Role
from hub.auth.tokens import TokenIssuer

PER_PROCESS = 5_000
TARGET_KB = 20.0
RESERVED_FDS = 64  # the node's own files: listening socket, store connections, logs, epoll …


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def file_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def run_idle(
    wanted: int,
    start_node: Callable[[dict[str, str]], tuple[Child, str, str]],
    work: Path,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Connect `wanted` idle clients (as many as the node's open-file limit allows)."""
    node, url, secret = start_node({})
    port = url.rsplit(":", 1)[1]
    token, _ = TokenIssuer(secret, 3600).issue("bench-display", Role.DISPLAY, hall="bench")
    limit = file_limit(node.pid)
    used = open_files(node.pid)
    room = limit - used - RESERVED_FDS
    target = min(wanted, room)
    found: dict[str, Any] = {
        "wanted": wanted,
        "target": target,
        "node_file_limit": limit,
        "node_files_before": used,
        "limited_by": (
            f"the node's open-file limit ({limit:,}: the hard limit, which bench/city.py "
            f"could not raise here) less the {used} files it holds and {RESERVED_FDS} kept for "
            "its own use"
            if target < wanted
            else ""
        ),
    }
    processes = max(1, math.ceil(target / PER_PROCESS))
    env = {
        **os.environ,
        "BENCH_JWT_SECRET": secret,
        "BENCH_TOKEN": token,
        "BENCH_PARENT_PID": str(os.getpid()),
        "PYTHONUNBUFFERED": "1",
    }
    fleets: list[Child] = []
    try:
        share = [
            target // processes + (1 if i < target % processes else 0) for i in range(processes)
        ]
        for i, count in enumerate(share):
            argv = [
                *(sys.executable, "-m", "bench._clients", "--port", port),
                *("--clients", str(count), "--server-pid", str(node.pid), "--batch", "100"),
            ]
            fleets.append(Child(f"clients {i}", argv, env, work / f"clients{i}.log"))
        for fleet in fleets:
            fleet.expect('{"phase": "warm"', timeout=120)
        time.sleep(1.0)
        store = children(node.pid)
        found["rss_before_kb"] = rss_kb(node.pid)
        found["store_rss_before_kb"] = sum(rss_kb(p) for p in store)
        log(f"connecting {target:,} idle clients from {processes} processes …")
        started = time.monotonic()
        for fleet in fleets:
            fleet.send("connect")
        connected = failed = 0
        for fleet in fleets:
            answer = json.loads(fleet.expect('{"phase": "subscribed"', timeout=900))
            connected += int(answer["connected"])
            failed += int(answer["failed"])
        found["connect_seconds"] = time.monotonic() - started
        time.sleep(2.0)
        cpu0, wall0 = cpu_seconds(node.pid), time.monotonic()
        time.sleep(10.0)
        found["idle_cpu_cores"] = (cpu_seconds(node.pid) - cpu0) / (time.monotonic() - wall0)
        found["rss_after_kb"] = rss_kb(node.pid)
        found["store_rss_after_kb"] = sum(rss_kb(p) for p in store)
        found["node_files_after"] = open_files(node.pid)
        found["connected"] = connected
        found["failed"] = failed
        delta = found["rss_after_kb"] - found["rss_before_kb"]
        found["kb_per_connection"] = delta / connected if connected else math.nan
        return found
    except BenchError as exc:
        found["error"] = str(exc)
        return found
    finally:
        for fleet in reversed(fleets):
            fleet.stop()
        node.stop()


def report(found: dict[str, Any], print_: Callable[[str], None]) -> int:
    if "error" in found:
        print_(f"idle test failed: {found['error']}")
        return 1
    kb = float(found["kb_per_connection"])
    lines = [
        f"idle connections: {found['connected']:,} connected and subscribed "
        f"({found['failed']} failed) of {found['wanted']:,} wanted, in "
        f"{found['connect_seconds']:.0f} s",
        f"hub node VmRSS: {found['rss_before_kb'] / 1024:,.1f} MB before, "
        f"{found['rss_after_kb'] / 1024:,.1f} MB after: {kb:.1f} KB per connection "
        f"(target <= {TARGET_KB:g} KB: {'PASS' if kb <= TARGET_KB else 'FAIL'})",
        f"embedded store VmRSS: {found['store_rss_before_kb'] / 1024:,.1f} MB before, "
        f"{found['store_rss_after_kb'] / 1024:,.1f} MB after (not counted above)",
        f"hub CPU while idle: {found['idle_cpu_cores']:.1%} of a core (pings)",
        f"node open files: {found['node_files_before']} before, {found['node_files_after']:,} "
        f"after, limit {found['node_file_limit']:,}",
    ]
    if found["limited_by"]:
        lines.append(f"limited by: {found['limited_by']}")
    for line in lines:
        print_(line)
    print(
        f"idle_connections={found['connected']} kb_per_connection={kb:.1f} target_kb={TARGET_KB:g}"
    )
    return 0 if found["failed"] == 0 and kb <= TARGET_KB else 1

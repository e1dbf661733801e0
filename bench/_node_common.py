"""Shared by the benchmark's child processes: pinning, dying with the parent, the event."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys

TOPIC = "hall:bench"
EVENT_TYPE = "bench.event_sent"
# The rest of each event's data: about the size of a real hall event (a ticket called).
EXTRA: dict[str, object] = {
    "ticket": "A1024",
    "counter": "07",
    "service": "household-registration",
    "waiting": 12,
    "window_label": "Counter 7 - General affairs",
}

_PR_SET_PDEATHSIG = 1


def prepare_process(core: int) -> None:
    """Pin to one core, die with the parent, allow many sockets."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        # The parent may have died before the line above: then we belong to init already.
        parent = os.environ.get("BENCH_PARENT_PID")
        if parent and os.getppid() != int(parent):
            sys.exit(1)
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {core})
    raise_fd_limit()


def raise_fd_limit(want: int = 16384) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))

"""What bench/city.py measures on the clients' side: command latencies and errors, every
subscribed client's seq per topic (gaps and repeats), a call's way to the screens and phones,
and the city's clock as the bench keeps it.

Every time here is time.time() in this process, so a send and a receipt compare directly.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench._sim_model import DAY

# -- the city's clock ---------------------------------------------------------------------------


class BenchClock:
    """The replayed day's time as minutes after 09:00 (bench/_sim_model.py's DAY), moving
    `speed` times faster than real time from (origin minute, origin real time)."""

    def __init__(self, minute: float, real: float, speed: float) -> None:
        self.set(minute, real, speed)

    def set(self, minute: float, real: float, speed: float) -> None:
        self.origin, self.real, self.speed = minute, real, speed

    def minute(self, at: float | None = None) -> float:
        return self.origin + ((time.time() if at is None else at) - self.real) * self.speed / 60

    def real_at(self, minute: float) -> float:
        return self.real + (minute - self.origin) * 60 / self.speed

    def city(self, minute: float) -> datetime:
        return DAY + timedelta(minutes=minute)

    async def sleep(self, minutes: float) -> None:
        await asyncio.sleep(max(0.0, minutes * 60 / self.speed))

    async def until(self, minute: float) -> None:
        await asyncio.sleep(max(0.0, self.real_at(minute) - time.time()))


def clock_text(minute: float) -> str:
    total = round((9 * 60 + minute) * 60)
    return f"{total // 3600 % 24:02d}:{total // 60 % 60:02d}"


# -- command latencies --------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Stats:
    """Per command: (sent at, latency ms) of each answer, and errors by code."""

    latencies: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    errors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    messages: dict[str, str] = field(default_factory=dict)  # error code -> one message

    def add(self, name: str, sent: float, answered: float) -> None:
        self.latencies[name].append((sent, (answered - sent) * 1000))

    def error(self, name: str, code: str, message: str) -> None:
        self.errors[name][code] += 1
        self.messages.setdefault(code, message[:120])

    def between(self, name: str, start: float, end: float) -> list[float]:
        return [ms for sent, ms in self.latencies.get(name, []) if start <= sent < end]


# -- seq per topic, per client ------------------------------------------------------------------


@dataclass
class Seqs:
    """All clients' tallies of events lost (seq gaps never filled), repeated and reordered."""

    lost: int = 0
    repeated: int = 0
    reordered: int = 0
    missing_final: int = 0  # events a client never got that a final replay showed
    missing_expected: int = 0  # a ticket's last event that never reached its phone
    dropped: int = 0  # connections the hub closed (the client reconnects and replays)
    resyncs: int = 0  # replays the log could no longer answer (RESYNC_REQUIRED)
    clients: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)


Delivery = tuple[dict[str, Any], float]  # an event's envelope and when it arrived


class TopicSeq:
    __slots__ = ("base", "early", "last", "missing")

    def __init__(self) -> None:
        self.base: int | None = None  # what the (re)subscribe started from (None: waiting)
        self.last = 0
        self.early: list[Delivery] = []  # events that came while waiting for the answer
        self.missing: set[int] = set()


class Tracker:
    """One client's seq per topic, and which events its screen takes: join-then-read, so an
    event up to the subscribe answer's seq may come before or twice and is dropped, as the
    screens drop it; a gap is an event lost unless it turns up later (reordered); a repeat
    past the answer is a duplicate."""

    def __init__(self, seqs: Seqs, name: str) -> None:
        self.seqs = seqs
        self.name = name
        self.topics: dict[str, TopicSeq] = {}
        seqs.clients += 1

    def _state(self, topic: str) -> TopicSeq:
        state = self.topics.get(topic)
        if state is None:
            state = self.topics[topic] = TopicSeq()
        return state

    def event(self, envelope: dict[str, Any], received: float) -> list[Delivery]:
        """The events to hand on now: this one, unless it is held or dropped."""
        self.seqs.events += 1
        state = self._state(envelope["topic"])
        if state.base is None:
            state.early.append((envelope, received))
            return []
        return [(envelope, received)] if self._apply(envelope, state, replay=False) else []

    def subscribed(self, topic: str, answer: dict[str, Any]) -> list[Delivery]:
        """A first subscribe's answer: its seq is where the topic starts for this client."""
        state = self._state(topic)
        state.base = state.last = int(answer["seq"])
        return self._release(state, [])

    def pause(self, topic: str) -> None:
        """A resubscribe after a reconnect is under way: hold the topic's live events."""
        self._state(topic).base = None

    def resumed(self, topic: str, missed: list[dict[str, Any]], received: float) -> list[Delivery]:
        """The resubscribe's answer: the events missed since the last one seen, in order."""
        state = self._state(topic)
        state.base = state.last
        return self._release(state, [(e, received) for e in missed])

    def _release(self, state: TopicSeq, replayed: list[Delivery]) -> list[Delivery]:
        """Held live events and replayed ones, by seq, each seq once."""
        merged: dict[int, Delivery] = {int(e["seq"]): (e, r) for e, r in replayed}
        for envelope, received in state.early:  # a live copy keeps its arrival time
            merged[int(envelope["seq"])] = (envelope, received)
        state.early = []
        return [
            merged[seq] for seq in sorted(merged) if self._apply(merged[seq][0], state, replay=True)
        ]

    def _apply(self, envelope: dict[str, Any], state: TopicSeq, replay: bool) -> bool:
        assert state.base is not None
        seq = int(envelope["seq"])
        if seq == state.last + 1:
            state.last = seq
            return True
        if seq > state.last + 1:
            state.missing.update(range(state.last + 1, seq))
            state.last = seq
            return True
        if seq in state.missing:
            state.missing.discard(seq)
            self.seqs.reordered += 1
            return True
        if seq > state.base and not replay:
            self.seqs.repeated += 1
            self.seqs.note(f"{self.name}: {envelope['topic']} seq {seq} again")
        return False

    def close(self) -> None:
        """Tally what never came (once, when the client leaves)."""
        for topic, state in self.topics.items():
            if state.missing:
                self.seqs.lost += len(state.missing)
                self.seqs.note(f"{self.name}: {topic} lost {sorted(state.missing)[:5]}")
            state.missing = set()


# -- a call's way to the screens ----------------------------------------------------------------

CallKey = tuple[str, int]  # (ticket id, call count): what the screens' events carry
Tag = tuple[str, str]  # (ticket number, counter name): what a message's text says
CALLED_TEXT = re.compile(r"请\s*(\S+?)\s*号到\s*(.+?)\s*办理")


def called_tag(text: str) -> Tag | None:
    """The ticket number and counter of a called message ("请 A012 号到 5号窗口 办理…")."""
    match = CALLED_TEXT.search(text)
    return (match.group(1), match.group(2)) if match else None


@dataclass
class CallWatch:
    """From a clerk pressing call (or recall) to each screen or phone showing it. Screens are
    matched by (ticket, call count); messages (in-app, SMS) by their text's ticket number and
    counter, the n-th message of a pair to the n-th call."""

    sent: dict[CallKey, float] = field(default_factory=dict)
    counts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    early: dict[CallKey, list[tuple[str, float]]] = field(default_factory=lambda: defaultdict(list))
    latencies: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    expected: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    tagged: dict[Tag, list[float]] = field(default_factory=lambda: defaultdict(list))
    taken: Counter[tuple[str, Tag]] = field(default_factory=Counter)
    early_tagged: dict[tuple[str, Tag], list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def called(self, key: CallKey, sent: float, expect: dict[str, int], tag: Tag) -> None:
        self.sent[key] = sent
        self.counts[key[0]].append(key[1])
        self.expected.update(expect)
        for kind, received in self.early.pop(key, []):
            self._add(kind, sent, received)
        self.tagged[tag].append(sent)
        for kind in ("in-app", "sms"):
            for received in self.early_tagged.pop((kind, tag), []):
                self.tag_receipt(kind, tag, received)

    def forget(self, ticket_id: str) -> None:
        """The ticket went back to a queue: a transfer starts its call count again."""
        for count in self.counts.pop(ticket_id, []):
            self.sent.pop((ticket_id, count), None)

    def receipt(self, kind: str, key: CallKey, received: float) -> None:
        sent = self.sent.get(key)
        if sent is None:
            self.early[key].append((kind, received))
        else:
            self._add(kind, sent, received)

    def tag_receipt(self, kind: str, tag: Tag, received: float) -> None:
        sends = self.tagged.get(tag, [])
        n = self.taken[kind, tag]
        if n < len(sends):
            self.taken[kind, tag] += 1
            self._add(kind, sends[n], received)
        else:
            self.early_tagged[kind, tag].append(received)

    def _add(self, kind: str, sent: float, received: float) -> None:
        self.received[kind] += 1
        self.latencies[kind].append((sent, (received - sent) * 1000))

    def between(self, kind: str, start: float, end: float) -> list[float]:
        return [ms for sent, ms in self.latencies.get(kind, []) if start <= sent < end]


# -- CPU ----------------------------------------------------------------------------------------


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system time of a process (all its threads), from /proc; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def core_times() -> list[tuple[float, float]]:
    """(busy, total) seconds of each core since boot, from /proc/stat (busy: all but idle and
    iowait, so softirq and every other process count)."""
    found = []
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        values = [int(f) for f in fields[:8]]
        idle = values[3] + values[4]
        found.append(((sum(values) - idle) / _TICK, sum(values) / _TICK))
    return found


def children(pid: int) -> list[int]:
    try:
        return [int(t) for t in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@dataclass
class LoopLag:
    """How late this process's event loop wakes a 20 ms ticker (the bench is the instrument:
    when it is late, every latency it measures is too)."""

    samples: list[tuple[float, float]] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            planned = time.perf_counter() + 0.02
            await asyncio.sleep(0.02)
            self.samples.append((time.time(), (time.perf_counter() - planned) * 1000))

    def between(self, start: float, end: float) -> list[float]:
        return [ms for at, ms in self.samples if start <= at < end]

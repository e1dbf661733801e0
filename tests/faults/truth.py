"""The truth a fault run is judged by: every topic's full log, read by a fresh subscriber
(`subscribe` with `after_seq: 0`), and per client and topic what it got of it."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields

import aiohttp
import socketio

from tests.faults.driver import UNLIMITED, Follower, TopicRecord
from tests.faults.sequencer import Envelope


@dataclass(frozen=True)
class Log:
    epoch: str
    events: list[Envelope]

    @property
    def last_seq(self) -> int:
        return self.events[-1]["seq"] if self.events else 0


async def read_logs(
    url: str, http: aiohttp.ClientSession, followers: Iterable[Follower]
) -> dict[str, Log]:
    """Each followed topic's whole log, read with its follower's own token (a citizen's topic
    is readable by that citizen only)."""
    by_token: dict[str, set[str]] = {}
    for follower in followers:
        by_token.setdefault(follower.auth, set()).update(follower.records)
    logs: dict[str, Log] = {}

    async def read(auth: str, topics: set[str]) -> None:
        sio = await _connect(url, http, auth)
        try:
            for topic in sorted(topics - logs.keys()):
                answer = await sio.call("subscribe", {"topic": topic, "after_seq": 0}, timeout=30)
                assert answer["ok"], (topic, answer)
                data = answer["data"]
                events = data["missed"]
                assert [e["seq"] for e in events] == list(range(1, data["seq"] + 1)), topic
                logs[topic] = Log(data["epoch"], events)
        finally:
            await sio.disconnect()

    pending = list(by_token.items())
    for start in range(0, len(pending), 20):
        await asyncio.gather(*(read(a, t) for a, t in pending[start : start + 20]))
    return logs


async def _connect(url: str, http: aiohttp.ClientSession, auth: str) -> socketio.AsyncClient:
    """A fresh subscriber (a connection refused in passing, e.g. by nginx while a node restarts,
    is tried again)."""
    for attempt in range(5):
        sio = socketio.AsyncClient(
            reconnection=False, http_session=http, websocket_extra_options=UNLIMITED
        )
        try:
            await sio.connect(url, auth={"token": auth}, transports=["websocket"], wait_timeout=10)
        except socketio.exceptions.ConnectionError as exc:
            if attempt == 4:
                raise ConnectionError(f"truth reader refused: {exc!r} ({exc.__cause__!r})") from exc
            await asyncio.sleep(0.5)
        else:
            return sio
    raise AssertionError("unreachable")


async def settle(
    url: str, http: aiohttp.ClientSession, followers: list[Follower], seconds: float = 30
) -> dict[str, Log]:
    """Read the logs, then wait until every follower has applied every topic up to its log's
    last seq; read again until nothing new was published meanwhile."""
    deadline = time.monotonic() + seconds
    logs = await read_logs(url, http, followers)
    while True:
        behind = [f for f in followers if not _caught_up(f, logs)]
        if not behind:
            again = await read_logs(url, http, followers)
            if {t: log.last_seq for t, log in again.items()} == {
                t: log.last_seq for t, log in logs.items()
            }:
                return logs
            logs = again
            continue
        if time.monotonic() > deadline:
            return logs  # the tallies say who is behind
        await asyncio.sleep(0.2)


def _caught_up(follower: Follower, logs: dict[str, Log]) -> bool:
    for topic, record in follower.records.items():
        log = logs[topic]
        if log.last_seq == 0:
            continue
        applied = record.applied[-1][0] if record.applied else 0
        # A snapshot newer than the last applied event counts as caught up.
        snapshot = record.baselines[-1][1] if record.baselines else 0
        if max(applied, snapshot) < log.last_seq:
            return False
    return True


@dataclass
class Tally:
    expected: int = 0  # events of the log after the client's first snapshot
    delivered: int = 0  # of those, applied
    missed: int = 0
    duplicated: int = 0  # applied twice
    reordered: int = 0  # applied after a later seq
    mismatched: int = 0  # applied, but not the log's event of that seq
    raw_dropped: int = 0  # pushed again and dropped by the screen's rule (seq <= last)
    covered: int = 0  # skipped because a later snapshot covered them (after a resync)
    resyncs: int = 0
    catch_ups: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def clean(self) -> bool:
        return not (self.missed or self.duplicated or self.reordered or self.mismatched)


def tally(record: TopicRecord, log: Log) -> Tally:
    truth = {e["seq"]: e for e in log.events}
    applied = [(seq, envelope) for seq, epoch, envelope in record.applied if epoch == log.epoch]
    baselines = [(seq, before) for epoch, seq, before in record.baselines if epoch == log.epoch]
    counted = Tally(
        raw_dropped=record.raw_dropped,
        resyncs=sum(record.resyncs.values()),
        catch_ups=record.catch_ups,
    )
    start = baselines[0][0] if baselines else 0
    covered: set[int] = set()
    for seq, before in baselines[1:]:
        covered.update(range((start if before is None else before) + 1, seq + 1))
    expected = [s for s in truth if s > start and s not in covered]
    seen = Counter(seq for seq, _ in applied)
    counted.expected = len(expected)
    counted.delivered = sum(1 for s in expected if seen[s])
    counted.missed = counted.expected - counted.delivered
    counted.duplicated = sum(n - 1 for n in seen.values() if n > 1)
    counted.covered = len(covered)
    order = [seq for seq, _ in applied]
    counted.reordered = sum(1 for a, b in itertools.pairwise(order) if b < a)
    counted.mismatched = sum(1 for seq, envelope in applied if truth.get(seq) != envelope)
    return counted


def tallies(followers: Iterable[Follower], logs: dict[str, Log]) -> dict[tuple[str, str], Tally]:
    return {
        (follower.name, topic): tally(record, logs[topic])
        for follower in followers
        for topic, record in follower.records.items()
    }


def total(counted: Iterable[Tally]) -> Tally:
    whole = Tally()
    for one in counted:
        whole = whole + one
    return whole


def faults(counted: dict[tuple[str, str], Tally]) -> dict[tuple[str, str], Tally]:
    """The clients and topics that missed, repeated, reordered or mismatched anything."""
    return {key: one for key, one in counted.items() if not one.clean}

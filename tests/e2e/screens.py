"""Checks a screen's state machine against the hub (Zulip's `verify_action`): load the
snapshot, follow the topic while a scripted sequence of commands runs, apply the events with
the screen's own TypeScript reducer (clients/scripts/replay.ts), and compare with a snapshot
loaded afresh."""

from __future__ import annotations

import asyncio
import difflib
import json
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support import ROOT, Client

CLIENTS = ROOT / "clients"


@dataclass
class Followed:
    """Topics followed from before their snapshot: the events after the snapshot's seqs, in
    the order they arrived (a screen may follow more than one topic)."""

    client: Client
    topics: tuple[str, ...]
    seqs: dict[str, int] = field(default_factory=dict)

    def at(self, position: int | dict[str, int]) -> dict[str, int]:
        """A snapshot's position: one seq for a single topic, or one per topic."""
        if isinstance(position, int):
            (topic,) = self.topics
            return {topic: position}
        return position

    def events(self, upto: dict[str, int]) -> list[dict[str, Any]]:
        return [
            e
            for e in self.client.events
            if e["topic"] in self.topics and self.seqs[e["topic"]] < e["seq"] <= upto[e["topic"]]
        ]


async def follow(client: Client, *topics: str) -> Followed:
    for topic in topics:
        await client.ok("subscribe", {"topic": topic})
    return Followed(client, topics)


async def quiet(client: Client, seconds: float = 0.4) -> None:
    """Until no event has arrived for a while (the hub's background updates are done)."""
    seen = -1
    while seen != len(client.events):
        seen = len(client.events)
        await asyncio.sleep(seconds)


def replay(
    screen: str, snapshot: Any, events: list[dict[str, Any]], now: str | None = None
) -> tuple[Any, int]:
    """The screen's state after the events, and how many of them asked for a reload (`now`:
    the hub's time for a view that depends on it)."""
    done = subprocess.run(
        ["npx", "--no-install", "tsx", "scripts/replay.ts"],
        cwd=CLIENTS,
        input=json.dumps({"screen": screen, "snapshot": snapshot, "events": events, "now": now}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    return out["state"], int(out["reloads"])


def diff(replayed: Any, fresh: Any) -> str:
    lines = difflib.unified_diff(
        json.dumps(replayed, indent=1, ensure_ascii=False, sort_keys=True).splitlines(),
        json.dumps(fresh, indent=1, ensure_ascii=False, sort_keys=True).splitlines(),
        "replayed",
        "fresh",
        lineterm="",
    )
    return "\n".join(list(lines)[:120])


def without(value: Any, *keys: str) -> Any:
    """A snapshot without the keys only a snapshot carries (its seq and epoch, …)."""
    if isinstance(value, dict):
        return {k: without(v, *keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without(v, *keys) for v in value]
    return value


async def verify(
    screen: str,
    followed: Followed,
    load: Callable[[], Awaitable[dict[str, Any]]],
    script: Callable[[], Awaitable[None]],
    *,
    position: Callable[[dict[str, Any]], int | dict[str, int]] = lambda s: int(s["seq"]),
    ignore: tuple[str, ...] = ("seq", "epoch"),
    pick: Callable[[dict[str, Any]], Any] = lambda s: s,
    now: Callable[[dict[str, Any]], str | None] = lambda s: None,
) -> int:
    """Snapshot, script, events, fresh snapshot; the replayed state must equal the fresh one.
    Answers how many events were applied (a script that produced none proves nothing).
    `now`: the fresh snapshot's time, for a screen whose view depends on it."""
    before = await load()
    followed.seqs = followed.at(position(before))
    await script()
    await quiet(followed.client)
    after = await load()
    events = followed.events(followed.at(position(after)))
    state, reloads = replay(screen, pick(before), events, now(after))
    assert reloads == 0, f"{screen}: {reloads} events asked for a reload"
    replayed, fresh = without(state, *ignore), without(pick(after), *ignore)
    assert replayed == fresh, f"{screen}: snapshot + {len(events)} events differs:\n" + diff(
        replayed, fresh
    )
    return len(events)

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
from dataclasses import dataclass
from typing import Any

from tests.support import ROOT, Client

CLIENTS = ROOT / "clients"


@dataclass
class Followed:
    """A topic followed from before its snapshot: the events after the snapshot's seq."""

    client: Client
    topic: str
    seq: int = 0

    def events(self, upto: int) -> list[dict[str, Any]]:
        return [
            e
            for e in self.client.events
            if e["topic"] == self.topic and self.seq < e["seq"] <= upto
        ]


async def follow(client: Client, topic: str) -> Followed:
    await client.ok("subscribe", {"topic": topic})
    return Followed(client, topic)


async def quiet(client: Client, seconds: float = 0.4) -> None:
    """Until no event has arrived for a while (the hub's background updates are done)."""
    seen = -1
    while seen != len(client.events):
        seen = len(client.events)
        await asyncio.sleep(seconds)


def replay(screen: str, snapshot: Any, events: list[dict[str, Any]]) -> tuple[Any, int]:
    """The screen's state after the events, and how many of them asked for a reload."""
    done = subprocess.run(
        ["npx", "--no-install", "tsx", "scripts/replay.ts"],
        cwd=CLIENTS,
        input=json.dumps({"screen": screen, "snapshot": snapshot, "events": events}),
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
    position: Callable[[dict[str, Any]], int] = lambda s: int(s["seq"]),
    ignore: tuple[str, ...] = ("seq", "epoch"),
    pick: Callable[[dict[str, Any]], Any] = lambda s: s,
) -> int:
    """Snapshot, script, events, fresh snapshot; the replayed state must equal the fresh one.
    Answers how many events were applied (a script that produced none proves nothing)."""
    before = await load()
    followed.seq = position(before)
    await script()
    await quiet(followed.client)
    after = await load()
    events = followed.events(position(after))
    state, reloads = replay(screen, pick(before), events)
    assert reloads == 0, f"{screen}: {reloads} events asked for a reload"
    replayed, fresh = without(state, *ignore), without(pick(after), *ignore)
    assert replayed == fresh, f"{screen}: snapshot + {len(events)} events differs:\n" + diff(
        replayed, fresh
    )
    return len(events)

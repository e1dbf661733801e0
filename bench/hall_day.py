"""A discrete-event simulation of one hall day, running the real queueing policy code.

Citizens arrive over the day (a morning and an afternoon peak), take tickets for the demo
hall's services, counters call them with `queueing.domain.choose_next`, serve them for a
random time around each service's expected minutes, and some never come when called. Each
ticket's waiting-time estimate is made at issue exactly as the hub makes it
(`estimate_minutes` on the people waiting, the recent service times and the open counters),
and compared with the wait that followed.

    .venv/bin/python bench/hall_day.py [--seed 7] [--days 5]
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import random
import statistics
import sys
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queueing import domain
from queueing.models import (
    CallingPolicy,
    Channel,
    CitizenInfo,
    Counter,
    HallSetup,
    Tag,
    Ticket,
)

OPEN = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
CLOSE_MINUTES = 9 * 60  # tickets until 17:30
NO_SHOW_RATE = 0.05
PRIORITY_RATE = 0.08
RECALL_AFTER_MINUTES = 1.0


def demo_setup() -> HallSetup:
    import yaml

    raw = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "config" / "demo.yaml").read_text(
            encoding="utf-8"
        )
    )
    return HallSetup.model_validate(raw["halls"][0])


def arrival_rate(minute: float, daily: float) -> float:
    """Arrivals per minute: a morning peak around 09:30, an afternoon one around 14:30, a
    lunchtime dip; scaled so that about `daily` people come in the day."""
    hour = 8.5 + minute / 60
    shape = (
        0.4
        + 1.6 * math.exp(-((hour - 9.6) ** 2) / 0.8)
        + 1.2 * math.exp(-((hour - 14.6) ** 2) / 1.0)
        - 0.25 * math.exp(-((hour - 12.3) ** 2) / 0.3)
    )
    return max(shape, 0.05) * daily / 600


@dataclass(order=True)
class Event:
    at: float
    order: int
    kind: str = field(compare=False)
    payload: object = field(compare=False, default=None)


@dataclass
class Outcome:
    estimate: float
    actual: float
    hour: int
    service_id: str
    priority: bool


@dataclass
class Sim:
    setup: HallSetup
    policy: CallingPolicy
    rng: random.Random
    daily: float
    now: float = 0.0
    waiting: dict[str, Ticket] = field(default_factory=dict)
    issued: dict[str, float] = field(default_factory=dict)
    estimates: dict[str, float] = field(default_factory=dict)
    recent: dict[str, deque[float]] = field(
        default_factory=lambda: defaultdict(lambda: deque(maxlen=20))
    )
    streaks: dict[str, int] = field(default_factory=dict)
    free: set[str] = field(default_factory=set)
    outcomes: list[Outcome] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)
    seq: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def at(self, minutes: float) -> datetime:
        return OPEN + timedelta(minutes=minutes)

    def push(self, at: float, kind: str, payload: object = None) -> None:
        heapq.heappush(self.events, Event(at, next(self.counter), kind, payload))

    def run(self) -> list[Outcome]:
        counters = {c.id: c for c in self.setup.counters}
        self.free = set(counters)
        self.streaks = {c: 0 for c in counters}
        self.push(self._next_arrival(0.0), "arrival")
        while self.events:
            event = heapq.heappop(self.events)
            self.now = event.at
            if event.kind == "arrival":
                if self.now < CLOSE_MINUTES:
                    self._arrive(counters)
                    self.push(self._next_arrival(self.now), "arrival")
            elif event.kind == "free":
                assert isinstance(event.payload, str)
                self.free.add(event.payload)
            self._call(counters)
        return self.outcomes

    def _next_arrival(self, start: float) -> float:
        # Thinning of a Poisson process with the day's varying rate.
        peak = arrival_rate(60, self.daily) * 1.6 + 1
        moment = start
        while True:
            moment += self.rng.expovariate(peak)
            if (
                moment >= CLOSE_MINUTES
                or self.rng.random() < arrival_rate(moment, self.daily) / peak
            ):
                return moment

    def _arrive(self, counters: dict[str, Counter]) -> None:
        service = self.rng.choices(self.setup.services, weights=[3, 3, 2, 1, 2])[0]
        self.seq[service.id] += 1
        tags = [Tag.ELDERLY] if self.rng.random() < PRIORITY_RATE else []
        ahead = sum(1 for t in self.waiting.values() if t.service_id == service.id)
        per_ticket = domain.minutes_per_ticket(
            list(self.recent[service.id]), service.expected_minutes
        )
        queued = {t.service_id for t in self.waiting.values()}
        capacity = domain.serving_capacity(service.id, counters.values(), set(counters), queued)
        estimate = domain.estimate_minutes(ahead, per_ticket, capacity)
        ticket = domain.issue(
            self.setup.hall.model_copy(update={"policy": self.policy}),
            service,
            self.seq[service.id],
            channel=Channel.KIOSK,
            citizen=CitizenInfo(),
            tags=tags,
            person=[],
            now=self.at(self.now),
            ahead=ahead,
            minutes=estimate,
        )
        self.waiting[ticket.id] = ticket
        self.issued[ticket.id] = self.now
        self.estimates[ticket.id] = estimate

    def _call(self, counters: dict[str, Counter]) -> None:
        for counter_id in sorted(self.free):
            counter = counters[counter_id]
            choice = domain.choose_next(
                self.waiting.values(),
                counter,
                self.streaks[counter_id],
                self.policy,
                self.at(self.now),
            )
            if choice is None:
                continue
            ticket = choice.ticket
            self.streaks[counter_id] = domain.next_streak(self.streaks[counter_id], choice)
            del self.waiting[ticket.id]
            self.free.discard(counter_id)
            issued = self.issued[ticket.id]
            self.outcomes.append(
                Outcome(
                    estimate=self.estimates[ticket.id],
                    actual=self.now - issued,
                    hour=int(8.5 + issued / 60),
                    service_id=ticket.service_id,
                    priority=ticket.priority > 0,
                )
            )
            service = next(s for s in self.setup.services if s.id == ticket.service_id)
            if self.rng.random() < NO_SHOW_RATE:
                busy = RECALL_AFTER_MINUTES * self.policy.no_show_min_calls
            else:
                mean = service.expected_minutes
                sigma = 0.5
                busy = self.rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)
                self.recent[service.id].append(busy)
            self.push(self.now + busy + 0.3, "free", counter_id)


def summarize(outcomes: list[Outcome]) -> dict[str, float]:
    errors = [o.estimate - o.actual for o in outcomes]
    absolute = sorted(abs(e) for e in errors)
    actual = [o.actual for o in outcomes]
    return {
        "tickets": len(outcomes),
        "mean_wait": statistics.fmean(actual),
        "mae": statistics.fmean(absolute),
        "median_abs": statistics.median(absolute),
        "p90_abs": absolute[int(0.9 * (len(absolute) - 1))],
        "bias": statistics.fmean(errors),
        "within_5": sum(a <= 5 for a in absolute) / len(absolute),
        "within_25pct": sum(
            abs(o.estimate - o.actual) <= max(5.0, 0.25 * o.actual) for o in outcomes
        )
        / len(outcomes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="one simulated hall day per seed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--people", type=float, default=900, help="arrivals in a day")
    args = parser.parse_args()
    setup = demo_setup()
    policy = CallingPolicy()
    everything: list[Outcome] = []
    print(
        f"{'day':>4} {'tickets':>8} {'mean wait':>10} {'MAE':>7} {'median|e|':>10} "
        f"{'p90|e|':>8} {'bias':>7} {'|e|<=5':>7} {'|e|<=max(5,25%)':>16}"
    )
    for day in range(args.days):
        outcomes = Sim(setup, policy, random.Random(args.seed + day), args.people).run()
        everything += outcomes
        s = summarize(outcomes)
        print(
            f"{day + 1:>4} {s['tickets']:>8.0f} {s['mean_wait']:>9.1f}m {s['mae']:>6.1f}m "
            f"{s['median_abs']:>9.1f}m {s['p90_abs']:>7.1f}m {s['bias']:>+6.1f}m "
            f"{s['within_5']:>7.0%} {s['within_25pct']:>16.0%}"
        )
    s = summarize(everything)
    print(
        f"{'all':>4} {s['tickets']:>8.0f} {s['mean_wait']:>9.1f}m {s['mae']:>6.1f}m "
        f"{s['median_abs']:>9.1f}m {s['p90_abs']:>7.1f}m {s['bias']:>+6.1f}m "
        f"{s['within_5']:>7.0%} {s['within_25pct']:>16.0%}"
    )
    by_hour: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in everything:
        by_hour[outcome.hour].append(outcome)
    print("\nby hour of issue: tickets, mean wait, MAE, bias")
    for hour in sorted(by_hour):
        h = summarize(by_hour[hour])
        print(
            f"  {hour:02d}:00 {h['tickets']:>5.0f} {h['mean_wait']:>6.1f}m {h['mae']:>6.1f}m "
            f"{h['bias']:>+6.1f}m"
        )
    priority = [o for o in everything if o.priority]
    if priority:
        p = summarize(priority)
        print(
            f"\npriority tickets: {p['tickets']:.0f}, mean wait {p['mean_wait']:.1f}m, "
            f"MAE {p['mae']:.1f}m, bias {p['bias']:+.1f}m (estimated as if normal)"
        )


if __name__ == "__main__":
    main()

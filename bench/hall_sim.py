"""Bookings against walk-ins: a discrete-event simulation of one hall day, replicated over many
days, serving the same citizens under three calling policies with the real policy code
(`queueing.domain.choose_next` and `next_streak`; tickets made by `domain.issue`).

The model (every number is an option; the defaults in brackets; model in bench/_sim_model.py):

- The hall is open 09:00–12:00 and 13:30–17:00 (Asia/Shanghai; the policy sees UTC times).
  Tickets are taken only while open; whoever checked in before a session closes is still
  served (counters work on into the lunch break or the evening: "overtime").
- Three services, lognormal service times with means [6, 10, 15] minutes (log-sd [0.5]), and
  walk-ins asking for them in shares [0.45, 0.35, 0.20]. Six counters, each with two services
  and weights (2 for its main one, 1 for its second): every service is main at two counters and
  second at two. A counter takes [0.5] min between citizens.
- Walk-ins: a Poisson process with a base rate plus peaks at 10:00 and 15:00 (sd 30 min, 1.5x
  the base at the top), scaled so walk-ins and bookings together offer [0.875] of the
  counter-minutes of the opening hours (--load); the achieved utilisation is printed.
  [5 %] of citizens (walk-ins and bookings alike) are elderly (a priority tag, weight 1).
- Bookings: 30-minute slots. A counter's time is split among its services by weight times
  the service's share of the work; a slot's quota for a service is --booking-share [0.3] of the
  tickets that time serves (counter-minutes / mean service time), rounded; --booking-fill [0.9]
  of the quota is booked (--quota-rule center counts places as the appointment center does:
  a counter's slot split equally among its services, rounded down; --dynamic moves the share
  with the hour's load as its `dynamic_share` does). A booked citizen does not come with
  probability [0.1]; otherwise arrives at slot + Normal(-8, 7) min (clipped to +-60).
  Check-in is open [slot - 30, slot + 15]: earlier, they wait and check in at slot - 30;
  later, they queue as a walk-in and count as a late booking.
- Service times are drawn once per citizen, so every policy serves the same day.

The policies (the same `choose_next`, different tickets and CallingPolicy):

1. FIFO: no ticket has an appointment; queue time = check-in time; default CallingPolicy.
2. Appointments first: booked tickets carry their Appointment, queue time = check-in, and the
   arrival window is 120 min either side: a booking is called before walk-ins as soon as it
   checks in.
3. Ours: booked tickets carry their Appointment and queue from slot - lead [5 min];
   CallingPolicy(appointment_early_minutes=lead, appointment_late_minutes=15): a booking
   checked in early waits for its slot and is called first from lead minutes before it.
   To explore the policy, --early sets the window's early minutes apart from the lead (< 0
   opens it after the slot, emulated by moving the ticket's slot start, as CallingPolicy only
   takes >= 0) and --queue-at check-in queues bookings from their check-in instead.

All three keep the hall's max wait [60 min] and 2 normal : 1 priority calls.

Figures, over all days: walk-ins' mean, p90 and longest wait (from taking the ticket to the
call); bookings' (from max(check-in, slot) to the call, 0 if called before the slot), the share
called within 10 min after the slot start (on time), the share called more than 5 min before
it (too early, for information), and late bookings. Goal: ours keeps >= 95 % of bookings on
time with a walk-in p90 wait at most 10 % above FIFO's. A chart of the mean wait by half hour
of arrival (bookings: by slot) goes to --chart [var/hall_sim.png]. --sweep runs ours over
booking shares and leads (add windows, late minutes, queue times and max waits with
--sweep-earlies, --sweep-lates, --sweep-queue-at and --sweep-max-waits) against FIFO at the
same share. Figures only: nothing here asserts a time.

    .venv/bin/python bench/hall_sim.py [--days 20] [--seed 1] [--sweep]
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from bench._sim_model import (
    POLICY_LABELS,
    DayPeople,
    DayResult,
    Kind,
    Model,
    Policy,
    Summary,
    booking_quota,
    counters_per_service,
    draw_day,
    expected_walk_ins,
    simulate,
    slots,
    summarize,
    waits_by_half_hour,
)
from queueing.domain import Reason

ROOT = Path(__file__).resolve().parent.parent
ON_TIME_GOAL = 0.95
WALK_IN_P90_SLACK = 1.10


# -- options -----------------------------------------------------------------------------------


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(",") if x.strip())


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def _clock(text: str) -> float:
    """'10:00' -> minutes after 09:00."""
    hours, minutes = text.split(":")
    return (int(hours) - 9) * 60 + int(minutes)


def _sessions(text: str) -> tuple[tuple[float, float], ...]:
    """'09:00-12:00,13:30-17:00' -> ((0, 180), (270, 480))."""
    out: list[tuple[float, float]] = []
    for part in text.split(","):
        opens, closes = part.split("-")
        out.append((_clock(opens), _clock(closes)))
    return tuple(out)


def _counters(text: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    """'1:2,2 1:2,3' -> two counters: services 1 (weight 2) and 2; 1 (weight 2) and 3."""
    counters: list[tuple[tuple[int, int], ...]] = []
    for counter in text.split():
        served: list[tuple[int, int]] = []
        for item in counter.split(","):
            service, _, weight = item.partition(":")
            served.append((int(service) - 1, int(weight or 1)))
        counters.append(tuple(served))
    return tuple(counters)


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, Model]:
    d = Model()
    p = argparse.ArgumentParser(
        description="bookings vs walk-ins: one hall day, three calling policies",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--days", type=int, default=20, help="replicated days, figures pooled")
    p.add_argument("--sessions", type=_sessions, default=d.sessions, help="09:00-12:00,...")
    p.add_argument("--service-minutes", type=_floats, default=d.service_minutes)
    p.add_argument("--service-sigma", type=float, default=d.service_sigma)
    p.add_argument("--service-mix", type=_floats, default=d.service_mix)
    p.add_argument(
        "--counters",
        type=_counters,
        default=d.counters,
        help="space-separated counters of service[:weight] (services numbered from 1)",
    )
    p.add_argument("--changeover", type=float, default=d.changeover)
    p.add_argument("--load", type=float, default=d.load)
    p.add_argument("--peaks", type=lambda s: tuple(_clock(x) for x in s.split(",")), default=None)
    p.add_argument("--peak-width", type=float, default=d.peak_width)
    p.add_argument("--peak-height", type=float, default=d.peak_height)
    p.add_argument("--priority-share", type=float, default=d.priority_share)
    p.add_argument("--slot-minutes", type=float, default=d.slot_minutes)
    p.add_argument("--booking-share", type=float, default=d.booking_share)
    p.add_argument("--booking-fill", type=float, default=d.booking_fill)
    p.add_argument(
        "--quota-rule",
        choices=("weighted", "center"),
        default=d.quota_rule,
        help="a counter's slot split among its services by weight x work share, rounded; or "
        "equally, rounded down (the appointment center's counter_places)",
    )
    p.add_argument(
        "--dynamic",
        action="store_true",
        help="the share follows the hour's load, as the appointment center's dynamic_share",
    )
    p.add_argument("--min-share", type=float, default=d.min_share)
    p.add_argument("--max-share", type=float, default=d.max_share)
    p.add_argument("--no-show", type=float, default=d.no_show)
    p.add_argument("--arrival-mean", type=float, default=d.arrival_mean)
    p.add_argument("--arrival-sd", type=float, default=d.arrival_sd)
    p.add_argument("--arrival-clip", type=float, default=d.arrival_clip)
    p.add_argument("--checkin-early", type=float, default=d.checkin_early)
    p.add_argument("--checkin-late", type=float, default=d.checkin_late)
    p.add_argument("--lead", type=int, default=d.lead)
    p.add_argument("--late", type=int, default=d.late, help="ours: appointment_late_minutes")
    p.add_argument(
        "--early",
        type=int,
        default=d.early,
        help="ours: appointment_early_minutes (default: --lead); < 0 opens the window after "
        "the slot (emulated: the ticket's slot start is moved)",
    )
    p.add_argument(
        "--queue-at",
        choices=("slot", "check-in"),
        default=d.queue_at,
        help="ours: a booking's queue time is slot - lead, or its check-in time",
    )
    p.add_argument("--max-wait", type=int, default=d.max_wait)
    p.add_argument("--normal-per-priority", type=int, default=d.normal_per_priority)
    p.add_argument("--on-time", type=float, default=d.on_time)
    p.add_argument("--early-mark", type=float, default=d.early_mark)
    p.add_argument("--chart", type=Path, default=ROOT / "var" / "hall_sim.png")
    p.add_argument("--no-chart", action="store_true")
    p.add_argument("--sweep", action="store_true", help="also sweep ours over shares and leads")
    p.add_argument("--sweep-shares", type=_floats, default=(0.1, 0.2, 0.3, 0.4, 0.5))
    p.add_argument("--sweep-leads", type=_ints, default=(0, 5, 10))
    p.add_argument("--sweep-lates", type=_ints, default=None, help="default: --late")
    p.add_argument("--sweep-earlies", type=_ints, default=None, help="default: --early")
    p.add_argument(
        "--sweep-queue-at", type=lambda s: tuple(s.split(",")), default=None, help="slot,check-in"
    )
    p.add_argument("--sweep-max-waits", type=_ints, default=None, help="default: --max-wait")
    args = p.parse_args(argv)
    model = Model(
        sessions=args.sessions,
        service_minutes=args.service_minutes,
        service_sigma=args.service_sigma,
        service_mix=args.service_mix,
        counters=args.counters,
        changeover=args.changeover,
        load=args.load,
        peaks=args.peaks if args.peaks is not None else d.peaks,
        peak_width=args.peak_width,
        peak_height=args.peak_height,
        priority_share=args.priority_share,
        slot_minutes=args.slot_minutes,
        booking_share=args.booking_share,
        booking_fill=args.booking_fill,
        quota_rule=args.quota_rule,
        dynamic=args.dynamic,
        min_share=args.min_share,
        max_share=args.max_share,
        no_show=args.no_show,
        arrival_mean=args.arrival_mean,
        arrival_sd=args.arrival_sd,
        arrival_clip=args.arrival_clip,
        checkin_early=args.checkin_early,
        checkin_late=args.checkin_late,
        lead=args.lead,
        late=args.late,
        early=args.early,
        queue_at=args.queue_at,
        max_wait=args.max_wait,
        normal_per_priority=args.normal_per_priority,
        on_time=args.on_time,
        early_mark=args.early_mark,
    )
    if len(model.service_minutes) != len(model.service_mix):
        p.error("--service-minutes and --service-mix need one value per service")
    return args, model


# -- running -----------------------------------------------------------------------------------


def draw_days(model: Model, seed: int, days: int) -> list[DayPeople]:
    return [draw_day(model, random.Random(seed * 100_003 + day)) for day in range(days)]


def run(model: Model, people: Sequence[DayPeople], policy: Policy) -> list[DayResult]:
    return [simulate(model, policy, day) for day in people]


def passes(ours: Summary, fifo: Summary) -> bool:
    return ours.on_time >= ON_TIME_GOAL and ours.walk_p90 <= WALK_IN_P90_SLACK * fifo.walk_p90


def verdict(ours: Summary, fifo: Summary) -> str:
    ratio = ours.walk_p90 / fifo.walk_p90
    word = "PASS" if passes(ours, fifo) else "FAIL"
    return (
        f"{word}: ours {ours.on_time:.1%} of bookings on time (goal >= {ON_TIME_GOAL:.0%}), "
        f"walk-in p90 {ours.walk_p90:.1f} min = {ratio:.2f} x FIFO's {fifo.walk_p90:.1f} min "
        f"(goal <= {WALK_IN_P90_SLACK:.2f})"
    )


# -- printing ----------------------------------------------------------------------------------


def _m(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def _pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1%}"


def describe(console: Console, model: Model, args: argparse.Namespace) -> None:
    quotas = [booking_quota(model, slot) for slot in slots(model)]
    share = counters_per_service(model)
    services = ", ".join(
        f"s{i + 1} {m:g} min ({mix:.0%} of walk-ins, {c:.2f} counters, quota "
        f"{_span([q[i] for q in quotas])}/slot)"
        for i, (m, mix, c) in enumerate(
            zip(model.service_minutes, model.service_mix, share, strict=True)
        )
    )
    console.print(
        f"{len(model.counters)} counters, {model.open_minutes:g} open min; services: {services}"
    )
    console.print(
        f"{len(quotas)} slots of {model.slot_minutes:g} min, booking share "
        f"{model.booking_share:g}{', dynamic' if model.dynamic else ''} ({model.quota_rule} "
        "split), "
        f"fill {model.booking_fill:g}: {sum(map(sum, quotas))} places a day; about "
        f"{expected_walk_ins(model):.0f} walk-ins a day for a load of {model.load:g}; "
        f"lead {model.lead} min, late {model.late} min, max wait {model.max_wait} min; "
        f"{args.days} days from seed {args.seed}"
    )


def _span(values: Sequence[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


def _reason_cell(reason: Reason) -> Callable[[Summary], str]:
    return lambda s: f"{s.reasons[reason] / s.days:.1f}"


def table(results: dict[Policy, Summary]) -> Table:
    t = Table(title="one hall day, pooled over all days (minutes)")
    t.add_column("")
    for policy in results:
        t.add_column(POLICY_LABELS[policy], justify="right")
    rows: list[tuple[str, Callable[[Summary], str]]] = [
        ("walk-ins served / day", lambda s: f"{s.walk_ins / s.days:.1f}"),
        ("walk-in mean wait", lambda s: _m(s.walk_mean)),
        ("walk-in p90 wait", lambda s: _m(s.walk_p90)),
        ("walk-in longest wait", lambda s: _m(s.walk_max)),
        ("elderly walk-in mean wait", lambda s: _m(s.priority_mean)),
        ("bookings made / day", lambda s: f"{s.booked / s.days:.1f}"),
        ("bookings checked in / day", lambda s: f"{s.bookings / s.days:.1f}"),
        ("booking mean wait (from slot)", lambda s: _m(s.book_mean)),
        ("booking p90 wait", lambda s: _m(s.book_p90)),
        ("booking longest wait", lambda s: _m(s.book_max)),
        ("bookings on time (<= slot+10)", lambda s: _pct(s.on_time)),
        ("  worst day", lambda s: _pct(s.on_time_worst_day)),
        ("bookings served too early (< slot-5)", lambda s: _pct(s.too_early)),
        ("  by the priority rule (elderly)", lambda s: _pct(s.too_early_priority)),
        ("late bookings (all days)", lambda s: str(s.late)),
        ("  their mean wait as walk-ins", lambda s: _m(s.late_mean)),
        ("utilisation", lambda s: _pct(s.utilisation)),
        ("mean overtime after 17:00", lambda s: _m(s.overtime)),
        *(
            (f"calls / day: {reason.value}", _reason_cell(reason))
            for reason in (Reason.APPOINTMENT, Reason.OVERDUE, Reason.PRIORITY, Reason.NORMAL)
        ),
    ]
    for label, cell in rows:
        t.add_row(label, *(cell(s) for s in results.values()))
    return t


def chart(
    path: Path, model: Model, results: dict[Policy, list[DayResult]], days: int, seed: int
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True)
    for ax, kind, title in (
        (axes[0], Kind.WALK_IN, "walk-ins, by half hour of arrival"),
        (axes[1], Kind.BOOKING, "bookings (wait from max(check-in, slot)), by slot"),
    ):
        for policy, result in results.items():
            hours, waits = waits_by_half_hour(result, kind, model)
            ax.plot(hours, waits, marker="o", markersize=3, label=POLICY_LABELS[policy])
        ax.set_title(title)
        ax.set_ylabel("mean wait (min)")
        ax.grid(alpha=0.3)
        for (_, closes), (opens, _) in zip(model.sessions, model.sessions[1:], strict=False):
            ax.axvspan(9 + closes / 60, 9 + opens / 60, color="grey", alpha=0.12)
    axes[1].axhline(model.on_time, color="red", linestyle=":", linewidth=1)
    axes[0].legend()
    end = 9 + model.sessions[-1][1] / 60
    axes[1].set_xticks([h / 2 for h in range(18, int(end * 2) + 1)])
    axes[1].set_xticklabels(
        [f"{h // 2:02d}:{30 * (h % 2):02d}" for h in range(18, int(end * 2) + 1)]
    )
    axes[1].tick_params(axis="x", labelrotation=45)
    axes[1].set_xlabel("time of day (Asia/Shanghai)")
    fig.suptitle(
        f"Mean wait over the day: {days} days, seed {seed}, load {model.load:g}, "
        f"booking share {model.booking_share:g}, lead {model.lead} min"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sweep(console: Console, model: Model, args: argparse.Namespace) -> None:
    lates: tuple[int, ...] = args.sweep_lates or (model.late,)
    earlies: tuple[int | None, ...] = args.sweep_earlies or (model.early,)
    queues: tuple[str, ...] = args.sweep_queue_at or (model.queue_at,)
    max_waits: tuple[int, ...] = args.sweep_max_waits or (model.max_wait,)
    t = Table(title="ours across booking shares and leads (FIFO at the same share and max wait)")
    for name in (
        "share",
        "max wait",
        "queue at",
        "lead",
        "window",
        "bookings/day",
        "on time",
        "worst day",
        "too early",
        "booking p90",
        "walk-in p90",
        "FIFO p90",
        "ratio",
        "goal",
    ):
        t.add_column(name, justify="right")
    for share in args.sweep_shares:
        for max_wait in max_waits:
            base = replace(model, booking_share=share, max_wait=max_wait)
            people = draw_days(base, args.seed, args.days)
            fifo = summarize(run(base, people, Policy.FIFO))
            for queue_at, early, late, lead in itertools.product(
                queues, earlies, lates, args.sweep_leads
            ):
                varied = replace(base, lead=lead, late=late, early=early, queue_at=queue_at)
                ours = summarize(run(varied, people, Policy.OURS))
                t.add_row(
                    f"{share:g}",
                    str(max_wait),
                    queue_at if queue_at == "check-in" else f"slot-{lead}",
                    str(lead),
                    f"[{-varied.window_early:+d}, +{late}]",
                    f"{ours.bookings / ours.days:.1f}",
                    _pct(ours.on_time),
                    _pct(ours.on_time_worst_day),
                    _pct(ours.too_early),
                    _m(ours.book_p90),
                    _m(ours.walk_p90),
                    _m(fifo.walk_p90),
                    f"{ours.walk_p90 / fifo.walk_p90:.2f}",
                    "PASS" if passes(ours, fifo) else "fail",
                )
    console.print(t)


def main(argv: Sequence[str] | None = None) -> None:
    args, model = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    began = time.perf_counter()
    describe(console, model, args)
    people = draw_days(model, args.seed, args.days)
    results = {policy: run(model, people, policy) for policy in Policy}
    summaries = {policy: summarize(days) for policy, days in results.items()}
    console.print(table(summaries))
    console.print(verdict(summaries[Policy.OURS], summaries[Policy.FIFO]))
    if not args.no_chart:
        chart(args.chart, model, results, args.days, args.seed)
        console.print(f"chart: {args.chart}")
    if args.sweep:
        sweep(console, model, args)
    console.print(f"[dim]{time.perf_counter() - began:.1f} s[/dim]")


if __name__ == "__main__":
    main()

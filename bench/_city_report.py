"""bench/city.py's figures, printed: per command, a call's way to the screens, CPU, store
operations per ticket, the event loops, events lost or repeated, and the targets."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from bench._city_model import HallKind
from bench._city_probe import clock_text, percentile
from bench._city_run import (
    MIN_ANSWERS,
    P99_TARGET_MS,
    Outcome,
    Plan,
    Step,
    judged_p99s,
    measured_commands,
)

DISPLAY_P99_TARGET_MS = 20.0
CPU_TARGET = 0.60  # of the two cores
OPS_TARGET = 12.0
TARGET_SPEED = 10.0
CORES = 2

out = Console(highlight=False, width=120)


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "[green]PASS[/green]" if ok else "[red]FAIL[/red]"


def hist_diff(end: dict[str, Any], start: dict[str, Any]) -> list[int]:
    return [a - b for a, b in zip(end["counts"], start["counts"], strict=True)]


def hist_pct(counts: list[int], bounds: list[float], p: float) -> float:
    total = sum(counts)
    if not total:
        return math.nan
    seen = 0
    for count, bound in zip(counts, bounds, strict=True):
        seen += count
        if seen >= p / 100 * total:
            return bound
    return bounds[-1]


def store_ops(step: Step, table: str = "ops") -> dict[str, tuple[int, float]]:
    """(commands, ms) per "command collection" during the step (`shapes`: per command,
    collection and the fields it filters on)."""
    if step.start.hooks is None or step.end.hooks is None:
        return {}
    before = step.start.hooks["store"].get(table, {})
    ops = {}
    for key, (count, ms, _) in step.end.hooks["store"].get(table, {}).items():
        was = before.get(key, [0, 0.0, 0.0])
        if count - was[0]:
            ops[key] = (int(count - was[0]), ms - was[1])
    return ops


def cpu(step: Step) -> tuple[float, float, float]:
    """Hub, store and bench CPU over the step, in cores."""
    wall = max(step.end.at - step.start.at, 1e-9)
    return (
        (step.end.hub_cpu - step.start.hub_cpu) / wall,
        (step.end.store_cpu - step.start.store_cpu) / wall,
        (step.end.bench_cpu - step.start.bench_cpu) / wall,
    )


def core_busy(step: Step, core: int) -> float:
    """How busy a core was over the step (every process and the kernel)."""
    if core >= min(len(step.start.cores), len(step.end.cores)):
        return math.nan
    (b0, t0), (b1, t1) = step.start.cores[core], step.end.cores[core]
    return (b1 - b0) / (t1 - t0) if t1 > t0 else math.nan


def completed(outcome: Outcome, step: Step) -> int:
    return sum(1 for t in outcome.ctx.completed if step.start.at <= t < step.end.at)


def header(outcome: Outcome, plan: Plan, src: str) -> None:
    day = outcome.ctx.day
    kinds = Counter(h.kind for h in day.halls)
    channels = Counter(str(v.channel) for v in day.visits)
    out.print(
        f"[bold]City[/bold]: {len(day.halls)} halls ({kinds[HallKind.CITY]} city, "
        f"{kinds[HallKind.COUNTY]} county, {kinds[HallKind.TOWNSHIP]} township), "
        f"{day.counters} counters ({day.scale:.0%} of the city); replayed "
        f"{clock_text(plan.replay_from)}–{clock_text(plan.end)} (figures from "
        f"{clock_text(plan.start)}): {len(day.visits):,} tickets (kiosk {channels['kiosk']:,}, "
        f"slip followed on a phone {channels['slip']:,}, H5 {channels['h5']:,}, booked "
        f"{channels['booked']:,}), {len(day.bookings):,} bookings made the day before, "
        f"{len(day.future):,} citizens booking later days, {len(day.video)} video calls"
    )
    out.print(
        f"Live subscribers: {outcome.screens:,} screens, workstations, agents and standing "
        f"phones; with the phones following tickets and the video callers, at most "
        f"{outcome.ctx.peak:,} at once"
    )
    out.print(f"Hub node: {src}")
    hooks = outcome.steps[0].start.hooks if outcome.steps else None
    if hooks:
        clocked = ", ".join(
            f"{c.split('.', 1)[0]}…{c.rsplit('.', 1)[1]}" for c in hooks["hooks"]["clock"]
        )
        out.print(f"City clock given to: {clocked}")
    for note in outcome.degraded:
        out.print(f"[yellow]Degraded: {note}[/yellow]")
    for phase, seconds in outcome.phases.items():
        out.print(f"  {phase}: {seconds:.0f} s")


def commands_table(outcome: Outcome, step: Step, title: str) -> dict[str, float]:
    stats = outcome.ctx.stats
    table = Table(title=title)
    for column in ("command", "answered", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms", ""):
        table.add_column(column, justify="left" if column == "command" else "right")
    p99s = {}
    names = measured_commands(outcome.ctx) + [n for n in stats.latencies if "one-way" in n]
    for name in names:
        values = stats.between(name, step.start.at, step.end.at)
        errors = sum(stats.errors.get(name, Counter()).values())
        if not values and not errors:
            continue
        p99 = percentile(values, 99)
        judged = "one-way" not in name and len(values) >= MIN_ANSWERS
        if judged:
            p99s[name] = p99
        mark = verdict(p99 <= P99_TARGET_MS) if judged else "(few)" if values else ""
        table.add_row(
            name,
            f"{len(values):,}",
            f"{errors:,}" if errors else "",
            *(fmt(percentile(values, p)) for p in (50, 90)),
            fmt(p99),
            fmt(max(values) if values else math.nan),
            "" if "one-way" in name else mark,
        )
    out.print(table)
    out.print(f"(few): under {MIN_ANSWERS} answers, whose p99 is their maximum: shown, not judged.")
    return p99s


def screens_table(outcome: Outcome, step: Step) -> float:
    calls = outcome.ctx.calls
    table = Table(title="From the clerk's key (call, recall) to the screen or phone showing it")
    for column in ("shown on", "received / expected", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "shown on" else "right")
    display_p99 = math.nan
    for kind in ("display", "counter display", "phone", "in-app", "sms"):
        values = calls.between(kind, step.start.at, step.end.at)
        if not values and not calls.expected[kind]:
            continue
        p99 = percentile(values, 99)
        if kind == "display":
            display_p99 = p99
        table.add_row(
            {"in-app": "in-app message (notifier)", "sms": "SMS at the provider"}.get(kind, kind),
            f"{calls.received[kind]:,} / {calls.expected[kind]:,}",
            *(fmt(percentile(values, p)) for p in (50, 90)),
            fmt(p99),
            fmt(max(values) if values else math.nan),
        )
    out.print(table)
    return display_p99


def resources(outcome: Outcome, step: Step) -> float:
    hub, store, bench = cpu(step)
    share = (hub + store) / CORES
    lag = outcome.loop.between(step.start.at, step.end.at)
    out.print(
        f"CPU: hub {hub:.0%} of a core, store (nx-27017) {store:.0%}: {share:.0%} of the two "
        f"cores; the bench's clients {bench:.0%} of a core, their loop late p99 "
        f"{fmt(percentile(lag, 99))} ms, max {fmt(max(lag) if lag else math.nan)} ms"
    )
    cores = [core_busy(step, i) for i in range(len(step.start.cores))]
    if cores:
        out.print(
            "Cores busy (every process, the kernel's loopback work included): "
            + ", ".join(f"core {i} {c:.0%}" for i, c in enumerate(cores))
            + (
                " (the node and its store are pinned to core 0, the bench to core 1)"
                if outcome.store_core == 0
                else " (the node is pinned to core 0, its store and the bench to core 1)"
            )
        )
    if bench > 0.85 or percentile(lag, 99) > 20:
        out.print(
            "[yellow]The bench's own process was busy: its latencies include its lateness.[/yellow]"
        )
    start, end = step.start.hooks, step.end.hooks
    if start is not None and end is not None:
        bounds = end["buckets_ms"]
        late = hist_diff(end["loop"]["late"], start["loop"]["late"])
        out.print(
            f"Hub event loop: a 20 ms ticker late p50 <= {fmt(hist_pct(late, bounds, 50), 2)} "
            f"ms, p99 <= {fmt(hist_pct(late, bounds, 99), 2)} ms, max "
            f"{fmt(end['loop']['late']['max_ms'])} ms"
        )
        gcs = []
        for generation in ("0", "1", "2"):
            counts = hist_diff(end["loop"]["gc"][generation], start["loop"]["gc"][generation])
            ms = (
                end["loop"]["gc"][generation]["total_ms"]
                - start["loop"]["gc"][generation]["total_ms"]
            )
            gcs.append(f"gen{generation} {sum(counts):,}x {ms:,.0f} ms")
        out.print(
            f"Hub GC: {', '.join(gcs)}; longest pause "
            f"{max(float(end['loop']['gc'][g]['max_ms']) for g in ('0', '1', '2')):.1f} ms"
        )
    return share


def store_table(outcome: Outcome, step: Step) -> float:
    ops = store_ops(step)
    done = completed(outcome, step)
    if not ops:
        out.print("Store operations: not measured (the node has no bench hooks)")
        return math.nan
    assert step.start.hooks is not None
    assert step.end.hooks is not None
    total = sum(count for count, _ in ops.values())
    per_ticket = total / done if done else math.nan
    trips = hist_diff(
        step.end.hooks["store"]["round_trips"], step.start.hooks["store"]["round_trips"]
    )
    bounds = step.end.hooks["buckets_ms"]
    table = Table(
        title=f"Store operations: {total:,} MongoDB commands for {done:,} tickets completed "
        f"(finished or no-show) = {fmt(per_ticket)} per ticket lifecycle; round trip p50 <= "
        f"{fmt(hist_pct(trips, bounds, 50), 2)} ms, p99 <= {fmt(hist_pct(trips, bounds, 99), 2)} ms"
    )
    for column in ("command collection", "count", "per ticket", "mean ms", "share of time"):
        table.add_column(column, justify="left" if column == "command collection" else "right")
    busy = sum(ms for _, ms in ops.values()) or 1.0
    for key, (count, ms) in sorted(ops.items(), key=lambda kv: -kv[1][0])[:15]:
        table.add_row(
            key,
            f"{count:,}",
            fmt(count / done if done else math.nan, 2),
            fmt(ms / count, 2),
            f"{ms / busy:.0%}",
        )
    out.print(table)
    shapes = store_ops(step, "shapes")
    slowest = sorted(shapes.items(), key=lambda kv: -kv[1][1])[:8]
    out.print(
        "Where the store's time goes (command, collection, the fields filtered on: total ms, "
        "mean ms): "
        + "; ".join(f"{key} {ms:,.0f} ms, {ms / count:.1f}" for key, (count, ms) in slowest)
    )
    domains: Counter[str] = Counter()
    for key, (count, _) in ops.items():
        collection = key.split(" ", 1)[1] if " " in key else ""
        domains[collection.split("_", 1)[0] or "(other)"] += count
    out.print(
        "Per ticket by domain (background jobs included): "
        + ", ".join(f"{d} {c / done:.1f}" for d, c in domains.most_common() if done)
    )
    return per_ticket


def events_section(outcome: Outcome) -> int:
    seqs = outcome.ctx.seqs
    bad = seqs.lost + seqs.repeated + seqs.missing_final + seqs.missing_expected
    out.print(
        f"Events: {seqs.events:,} received by {seqs.clients:,} clients; lost {seqs.lost}, "
        f"repeated {seqs.repeated}, reordered {seqs.reordered}, never delivered but in the log "
        f"at the end {seqs.missing_final}, tickets whose phone never heard the end "
        f"{seqs.missing_expected}: {verdict(bad == 0)}"
    )
    if seqs.dropped or seqs.resyncs:
        out.print(
            f"[yellow]Connections the hub dropped: {seqs.dropped} (the clients reconnected and "
            f"replayed what they missed); replays refused (RESYNC_REQUIRED): {seqs.resyncs}"
            "[/yellow]"
        )
    for problem in seqs.problems:
        out.print(f"  {problem}")
    messages = outcome.ctx.messages
    if messages:
        kinds = ", ".join(f"{k} {v:,}" for k, v in messages.most_common())
        out.print(f"In-app messages on the phones: {kinds}")
    if outcome.sms or outcome.sms_near:
        out.print(f"SMS at the provider: {outcome.sms:,} called, {outcome.sms_near:,} turn-near")
    if outcome.ctx.handler_errors:
        out.print(f"[red]{outcome.ctx.handler_errors} errors in the clients' handlers[/red]")
    return bad


def errors_section(outcome: Outcome) -> None:
    stats = outcome.ctx.stats
    if not stats.errors:
        return
    table = Table(title="Refusals and errors (whole run)")
    for column in ("command", "code", "count", "message"):
        table.add_column(column)
    for name, codes in sorted(stats.errors.items()):
        for code, count in codes.most_common():
            table.add_row(name, code, f"{count:,}", stats.messages.get(code, ""))
    out.print(table)


def report(outcome: Outcome, plan: Plan, src: str) -> int:
    header(outcome, plan, src)
    if plan.ramp:
        return ramp_report(outcome, plan)
    step = outcome.steps[0]
    speed = f"{step.speed:g}x"
    p99s = commands_table(outcome, step, f"Commands at {speed} (answered ones; the bench's clock)")
    display_p99 = screens_table(outcome, step)
    share = resources(outcome, step)
    per_ticket = store_table(outcome, step)
    bad = events_section(outcome)
    errors_section(outcome)
    worst = max(p99s.items(), key=lambda kv: kv[1] if not math.isnan(kv[1]) else -1.0)
    targets = Table(
        title="Targets (at 10x)"
        + ("" if step.speed == TARGET_SPEED else f": this run was at {speed}")
    )
    for column in ("target", "measured", "result"):
        targets.add_column(column)
    targets.add_row(
        f"every command p99 <= {P99_TARGET_MS:g} ms",
        f"worst {worst[0]} {fmt(worst[1])} ms",
        verdict(worst[1] <= P99_TARGET_MS),
    )
    targets.add_row(
        f"call -> hall display p99 <= {DISPLAY_P99_TARGET_MS:g} ms",
        f"{fmt(display_p99)} ms",
        verdict(display_p99 <= DISPLAY_P99_TARGET_MS),
    )
    targets.add_row(
        f"hub + store <= {CPU_TARGET:.0%} of the two cores", f"{share:.0%}", verdict(share <= 0.6)
    )
    targets.add_row(
        f"<= {OPS_TARGET:g} store operations per ticket lifecycle",
        fmt(per_ticket),
        verdict(per_ticket <= OPS_TARGET) if not math.isnan(per_ticket) else "not measured",
    )
    targets.add_row("events lost or repeated: 0", str(bad), verdict(bad == 0))
    out.print(targets)
    print(
        f"speed={step.speed:g} worst_p99_ms={worst[1]:.1f} worst_command={worst[0]} "
        f"call_to_display_p99_ms={display_p99:.1f} cpu_share={share:.2f} "
        f"store_ops_per_ticket={per_ticket:.1f} events_lost_or_repeated={bad}"
    )
    passed = (
        worst[1] <= P99_TARGET_MS
        and display_p99 <= DISPLAY_P99_TARGET_MS
        and share <= CPU_TARGET
        and bad == 0
    )
    return 0 if passed else 1


def ramp_report(outcome: Outcome, plan: Plan) -> int:
    table = Table(title="Speed-up ramp over the peak: each step's figures")
    for column in (
        "speed",
        "city time",
        "commands",
        "worst p99 ms (command)",
        "call->display p99 ms",
        "hub+store of 2 cores",
        "core 0",
        "bench CPU",
        "",
    ):
        table.add_column(column, justify="right")
    sustained = 0.0
    failed = False
    ctx = outcome.ctx
    for step in outcome.steps:
        names = measured_commands(ctx)
        p99s = judged_p99s(ctx, step.start.at, step.end.at)
        count = sum(len(ctx.stats.between(n, step.start.at, step.end.at)) for n in names)
        worst = max(p99s.items(), key=lambda kv: kv[1]) if p99s else ("-", math.nan)
        display = percentile(ctx.calls.between("display", step.start.at, step.end.at), 99)
        hub, store, bench = cpu(step)
        ok = worst[1] <= P99_TARGET_MS
        if ok and not failed:
            sustained = step.speed
        failed = failed or not ok
        table.add_row(
            f"{step.speed:.1f}x",
            f"{clock_text(step.start.minute)}–{clock_text(step.end.minute)}",
            f"{count:,}",
            f"{fmt(worst[1])} ({worst[0]})",
            fmt(display),
            f"{(hub + store) / CORES:.0%}",
            f"{core_busy(step, 0):.0%}",
            f"{bench:.0%}",
            verdict(ok),
        )
    out.print(table)
    bad = events_section(outcome)
    errors_section(outcome)
    reached = "" if failed else " (the ramp ended before any p99 passed the target)"
    first = outcome.steps[0].speed if outcome.steps else math.nan
    found = (
        f"{sustained:.1f}x"
        if sustained
        else f"below {first:g}x (its first step failed: start lower with --speed)"
    )
    out.print(
        f"[bold]Sustained speed-up[/bold] (every command answered {MIN_ANSWERS}+ times has "
        f"p99 <= {P99_TARGET_MS:g} ms in that step and all before it): {found}{reached}"
    )
    print(f"sustained_speedup={sustained:g} ramp_ended_without_failure={not failed} lost={bad}")
    return 0

"""Hall KPIs from tickets and counter intervals. Pure.

Per group (the hall, a service, a counter, a clerk, an hour of the day):
arrived (tickets issued), served (finished), no-show count and rate, average and maximum wait
(issue to first call) and service time (start to finish), the share of called tickets that
waited longer than the hall's target (service level), and for counters and clerks the idle
time (open, not paused, holding no ticket).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from queueing.models import (
    CounterLogEntry,
    CounterStatus,
    Ticket,
    TicketStatus,
)


class GroupBy(StrEnum):
    HALL = "hall"
    SERVICE = "service"
    COUNTER = "counter"
    CLERK = "clerk"
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    label: str
    arrived: int
    served: int
    no_show: int
    no_show_rate: float | None
    avg_wait_minutes: float | None
    max_wait_minutes: float | None
    avg_service_minutes: float | None
    max_service_minutes: float | None
    over_target_rate: float | None
    idle_minutes: float | None


COLUMNS: list[tuple[str, str]] = [
    ("label", "分组"),
    ("arrived", "取号数"),
    ("served", "办结数"),
    ("no_show", "过号数"),
    ("no_show_rate", "过号率"),
    ("avg_wait_minutes", "平均等候(分)"),
    ("max_wait_minutes", "最长等候(分)"),
    ("avg_service_minutes", "平均办理(分)"),
    ("max_service_minutes", "最长办理(分)"),
    ("over_target_rate", "超时等候比例"),
    ("idle_minutes", "窗口空闲(分)"),
]


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 60


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def kpi_row(
    key: str,
    label: str,
    tickets: Sequence[Ticket],
    target_minutes: float,
    idle: float | None = None,
) -> Row:
    waits = [m for t in tickets if (m := _minutes(t.issued_at, t.called_at)) is not None]
    services = [
        m
        for t in tickets
        if t.status is TicketStatus.FINISHED
        and (m := _minutes(t.serving_at, t.finished_at)) is not None
    ]
    no_show = sum(1 for t in tickets if t.status is TicketStatus.NO_SHOW)
    decided = sum(1 for t in tickets if t.status in (TicketStatus.FINISHED, TicketStatus.NO_SHOW))
    return Row(
        key=key,
        label=label,
        arrived=len(tickets),
        served=sum(1 for t in tickets if t.status is TicketStatus.FINISHED),
        no_show=no_show,
        no_show_rate=_rate(no_show, decided),
        avg_wait_minutes=_mean(waits),
        max_wait_minutes=round(max(waits), 1) if waits else None,
        avg_service_minutes=_mean(services),
        max_service_minutes=round(max(services), 1) if services else None,
        over_target_rate=_rate(sum(1 for w in waits if w > target_minutes), len(waits)),
        idle_minutes=round(idle, 1) if idle is not None else None,
    )


def idle_minutes(
    intervals: Iterable[CounterLogEntry],
    tickets: Sequence[Ticket],
    until: datetime,
    key: Callable[[CounterLogEntry], str],
) -> dict[str, float]:
    """Open time minus the time a ticket was held there, per counter (or clerk)."""
    open_time: dict[str, float] = defaultdict(float)
    for interval in intervals:
        if interval.status is CounterStatus.OPEN:
            end = interval.end or until
            open_time[key(interval)] += max((end - interval.start).total_seconds() / 60, 0.0)
    busy: dict[str, float] = defaultdict(float)
    for ticket in tickets:
        if ticket.called_at is None or not ticket.calls:
            continue
        end = ticket.finished_at or ticket.no_show_at or ticket.parked_at or until
        counter_id = ticket.calls[-1].counter_id
        held = max((end - ticket.called_at).total_seconds() / 60, 0.0)
        busy[counter_id] += held
        if ticket.staff_id:
            busy["clerk:" + ticket.staff_id] += held
    return {k: max(v - busy.get(k, 0.0), 0.0) for k, v in open_time.items()}


def report(
    tickets: Sequence[Ticket],
    intervals: Sequence[CounterLogEntry],
    group_by: GroupBy,
    *,
    target_minutes: float,
    timezone: str,
    labels: dict[str, str],
    until: datetime,
    order: Sequence[str] = (),
) -> list[Row]:
    """KPI rows, one per group, in a stable order: the keys `order` names in its order (the
    hall's services, A–E, then its counters by number, as every screen lists them), then the
    rest sorted."""
    zone = ZoneInfo(timezone)
    groups: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        for key in _keys(ticket, group_by, zone):
            groups[key].append(ticket)
    idle: dict[str, float] = {}
    if group_by is GroupBy.COUNTER:
        idle = idle_minutes(intervals, tickets, until, lambda i: i.counter_id)
    elif group_by is GroupBy.CLERK:
        idle = idle_minutes(intervals, tickets, until, lambda i: "clerk:" + (i.staff_id or ""))
        idle = {k.removeprefix("clerk:"): v for k, v in idle.items()}
        for key in idle:
            groups.setdefault(key, [])
    elif group_by is GroupBy.HOUR and groups:
        # Every hour from the first to the last with arrivals: a curve without holes.
        hours = [int(key[:2]) for key in groups]
        for hour in range(min(hours), max(hours) + 1):
            groups.setdefault(f"{hour:02d}:00", [])
    return [
        kpi_row(
            key,
            labels.get(key, key),
            groups[key],
            target_minutes,
            idle.get(key) if group_by in (GroupBy.COUNTER, GroupBy.CLERK) else None,
        )
        for key in _ordered(groups, order)
    ]


def _ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    rank = {key: i for i, key in enumerate(order)}
    return sorted(keys, key=lambda key: (rank.get(key, len(rank)), key))


def _keys(ticket: Ticket, group_by: GroupBy, zone: ZoneInfo) -> list[str]:
    match group_by:
        case GroupBy.HALL:
            return [ticket.hall_id]
        case GroupBy.SERVICE:
            return [ticket.service_id]
        case GroupBy.COUNTER:
            return [ticket.calls[-1].counter_id] if ticket.calls else []
        case GroupBy.CLERK:
            return [ticket.staff_id] if ticket.staff_id else []
        case GroupBy.HOUR:
            return [f"{ticket.issued_at.astimezone(zone).hour:02d}:00"]
        case GroupBy.DAY:
            return [ticket.day]


def days(start: str, end: str) -> list[str]:
    first = datetime.fromisoformat(start).date()
    last = datetime.fromisoformat(end).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

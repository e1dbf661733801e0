"""What each screen is shown, built from loaded state. Pure; personal data masked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from queueing import domain
from queueing.models import (
    Counter,
    CounterState,
    CounterStatus,
    Hall,
    Service,
    Ticket,
    TicketStatus,
)

LATEST_CALLS = 12


def call_row(
    ticket: Ticket, services: dict[str, Service], counters: dict[str, Counter]
) -> dict[str, Any]:
    last = ticket.calls[-1] if ticket.calls else None
    counter = counters.get(last.counter_id) if last else None
    service = services.get(ticket.service_id)
    return {
        "ticket_id": ticket.id,
        "number": ticket.code,
        "service_id": ticket.service_id,
        "service_name": service.name if service else ticket.service_id,
        "counter_id": last.counter_id if last else None,
        "counter_number": counter.number if counter else (last.counter_number if last else None),
        "counter_name": counter.name if counter else "",
        "call_count": len(ticket.calls),
        "status": ticket.status.value,
        "at": ticket.last_called_at,
        # As the live call event says it (a display reloaded keeps the 预约 mark).
        "appointment": ticket.appointment is not None,
    }


def board(
    hall: Hall,
    services: Sequence[Service],
    counters: Sequence[Counter],
    states: dict[str, CounterState],
    waiting_counts: dict[str, int],
    latest: Iterable[Ticket],
    held: dict[str, Ticket],
) -> dict[str, Any]:
    """The hall display: the latest calls, every counter, waiting per service, the notice."""
    by_service = {s.id: s for s in services}
    by_counter = {c.id: c for c in counters}
    counter_rows = []
    for counter in counters:
        state = states.get(counter.id) or CounterState(id=counter.id, hall_id=hall.id)
        current = held.get(state.current_ticket_id or "")
        counter_rows.append(
            {
                **domain.counter_data(counter),
                "status": state.status.value,
                "pause_reason": state.pause_reason,
                "staff_name": state.staff_name,
                "current": call_row(current, by_service, by_counter) if current else None,
            }
        )
    return {
        "hall": {
            "id": hall.id,
            "name": hall.name,
            "notice": hall.notice,
            "timezone": hall.timezone,
            "show_take_qr": hall.show_take_qr,
        },
        "announce_repeat": hall.policy.announce_repeat,
        "services": [
            {"id": s.id, "name": s.name, "prefix": s.prefix, "waiting": waiting_counts.get(s.id, 0)}
            for s in services
            if s.active
        ],
        "counters": counter_rows,
        "calls": [call_row(t, by_service, by_counter) for t in latest][:LATEST_CALLS],
    }


def workstation(
    hall: Hall,
    counter: Counter,
    state: CounterState,
    services: Sequence[Service],
    counters: Sequence[Counter],
    current: Ticket | None,
    waiting: Sequence[Ticket],
    parked: Sequence[Ticket],
    history: Sequence[Ticket],
    mine: Sequence[Ticket],
    clerk: str,
    now: datetime,
    *,
    history_limit: int,
) -> dict[str, Any]:
    """The counter workstation: current ticket, its queue in calling order, parked tickets,
    today's history at this counter and the clerk's own figures, with what the screen needs to
    keep them up to date from `desk:<hall>` and `counter:<id>` events: every ticket whole
    (`domain.desk_ticket`), the calling policy, the counter's weights and normal streak, the
    clerk's tickets of the day, and the hub's time (the calling order moves with time)."""
    names = {s.id: s.name for s in services}

    def desk(ticket: Ticket) -> dict[str, Any]:
        name = names.get(ticket.service_id, ticket.service_id)
        return domain.desk_ticket(ticket, name).model_dump(mode="json")

    queue = domain.calling_order(waiting, counter, state.normal_streak, hall.policy, now)
    policy = hall.policy
    return {
        "hall": {
            "id": hall.id,
            "name": hall.name,
            "timezone": hall.timezone,
            "no_show_min_calls": policy.no_show_min_calls,
            "requeue_limit": policy.requeue_limit,
            "requeue_behind": policy.requeue_behind,
        },
        "policy": {
            "max_wait_minutes": policy.max_wait_minutes,
            "appointment_early_minutes": policy.appointment_early_minutes,
            "appointment_late_minutes": policy.appointment_late_minutes,
            "normal_per_priority": policy.normal_per_priority,
        },
        "counter": {
            **domain.counter_view(counter, state),
            "services": [s.service_id for s in counter.services],
            "weights": {s.service_id: s.weight for s in counter.services},
            "normal_streak": state.normal_streak,
        },
        "clerk": clerk,
        "current": desk(current) if current else None,
        "waiting": [desk(t) for t in queue],
        "parked": [desk(t) for t in parked],
        "history": [desk(t) for t in history],
        "mine": [clerk_ticket(t) for t in sorted(mine, key=lambda t: t.id)],
        "figures": clerk_figures(mine),
        "services": [{"id": s.id, "name": s.name, "prefix": s.prefix} for s in services],
        "counters": [{**domain.counter_data(c)} for c in counters if c.id != counter.id],
        "open": state.status is not CounterStatus.CLOSED,
        "day": domain.local_day(now, hall.timezone).isoformat(),
        "history_limit": history_limit,
        "now": now,
    }


def clerk_ticket(ticket: Ticket) -> dict[str, Any]:
    """What a clerk's figures are made of, per ticket they called."""
    return {
        "ticket_id": ticket.id,
        "status": ticket.status.value,
        "queue_time": ticket.queue_time,
        "called_at": ticket.called_at,
        "serving_at": ticket.serving_at,
        "finished_at": ticket.finished_at,
    }


def _mean_seconds(spans_ms: Sequence[int]) -> int | None:
    # Whole milliseconds, floored to whole seconds: the workstation computes the same from
    # the same tickets (clients/web/src/workstation/desk.ts), with no rounding to disagree on.
    return sum(spans_ms) // (len(spans_ms) * 1000) if spans_ms else None


def _span_ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return (end - start) // timedelta(milliseconds=1)


def clerk_figures(tickets: Sequence[Ticket]) -> dict[str, Any]:
    """A clerk's day: served, no-shows, mean service and wait in seconds."""
    served = [t for t in tickets if t.status is TicketStatus.FINISHED]
    no_show = [t for t in tickets if t.status is TicketStatus.NO_SHOW]
    service = [m for t in served if (m := _span_ms(t.serving_at, t.finished_at)) is not None]
    waits = [m for t in tickets if (m := _span_ms(t.queue_time, t.called_at)) is not None]
    return {
        "served": len(served),
        "no_show": len(no_show),
        "avg_service_seconds": _mean_seconds(service),
        "avg_wait_seconds": _mean_seconds(waits),
    }


def ticket_status(
    ticket: Ticket,
    hall: Hall,
    service: Service,
    counters: dict[str, Counter],
    ahead: int,
    minutes: float,
) -> dict[str, Any]:
    """A ticket as its holder sees it (phone, printed QR code)."""
    last = ticket.calls[-1] if ticket.calls else None
    counter = counters.get(last.counter_id) if last else None
    return {
        "ticket_id": ticket.id,
        "number": ticket.code,
        "hall": {"id": hall.id, "name": hall.name, "address": hall.address},
        "service_id": service.id,
        "service_name": service.name,
        "status": ticket.status.value,
        "issued_at": ticket.issued_at,
        "ahead": ahead,
        "estimate_minutes": minutes,
        "counter": {"number": counter.number, "name": counter.name} if counter else None,
        "call_count": len(ticket.calls),
        "tags": [t.value for t in ticket.tags],
    }

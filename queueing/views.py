"""What each screen is shown, built from loaded state. Pure; personal data masked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
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


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 1)


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


def ticket_detail(ticket: Ticket, services: dict[str, Service], now: datetime) -> dict[str, Any]:
    """A ticket as counter staff see it: citizen data masked."""
    service = services.get(ticket.service_id)
    return {
        "ticket_id": ticket.id,
        "number": ticket.code,
        "service_id": ticket.service_id,
        "service_name": service.name if service else ticket.service_id,
        "status": ticket.status.value,
        "channel": ticket.channel.value,
        "tags": [t.value for t in ticket.tags],
        "priority": ticket.priority,
        "citizen": domain.masked_citizen(ticket.citizen),
        "appointment": (
            {"slot_start": ticket.appointment.slot_start, "slot_end": ticket.appointment.slot_end}
            if ticket.appointment
            else None
        ),
        "issued_at": ticket.issued_at,
        "waited_minutes": _minutes(ticket.queue_time, ticket.called_at or now),
        "call_count": len(ticket.calls),
        "called_at": ticket.called_at,
        "serving_at": ticket.serving_at,
        "finished_at": ticket.finished_at,
        "case_id": ticket.case_id,
        "transferred": bool(ticket.transfers),
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
    now: datetime,
) -> dict[str, Any]:
    """The counter workstation: current ticket, its queue in calling order, parked tickets,
    today's history at this counter and the clerk's own figures."""
    by_service = {s.id: s for s in services}
    queue = domain.calling_order(waiting, counter, state.normal_streak, hall.policy, now)
    return {
        "hall": {
            "id": hall.id,
            "name": hall.name,
            "timezone": hall.timezone,
            "no_show_min_calls": hall.policy.no_show_min_calls,
        },
        "counter": {
            **domain.counter_view(counter, state),
            "services": [s.service_id for s in counter.services],
        },
        "current": ticket_detail(current, by_service, now) if current else None,
        "waiting": [ticket_detail(t, by_service, now) for t in queue],
        "parked": [ticket_detail(t, by_service, now) for t in parked],
        "history": [ticket_detail(t, by_service, now) for t in history],
        "figures": clerk_figures(mine),
        "services": [{"id": s.id, "name": s.name, "prefix": s.prefix} for s in services],
        "counters": [{**domain.counter_data(c)} for c in counters if c.id != counter.id],
        "open": state.status is not CounterStatus.CLOSED,
    }


def clerk_figures(tickets: Sequence[Ticket]) -> dict[str, Any]:
    served = [t for t in tickets if t.status is TicketStatus.FINISHED]
    no_show = [t for t in tickets if t.status is TicketStatus.NO_SHOW]
    service_times = [m for t in served if (m := _minutes(t.serving_at, t.finished_at)) is not None]
    waits = [m for t in tickets if (m := _minutes(t.queue_time, t.called_at)) is not None]
    return {
        "served": len(served),
        "no_show": len(no_show),
        "avg_service_minutes": round(sum(service_times) / len(service_times), 1)
        if service_times
        else None,
        "avg_wait_minutes": round(sum(waits) / len(waits), 1) if waits else None,
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

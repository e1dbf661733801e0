"""The calling policy's cases shared with the workstation (calling_order.json; vitest runs the
same file against clients/web/src/workstation/callingOrder.ts): both answer alike."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from queueing import domain
from queueing.models import (
    Appointment,
    CallingPolicy,
    Channel,
    Counter,
    CounterService,
    Ticket,
)

VECTORS = json.loads((Path(__file__).parent / "calling_order.json").read_text("utf-8"))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ticket(o: dict[str, Any]) -> Ticket:
    queued = _at(o["queue_time"])
    slot = o["appointment"]
    return Ticket.model_validate(
        {
            "_id": o["ticket_id"],
            "hall_id": "h1",
            "service_id": o["service_id"],
            "day": "2026-12-03",
            "number": o["serial"],
            "code": f"X{o['serial']:03d}",
            "channel": Channel.KIOSK,
            "status": o["status"],
            "priority": o["priority"],
            "issued_at": queued,
            "queue_time": queued,
            "target_counter_id": o["target_counter_id"],
            "appointment": Appointment(
                appointment_id=f"a-{o['ticket_id']}",
                slot_start=_at(slot["slot_start"]),
                slot_end=_at(slot["slot_start"]) + timedelta(minutes=30),
            )
            if slot
            else None,
        }
    )


def _counter(v: dict[str, Any]) -> Counter:
    weights = v["counter"]["weights"]
    return Counter.model_validate(
        {
            "_id": v["counter"]["counter_id"],
            "hall_id": "h1",
            "number": 1,
            "name": "1号窗口",
            "services": [CounterService(service_id=s, weight=w) for s, w in weights.items()],
        }
    )


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_calling_order_of_each_case(vector: dict[str, Any]) -> None:
    tickets = [_ticket(o) for o in vector["tickets"]]
    policy = CallingPolicy(**vector["policy"])
    now = _at(vector["now"])
    for given in (tickets, tickets[::-1]):
        order = domain.calling_order(given, _counter(vector), vector["normal_streak"], policy, now)
        assert [t.id for t in order] == vector["order"]


def test_the_cases_cover_every_rule() -> None:
    """Each of the policy's reasons decides at least one case's first call."""
    reasons = set()
    for vector in VECTORS:
        choice = domain.choose_next(
            [_ticket(o) for o in vector["tickets"]],
            _counter(vector),
            vector["normal_streak"],
            CallingPolicy(**vector["policy"]),
            _at(vector["now"]),
        )
        assert choice is not None
        reasons.add(choice.reason)
    assert reasons == set(domain.Reason)

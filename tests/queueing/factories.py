"""Building blocks for queueing tests: a hall setup and tickets in any state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from queueing.models import (
    Appointment,
    CallingPolicy,
    Channel,
    Counter,
    CounterService,
    HallSetup,
    Tag,
    Ticket,
    TicketStatus,
)

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def setup(hall_id: str = "h1", **hall: Any) -> HallSetup:
    return HallSetup.model_validate(
        {
            "hall": {"id": hall_id, "name": "测试大厅", **hall},
            "services": [
                {
                    "id": "s1",
                    "hall_id": hall_id,
                    "name": "户籍",
                    "prefix": "A",
                    "expected_minutes": 6,
                },
                {
                    "id": "s2",
                    "hall_id": hall_id,
                    "name": "社保",
                    "prefix": "B",
                    "expected_minutes": 10,
                },
                {"id": "s3", "hall_id": hall_id, "name": "企业", "prefix": "C", "daily_cap": 3},
            ],
            "counters": [
                {
                    "id": "w1",
                    "hall_id": hall_id,
                    "number": 1,
                    "name": "1号窗口",
                    "services": [{"service_id": "s1"}, {"service_id": "s2"}],
                },
                {
                    "id": "w2",
                    "hall_id": hall_id,
                    "number": 2,
                    "name": "2号窗口",
                    "services": [{"service_id": "s1"}],
                },
                {
                    "id": "w3",
                    "hall_id": hall_id,
                    "number": 3,
                    "name": "3号窗口",
                    "services": [{"service_id": "s3"}],
                },
            ],
        }
    )


def counter(*services: tuple[str, int], ident: str = "w1") -> Counter:
    return Counter(
        id=ident,
        hall_id="h1",
        number=1,
        name="1号窗口",
        services=[CounterService(service_id=s, weight=w) for s, w in services],
    )


def ticket(
    number: int,
    *,
    service: str = "s1",
    minutes_ago: float = 0,
    priority: int = 0,
    status: TicketStatus = TicketStatus.WAITING,
    slot_in_minutes: float | None = None,
    target: str | None = None,
    now: datetime = T0,
) -> Ticket:
    issued = now - timedelta(minutes=minutes_ago)
    appointment = None
    if slot_in_minutes is not None:
        start = now + timedelta(minutes=slot_in_minutes)
        appointment = Appointment(
            appointment_id=f"ap{number}", slot_start=start, slot_end=start + timedelta(minutes=30)
        )
    return Ticket(
        id=f"t{number}",
        hall_id="h1",
        service_id=service,
        day="2026-11-26",
        number=number,
        code=f"A{number:03d}",
        channel=Channel.KIOSK,
        status=status,
        priority=priority,
        tags=[Tag.ELDERLY] if priority else [],
        issued_at=issued,
        queue_time=issued,
        appointment=appointment,
        target_counter_id=target,
    )


POLICY = CallingPolicy()

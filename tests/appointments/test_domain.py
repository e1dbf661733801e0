"""The appointment center's pure rules (appointments/domain.py): no I/O, no database.

Two calendars, both in Asia/Shanghai:
- November 2026: Thursday the 26th is "today" (NOW = 10:00 local); Friday 27th, then Monday
  30th to Friday 4 December.
- National Day 2025 (HOLIDAY): 1–7 October closed, Sunday 28 September and Saturday
  11 October working (调休); Friday 26 and Tuesday 30 September, Wednesday 8 October are
  ordinary working days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from appointments import domain, errors
from appointments.domain import Arrival, CounterLoad, StatsRow, Verdict
from appointments.models import (
    AbuseRules,
    Appointment,
    AppointmentState,
    BookingPlan,
    Slot,
    SlotState,
    Strike,
    StrikeKind,
)
from tests.appointments.conftest import id_number

TZ = "Asia/Shanghai"
SHANGHAI = ZoneInfo(TZ)

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thursday 26 November 2026, 10:00 local
FRIDAY_0930 = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # 09:30 local

NATIONAL_DAY = {
    "closed_dates": [date(2025, 10, d).isoformat() for d in range(1, 8)],
    "extra_dates": ["2025-09-28", "2025-10-11"],
}


def make_plan(**fields: Any) -> BookingPlan:
    return BookingPlan.model_validate(
        {"_id": "h1:s1", "hall_id": "h1", "service_id": "s1", **fields}
    )


PLAN = make_plan()
HOLIDAY = make_plan(**NATIONAL_DAY)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """A moment in Shanghai local time."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def appointment(
    n: int = 1,
    *,
    state: AppointmentState = AppointmentState.BOOKED,
    slot_start: datetime = FRIDAY_0930,
    day: str = "2026-11-27",
    service_id: str = "s1",
    **changes: Any,
) -> Appointment:
    return Appointment.model_validate(
        {
            "_id": f"a{n}",
            "code": f"Y{n:04d}",
            "hall_id": "h1",
            "service_id": service_id,
            "day": day,
            "slot_id": domain.slot_id("h1", service_id, slot_start),
            "slot_start": slot_start,
            "slot_end": slot_start + timedelta(minutes=30),
            "citizen_id": f"c-{n}",
            "name": f"市民{n}",
            "id_number": id_number(n),
            "phone": f"138{n:08d}",
            "person": f"person-{n}",
            "state": state,
            "created_at": NOW,
            "updated_at": NOW,
            **changes,
        }
    )


def slot_state(start: datetime = FRIDAY_0930, **changes: Any) -> SlotState:
    return SlotState.model_validate(
        {
            "_id": domain.slot_id("h1", "s1", start),
            "hall_id": "h1",
            "service_id": "s1",
            "day": domain.local_day(start, TZ).isoformat(),
            "start": start,
            "end": start + timedelta(minutes=30),
            "capacity": 6,
            "backup": 2,
            "free": 3,
            "share": 0.2,
            "opened_at": NOW,
            **changes,
        }
    )


def strike(kind: StrikeKind, at: datetime, n: int = 0) -> Strike:
    return Strike.model_validate(
        {"_id": f"a{n}:{kind}", "person": "p", "kind": kind, "appointment_id": f"a{n}", "at": at}
    )


def with_check_digit(body: str) -> str:
    """A 17-digit body completed with its GB 11643 check digit."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


# -- days and slots ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "day", "working"),
    [
        pytest.param(PLAN, date(2026, 11, 23), True, id="monday"),
        pytest.param(PLAN, date(2026, 11, 27), True, id="friday"),
        pytest.param(PLAN, date(2026, 11, 28), False, id="saturday"),
        pytest.param(PLAN, date(2026, 11, 29), False, id="sunday"),
        pytest.param(HOLIDAY, date(2025, 9, 26), True, id="friday-before-holiday"),
        pytest.param(HOLIDAY, date(2025, 9, 27), False, id="ordinary-saturday"),
        pytest.param(HOLIDAY, date(2025, 9, 28), True, id="extra-working-sunday"),
        pytest.param(HOLIDAY, date(2025, 10, 1), False, id="holiday-first-day-wednesday"),
        pytest.param(HOLIDAY, date(2025, 10, 7), False, id="holiday-last-day-tuesday"),
        pytest.param(HOLIDAY, date(2025, 10, 8), True, id="wednesday-after-holiday"),
        pytest.param(HOLIDAY, date(2025, 10, 11), True, id="extra-working-saturday"),
        pytest.param(
            make_plan(closed_dates=["2025-09-28"], extra_dates=["2025-09-28"]),
            date(2025, 9, 28),
            False,
            id="closed-wins-over-extra",
        ),
        pytest.param(
            make_plan(windows=[{"weekdays": [1, 3], "opens": "09:00", "closes": "12:00"}]),
            date(2026, 11, 24),
            False,
            id="weekday-without-window",
        ),
        pytest.param(
            make_plan(windows=[{"weekdays": [6], "opens": "09:00", "closes": "12:00"}]),
            date(2026, 11, 28),
            True,
            id="saturday-window",
        ),
    ],
)
def test_is_working_day(plan: BookingPlan, day: date, working: bool) -> None:
    assert domain.is_working_day(plan, day) is working


def test_slot_times_default_windows() -> None:
    slots = domain.slot_times(PLAN, date(2026, 11, 27), TZ)

    assert len(slots) == 13
    assert slots[0] == (utc(2026, 11, 27, 1, 0), utc(2026, 11, 27, 1, 30))  # 09:00–09:30
    assert slots[5] == (utc(2026, 11, 27, 3, 30), utc(2026, 11, 27, 4, 0))  # 11:30–12:00
    assert slots[6] == (utc(2026, 11, 27, 5, 30), utc(2026, 11, 27, 6, 0))  # 13:30–14:00
    assert slots[-1] == (utc(2026, 11, 27, 8, 30), utc(2026, 11, 27, 9, 0))  # 16:30–17:00
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in slots)
    assert all(e - s == timedelta(minutes=30) for s, e in slots)


def test_slot_times_drop_the_tail_of_a_window_not_divisible_by_the_slot() -> None:
    slots = domain.slot_times(make_plan(slot_minutes=40), date(2026, 11, 27), TZ)

    starts = [s.astimezone(SHANGHAI).strftime("%H:%M") for s, _ in slots]
    assert starts == [
        "09:00",
        "09:40",
        "10:20",
        "11:00",
        "13:30",
        "14:10",
        "14:50",
        "15:30",
        "16:10",
    ]
    assert slots[3][1] == local(2026, 11, 27, 11, 40)  # 11:40–12:00 dropped
    assert slots[-1][1] == local(2026, 11, 27, 16, 50)  # 16:50–17:00 dropped


@pytest.mark.parametrize(
    ("plan", "day"),
    [
        pytest.param(PLAN, date(2026, 11, 28), id="saturday"),
        pytest.param(PLAN, date(2026, 11, 29), id="sunday"),
        pytest.param(HOLIDAY, date(2025, 10, 1), id="holiday"),
    ],
)
def test_no_slots_on_a_non_working_day(plan: BookingPlan, day: date) -> None:
    assert domain.slot_times(plan, day, TZ) == []


def test_extra_working_day_follows_the_monday_windows() -> None:
    plan = make_plan(
        windows=[
            {"weekdays": [1], "opens": "08:00", "closes": "09:00"},
            {"weekdays": [2, 3, 4, 5], "opens": "14:00", "closes": "15:00"},
        ],
        **NATIONAL_DAY,
    )

    def starts(day: date) -> list[datetime]:
        return [s for s, _ in domain.slot_times(plan, day, TZ)]

    assert starts(date(2025, 10, 11)) == [local(2025, 10, 11, 8, 0), local(2025, 10, 11, 8, 30)]
    assert starts(date(2025, 9, 28)) == [local(2025, 9, 28, 8, 0), local(2025, 9, 28, 8, 30)]
    assert starts(date(2025, 10, 13)) == [local(2025, 10, 13, 8, 0), local(2025, 10, 13, 8, 30)]
    assert starts(date(2025, 10, 14)) == [local(2025, 10, 14, 14, 0), local(2025, 10, 14, 14, 30)]


def test_extra_working_sunday_has_the_default_slots() -> None:
    assert len(domain.slot_times(HOLIDAY, date(2025, 9, 28), TZ)) == 13


@pytest.mark.parametrize(
    ("plan", "day", "count", "expected"),
    [
        pytest.param(
            PLAN,
            date(2026, 11, 26),
            5,
            [
                date(2026, 11, 27),
                date(2026, 11, 30),
                date(2026, 12, 1),
                date(2026, 12, 2),
                date(2026, 12, 3),
            ],
            id="across-a-weekend",
        ),
        pytest.param(
            PLAN,
            date(2026, 11, 28),
            2,
            [date(2026, 11, 30), date(2026, 12, 1)],
            id="from-a-saturday",
        ),
        pytest.param(
            HOLIDAY,
            date(2025, 9, 26),
            5,
            [
                date(2025, 9, 28),
                date(2025, 9, 29),
                date(2025, 9, 30),
                date(2025, 10, 8),
                date(2025, 10, 9),
            ],
            id="extra-sunday-and-holiday-block",
        ),
        pytest.param(
            HOLIDAY,
            date(2025, 10, 3),
            5,
            [
                date(2025, 10, 8),
                date(2025, 10, 9),
                date(2025, 10, 10),
                date(2025, 10, 11),
                date(2025, 10, 13),
            ],
            id="from-inside-the-holiday",
        ),
        pytest.param(
            make_plan(
                closed_dates=[(date(2026, 2, 1) + timedelta(days=i)).isoformat() for i in range(40)]
            ),
            date(2026, 1, 30),
            1,
            [date(2026, 3, 13)],
            id="long-closure",
        ),
        pytest.param(PLAN, date(2026, 11, 26), 0, [], id="none"),
    ],
)
def test_working_days_after(plan: BookingPlan, day: date, count: int, expected: list[date]) -> None:
    assert domain.working_days_after(plan, day, count) == expected


@pytest.mark.parametrize(
    ("plan", "day", "expected"),
    [
        pytest.param(PLAN, date(2026, 12, 3), local(2026, 11, 26, 8), id="thursday-a-week-before"),
        pytest.param(PLAN, date(2026, 12, 4), local(2026, 11, 27, 8), id="friday"),
        pytest.param(PLAN, date(2026, 11, 30), local(2026, 11, 23, 8), id="monday-across-weekend"),
        pytest.param(HOLIDAY, date(2025, 10, 8), local(2025, 9, 25, 8), id="after-holiday"),
        pytest.param(HOLIDAY, date(2025, 10, 9), local(2025, 9, 26, 8), id="second-after-holiday"),
        pytest.param(
            HOLIDAY, date(2025, 10, 10), local(2025, 9, 28, 8), id="opens-on-extra-sunday"
        ),
        pytest.param(
            make_plan(horizon_days=1, opens_at="20:00"),
            date(2026, 11, 30),
            local(2026, 11, 27, 20),
            id="horizon-1-at-20",
        ),
    ],
)
def test_opens_at(plan: BookingPlan, day: date, expected: datetime) -> None:
    opening = domain.opens_at(plan, day, TZ)

    assert opening == expected
    assert opening.utcoffset() == timedelta(hours=8)


NOV = [date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]
OCT = [date(2025, 9, 28), date(2025, 9, 29), date(2025, 9, 30), date(2025, 10, 8)]


@pytest.mark.parametrize(
    ("plan", "now", "expected"),
    [
        pytest.param(PLAN, local(2026, 11, 26, 7, 59), NOV, id="0759"),
        pytest.param(PLAN, local(2026, 11, 26, 7, 59, 59), NOV, id="0759-59"),
        pytest.param(PLAN, local(2026, 11, 26, 8), [*NOV, date(2026, 12, 3)], id="0800"),
        pytest.param(PLAN, NOW, [*NOV, date(2026, 12, 3)], id="1000"),
        pytest.param(
            PLAN,
            local(2026, 11, 28, 10),
            [
                date(2026, 11, 30),
                date(2026, 12, 1),
                date(2026, 12, 2),
                date(2026, 12, 3),
                date(2026, 12, 4),
            ],
            id="saturday",
        ),
        pytest.param(HOLIDAY, local(2025, 9, 26, 7, 59), OCT, id="holiday-0759"),
        pytest.param(HOLIDAY, local(2025, 9, 26, 8), [*OCT, date(2025, 10, 9)], id="holiday-0800"),
        pytest.param(
            HOLIDAY,
            local(2025, 10, 3, 12),
            [
                date(2025, 10, 8),
                date(2025, 10, 9),
                date(2025, 10, 10),
                date(2025, 10, 11),
                date(2025, 10, 13),
            ],
            id="during-holiday",
        ),
    ],
)
def test_bookable_days(plan: BookingPlan, now: datetime, expected: list[date]) -> None:
    assert domain.bookable_days(plan, now, TZ) == expected


@pytest.mark.parametrize(
    ("now", "first"),
    [
        pytest.param(local(2026, 11, 26, 23, 59, 59), date(2026, 11, 27), id="thursday-2359"),
        pytest.param(local(2026, 11, 27, 0, 0), date(2026, 11, 30), id="friday-0000"),
        pytest.param(local(2026, 11, 27, 8, 0), date(2026, 11, 30), id="friday-0800"),
    ],
)
def test_today_is_never_bookable(now: datetime, first: date) -> None:
    days = domain.bookable_days(PLAN, now.astimezone(UTC), TZ)

    assert days[0] == first
    assert domain.local_day(now, TZ) not in days


def test_slot_id_and_local_day() -> None:
    assert domain.slot_id("h1", "s1", FRIDAY_0930) == "h1:s1:20261127T0130"
    assert domain.slot_id("h1", "s1", local(2026, 11, 27, 9, 30)) == "h1:s1:20261127T0130"
    assert domain.local_day(utc(2026, 11, 26, 15, 59), TZ) == date(2026, 11, 26)
    assert domain.local_day(utc(2026, 11, 26, 16, 0), TZ) == date(2026, 11, 27)


# -- check_slot -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "day", "end"),
    [
        pytest.param(FRIDAY_0930, date(2026, 11, 27), utc(2026, 11, 27, 2, 0), id="friday-0930"),
        pytest.param(
            local(2026, 11, 27, 9, 30), date(2026, 11, 27), utc(2026, 11, 27, 2, 0), id="local-tz"
        ),
        pytest.param(
            local(2026, 12, 3, 16, 30),
            date(2026, 12, 3),
            utc(2026, 12, 3, 9, 0),
            id="last-day-last-slot",
        ),
    ],
)
def test_check_slot_valid(start: datetime, day: date, end: datetime) -> None:
    assert domain.check_slot(PLAN, start, NOW, TZ) == (day, end)


def test_check_slot_disabled_plan() -> None:
    with pytest.raises(errors.PlanNotFound) as exc:
        domain.check_slot(make_plan(enabled=False), FRIDAY_0930, NOW, TZ)
    assert exc.value.code == "BOOKING_PLAN_NOT_FOUND"


@pytest.mark.parametrize(
    ("plan", "start", "now"),
    [
        pytest.param(PLAN, local(2026, 11, 28, 9), NOW, id="saturday"),
        pytest.param(HOLIDAY, local(2025, 10, 2, 9), local(2025, 9, 26, 10), id="holiday"),
    ],
)
def test_check_slot_closed_day(plan: BookingPlan, start: datetime, now: datetime) -> None:
    with pytest.raises(errors.ClosedDay) as exc:
        domain.check_slot(plan, start, now, TZ)
    assert exc.value.code == "CLOSED_DAY"


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(local(2026, 11, 27, 9, 15), id="misaligned"),
        pytest.param(local(2026, 11, 27, 9, 0, 1), id="one-second-off"),
        pytest.param(local(2026, 11, 27, 8, 30), id="before-opening"),
        pytest.param(local(2026, 11, 27, 12, 0), id="lunch"),
        pytest.param(local(2026, 11, 27, 17, 0), id="at-closing"),
    ],
)
def test_check_slot_no_such_slot(start: datetime) -> None:
    with pytest.raises(errors.NoSuchSlot) as exc:
        domain.check_slot(PLAN, start, NOW, TZ)
    assert exc.value.code == "NO_SUCH_SLOT"


@pytest.mark.parametrize(
    ("plan", "start", "now"),
    [
        pytest.param(PLAN, local(2026, 11, 26, 9, 0), NOW, id="passed-today"),
        pytest.param(PLAN, local(2026, 11, 26, 16, 30), NOW, id="later-today"),
        pytest.param(
            make_plan(min_lead_minutes=0),
            local(2026, 11, 26, 16, 30),
            NOW,
            id="later-today-no-lead",
        ),
        pytest.param(
            make_plan(min_lead_minutes=24 * 60),
            local(2026, 11, 27, 9, 0),
            local(2026, 11, 26, 9, 0),
            id="exactly-min-lead",
        ),
        pytest.param(
            make_plan(min_lead_minutes=24 * 60),
            local(2026, 11, 27, 9, 0),
            local(2026, 11, 26, 9, 0, 1),
            id="inside-min-lead",
        ),
    ],
)
def test_check_slot_in_past(plan: BookingPlan, start: datetime, now: datetime) -> None:
    with pytest.raises(errors.SlotInPast) as exc:
        domain.check_slot(plan, start, now, TZ)
    assert exc.value.code == "SLOT_IN_PAST"


def test_check_slot_just_outside_min_lead() -> None:
    plan = make_plan(min_lead_minutes=24 * 60)

    result = domain.check_slot(plan, local(2026, 11, 27, 9, 0), local(2026, 11, 26, 8, 59, 59), TZ)

    assert result == (date(2026, 11, 27), local(2026, 11, 27, 9, 30))


@pytest.mark.parametrize(
    ("plan", "start", "now", "opening"),
    [
        pytest.param(
            PLAN,
            local(2026, 12, 3, 9),
            local(2026, 11, 26, 7, 59, 59),
            "2026-11-26T08:00:00+08:00",
            id="horizon-day-before-0800",
        ),
        pytest.param(
            PLAN,
            local(2026, 12, 4, 9),
            local(2026, 11, 26, 7, 59, 59),
            "2026-11-27T08:00:00+08:00",
            id="day-after-horizon-before-0800",
        ),
        pytest.param(
            PLAN, local(2026, 12, 4, 9), NOW, "2026-11-27T08:00:00+08:00", id="day-after-horizon"
        ),
        pytest.param(
            PLAN,
            local(2026, 12, 7, 9),
            local(2026, 11, 28, 10),
            "2026-11-30T08:00:00+08:00",
            id="day-after-horizon-from-saturday",
        ),
        pytest.param(
            HOLIDAY,
            local(2025, 10, 9, 9),
            local(2025, 9, 26, 7, 0),
            "2025-09-26T08:00:00+08:00",
            id="after-holiday-before-0800",
        ),
        pytest.param(
            HOLIDAY,
            local(2025, 10, 10, 9),
            local(2025, 9, 26, 10, 0),
            "2025-09-28T08:00:00+08:00",
            id="opens-on-extra-sunday",
        ),
    ],
)
def test_check_slot_not_open_yet(
    plan: BookingPlan, start: datetime, now: datetime, opening: str
) -> None:
    with pytest.raises(errors.NotOpenYet) as exc:
        domain.check_slot(plan, start, now, TZ)
    assert exc.value.code == "NOT_OPEN_YET"
    assert exc.value.details == {"opens_at": opening}


@pytest.mark.parametrize(
    ("start", "now"),
    [
        pytest.param(local(2026, 12, 3, 9), local(2026, 11, 26, 8), id="horizon-day-at-0800"),
        pytest.param(local(2026, 12, 4, 9), local(2026, 11, 27, 8), id="next-day-at-next-0800"),
    ],
)
def test_check_slot_day_opens_at_0800(start: datetime, now: datetime) -> None:
    result = domain.check_slot(PLAN, start, now, TZ)

    assert result == (domain.local_day(start, TZ), start + timedelta(minutes=30))


@pytest.mark.parametrize(
    ("plan", "start", "now", "last_day"),
    [
        pytest.param(PLAN, local(2026, 12, 7, 9), NOW, "2026-12-03", id="seventh-working-day"),
        pytest.param(PLAN, local(2026, 12, 31, 9), NOW, "2026-12-03", id="next-month"),
        pytest.param(
            PLAN,
            local(2026, 12, 7, 9),
            local(2026, 11, 26, 7, 59, 59),
            "2026-12-03",
            id="before-0800",
        ),
        pytest.param(
            PLAN, local(2026, 12, 8, 9), local(2026, 11, 28, 10), "2026-12-04", id="from-saturday"
        ),
        pytest.param(
            HOLIDAY, local(2025, 10, 11, 9), local(2025, 9, 26, 7), "2025-10-09", id="holiday"
        ),
    ],
)
def test_check_slot_beyond_horizon(
    plan: BookingPlan, start: datetime, now: datetime, last_day: str
) -> None:
    with pytest.raises(errors.BeyondHorizon) as exc:
        domain.check_slot(plan, start, now, TZ)
    assert exc.value.code == "BEYOND_HORIZON"
    assert exc.value.details == {"last_day": last_day}


# -- places -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counters", "expected"),
    [
        pytest.param([], 0.0, id="no-counters"),
        pytest.param([CounterLoad(10, 1)], 3.0, id="one-counter"),
        pytest.param([CounterLoad(10, 1), CounterLoad(15, 2)], 4.0, id="shared-counter"),
        pytest.param([CounterLoad(0.1, 1)], 60.0, id="expected-minutes-floored-at-half"),
        pytest.param([CounterLoad(10, 0)], 3.0, id="zero-services-count-as-one"),
    ],
)
def test_counter_places(counters: list[CounterLoad], expected: float) -> None:
    assert domain.counter_places(30, counters) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("plan", "load", "expected"),
    [
        pytest.param(make_plan(dynamic=False), 2.0, 0.2, id="not-dynamic"),
        pytest.param(
            make_plan(dynamic=False, share=0.5, max_share=0.3), 2.0, 0.5, id="not-dynamic-unbounded"
        ),
        pytest.param(PLAN, None, 0.2, id="no-load"),
        pytest.param(PLAN, domain.TARGET_LOAD, 0.2, id="at-target"),
        pytest.param(PLAN, 1.0, 0.2 / 0.85, id="above-target"),
        pytest.param(PLAN, 0.5, 0.2 * 0.5 / 0.85, id="below-target"),
        pytest.param(PLAN, 0.425, 0.1, id="half-target-is-min"),
        pytest.param(PLAN, 0.2, 0.1, id="bounded-by-min"),
        pytest.param(PLAN, 0.0, 0.1, id="empty-hall"),
        pytest.param(PLAN, 1.275, 0.3, id="one-and-half-target-is-max"),
        pytest.param(PLAN, 3.0, 0.3, id="bounded-by-max"),
        pytest.param(
            make_plan(min_share=0.05, max_share=0.9), 3.0, 0.2 * 3 / 0.85, id="wide-bounds"
        ),
    ],
)
def test_dynamic_share(plan: BookingPlan, load: float | None, expected: float) -> None:
    assert domain.dynamic_share(plan, load) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("plan", "capacity", "share", "expected"),
    [
        pytest.param(PLAN, 40, 0.2, (6, 2), id="forty-at-20pct"),
        pytest.param(PLAN, 41.9, 0.2, (6, 2), id="floor-of-total"),
        pytest.param(PLAN, 20, 0.3, (5, 1), id="backup-rounds-down"),
        pytest.param(PLAN, 4.9, 0.2, (0, 0), id="less-than-one-place"),
        pytest.param(make_plan(backup_share=0), 40, 0.2, (8, 0), id="no-backup"),
        pytest.param(make_plan(backup_share=1), 40, 0.2, (0, 8), id="all-backup"),
        pytest.param(make_plan(capacity=10), 1000, 0.2, (8, 2), id="fixed-capacity"),
        pytest.param(make_plan(capacity=10), 0, 0.0, (8, 2), id="fixed-capacity-no-counters"),
        pytest.param(make_plan(capacity=0), 40, 0.2, (0, 0), id="fixed-zero"),
    ],
)
def test_places(
    plan: BookingPlan, capacity: float, share: float, expected: tuple[int, int]
) -> None:
    assert domain.places(plan, capacity, share) == expected


def test_new_slot() -> None:
    end = FRIDAY_0930 + timedelta(minutes=30)

    slot = domain.new_slot(PLAN, FRIDAY_0930, end, date(2026, 11, 27), 40, 0.23456, NOW)

    # floor(40 × 0.23456) = 9 places, round(9 × 0.2) = 2 held back
    assert slot == SlotState.model_validate(
        {
            "_id": "h1:s1:20261127T0130",
            "hall_id": "h1",
            "service_id": "s1",
            "day": "2026-11-27",
            "start": FRIDAY_0930,
            "end": end,
            "capacity": 7,
            "backup": 2,
            "free": 7,
            "share": 0.235,
            "backup_released": False,
            "walkin_released": None,
            "holders": [],
            "opened_at": NOW,
        }
    )


def test_appointment_code() -> None:
    assert domain.appointment_code(PLAN, 12) == "Y0012"
    assert domain.appointment_code(make_plan(prefix="YB"), 12345) == "YB12345"


# -- backup and walk-in release ---------------------------------------------------------------

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("plan", "slot", "now", "due"),
    [
        pytest.param(PLAN, slot_state(), FRIDAY_0930 - DAY - SECOND, False, id="before-24h"),
        pytest.param(PLAN, slot_state(), FRIDAY_0930 - DAY, True, id="at-24h"),
        pytest.param(PLAN, slot_state(), FRIDAY_0930 - timedelta(hours=1), True, id="inside-24h"),
        pytest.param(PLAN, slot_state(free=0), FRIDAY_0930 - 3 * DAY, True, id="when-full"),
        pytest.param(PLAN, slot_state(free=1), FRIDAY_0930 - 3 * DAY, False, id="one-left"),
        pytest.param(
            make_plan(backup_when_full=False),
            slot_state(free=0),
            FRIDAY_0930 - 3 * DAY,
            False,
            id="full-rule-off",
        ),
        pytest.param(
            make_plan(backup_release_hours=2),
            slot_state(),
            FRIDAY_0930 - timedelta(hours=2),
            True,
            id="at-2h",
        ),
        pytest.param(
            make_plan(backup_release_hours=2),
            slot_state(),
            FRIDAY_0930 - timedelta(hours=2) - SECOND,
            False,
            id="before-2h",
        ),
        pytest.param(
            PLAN,
            slot_state(backup_released=True),
            FRIDAY_0930 - SECOND,
            False,
            id="already-released",
        ),
        pytest.param(
            PLAN,
            slot_state(backup_released=True, free=0),
            FRIDAY_0930 - 3 * DAY,
            False,
            id="released-full",
        ),
        pytest.param(PLAN, slot_state(backup=0), FRIDAY_0930 - SECOND, False, id="no-backup"),
        pytest.param(
            PLAN, slot_state(backup=0, free=0), FRIDAY_0930 - 3 * DAY, False, id="no-backup-full"
        ),
        pytest.param(
            PLAN,
            slot_state(walkin_released=0),
            FRIDAY_0930 - SECOND,
            False,
            id="after-walkin-release",
        ),
    ],
)
def test_backup_due(plan: BookingPlan, slot: SlotState, now: datetime, due: bool) -> None:
    assert domain.backup_due(plan, slot, now) is due


@pytest.mark.parametrize(
    ("plan", "slot", "now", "due"),
    [
        pytest.param(
            PLAN, slot_state(), FRIDAY_0930 - timedelta(minutes=30) - SECOND, False, id="before"
        ),
        pytest.param(PLAN, slot_state(), FRIDAY_0930 - timedelta(minutes=30), True, id="at-30min"),
        pytest.param(PLAN, slot_state(), FRIDAY_0930 + timedelta(hours=1), True, id="after-start"),
        pytest.param(PLAN, slot_state(walkin_released=0), FRIDAY_0930, False, id="released-none"),
        pytest.param(PLAN, slot_state(walkin_released=3), FRIDAY_0930, False, id="released-three"),
        pytest.param(
            make_plan(walkin_release_minutes=0), slot_state(), FRIDAY_0930, True, id="zero-at-start"
        ),
        pytest.param(
            make_plan(walkin_release_minutes=0),
            slot_state(),
            FRIDAY_0930 - SECOND,
            False,
            id="zero-before",
        ),
    ],
)
def test_walkin_due(plan: BookingPlan, slot: SlotState, now: datetime, due: bool) -> None:
    assert domain.walkin_due(plan, slot, now) is due


@pytest.mark.parametrize(
    ("plan", "slot", "now", "expected"),
    [
        pytest.param(PLAN, slot_state(), FRIDAY_0930 - 3 * DAY, FRIDAY_0930 - DAY, id="backup"),
        pytest.param(
            PLAN,
            slot_state(backup_released=True),
            FRIDAY_0930 - 3 * DAY,
            FRIDAY_0930 - timedelta(minutes=30),
            id="then-walkin",
        ),
        pytest.param(
            PLAN,
            slot_state(backup=0),
            FRIDAY_0930 - 3 * DAY,
            FRIDAY_0930 - timedelta(minutes=30),
            id="no-backup",
        ),
        pytest.param(
            make_plan(backup_release_hours=0),
            slot_state(),
            FRIDAY_0930 - 3 * DAY,
            FRIDAY_0930 - timedelta(minutes=30),
            id="backup-at-start",
        ),
        pytest.param(
            PLAN, slot_state(free=0), FRIDAY_0930 - 3 * DAY, FRIDAY_0930 - 3 * DAY, id="full-now"
        ),
        pytest.param(
            make_plan(backup_when_full=False),
            slot_state(free=0),
            FRIDAY_0930 - 3 * DAY,
            FRIDAY_0930 - DAY,
            id="full-waits",
        ),
        pytest.param(
            PLAN, slot_state(), FRIDAY_0930, FRIDAY_0930 - DAY, id="past-due-keeps-its-time"
        ),
        pytest.param(PLAN, slot_state(walkin_released=2), FRIDAY_0930, None, id="done"),
    ],
)
def test_next_release(
    plan: BookingPlan, slot: SlotState, now: datetime, expected: datetime | None
) -> None:
    assert domain.next_release(plan, slot, now) == expected


@pytest.mark.parametrize(
    "plan",
    [
        PLAN,
        make_plan(backup_release_hours=0),
        make_plan(walkin_release_minutes=0, backup_when_full=False),
        make_plan(backup_release_hours=72, walkin_release_minutes=240),
    ],
)
@pytest.mark.parametrize(
    "slot",
    [slot_state(), slot_state(backup_released=True), slot_state(backup=0), slot_state(free=1)],
)
def test_nothing_is_due_before_the_next_release_and_something_from_it(
    plan: BookingPlan, slot: SlotState
) -> None:
    """What lets the jobs read only the slots due: the time is exact both ways."""
    opened = FRIDAY_0930 - 20 * DAY
    due = domain.next_release(plan, slot, opened)
    assert due is not None
    for now in (due - SECOND, due, due + SECOND, due + DAY):
        something = domain.backup_due(plan, slot, now) or domain.walkin_due(plan, slot, now)
        assert something is (now >= due), now


def test_after_the_backup_the_next_release_is_the_walk_ins() -> None:
    assert domain.release_after_backup(
        PLAN, slot_state(free=0), FRIDAY_0930 - 3 * DAY
    ) == FRIDAY_0930 - timedelta(minutes=30)


# -- view -------------------------------------------------------------------------------------

DEC3_0900 = local(2026, 12, 3, 9)
DEC3_END = DEC3_0900 + timedelta(minutes=30)


def test_view_not_open_yet() -> None:
    seen = domain.view(PLAN, DEC3_0900, DEC3_END, None, local(2026, 11, 26, 7), TZ)

    assert seen == Slot(
        id="h1:s1:20261203T0100",
        start=DEC3_0900,
        end=DEC3_END,
        free=0,
        capacity=0,
        state="not_open",
        opens_at=local(2026, 11, 26, 8),
    )


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(FRIDAY_0930 - timedelta(minutes=60), id="at-min-lead"),
        pytest.param(FRIDAY_0930 + timedelta(hours=1), id="past"),
    ],
)
def test_view_without_state_closed(now: datetime) -> None:
    seen = domain.view(PLAN, FRIDAY_0930, FRIDAY_0930 + timedelta(minutes=30), None, now, TZ)

    assert seen.state == "closed"
    assert seen.opens_at is None
    assert (seen.free, seen.capacity) == (0, 0)


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        pytest.param(slot_state(free=3), NOW, ("open", 3, 8), id="open"),
        pytest.param(slot_state(free=1), NOW, ("open", 1, 8), id="last-place"),
        pytest.param(slot_state(free=0), NOW, ("full", 0, 8), id="full"),
        pytest.param(
            slot_state(free=3, backup=0, backup_released=True),
            NOW,
            ("open", 3, 6),
            id="backup-released",
        ),
        pytest.param(
            slot_state(free=3, walkin_released=3), NOW, ("closed", 0, 8), id="walkin-released"
        ),
        pytest.param(
            slot_state(free=3, walkin_released=0), NOW, ("closed", 0, 8), id="walkin-released-0"
        ),
        pytest.param(
            slot_state(free=3),
            FRIDAY_0930 - timedelta(minutes=60) - SECOND,
            ("closed", 0, 8),  # outside the minimum lead, but the same day: not bookable
            id="same-day-before-min-lead",
        ),
        pytest.param(
            slot_state(free=3),
            FRIDAY_0930 - timedelta(minutes=60),
            ("closed", 0, 8),
            id="at-min-lead",
        ),
        pytest.param(slot_state(free=0), FRIDAY_0930, ("closed", 0, 8), id="full-and-started"),
    ],
)
def test_view_with_state(state: SlotState, now: datetime, expected: tuple[str, int, int]) -> None:
    end = FRIDAY_0930 + timedelta(minutes=30)

    seen = domain.view(PLAN, FRIDAY_0930, end, state, now, TZ)

    assert (seen.state, seen.free, seen.capacity) == expected
    assert seen.id == "h1:s1:20261127T0130"
    assert (seen.start, seen.end, seen.opens_at) == (FRIDAY_0930, end, None)


def test_view_slot_later_today_is_not_open() -> None:
    start = local(2026, 11, 26, 16, 30)  # NOW is 10:00 the same day, well outside min lead
    state = slot_state(start, free=3)

    seen = domain.view(PLAN, start, start + timedelta(minutes=30), state, NOW, TZ)

    with pytest.raises(errors.SlotInPast):
        domain.check_slot(PLAN, start, NOW, TZ)
    assert seen.state == "closed"
    assert seen.free == 0


# -- cancel -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [pytest.param(s, id=s.value) for s in AppointmentState if s is not AppointmentState.BOOKED],
)
def test_check_cancel_only_booked(state: AppointmentState) -> None:
    with pytest.raises(errors.NotCancellable) as exc:
        domain.check_cancel(PLAN, appointment(state=state), NOW)
    assert exc.value.code == "NOT_CANCELLABLE"
    assert exc.value.details == {"state": state.value}


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(NOW, id="day-before"),
        pytest.param(FRIDAY_0930 - timedelta(minutes=120), id="exactly-at-deadline"),
    ],
)
def test_check_cancel_allowed(now: datetime) -> None:
    domain.check_cancel(PLAN, appointment(), now)  # no error


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(FRIDAY_0930 - timedelta(minutes=120) + SECOND, id="one-second-late"),
        pytest.param(FRIDAY_0930, id="at-slot"),
    ],
)
def test_check_cancel_too_late(now: datetime) -> None:
    with pytest.raises(errors.CancelTooLate) as exc:
        domain.check_cancel(PLAN, appointment(), now)
    assert exc.value.code == "CANCEL_TOO_LATE"
    assert exc.value.details == {"deadline": "2026-11-26T23:30:00+00:00"}


def test_check_cancel_zero_deadline() -> None:
    plan = make_plan(cancel_deadline_minutes=0)

    domain.check_cancel(plan, appointment(), FRIDAY_0930)  # no error
    with pytest.raises(errors.CancelTooLate):
        domain.check_cancel(plan, appointment(), FRIDAY_0930 + SECOND)


# -- people -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(id_number(1), id_number(1), id="conftest-1"),
        pytest.param(id_number(500), id_number(500), id="conftest-500"),
        pytest.param("11010519491231002X", "11010519491231002X", id="real-format-X"),
        pytest.param("11010519491231002x", "11010519491231002X", id="lower-x-normalised"),
        pytest.param(" 11010519491231002X\n", "11010519491231002X", id="whitespace-stripped"),
        pytest.param(
            with_check_digit("11010520000229123"),
            with_check_digit("11010520000229123"),
            id="leap-day",
        ),
    ],
)
def test_check_id_number_valid(raw: str, expected: str) -> None:
    assert domain.check_id_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("110105194912310021", id="wrong-check-digit"),
        pytest.param("11010519491231002Y", id="letter-not-x"),
        pytest.param(with_check_digit("11010519900230123"), id="february-30"),
        pytest.param(with_check_digit("11010519901301123"), id="month-13"),
        pytest.param(with_check_digit("11010519900100123"), id="day-0"),
        pytest.param(with_check_digit("11010519010229123"), id="not-a-leap-year"),
        pytest.param(with_check_digit("11010518991231123"), id="before-1900"),
        pytest.param("11010519491231002", id="17-chars"),
        pytest.param("11010519491231002X1", id="19-chars"),
        pytest.param("110105491231002", id="15-digit-old-format"),
        pytest.param("", id="empty"),
        pytest.param("1101051949123X0020", id="x-inside"),
    ],
)
def test_check_id_number_invalid(raw: str) -> None:
    with pytest.raises(errors.InvalidIdNumber) as exc:
        domain.check_id_number(raw)
    assert exc.value.code == "INVALID_ID_NUMBER"
    assert exc.value.status == 422


def test_check_id_number_full_width_digits_not_a_second_person() -> None:
    full_width = "１１０１０５１９４９１２３１００２X"
    try:
        value = domain.check_id_number(full_width)
    except errors.InvalidIdNumber:
        return
    assert value == "11010519491231002X"


def test_person_key() -> None:
    number = "11010519491231002X"

    key = domain.person_key(number, b"pepper")

    # Stored with bookings, strikes and the blacklist: must never change.
    assert key == "648c14370b6089f75cf811500087162b"
    assert domain.person_key(number, b"pepper") == key
    assert domain.person_key(number, b"other") == "2b5d199ebb1126cc52c7b2e2b2b1ff4c"
    assert domain.person_key(id_number(2), b"pepper") != key
    assert len(key) == 32
    assert set(key) <= set("0123456789abcdef")
    assert number not in key
    assert number[:-1] not in key


def test_person_key_same_for_lower_and_upper_x() -> None:
    lower = domain.person_key(domain.check_id_number("11010519491231002x"), b"pepper")
    upper = domain.person_key(domain.check_id_number("11010519491231002X"), b"pepper")

    assert lower == upper == "648c14370b6089f75cf811500087162b"


def test_hold_key() -> None:
    assert domain.hold_key("abc123", "s1", "2026-11-27") == "abc123:s1:2026-11-27"


RULES = AbuseRules()
PERIOD = timedelta(days=30)


@pytest.mark.parametrize(
    ("rules", "strikes", "expected"),
    [
        pytest.param(RULES, [], None, id="none"),
        pytest.param(RULES, [strike(StrikeKind.NO_SHOW, NOW)], None, id="one-no-show"),
        pytest.param(
            RULES,
            [strike(StrikeKind.NO_SHOW, NOW, 1), strike(StrikeKind.NO_SHOW, NOW - DAY, 2)],
            (Verdict.NO_SHOWS, "30 天内爽约 2 次"),
            id="two-no-shows",
        ),
        pytest.param(
            RULES,
            [strike(StrikeKind.NO_SHOW, NOW - i * DAY, i) for i in range(3)],
            (Verdict.NO_SHOWS, "30 天内爽约 3 次"),
            id="three-no-shows",
        ),
        pytest.param(
            RULES,
            [strike(StrikeKind.NO_SHOW, NOW, 1), strike(StrikeKind.NO_SHOW, NOW - PERIOD, 2)],
            (Verdict.NO_SHOWS, "30 天内爽约 2 次"),
            id="no-show-exactly-at-period-start",
        ),
        pytest.param(
            RULES,
            [
                strike(StrikeKind.NO_SHOW, NOW, 1),
                strike(StrikeKind.NO_SHOW, NOW - PERIOD - SECOND, 2),
            ],
            None,
            id="old-no-show-ignored",
        ),
        pytest.param(
            RULES,
            [strike(StrikeKind.CANCEL, NOW - i * DAY, i) for i in range(4)],
            None,
            id="four-cancels",
        ),
        pytest.param(
            RULES,
            [strike(StrikeKind.CANCEL, NOW - i * DAY, i) for i in range(5)],
            (Verdict.CANCELS, "30 天内取消预约 5 次"),
            id="five-cancels",
        ),
        pytest.param(
            RULES,
            [
                *[strike(StrikeKind.CANCEL, NOW - i * DAY, i) for i in range(4)],
                strike(StrikeKind.CANCEL, NOW - PERIOD - SECOND, 9),
            ],
            None,
            id="old-cancel-ignored",
        ),
        pytest.param(
            RULES,
            [strike(StrikeKind.SAME_MATTER, NOW - DAY)],
            (Verdict.SAME_MATTER, "同一事项一天内预约超过 3 次"),
            id="same-matter",
        ),
        pytest.param(
            RULES,
            [strike(StrikeKind.SAME_MATTER, NOW - PERIOD - SECOND)],
            None,
            id="old-same-matter",
        ),
        pytest.param(
            RULES,
            [
                strike(StrikeKind.SAME_MATTER, NOW, 20),
                *[strike(StrikeKind.CANCEL, NOW, i) for i in range(5)],
                *[strike(StrikeKind.NO_SHOW, NOW, 10 + i) for i in range(2)],
            ],
            (Verdict.NO_SHOWS, "30 天内爽约 2 次"),
            id="no-shows-first",
        ),
        pytest.param(
            RULES,
            [
                strike(StrikeKind.SAME_MATTER, NOW, 20),
                *[strike(StrikeKind.CANCEL, NOW, i) for i in range(5)],
            ],
            (Verdict.CANCELS, "30 天内取消预约 5 次"),
            id="cancels-before-same-matter",
        ),
        pytest.param(
            AbuseRules(period_days=7, no_show_limit=1, same_matter_daily_limit=5),
            [strike(StrikeKind.NO_SHOW, NOW - 7 * DAY)],
            (Verdict.NO_SHOWS, "7 天内爽约 1 次"),
            id="custom-rules",
        ),
        pytest.param(
            AbuseRules(same_matter_daily_limit=5),
            [strike(StrikeKind.SAME_MATTER, NOW)],
            (Verdict.SAME_MATTER, "同一事项一天内预约超过 5 次"),
            id="custom-same-matter-limit",
        ),
    ],
)
def test_abuse_verdict(
    rules: AbuseRules, strikes: list[Strike], expected: tuple[Verdict, str] | None
) -> None:
    assert domain.abuse_verdict(rules, strikes, NOW) == expected


@pytest.mark.parametrize(
    ("strikes", "due"),
    [
        pytest.param([], False, id="clean"),
        pytest.param([strike(StrikeKind.NO_SHOW, NOW - DAY)], True, id="first-no-show"),
        pytest.param([strike(StrikeKind.NO_SHOW, NOW - PERIOD)], True, id="at-period-start"),
        pytest.param([strike(StrikeKind.NO_SHOW, NOW - PERIOD - SECOND)], False, id="old-no-show"),
        pytest.param(
            [strike(StrikeKind.NO_SHOW, NOW, 1), strike(StrikeKind.NO_SHOW, NOW, 2)],
            False,
            id="suspended",
        ),
        pytest.param(
            [strike(StrikeKind.CANCEL, NOW, i) for i in range(4)], False, id="cancels-only"
        ),
        pytest.param([strike(StrikeKind.SAME_MATTER, NOW)], False, id="same-matter-only"),
        pytest.param(
            [
                strike(StrikeKind.NO_SHOW, NOW, 1),
                *[strike(StrikeKind.CANCEL, NOW, i) for i in range(4)],
            ],
            True,
            id="no-show-and-cancels",
        ),
    ],
)
def test_warning_due(strikes: list[Strike], due: bool) -> None:
    assert domain.warning_due(RULES, strikes, NOW) is due


# -- check-in ---------------------------------------------------------------------------------

MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("plan", "offset", "expected"),
    [
        pytest.param(PLAN, -2 * 60 * MINUTE, Arrival.EARLY, id="two-hours-early"),
        pytest.param(PLAN, -30 * MINUTE - SECOND, Arrival.EARLY, id="30min-and-1s-early"),
        pytest.param(PLAN, -30 * MINUTE, Arrival.ON_TIME, id="exactly-30min-early"),
        pytest.param(PLAN, timedelta(0), Arrival.ON_TIME, id="at-slot"),
        pytest.param(PLAN, 15 * MINUTE, Arrival.ON_TIME, id="exactly-15min-late"),
        pytest.param(PLAN, 15 * MINUTE + SECOND, Arrival.LATE, id="15min-and-1s-late"),
        pytest.param(PLAN, 60 * MINUTE, Arrival.LATE, id="an-hour-late"),
        pytest.param(
            make_plan(checkin_early_minutes=0), -SECOND, Arrival.EARLY, id="no-early-window"
        ),
        pytest.param(
            make_plan(checkin_late_minutes=0), timedelta(0), Arrival.ON_TIME, id="no-late-at-slot"
        ),
        pytest.param(make_plan(checkin_late_minutes=0), SECOND, Arrival.LATE, id="no-late-window"),
    ],
)
def test_arrival(plan: BookingPlan, offset: timedelta, expected: Arrival) -> None:
    assert domain.arrival(plan, appointment(), FRIDAY_0930 + offset) is expected


def test_check_in_from_queue_time_and_reminder() -> None:
    booked = appointment()

    assert domain.check_in_from(PLAN, booked) == utc(2026, 11, 27, 1, 0)
    assert domain.check_in_from(make_plan(checkin_early_minutes=10), booked) == utc(
        2026, 11, 27, 1, 20
    )
    assert domain.queue_time(PLAN, booked) == utc(2026, 11, 27, 1, 25)
    assert domain.queue_time(make_plan(queue_lead_minutes=0), booked) == FRIDAY_0930
    assert domain.reminder_at(PLAN, booked) == utc(2026, 11, 26, 7, 30)
    assert domain.reminder_at(make_plan(reminder_hours=0), booked) == FRIDAY_0930


@pytest.mark.parametrize(
    ("state", "offset", "due"),
    [
        pytest.param(AppointmentState.BOOKED, 15 * MINUTE, False, id="booked-at-late-limit"),
        pytest.param(
            AppointmentState.BOOKED, 15 * MINUTE + SECOND, True, id="booked-after-late-limit"
        ),
        pytest.param(AppointmentState.BOOKED, -DAY, False, id="booked-day-before"),
        pytest.param(AppointmentState.CHECKED_IN, DAY, False, id="checked-in"),
        pytest.param(AppointmentState.CANCELLED, DAY, False, id="cancelled"),
        pytest.param(AppointmentState.PENDING, DAY, False, id="pending"),
        pytest.param(AppointmentState.NO_SHOW, DAY, False, id="already-no-show"),
        pytest.param(AppointmentState.FAILED, DAY, False, id="failed"),
    ],
)
def test_no_show_due(state: AppointmentState, offset: timedelta, due: bool) -> None:
    assert domain.no_show_due(PLAN, appointment(state=state), FRIDAY_0930 + offset) is due


SECRET = b"secret"


def test_hall_code() -> None:
    code = domain.hall_code("h1", SECRET)

    # Printed and posted in the hall: must never change.
    assert code == "h1.c85bc6c2671c5899"
    assert domain.hall_code("h1", b"other") != code
    domain.check_hall_code(code, "h1", SECRET)  # no error


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(domain.hall_code("h2", SECRET), id="another-halls-code"),
        pytest.param("h1.c85bc6c2671c5898", id="tampered-tag"),
        pytest.param("h2.c85bc6c2671c5899", id="tampered-hall"),
        pytest.param(domain.hall_code("h1", b"other"), id="other-secret"),
        pytest.param("h1.c85bc6c2671c589", id="truncated"),
        pytest.param("h1.", id="no-tag"),
        pytest.param("", id="empty"),
    ],
)
def test_check_hall_code_invalid(code: str) -> None:
    with pytest.raises(errors.HallCodeInvalid) as exc:
        domain.check_hall_code(code, "h1", SECRET)
    assert exc.value.code == "HALL_CODE_INVALID"


def test_check_hall_code_non_ascii_is_invalid() -> None:
    with pytest.raises(errors.HallCodeInvalid):
        domain.check_hall_code("大厅.c85bc6c2671c5899", "h1", SECRET)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        pytest.param(FRIDAY_0930, "11月27日 09:30", id="utc-input"),
        pytest.param(local(2026, 11, 27, 9, 30), "11月27日 09:30", id="local-input"),
        pytest.param(utc(2026, 3, 4, 23, 5), "3月5日 07:05", id="single-digits-next-day"),
        pytest.param(utc(2026, 12, 31, 16, 0), "1月1日 00:00", id="new-year"),
    ],
)
def test_local_text(moment: datetime, text: str) -> None:
    assert domain.local_text(moment, TZ) == text


# -- statistics -------------------------------------------------------------------------------


def test_statistics() -> None:
    s = AppointmentState
    rows = [
        # 27th, s1: 3 checked in (1 late), 1 no-show, 1 cancelled, 1 booked, 2 failed
        (s.CHECKED_IN, "2026-11-27", "s1", ""),
        (s.NO_SHOW, "2026-11-27", "s1", ""),
        (s.FAILED, "2026-11-27", "s1", "没有号源"),
        (s.CHECKED_IN, "2026-11-27", "s1", "迟到，按现场取号排队"),
        (s.CANCELLED, "2026-11-27", "s1", ""),
        (s.BOOKED, "2026-11-27", "s1", ""),
        (s.FAILED, "2026-11-27", "s1", ""),
        (s.CHECKED_IN, "2026-11-27", "s1", ""),
        # 30th, s1: 2 checked in, 1 no-show
        (s.NO_SHOW, "2026-11-30", "s1", "未到场"),  # a reason, but not late
        (s.CHECKED_IN, "2026-11-30", "s1", ""),
        (s.CHECKED_IN, "2026-11-30", "s1", ""),
        # 27th, s0: cancelled only
        (s.CANCELLED, "2026-11-27", "s0", "行程有变"),
        # 26th, s2: not yet come
        (s.BOOKED, "2026-11-26", "s2", ""),
        (s.PENDING, "2026-11-26", "s2", ""),
        # 1st, s1: failed only (no row)
        (s.FAILED, "2026-12-01", "s1", ""),
    ]
    appointments = [
        appointment(n, state=state, day=day, service_id=service, reason=reason)
        for n, (state, day, service, reason) in enumerate(rows)
    ]

    assert domain.statistics(appointments) == [
        StatsRow("2026-11-26", "s2", booked=2, fulfilment_rate=None, no_show_rate=0.0),
        StatsRow(
            "2026-11-27", "s0", booked=1, cancelled=1, fulfilment_rate=None, no_show_rate=None
        ),
        StatsRow(
            "2026-11-27",
            "s1",
            booked=6,
            checked_in=3,
            late=1,
            no_show=1,
            cancelled=1,
            fulfilment_rate=0.75,
            no_show_rate=0.2,
        ),
        StatsRow(
            "2026-11-30",
            "s1",
            booked=3,
            checked_in=2,
            no_show=1,
            fulfilment_rate=0.667,
            no_show_rate=0.333,
        ),
    ]


def test_statistics_empty() -> None:
    assert domain.statistics([]) == []
    assert domain.statistics([appointment(state=AppointmentState.FAILED)]) == []


def test_statistics_all_no_shows() -> None:
    appointments = [appointment(n, state=AppointmentState.NO_SHOW) for n in range(3)]

    [row] = domain.statistics(appointments)

    assert (row.booked, row.no_show, row.fulfilment_rate, row.no_show_rate) == (3, 3, 0.0, 1.0)


def test_stats_columns_cover_the_row() -> None:
    assert [key for key, _ in domain.STATS_COLUMNS] == list(StatsRow.__dataclass_fields__)

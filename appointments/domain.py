"""Pure rules of the appointment center. No I/O.

Days and slots. A plan's windows (e.g. 09:00–12:00 and 13:30–17:00, Monday to Friday) are cut
into slots of `slot_minutes`. Working days are the windows' weekdays plus `extra_dates`
(working weekends, 调休) minus `closed_dates` (holidays). Citizens book from the next working
day up to `horizon_days` working days ahead; the furthest day opens (放号) at `opens_at` local
time, `horizon_days` working days before it. No booking closer to a slot than
`min_lead_minutes`.

Places. A slot's places are the share of the counters' capacity held for bookings: the
counters serving the service can finish `slot_minutes / expected_minutes` tickets each in a
slot (divided among the services a counter serves), times the booking share. With `dynamic`
the share follows the load the hall saw at that hour in recent weeks (`dynamic_share`): at
peaks bookings get more (they spread the crowd), in quiet hours walk-ins need no protection
from them. Of the places, `backup_share` is held back (备用号源) and released
`backup_release_hours` before the slot, or as soon as the rest is booked out. Places still free
`walkin_release_minutes` before the slot are handed to walk-ins.

People. One active booking per person, service and day; more than `same_matter_daily_limit`
bookings of one service in a day, `no_show_limit` no-shows or `cancel_limit` cancellations in
`period_days` suspend booking for `blacklist_days`. A cancellation or change must come
`cancel_deadline_minutes` before the slot.

Check-in. Inside [slot - early, slot + late] a booking becomes a ticket queued as if it came
`queue_lead_minutes` before its slot, called first from then on (the queueing policy's
appointment window); earlier, the citizen is told when to come back; later, it becomes an
ordinary walk-in ticket (`late_becomes_walkin`) or is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from appointments import errors
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
from hub.privacy import valid_id_number

TARGET_LOAD = 0.85  # the load at which the configured share holds


# -- days and slots ---------------------------------------------------------------------------


def is_working_day(plan: BookingPlan, day: date) -> bool:
    if day in plan.closed_dates:
        return False
    if day in plan.extra_dates:
        return True
    return any(day.isoweekday() in w.weekdays for w in plan.windows)


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def slot_times(plan: BookingPlan, day: date, timezone: str) -> list[tuple[datetime, datetime]]:
    """The day's slots as (start, end) in UTC; none on a non-working day. A working weekend
    (调休) follows the Monday windows."""
    if not is_working_day(plan, day):
        return []
    zone = ZoneInfo(timezone)
    weekday = 1 if day in plan.extra_dates else day.isoweekday()
    length = timedelta(minutes=plan.slot_minutes)
    slots: list[tuple[datetime, datetime]] = []
    for window in sorted(plan.windows, key=lambda w: w.opens):
        if weekday not in window.weekdays:
            continue
        start = datetime.combine(day, window.opens, zone)
        closes = datetime.combine(day, window.closes, zone)
        while start + length <= closes:
            slots.append((start.astimezone(UTC), (start + length).astimezone(UTC)))
            start += length
    return slots


def slot_id(hall_id: str, service_id: str, start: datetime) -> str:
    return f"{hall_id}:{service_id}:{start.astimezone(UTC):%Y%m%dT%H%M}"


def working_days_after(plan: BookingPlan, day: date, count: int) -> list[date]:
    """The next `count` working days after `day`."""
    found: list[date] = []
    current = day
    for _ in range(count * 7 + 60):  # holidays can be long (Spring Festival)
        if len(found) == count:
            break
        current += timedelta(days=1)
        if is_working_day(plan, current):
            found.append(current)
    return found


def opens_at(plan: BookingPlan, day: date, timezone: str) -> datetime:
    """When `day` becomes bookable: `opens_at` local time on the working day that is
    `horizon_days` working days before it (or, if fewer exist, the calendar day that far)."""
    current = day
    back = 0
    for _ in range(plan.horizon_days * 7 + 60):
        current -= timedelta(days=1)
        if is_working_day(plan, current):
            back += 1
            if back == plan.horizon_days:
                break
    return datetime.combine(current, plan.opens_at, ZoneInfo(timezone))


def bookable_days(plan: BookingPlan, now: datetime, timezone: str) -> list[date]:
    """The days a citizen can book now: opened, not today, within the horizon."""
    today = local_day(now, timezone)
    ahead = working_days_after(plan, today, plan.horizon_days + 1)
    return [d for d in ahead if opens_at(plan, d, timezone) <= now]


# -- places -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CounterLoad:
    """A counter serving the service: the service's expected minutes and how many services
    the counter shares its time among."""

    expected_minutes: float
    services: int


def counter_places(slot_minutes: int, counters: Iterable[CounterLoad]) -> float:
    """Tickets of this service the counters can finish in one slot."""
    return sum(slot_minutes / max(c.expected_minutes, 0.5) / max(c.services, 1) for c in counters)


def dynamic_share(plan: BookingPlan, load: float | None) -> float:
    """The booking share for a slot whose hour had `load` (arrivals over capacity, recent
    weeks): proportional to the load around TARGET_LOAD, within the plan's bounds."""
    if not plan.dynamic or load is None:
        return plan.share
    return min(max(plan.share * load / TARGET_LOAD, plan.min_share), plan.max_share)


def places(plan: BookingPlan, counter_capacity: float, share: float) -> tuple[int, int]:
    """(regular, backup) places of a slot."""
    # (a hair added: 100 x 0.29 is 28.999… in floating point, and means 29)
    total = (
        plan.capacity if plan.capacity is not None else math.floor(counter_capacity * share + 1e-9)
    )
    backup = min(total, round(total * plan.backup_share))
    return total - backup, backup


def new_slot(
    plan: BookingPlan,
    start: datetime,
    end: datetime,
    day: date,
    counter_capacity: float,
    share: float,
    now: datetime,
) -> SlotState:
    regular, backup = places(plan, counter_capacity, share)
    return SlotState(
        id=slot_id(plan.hall_id, plan.service_id, start),
        hall_id=plan.hall_id,
        service_id=plan.service_id,
        day=day.isoformat(),
        start=start,
        end=end,
        capacity=regular,
        backup=backup,
        free=regular,
        share=round(share, 3),
        opened_at=now,
    )


def backup_due(plan: BookingPlan, slot: SlotState, now: datetime) -> bool:
    if slot.backup_released or slot.backup == 0 or slot.walkin_released is not None:
        return False
    if plan.backup_when_full and slot.free == 0:
        return True
    return now >= slot.start - timedelta(hours=plan.backup_release_hours)


def walkin_due(plan: BookingPlan, slot: SlotState, now: datetime) -> bool:
    return slot.walkin_released is None and now >= slot.start - timedelta(
        minutes=plan.walkin_release_minutes
    )


def next_release(plan: BookingPlan, slot: SlotState, now: datetime) -> datetime | None:
    """When the jobs next have places of the slot to release (its backup, then its free
    places to walk-ins), None once they went to walk-ins: from then on `backup_due` or
    `walkin_due` is true, before it neither (as long as the slot stays as it is). Booked out
    with the plan's `backup_when_full`, its backup is due from `now`."""
    if slot.walkin_released is not None:
        return None
    times = [slot.start - timedelta(minutes=plan.walkin_release_minutes)]
    if not slot.backup_released and slot.backup > 0:
        times.append(slot.start - timedelta(hours=plan.backup_release_hours))
        if plan.backup_when_full and slot.free == 0:
            times.append(now)
    return min(times)


def release_after_backup(plan: BookingPlan, slot: SlotState, now: datetime) -> datetime | None:
    """The slot's next release once its backup places are released."""
    released = slot.model_copy(update={"backup_released": True, "free": slot.free + slot.backup})
    return next_release(plan, released, now)


def view(
    plan: BookingPlan,
    start: datetime,
    end: datetime,
    state: SlotState | None,
    now: datetime,
    timezone: str,
) -> Slot:
    """A slot as a citizen sees it."""
    ident = slot_id(plan.hall_id, plan.service_id, start)
    # Booking is from the next day on (check_slot): today's slots are closed to booking.
    too_late = start - timedelta(minutes=plan.min_lead_minutes) <= now or local_day(
        start, timezone
    ) <= local_day(now, timezone)
    if state is None:
        opening = opens_at(plan, start.astimezone(ZoneInfo(timezone)).date(), timezone).astimezone(
            UTC
        )
        closed = too_late
        return Slot(
            id=ident,
            start=start,
            end=end,
            free=0,
            capacity=0,
            state="closed" if closed else "not_open",
            opens_at=None if closed else opening,
        )
    closed = too_late or state.walkin_released is not None
    return Slot(
        id=ident,
        start=start,
        end=end,
        free=0 if closed else state.free,
        capacity=state.capacity + state.backup,
        state="closed" if closed else ("open" if state.free > 0 else "full"),
    )


# -- booking ----------------------------------------------------------------------------------


def check_slot(
    plan: BookingPlan, start: datetime, now: datetime, timezone: str
) -> tuple[date, datetime]:
    """The day and end of a slot a citizen may book now, or the reason not."""
    if not plan.enabled:
        raise errors.PlanNotFound()
    day = local_day(start, timezone)
    if not is_working_day(plan, day):
        raise errors.ClosedDay()
    match = [s for s in slot_times(plan, day, timezone) if s[0] == start]
    if not match:
        raise errors.NoSuchSlot()
    if start - timedelta(minutes=plan.min_lead_minutes) <= now or day <= local_day(now, timezone):
        raise errors.SlotInPast()
    if day not in bookable_days(plan, now, timezone):
        # The day after the horizon opens at the next `opens_at`: "not open yet" says when.
        ahead = working_days_after(plan, local_day(now, timezone), plan.horizon_days + 1)
        if ahead and day > ahead[-1]:
            last = ahead[-2] if len(ahead) > 1 else ahead[-1]
            raise errors.BeyondHorizon(last_day=last.isoformat())
        raise errors.NotOpenYet(opens_at=opens_at(plan, day, timezone).isoformat())
    return day, match[0][1]


def check_cancel(plan: BookingPlan, appointment: Appointment, now: datetime) -> None:
    if appointment.state is not AppointmentState.BOOKED:
        raise errors.NotCancellable(state=appointment.state.value)
    deadline = appointment.slot_start - timedelta(minutes=plan.cancel_deadline_minutes)
    if now > deadline:
        raise errors.CancelTooLate(deadline=deadline.isoformat())


def appointment_code(plan: BookingPlan, seq: int) -> str:
    """The code a booking is known by: the plan's prefix and the hall day's number (one counter
    per hall and day across services, so unique within the hall's day, not beyond it)."""
    return f"{plan.prefix}{seq:04d}"


def code_text(day: str, code: str) -> str:
    """The code as the citizen is told to remember it, with its day (12月4日 Y0003): the same
    code is another booking on another day."""
    when = date.fromisoformat(day)
    return f"{when.month}月{when.day}日 {code}"


def read_code(raw: str) -> str | None:
    """The code a clerk typed ("y0003", "Y3", "12月4日 Y0003"), as stored ("Y0003"), or None
    when it cannot be one."""
    token = unicodedata.normalize("NFKC", raw).strip().upper().split()[-1:] or [""]
    found = re.fullmatch(r"([A-Z]{1,2})0*([0-9]{1,6})", token[0])
    if found is None:
        return None
    return f"{found.group(1)}{int(found.group(2)):04d}"


# -- people -----------------------------------------------------------------------------------


def check_id_number(id_number: str) -> str:
    """A mainland resident ID number, uppercase; InvalidIdNumber when the check digit or
    birth date is wrong."""
    # A Chinese keyboard may type full-width digits (１１０…): the same number, one person.
    value = unicodedata.normalize("NFKC", id_number).strip().upper()
    if not valid_id_number(value):
        raise errors.InvalidIdNumber()
    return value


def person_key(id_number: str, pepper: bytes) -> str:
    """The keyed hash naming a person for the appointment center (limits, holds, strikes and
    the blacklist); never the ID number itself. The blacklist suspends booking only: it does
    not refuse walk-in tickets (a product decision)."""
    return hmac.new(pepper, id_number.encode(), hashlib.sha256).hexdigest()[:32]


def hold_key(person: str, service_id: str, day: str) -> str:
    return f"{person}:{service_id}:{day}"


class Verdict(StrEnum):
    NO_SHOWS = "no_shows"
    CANCELS = "cancels"
    SAME_MATTER = "same_matter"


def abuse_verdict(
    rules: AbuseRules, strikes: Sequence[Strike], now: datetime
) -> tuple[Verdict, str] | None:
    """Whether the strikes in the period suspend the person, and why (in Chinese)."""
    since = now - timedelta(days=rules.period_days)
    recent = [s for s in strikes if s.at >= since]
    no_shows = sum(s.kind is StrikeKind.NO_SHOW for s in recent)
    cancels = sum(s.kind is StrikeKind.CANCEL for s in recent)
    if no_shows >= rules.no_show_limit:
        return Verdict.NO_SHOWS, f"{rules.period_days} 天内爽约 {no_shows} 次"
    if cancels >= rules.cancel_limit:
        return Verdict.CANCELS, f"{rules.period_days} 天内取消预约 {cancels} 次"
    if any(s.kind is StrikeKind.SAME_MATTER for s in recent):
        return Verdict.SAME_MATTER, f"同一事项一天内预约超过 {rules.same_matter_daily_limit} 次"
    return None


def warning_due(rules: AbuseRules, strikes: Sequence[Strike], now: datetime) -> bool:
    """After the first no-show in the period (and before a suspension) the citizen is warned."""
    since = now - timedelta(days=rules.period_days)
    no_shows = sum(s.kind is StrikeKind.NO_SHOW and s.at >= since for s in strikes)
    return 0 < no_shows < rules.no_show_limit


# -- check-in ---------------------------------------------------------------------------------


class Arrival(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


def check_in_window(plan: BookingPlan, slot_start: datetime) -> tuple[datetime, datetime]:
    """[from, until] of a slot's check-in: the ONE place the window is worked out. Every text
    that states it (the H5 pages, the messages, the back office) is made from these times or
    from the plan's two settings, never written out."""
    return (
        slot_start - timedelta(minutes=plan.checkin_early_minutes),
        slot_start + timedelta(minutes=plan.checkin_late_minutes),
    )


def arrival(plan: BookingPlan, appointment: Appointment, now: datetime) -> Arrival:
    opens, closes = check_in_window(plan, appointment.slot_start)
    if now < opens:
        return Arrival.EARLY
    if now > closes:
        return Arrival.LATE
    return Arrival.ON_TIME


def check_in_from(plan: BookingPlan, appointment: Appointment) -> datetime:
    return check_in_window(plan, appointment.slot_start)[0]


def window_text(opens: datetime, closes: datetime, timezone: str) -> str:
    """A check-in window as people in the hall say it: 11月27日 09:00–09:45 (the day once)."""
    start, end = opens.astimezone(ZoneInfo(timezone)), closes.astimezone(ZoneInfo(timezone))
    until = f"{end:%H:%M}" if start.date() == end.date() else local_text(closes, timezone)
    return f"{local_text(opens, timezone)}–{until}"


def slots_to_check_in_now(
    plan: BookingPlan, now: datetime, timezone: str
) -> list[tuple[datetime, datetime]]:
    """Today's slots whose check-in window holds `now` (a booking made for demo data must be
    one a citizen can check in with at once): the ones still to start first, soonest first,
    then the ones under way, latest first."""
    today = local_day(now, timezone)
    open_now = [
        (start, end)
        for start, end in slot_times(plan, today, timezone)
        if check_in_window(plan, start)[0] <= now <= check_in_window(plan, start)[1]
    ]
    ahead = [s for s in open_now if s[0] >= now]
    under_way = sorted((s for s in open_now if s[0] < now), reverse=True)
    return ahead + under_way


def queue_time(plan: BookingPlan, appointment: Appointment) -> datetime:
    """Where a checked-in booking stands in the queue: as if it came just before its slot (a
    citizen who came early does not pass walk-ins who came before the slot)."""
    return appointment.slot_start - timedelta(minutes=plan.queue_lead_minutes)


def no_show_due(plan: BookingPlan, appointment: Appointment, now: datetime) -> bool:
    return (
        appointment.state is AppointmentState.BOOKED
        and now > check_in_window(plan, appointment.slot_start)[1]
    )


def reminder_at(plan: BookingPlan, appointment: Appointment) -> datetime:
    return appointment.slot_start - timedelta(hours=plan.reminder_hours)


def hall_code(hall_id: str, secret: bytes) -> str:
    """What the hall's check-in QR code carries: the hall and a keyed tag, so a photo of
    another hall's code (or a made-up one) does not check anyone in here."""
    tag = hmac.new(secret, f"checkin:{hall_id}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"{hall_id}.{tag}"


def check_hall_code(code: str, hall_id: str, secret: bytes) -> None:
    if not hmac.compare_digest(code.encode(), hall_code(hall_id, secret).encode()):
        raise errors.HallCodeInvalid()


def local_text(moment: datetime, timezone: str) -> str:
    """A time as people in the hall say it: 11月27日 09:30."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.month}月{local.day}日 {local:%H:%M}"


# -- statistics -------------------------------------------------------------------------------

STATS_COLUMNS = (
    ("day", "日期"),
    ("service_id", "事项"),
    ("booked", "预约数"),
    ("checked_in", "签到"),
    ("late", "迟到转现场"),
    ("no_show", "爽约"),
    ("cancelled", "取消"),
    ("fulfilment_rate", "履约率"),
    ("no_show_rate", "爽约率"),
)


@dataclass
class StatsRow:
    day: str
    service_id: str
    booked: int = 0
    checked_in: int = 0
    late: int = 0
    no_show: int = 0
    cancelled: int = 0
    fulfilment_rate: float | None = None
    no_show_rate: float | None = None


_COUNTED = {
    AppointmentState.CHECKED_IN: "checked_in",
    AppointmentState.NO_SHOW: "no_show",
    AppointmentState.CANCELLED: "cancelled",
}


def statistics(appointments: Iterable[Appointment]) -> list[StatsRow]:
    """Per day and service: bookings made (not failed), checked in (of which late), no-shows,
    cancellations; fulfilment = checked in / (checked in + no-shows); no-show rate = no-shows /
    bookings not cancelled."""
    rows: dict[tuple[str, str], StatsRow] = {}
    for a in appointments:
        if a.state is AppointmentState.FAILED:
            continue
        row = rows.setdefault((a.day, a.service_id), StatsRow(a.day, a.service_id))
        row.booked += 1
        if field := _COUNTED.get(a.state):
            setattr(row, field, getattr(row, field) + 1)
        if a.state is AppointmentState.CHECKED_IN and a.reason:
            row.late += 1
    for row in rows.values():
        if row.checked_in + row.no_show:
            row.fulfilment_rate = round(row.checked_in / (row.checked_in + row.no_show), 3)
        if row.booked > row.cancelled:
            row.no_show_rate = round(row.no_show / (row.booked - row.cancelled), 3)
    return [rows[k] for k in sorted(rows)]

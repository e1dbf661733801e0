"""Pure rules of the queueing domain: (state, command, now) -> (new state, events). No I/O.

The calling policy (`choose_next`), in order:

1. Only tickets this counter may serve: waiting (not parked), of a service the counter serves
   and not sent to another counter, or sent to this counter by a transfer.
2. Anyone who has waited `max_wait_minutes` or more goes first, longest wait first: no class
   of ticket starves, and the hall's maximum wait is a promise to walk-ins too.
3. Appointments inside their window [slot - early, slot + late] go next, earliest slot first: a
   booking is served on time. A booking checked in early is queued as if it came just before
   its slot (the appointment center sets its queue time), so it does not pass walk-ins who
   came before; with early = 0 it waits for its slot like everyone else, then goes first.
4. Priority and normal tickets mix: after `normal_per_priority` normal calls at this counter, a
   waiting priority ticket (not a booking still waiting for its slot) is called (highest tag
   weight, then longest wait); so priority tickets do not jump the whole line. With no normal
   ticket waiting, priority ones go.
5. Normal tickets: the longest wait weighted by the counter's weight for the service; equal
   weights mean first come, first served.
6. Ties: earlier queue time, then lower number — never last come, first served.

A ticket's queue time is its issue time, kept when it is transferred.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.events.types import Event
from hub.privacy import mask_id_number, mask_name, mask_phone, valid_id_number
from queueing import errors, events
from queueing.models import (
    AT_COUNTER,
    OPEN_STATUSES,
    Call,
    CallingPolicy,
    CitizenIn,
    CitizenInfo,
    Counter,
    CounterState,
    CounterStatus,
    Hall,
    HallSetup,
    PendingEvent,
    Requeue,
    Service,
    Tag,
    Ticket,
    TicketStatus,
    Transfer,
)
from queueing.models import Reason as Reason  # the calling policy's rules, also domain.Reason

# -- hall setup -------------------------------------------------------------------------------


def setup_problems(setup: HallSetup) -> list[str]:
    """Everything wrong with a hall setup, in Chinese, empty when it is sound."""
    problems: list[str] = []
    hall_id = setup.hall.id
    try:
        ZoneInfo(setup.hall.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"未知的时区：{setup.hall.timezone}")
    for hours in setup.hall.opening_hours:
        if hours.opens >= hours.closes:
            problems.append(f"营业时间 {hours.opens}–{hours.closes} 不合理")
    service_ids = {s.id for s in setup.services}
    for service in setup.services:
        if service.hall_id != hall_id:
            problems.append(f"事项 {service.id} 不属于大厅 {hall_id}")
        if service.first_number > service.last_number:
            problems.append(f"事项 {service.id} 的号码范围为空")
    for prefix, n in Tally(s.prefix for s in setup.services).items():
        if n > 1:
            problems.append(f"号码前缀 {prefix} 被 {n} 个事项使用")
    for ident, n in Tally(s.id for s in setup.services).items():
        if n > 1:
            problems.append(f"事项编号 {ident} 重复")
    for number, n in Tally(c.number for c in setup.counters).items():
        if n > 1:
            problems.append(f"窗口号 {number} 重复")
    for counter in setup.counters:
        if counter.hall_id != hall_id:
            problems.append(f"窗口 {counter.id} 不属于大厅 {hall_id}")
        for served in counter.services:
            if served.service_id not in service_ids:
                problems.append(f"窗口 {counter.id} 引用了不存在的事项 {served.service_id}")
    return problems


def in_hall_order(services: Sequence[Service], counters: Sequence[Counter]) -> list[Counter]:
    """The counters with their services listed in the hall's order (its services by ticket
    prefix, A, B, C …, as the store reads them): every screen and list shows them alike."""
    rank = {s.id: i for i, s in enumerate(services)}
    last = len(rank)
    return [
        c.model_copy(
            update={"services": sorted(c.services, key=lambda s: rank.get(s.service_id, last))}
        )
        for c in counters
    ]


# -- days, numbers, people --------------------------------------------------------------------


def local_day(now: datetime, timezone: str) -> date:
    """The hall's business day: numbers restart at the hall's local midnight."""
    return now.astimezone(ZoneInfo(timezone)).date()


def is_open(hours: Sequence[Any], now: datetime, timezone: str) -> bool:
    """Within opening hours; no hours configured means always open."""
    if not hours:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    moment = local.time()
    return any(local.isoweekday() in h.weekdays and h.opens <= moment < h.closes for h in hours)


def capacity(service: Service, released: int = 0) -> int:
    """How many tickets a service can issue in a day: its range, capped by its daily cap plus
    the places the appointment center handed to walk-ins."""
    size = service.last_number - service.first_number + 1
    return min(size, service.daily_cap + released) if service.daily_cap else size


def ticket_code(service: Service, seq: int, prefix: str = "") -> tuple[int, str]:
    """The seq-th ticket of the day (1-based): its number and its code ("A001"; a checked-in
    booking's "YA001" with the appointment prefix)."""
    number = service.first_number + seq - 1
    width = max(3, len(str(service.last_number)))
    return number, f"{prefix}{service.prefix}{number:0{width}d}"


def ticket_id(hall_id: str, day: date, code: str) -> str:
    return f"{hall_id}-{day:%Y%m%d}-{code}"


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def valid_mobile(value: str) -> bool:
    return bool(_MOBILE.match(value))


def citizen_info(citizen: CitizenIn | None, citizen_id: str | None) -> CitizenInfo:
    """Check and normalise what a citizen gave; raise a coded error for a wrong ID or phone."""
    if citizen is None:
        return CitizenInfo(citizen_id=citizen_id)
    id_number = citizen.id_number.strip().upper()
    phone = citizen.phone.strip().replace(" ", "").replace("-", "")
    if id_number and not valid_id_number(id_number):
        raise errors.InvalidIdNumber()
    if phone and not valid_mobile(phone):
        raise errors.InvalidPhone()
    return CitizenInfo(
        name=citizen.name.strip(), id_number=id_number, phone=phone, citizen_id=citizen_id
    )


def person_keys(citizen: CitizenInfo, pepper: bytes, device: str = "") -> list[str]:
    """Keyed hashes naming a person for per-day limits, one per identifier given (ID number,
    phone, platform account, the phone a walk-in took it on): the same person is matched by
    any of them. Never the raw values (an index must not hold personal data)."""
    raw = [
        citizen.id_number,
        citizen.phone,
        f"acct:{citizen.citizen_id}" if citizen.citizen_id else "",
        f"device:{device}" if device else "",
    ]
    return [
        hmac.new(pepper, value.encode(), hashlib.sha256).hexdigest()[:32] for value in raw if value
    ]


def priority_of(tags: Iterable[Tag], policy: CallingPolicy) -> int:
    return max((policy.tag_weights.get(tag, 0) for tag in tags), default=0)


def masked_citizen(citizen: CitizenInfo) -> dict[str, str]:
    return {
        "name": mask_name(citizen.name),
        "id_number": mask_id_number(citizen.id_number) if citizen.id_number else "",
        "phone": mask_phone(citizen.phone) if citizen.phone else "",
    }


# -- issuing ---------------------------------------------------------------------------------


def check_admission(
    hall: Hall, service: Service, now: datetime, person_tickets_today: int, refusal: str | None
) -> None:
    """May this person take a ticket for this service now? Raise the reason if not."""
    if refusal:
        raise errors.PersonRefused(refusal)
    if not service.active:
        raise errors.ServiceClosed("该事项已停办")
    if not is_open(hall.opening_hours, now, hall.timezone) or not is_open(
        service.opening_hours, now, hall.timezone
    ):
        raise errors.ServiceClosed()
    if person_tickets_today >= hall.policy.per_person_daily_limit:
        raise errors.PersonLimitReached(limit=hall.policy.per_person_daily_limit)


def issue(
    hall: Hall,
    service: Service,
    seq: int,
    *,
    channel: Any,
    citizen: CitizenInfo,
    tags: Sequence[Tag],
    person: list[str],
    now: datetime,
    ahead: int,
    minutes: float,
    appointment: Any = None,
    queue_time: datetime | None = None,
    prefix: str = "",
) -> Ticket:
    """The seq-th ticket of the day for this service."""
    day = local_day(now, hall.timezone)
    number, code = ticket_code(service, seq, prefix)
    unique_tags = list(dict.fromkeys(tags))
    if appointment is not None and Tag.APPOINTMENT not in unique_tags:
        unique_tags.append(Tag.APPOINTMENT)
    ticket = Ticket(
        id=ticket_id(hall.id, day, code),
        hall_id=hall.id,
        service_id=service.id,
        day=day.isoformat(),
        number=number,
        code=code,
        channel=channel,
        tags=unique_tags,
        priority=priority_of(unique_tags, hall.policy),
        citizen=citizen,
        person_keys=person,
        appointment=appointment,
        issued_at=now,
        queue_time=queue_time or now,
        estimate_ahead=ahead,
        estimate_minutes=minutes,
    )
    facts = public_ticket(ticket, service)
    outbox = _hall_and_own(
        ticket,
        events.TicketIssued(**facts, channel=ticket.channel),
        events.TicketIssued(**facts, channel=ticket.channel, ahead=ahead, estimate_minutes=minutes),
    )
    return ticket.model_copy(update={"outbox": [*outbox, desk_changed(ticket, service)]})


def overdue(ticket: Ticket, policy: CallingPolicy, now: datetime) -> bool:
    """Waited longer than the hall allows (the staff are alerted once)."""
    return now - ticket.queue_time > timedelta(minutes=policy.max_wait_minutes)


def wait_exceeded_event(ticket: Ticket, service: Service, now: datetime) -> PendingEvent:
    waited = round((now - ticket.queue_time).total_seconds() / 60)
    event = events.WaitExceeded(
        **public_ticket(ticket, service), hall_id=ticket.hall_id, waited_minutes=waited
    )
    # Named by the ticket: alerted once, however often it is seen waiting.
    return _event(events.hall_topic(ticket.hall_id), event, event_id=f"wait:{ticket.id}")


def position_events(
    ticket: Ticket, ahead: int, minutes: float, kind: type[events.TicketPlace]
) -> list[PendingEvent]:
    """Tell the ticket's holder its place (`PositionChanged`) or that its turn is near
    (`TurnNear`)."""
    event = kind(ticket_id=ticket.id, number=ticket.code, ahead=ahead, estimate_minutes=minutes)
    return _own(ticket, event)


def turn_near(ticket: Ticket, ahead: int, minutes: float, policy: CallingPolicy) -> bool:
    """Time to tell the citizen to come close (once per ticket)."""
    if ticket.near_notified_at is not None or ticket.status is not TicketStatus.WAITING:
        return False
    return ahead <= policy.turn_near_ahead or minutes <= policy.turn_near_minutes


# -- the calling policy -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    ticket: Ticket
    reason: Reason


def eligible(ticket: Ticket, counter: Counter) -> bool:
    if ticket.status is not TicketStatus.WAITING:
        return False
    if ticket.target_counter_id is not None:
        return ticket.target_counter_id == counter.id
    return any(s.service_id == ticket.service_id for s in counter.services)


def in_window(ticket: Ticket, policy: CallingPolicy, now: datetime) -> bool:
    if ticket.appointment is None:
        return False
    start = ticket.appointment.slot_start
    early = timedelta(minutes=policy.appointment_early_minutes)
    late = timedelta(minutes=policy.appointment_late_minutes)
    return start - early <= now <= start + late


def _fifo(ticket: Ticket) -> tuple[datetime, int, str]:
    # The id last: tickets of two services issued in the same millisecond have one order
    # everywhere (the workstation computes it too: clients/web/src/workstation/callingOrder.ts).
    return (ticket.queue_time, ticket.number, ticket.id)


def _by_slot(ticket: Ticket) -> tuple[datetime, datetime, int, str]:
    slot = ticket.appointment.slot_start if ticket.appointment else ticket.queue_time
    return (slot, *_fifo(ticket))


def choose_next(
    waiting: Iterable[Ticket],
    counter: Counter,
    normal_streak: int,
    policy: CallingPolicy,
    now: datetime,
) -> Choice | None:
    """The ticket this counter calls next, and why (the rules are in the module docstring)."""
    candidates = [t for t in waiting if eligible(t, counter)]
    if not candidates:
        return None
    limit = now - timedelta(minutes=policy.max_wait_minutes)
    overdue = [t for t in candidates if t.queue_time <= limit]
    if overdue:
        return Choice(min(overdue, key=_fifo), Reason.OVERDUE)
    booked = [t for t in candidates if in_window(t, policy, now)]
    if booked:
        first = min(booked, key=_by_slot)
        return Choice(first, Reason.APPOINTMENT)
    # A booking waiting for its slot (queue time still ahead) is not a priority case yet.
    priority = [t for t in candidates if t.priority > 0 and t.queue_time <= now]
    normal = [t for t in candidates if not (t.priority > 0 and t.queue_time <= now)]
    if priority and (not normal or normal_streak >= policy.normal_per_priority):
        best = min(priority, key=lambda t: (-t.priority, *_fifo(t)))
        return Choice(best, Reason.PRIORITY)
    weights = {s.service_id: s.weight for s in counter.services}

    def weighted_wait(ticket: Ticket) -> tuple[float, datetime, int, str]:
        waited = max((now - ticket.queue_time).total_seconds(), 0.0) + 1.0
        weight = weights.get(ticket.service_id, 1)
        return (-waited * weight, *_fifo(ticket))

    return Choice(min(normal, key=weighted_wait), Reason.NORMAL)


def next_streak(streak: int, choice: Choice) -> int:
    """Normal calls since the last priority one, after this call."""
    if choice.ticket.priority > 0:
        return 0
    if choice.reason is Reason.APPOINTMENT:
        return streak
    return streak + 1


def calling_order(
    waiting: Iterable[Ticket],
    counter: Counter,
    normal_streak: int,
    policy: CallingPolicy,
    now: datetime,
) -> list[Ticket]:
    """The order this counter will call its waiting tickets in if nothing changes: the policy
    applied again and again, from where the counter is in its normal/priority cycle."""
    left = [t for t in waiting if eligible(t, counter)]
    order: list[Ticket] = []
    streak = normal_streak
    while left:
        choice = choose_next(left, counter, streak, policy, now)
        if choice is None:
            break
        order.append(choice.ticket)
        streak = next_streak(streak, choice)
        left = [t for t in left if t.id != choice.ticket.id]
    return order


def queue_order(waiting: Iterable[Ticket], policy: CallingPolicy, now: datetime) -> list[Ticket]:
    """Waiting tickets in the order they are expected to be called (for positions and the
    workstation list): overdue, appointments in window, then priority before normal with the
    mixing ratio applied as a steady interleave."""
    tickets = [t for t in waiting if t.status is TicketStatus.WAITING]
    limit = now - timedelta(minutes=policy.max_wait_minutes)
    overdue = sorted((t for t in tickets if t.queue_time <= limit), key=_fifo)
    rest = [t for t in tickets if t.queue_time > limit]
    booked = sorted((t for t in rest if in_window(t, policy, now)), key=_by_slot)
    rest = [t for t in rest if not in_window(t, policy, now)]
    priority = sorted(
        (t for t in rest if t.priority > 0 and t.queue_time <= now),
        key=lambda t: (-t.priority, *_fifo(t)),
    )
    rest = [t for t in rest if not (t.priority > 0 and t.queue_time <= now)]
    normal = sorted(rest, key=_fifo)
    mixed: list[Ticket] = []
    every = policy.normal_per_priority
    while priority or normal:
        for _ in range(every if priority else len(normal)):
            if normal:
                mixed.append(normal.pop(0))
        if priority:
            mixed.append(priority.pop(0))
        if every == 0:
            mixed.extend(priority)
            priority = []
    return [*overdue, *booked, *mixed]


# -- estimates --------------------------------------------------------------------------------


def minutes_per_ticket(recent_minutes: Sequence[float], expected: float) -> float:
    """Recent service times (newest last), smoothed; the configured time until there are some."""
    if not recent_minutes:
        return expected
    smoothed = expected
    for minutes in recent_minutes:
        smoothed = 0.7 * smoothed + 0.3 * minutes
    return smoothed


def serving_capacity(
    service_id: str,
    counters: Iterable[Counter],
    open_ids: set[str],
    queued: set[str] | None = None,
) -> float:
    """Open counters serving a service, each counted by its share for it: its weight for the
    service over its weights for the services that have people waiting (`queued`; a counter
    whose other services have nobody waiting gives this one all its time)."""
    total = 0.0
    for counter in counters:
        if counter.id not in open_ids:
            continue
        weights = {s.service_id: s.weight for s in counter.services}
        if service_id not in weights:
            continue
        competing = [
            w for sid, w in weights.items() if sid == service_id or queued is None or sid in queued
        ]
        total += weights[service_id] / sum(competing)
    return total


def estimate_minutes(ahead: int, per_ticket: float, capacity_now: float) -> float:
    """Expected wait: those ahead plus half of one in service, shared by the open counters.
    With no counter open, as if one were."""
    return round((ahead + 0.5) * per_ticket / max(capacity_now, 1.0), 1)


# -- the ticket lifecycle ---------------------------------------------------------------------


def new_event_id() -> str:
    return secrets.token_hex(12)


def _event(topic: str, event: Event, event_id: str | None = None) -> PendingEvent:
    """An event kept with the change that causes it (its data from its model)."""
    return PendingEvent(
        id=event_id or new_event_id(), topic=topic, type=event.event_type, data=event.payload()
    )


def ticket_topics(ticket: Ticket) -> list[str]:
    topics = [events.ticket_topic(ticket.id)]
    if ticket.citizen.citizen_id:
        topics.append(events.citizen_topic(ticket.citizen.citizen_id))
    return topics


def _own(ticket: Ticket, event: Event) -> list[PendingEvent]:
    """The event on the ticket's own topics (`ticket_topics`)."""
    return [_event(t, event) for t in ticket_topics(ticket)]


def _hall_and_own(ticket: Ticket, hall: Event, own: Event | None = None) -> list[PendingEvent]:
    """The event on the hall's topic, then on the ticket's own topics, which may get another
    type or more detail (`own`)."""
    return [_event(events.hall_topic(ticket.hall_id), hall), *_own(ticket, own or hall)]


class TicketFields(TypedDict):
    """The fields of `events.TicketFacts`."""

    ticket_id: str
    number: str
    service_id: str
    service_name: str
    priority: bool
    appointment: bool


class CounterFields(TypedDict):
    """The counter's fields of `events.AtCounter`."""

    hall_id: str
    counter_id: str
    counter_number: int
    counter_name: str


class CounterViewFields(CounterFields):
    """The fields of `events.CounterView`."""

    status: str
    pause_reason: str
    staff_id: str | None
    staff_name: str
    current_ticket_id: str | None


def public_ticket(ticket: Ticket, service: Service) -> TicketFields:
    """What a hall screen may show of a ticket: no personal data."""
    return {
        "ticket_id": ticket.id,
        "number": ticket.code,
        "service_id": service.id,
        "service_name": service.name,
        "priority": ticket.priority > 0,
        "appointment": ticket.appointment is not None,
    }


def desk_ticket(ticket: Ticket, service_name: str) -> events.DeskTicket:
    """A ticket as counter workstations keep it: citizen data masked."""
    appointment = ticket.appointment
    return events.DeskTicket(
        ticket_id=ticket.id,
        number=ticket.code,
        serial=ticket.number,
        day=ticket.day,
        service_id=ticket.service_id,
        service_name=service_name,
        status=ticket.status,
        channel=ticket.channel,
        tags=[t.value for t in ticket.tags],
        priority=ticket.priority,
        citizen=events.DeskCitizen(**masked_citizen(ticket.citizen)),
        appointment=events.DeskAppointment(
            slot_start=appointment.slot_start, slot_end=appointment.slot_end
        )
        if appointment
        else None,
        issued_at=ticket.issued_at,
        queue_time=ticket.queue_time,
        call_count=len(ticket.calls),
        called_at=ticket.called_at,
        last_called_at=ticket.last_called_at,
        serving_at=ticket.serving_at,
        finished_at=ticket.finished_at,
        parked_at=ticket.parked_at,
        case_id=ticket.case_id,
        transferred=bool(ticket.transfers),
        requeued=len(ticket.requeues),
        counter_id=ticket.counter_id,
        target_counter_id=ticket.target_counter_id,
        called_at_counters=list(dict.fromkeys(c.counter_id for c in ticket.calls)),
        staff_id=ticket.staff_id,
    )


def desk_changed(ticket: Ticket, service: Service | None) -> PendingEvent:
    """The hall's workstations are told a ticket's new state, whole (written with the change
    like every event, so a crash cannot lose it)."""
    name = service.name if service is not None else ticket.service_id
    return _event(
        events.desk_topic(ticket.hall_id),
        events.DeskTicketChanged(ticket=desk_ticket(ticket, name)),
    )


def counter_data(counter: Counter) -> CounterFields:
    return {
        "hall_id": counter.hall_id,
        "counter_id": counter.id,
        "counter_number": counter.number,
        "counter_name": counter.name,
    }


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of a counter action: the ticket and counter as they become, and the events
    that tell everyone (written with the ticket, published after)."""

    ticket: Ticket
    counter: CounterState
    events: list[PendingEvent]


def require_free(state: CounterState) -> None:
    """The counter can call: open, not paused, holding no ticket."""
    if state.status is CounterStatus.CLOSED:
        raise errors.CounterClosed()
    if state.status is CounterStatus.PAUSED:
        raise errors.CounterPaused()
    if state.current_ticket_id is not None:
        raise errors.CounterBusy()


def _held(state: CounterState, ticket: Ticket) -> None:
    if state.current_ticket_id != ticket.id or ticket.counter_id != state.id:
        raise errors.NoCurrentTicket()


def call(
    ticket: Ticket,
    state: CounterState,
    counter: Counter,
    service: Service,
    policy: CallingPolicy,
    now: datetime,
    choice: Choice | None = None,
) -> Step:
    """Call a waiting (or parked-here) ticket to this counter."""
    require_free(state)
    if ticket.status is TicketStatus.PARKED:
        if ticket.counter_id != counter.id:
            raise errors.TicketNotCallable("该号由其他窗口挂起")
    elif ticket.status is not TicketStatus.WAITING:
        raise errors.TicketNotCallable(status=ticket.status.value)
    elif not eligible(ticket, counter):
        raise errors.TicketNotCallable("本窗口不办理该事项")
    calls = [*ticket.calls, Call(at=now, counter_id=counter.id, counter_number=counter.number)]
    called = ticket.model_copy(
        update={
            "status": TicketStatus.CALLED,
            "counter_id": counter.id,
            "target_counter_id": None,
            "calls": calls,
            "called_at": ticket.called_at or now,
            "last_called_at": now,
            "staff_id": state.staff_id,
            "staff_name": state.staff_name,
            "parked_at": None,
        }
    )
    streak = next_streak(state.normal_streak, choice) if choice else state.normal_streak
    holding = state.model_copy(update={"current_ticket_id": ticket.id, "normal_streak": streak})
    event = events.TicketCalled(
        **public_ticket(called, service),
        **counter_data(counter),
        call_count=len(calls),
        called_at=now,
        repeat=policy.announce_repeat,
        reason=choice.reason if choice else "chosen",
    )
    return Step(called, holding, _hall_and_own(ticket, event))


def recall(
    ticket: Ticket,
    state: CounterState,
    counter: Counter,
    service: Service,
    policy: CallingPolicy,
    now: datetime,
) -> Step:
    _held(state, ticket)
    if ticket.status is not TicketStatus.CALLED:
        raise errors.TicketNotCallable("只能重呼已叫号未开始办理的号")
    calls = [*ticket.calls, Call(at=now, counter_id=counter.id, counter_number=counter.number)]
    recalled = ticket.model_copy(update={"calls": calls, "last_called_at": now})
    facts, at = public_ticket(recalled, service), counter_data(counter)
    count, repeat = len(calls), policy.announce_repeat
    out = _hall_and_own(
        ticket,
        events.TicketRecalled(**facts, **at, call_count=count, called_at=now, repeat=repeat),
        # The holder is simply called again.
        events.TicketCalled(**facts, **at, call_count=count, called_at=now, repeat=repeat),
    )
    return Step(recalled, state, out)


def start(
    ticket: Ticket, state: CounterState, counter: Counter, service: Service, now: datetime
) -> Step:
    _held(state, ticket)
    if ticket.status is not TicketStatus.CALLED:
        raise errors.InvalidTransition("只有已叫号的票可以开始办理")
    serving = ticket.model_copy(update={"status": TicketStatus.SERVING, "serving_at": now})
    event = events.TicketStarted(**public_ticket(serving, service), **counter_data(counter))
    return Step(serving, state, _hall_and_own(ticket, event))


def finish(
    ticket: Ticket,
    state: CounterState,
    counter: Counter,
    service: Service,
    now: datetime,
    case_id: str | None,
) -> Step:
    _held(state, ticket)
    if ticket.status not in AT_COUNTER:
        raise errors.InvalidTransition("该号不在办理中")
    done = ticket.model_copy(
        update={
            "status": TicketStatus.FINISHED,
            "finished_at": now,
            "serving_at": ticket.serving_at or now,
            "case_id": case_id,
        }
    )
    freed = state.model_copy(update={"current_ticket_id": None})
    facts, at = public_ticket(done, service), counter_data(counter)
    out = _hall_and_own(
        ticket,
        events.TicketFinished(**facts, **at),
        events.TicketFinished(**facts, **at, case_id=case_id or None),
    )
    return Step(done, freed, out)


def no_show(
    ticket: Ticket,
    state: CounterState,
    counter: Counter,
    service: Service,
    policy: CallingPolicy,
    now: datetime,
) -> Step:
    _held(state, ticket)
    if ticket.status is not TicketStatus.CALLED:
        raise errors.InvalidTransition("只有已叫号未到的票可以记为过号")
    if len(ticket.calls) < policy.no_show_min_calls:
        raise errors.TooFewCalls(calls=len(ticket.calls), needed=policy.no_show_min_calls)
    gone = ticket.model_copy(update={"status": TicketStatus.NO_SHOW, "no_show_at": now})
    freed = state.model_copy(update={"current_ticket_id": None})
    event = events.TicketNoShow(**public_ticket(gone, service), **counter_data(counter))
    return Step(gone, freed, _hall_and_own(ticket, event))


def transfer(
    ticket: Ticket,
    state: CounterState,
    counter: Counter,
    service: Service,
    to_service: Service,
    to_counter: Counter | None,
    now: datetime,
) -> Step:
    """Send the ticket to another service or counter; it keeps its place (queue time)."""
    _held(state, ticket)
    if ticket.status not in AT_COUNTER:
        raise errors.InvalidTransition("该号不在办理中")
    if to_counter is not None:
        if to_counter.hall_id != ticket.hall_id:
            raise errors.CounterNotFound(counter_id=to_counter.id)
        if to_counter.id == counter.id:
            raise errors.InvalidTransition("不能转到本窗口")
    elif to_service.id == service.id:
        raise errors.InvalidTransition("不能转到同一事项")
    moved = ticket.model_copy(
        update={
            "status": TicketStatus.WAITING,
            "service_id": to_service.id,
            "counter_id": None,
            "target_counter_id": to_counter.id if to_counter else None,
            "called_at": None,
            "serving_at": None,
            "calls": [],
            "transfers": [
                *ticket.transfers,
                Transfer(
                    at=now,
                    from_service_id=service.id,
                    to_service_id=to_service.id,
                    to_counter_id=to_counter.id if to_counter else None,
                    by=state.staff_id or "",
                ),
            ],
        }
    )
    freed = state.model_copy(update={"current_ticket_id": None})
    event = events.TicketTransferred(
        **public_ticket(moved, to_service),
        **counter_data(counter),
        from_service_id=service.id,
        to_counter_number=to_counter.number if to_counter else None,
        to_counter_name=to_counter.name if to_counter else None,
    )
    return Step(moved, freed, _hall_and_own(ticket, event))


def park(
    ticket: Ticket, state: CounterState, counter: Counter, service: Service, now: datetime
) -> Step:
    """Set the ticket aside (the citizen fetches a document); the counter is free, and can call
    it back later with `call`."""
    _held(state, ticket)
    if ticket.status not in AT_COUNTER:
        raise errors.InvalidTransition("该号不在办理中")
    parked = ticket.model_copy(update={"status": TicketStatus.PARKED, "parked_at": now})
    freed = state.model_copy(update={"current_ticket_id": None})
    event = events.TicketParked(**public_ticket(parked, service), **counter_data(counter))
    return Step(parked, freed, _hall_and_own(ticket, event))


def unpark(ticket: Ticket, service: Service, now: datetime) -> tuple[Ticket, list[PendingEvent]]:
    """A parked ticket goes back into the queue at its original place."""
    if ticket.status is not TicketStatus.PARKED:
        raise errors.InvalidTransition("该号未挂起")
    back = ticket.model_copy(
        update={
            "status": TicketStatus.WAITING,
            "counter_id": None,
            "parked_at": None,
            "target_counter_id": ticket.counter_id,
        }
    )
    return back, _own(ticket, events.TicketUnparked(**public_ticket(back, service)))


def requeue_place(
    ticket: Ticket, waiting: Iterable[Ticket], policy: CallingPolicy, now: datetime
) -> tuple[datetime, int]:
    """Where a no-show goes back in: the queue time that puts it right behind the first
    `requeue_behind` tickets waiting for its service (first come, first served among them), or
    at the end (the policy says None, or fewer are waiting); and how many are then ahead of it.

    A place between two neighbours' queue times, so every order the hall keeps (the calling
    policy, the workstation's port of it, the holders' places) puts it there; whole
    milliseconds, as the store keeps times."""
    queue = sorted(
        (
            t
            for t in waiting
            if t.status is TicketStatus.WAITING
            and t.id != ticket.id
            and t.service_id == ticket.service_id
            and t.target_counter_id is None
        ),
        key=_fifo,
    )
    behind = policy.requeue_behind
    if behind is None or behind >= len(queue):
        end = _whole_ms(now)
        if queue:  # a booking's ticket may be queued a little ahead of now
            end = max(end, queue[-1].queue_time + timedelta(milliseconds=1))
        return end, len(queue)
    after = queue[behind]
    if behind == 0:
        return after.queue_time - timedelta(milliseconds=1), 0
    before = queue[behind - 1]
    middle = _whole_ms(before.queue_time + (after.queue_time - before.queue_time) / 2)
    # Neighbours within a millisecond leave no time between them: just after the one it goes
    # behind (a place further back at most, never ahead of those it must not pass).
    if middle <= before.queue_time:
        middle = before.queue_time + timedelta(milliseconds=1)
    return middle, behind


def _whole_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def requeue(
    ticket: Ticket,
    hall: Hall,
    counter: Counter,
    service: Service,
    waiting: Iterable[Ticket],
    staff_id: str,
    now: datetime,
) -> tuple[Ticket, list[PendingEvent]]:
    """A citizen who missed their call came back: a clerk puts the no-show ticket back in its
    service's queue, as far back as the hall's policy says, as often as it allows. It waits
    again like any ticket (called again from the start, no counter kept)."""
    if ticket.status is not TicketStatus.NO_SHOW:
        raise errors.InvalidTransition("只有过号的号可以重新排队", status=ticket.status.value)
    if ticket.day != local_day(now, hall.timezone).isoformat():
        raise errors.InvalidTransition("只能为今天过号的号重新排队")
    policy = hall.policy
    limit = policy.requeue_limit
    if len(ticket.requeues) >= limit:
        message = (
            "本大厅不允许过号后重新排队，请重新取号"
            if limit == 0
            else f"该号已重新排队 {len(ticket.requeues)} 次，不能再次排队，请重新取号"
        )
        raise errors.RequeueLimitReached(message, limit=limit)
    queue_time, ahead = requeue_place(ticket, waiting, policy, now)
    back = ticket.model_copy(
        update={
            "status": TicketStatus.WAITING,
            "queue_time": queue_time,
            "counter_id": None,
            "target_counter_id": None,
            "calls": [],
            "called_at": None,
            "serving_at": None,
            "no_show_at": None,
            "near_notified_at": None,
            "staff_id": None,
            "staff_name": "",
            "requeues": [
                *ticket.requeues,
                Requeue(at=now, counter_id=counter.id, by=staff_id, queue_time=ticket.queue_time),
            ],
        }
    )
    event = events.TicketRequeued(
        **public_ticket(back, service), **counter_data(counter), queued_behind=ahead
    )
    return back, _hall_and_own(ticket, event)


def cancel(ticket: Ticket, service: Service, now: datetime) -> tuple[Ticket, list[PendingEvent]]:
    if ticket.status not in OPEN_STATUSES:
        raise errors.InvalidTransition("只能取消等候中的号", status=ticket.status.value)
    gone = ticket.model_copy(update={"status": TicketStatus.CANCELLED, "cancelled_at": now})
    return gone, _hall_and_own(ticket, events.TicketCancelled(**public_ticket(gone, service)))


# -- counters ---------------------------------------------------------------------------------


def counter_view(counter: Counter, state: CounterState) -> CounterViewFields:
    return {
        **counter_data(counter),
        "status": state.status.value,
        "pause_reason": state.pause_reason,
        "staff_id": state.staff_id,
        "staff_name": state.staff_name,
        "current_ticket_id": state.current_ticket_id,
    }


def open_counter(
    counter: Counter, state: CounterState, staff_id: str, staff_name: str, now: datetime
) -> tuple[CounterState, list[PendingEvent]]:
    """A clerk signs in at a counter. A counter has one clerk; signing in again is harmless."""
    if state.status is not CounterStatus.CLOSED and state.staff_id not in (None, staff_id):
        raise errors.CounterTaken(staff=state.staff_name)
    opened = state.model_copy(
        update={
            "status": CounterStatus.OPEN if state.status is CounterStatus.CLOSED else state.status,
            "staff_id": staff_id,
            "staff_name": staff_name,
            "since": now if state.status is CounterStatus.CLOSED else state.since,
        }
    )
    if state.status is not CounterStatus.CLOSED:
        return opened, []
    return opened, _counter_events(counter, opened, events.CounterOpened)


def close_counter(
    counter: Counter, state: CounterState, now: datetime
) -> tuple[CounterState, list[PendingEvent]]:
    if state.current_ticket_id is not None:
        raise errors.CounterBusy("请先办结或转移当前号")
    if state.status is CounterStatus.CLOSED:
        return state, []
    closed = state.model_copy(
        update={
            "status": CounterStatus.CLOSED,
            "staff_id": None,
            "staff_name": "",
            "pause_reason": "",
            "since": now,
        }
    )
    return closed, _counter_events(counter, closed, events.CounterClosed)


def pause(
    counter: Counter, state: CounterState, reason: str, now: datetime
) -> tuple[CounterState, list[PendingEvent]]:
    if state.status is CounterStatus.CLOSED:
        raise errors.CounterClosed()
    if state.current_ticket_id is not None:
        raise errors.CounterBusy("请先办结或转移当前号再暂停")
    paused = state.model_copy(
        update={"status": CounterStatus.PAUSED, "pause_reason": reason, "since": now}
    )
    return paused, _counter_events(counter, paused, events.CounterPaused)


def resume(
    counter: Counter, state: CounterState, now: datetime
) -> tuple[CounterState, list[PendingEvent]]:
    if state.status is not CounterStatus.PAUSED:
        raise errors.InvalidTransition("窗口未暂停")
    resumed = state.model_copy(
        update={"status": CounterStatus.OPEN, "pause_reason": "", "since": now}
    )
    return resumed, _counter_events(counter, resumed, events.CounterResumed)


def _counter_events(
    counter: Counter, state: CounterState, kind: type[events.CounterView]
) -> list[PendingEvent]:
    view = counter_view(counter, state)
    return [
        _event(events.hall_topic(counter.hall_id), kind(**view)),
        _event(
            events.counter_topic(counter.id),
            events.CounterUpdated(**view, normal_streak=state.normal_streak),
        ),
    ]


def counter_updated(
    counter: Counter, state: CounterState, current: Ticket | None, service: Service | None
) -> PendingEvent:
    held = None
    if current is not None and service is not None:
        held = events.CurrentTicket(
            **public_ticket(current, service),
            status=current.status,
            call_count=len(current.calls),
            called_at=current.last_called_at,
        )
    event = events.CounterUpdated(
        **counter_view(counter, state), normal_streak=state.normal_streak, current=held
    )
    return _event(events.counter_topic(counter.id), event)

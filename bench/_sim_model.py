"""The model behind bench/hall_sim.py: one hall day of walk-ins and bookings, served by
counters that call with the real `queueing.domain.choose_next`.

Times are minutes after the hall's 09:00 (Asia/Shanghai); the policy sees UTC datetimes
(`DAY` plus the minutes), as the hub gives it. A day's citizens are drawn once (`draw_day`)
and then served under each policy (`simulate`), so the policies meet the same people with the
same service times (common random numbers: the differences are the policies', not luck's).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from appointments.domain import dynamic_share
from appointments.models import BookingPlan
from bench.hall_day import Event
from queueing import domain
from queueing.models import (
    Appointment,
    CallingPolicy,
    Channel,
    CitizenInfo,
    Counter,
    CounterService,
    Hall,
    Service,
    Tag,
    Ticket,
)

DAY = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: minute 0
HALL_ID = "sim"
_PLAN = BookingPlan.model_validate({"_id": "sim:s", "hall_id": "sim", "service_id": "s"})
_POLICY = CallingPolicy()
SERVICE_NAMES = ("户籍", "社保", "企业开办", "公积金", "综合", "出入境")


class Policy(StrEnum):
    FIFO = "fifo"  # no appointment on any ticket: first come (checked in), first served
    FIRST = "first"  # appointments always first, from the moment they check in
    OURS = "ours"  # appointments first from `lead` minutes before their slot


POLICY_LABELS = {
    Policy.FIFO: "FIFO",
    Policy.FIRST: "appointments first",
    Policy.OURS: "ours",
}


@dataclass(frozen=True)
class Model:
    """Every number of the model (bench/hall_sim.py makes each a command-line option)."""

    sessions: tuple[tuple[float, float], ...] = ((0.0, 180.0), (270.0, 480.0))
    service_minutes: tuple[float, ...] = (6.0, 10.0, 15.0)
    service_sigma: float = 0.5  # of the log of a service time (lognormal)
    service_mix: tuple[float, ...] = (0.45, 0.35, 0.20)  # walk-ins per service
    # Counter -> (service index, weight); every counter open all day.
    counters: tuple[tuple[tuple[int, int], ...], ...] = (
        ((0, 2), (1, 1)),
        ((0, 2), (2, 1)),
        ((1, 2), (0, 1)),
        ((1, 2), (2, 1)),
        ((2, 2), (1, 1)),
        ((2, 2), (0, 1)),
    )
    changeover: float = 0.5  # minutes between two citizens at a counter (walking up, calling)
    load: float = 0.875  # offered work / counter-minutes of the opening hours
    peaks: tuple[float, ...] = (60.0, 360.0)  # walk-in peaks: 10:00 and 15:00
    peak_width: float = 30.0  # standard deviation of a peak, minutes
    peak_height: float = 1.5  # a peak's top over the base rate
    priority_share: float = 0.05  # elderly citizens (walk-ins and bookings alike)
    slot_minutes: float = 30.0
    # The defaults are the product's own: a booking plan's share and bounds, its way of
    # counting places ("center") and its dynamic share; the calling policy's window and lead.
    booking_share: float = _PLAN.share  # of a service's counter capacity in a slot, as quota
    booking_fill: float = 0.9  # of the quota actually booked
    quota_rule: str = "center"  # or "weighted": see `slot_capacity`
    dynamic: bool = _PLAN.dynamic  # the share follows the hour's load (see `slot_share`)
    min_share: float = _PLAN.min_share
    max_share: float = _PLAN.max_share
    no_show: float = 0.1
    arrival_mean: float = -8.0  # booked citizens arrive at slot + Normal(mean, sd), clipped
    arrival_sd: float = 7.0
    arrival_clip: float = 60.0
    checkin_early: float = _PLAN.checkin_early_minutes  # check-in opens this long before ...
    checkin_late: float = _PLAN.checkin_late_minutes  # ... and closes after; later: a walk-in
    lead: int = _PLAN.queue_lead_minutes  # ours: a booking queues from slot - lead
    late: int = _POLICY.appointment_late_minutes  # ours: ... is called first until slot + late
    # Ours, to explore the policy: the window opens `early` minutes before the slot (None: the
    # lead); a negative value opens it after the slot, which CallingPolicy cannot say (its
    # early minutes are >= 0): the ticket's appointment then carries a slot start moved that
    # much later (the order among bookings is unchanged, all move alike).
    early: int | None = _POLICY.appointment_early_minutes
    queue_at: str = "slot"  # ours: queue time slot - lead ("slot") or the check-in time
    max_wait: int = _POLICY.max_wait_minutes
    normal_per_priority: int = _POLICY.normal_per_priority
    on_time: float = 10.0  # a booking is on time when called by slot + this
    early_mark: float = 5.0  # ... and served too early when called before slot - this

    @property
    def window_early(self) -> int:
        return self.lead if self.early is None else self.early

    @property
    def window_shift(self) -> int:
        """Minutes an appointment's slot start is moved to open its window after the slot."""
        return max(-self.window_early, 0)

    @property
    def open_minutes(self) -> float:
        return sum(end - start for start, end in self.sessions)

    def calling_policy(self, policy: Policy) -> CallingPolicy:
        common = {
            "max_wait_minutes": self.max_wait,
            "normal_per_priority": self.normal_per_priority,
        }
        if policy is Policy.FIRST:
            return CallingPolicy(
                appointment_early_minutes=120, appointment_late_minutes=120, **common
            )
        if policy is Policy.OURS:
            return CallingPolicy(
                appointment_early_minutes=max(self.window_early, 0),
                appointment_late_minutes=max(self.late - self.window_shift, 0),
                **common,
            )
        return CallingPolicy(**common)


def at(minutes: float) -> datetime:
    return DAY + timedelta(minutes=minutes)


def hall_of(model: Model) -> tuple[Hall, list[Service], list[Counter]]:
    hall = Hall(id=HALL_ID, name="仿真大厅", timezone="Asia/Shanghai")
    services = [
        Service(
            id=f"s{i + 1}",
            hall_id=HALL_ID,
            name=SERVICE_NAMES[i % len(SERVICE_NAMES)],
            prefix=chr(ord("A") + i),
            expected_minutes=minutes,
        )
        for i, minutes in enumerate(model.service_minutes)
    ]
    counters = [
        Counter(
            id=f"w{n + 1}",
            hall_id=HALL_ID,
            number=n + 1,
            name=f"{n + 1}号窗口",
            services=[CounterService(service_id=f"s{s + 1}", weight=w) for s, w in served],
        )
        for n, served in enumerate(model.counters)
    ]
    return hall, services, counters


# -- capacity, quotas, arrivals ----------------------------------------------------------------


def work_shares(model: Model) -> list[float]:
    """Each service's share of the walk-in work (mix times mean service time)."""
    work = [p * m for p, m in zip(model.service_mix, model.service_minutes, strict=True)]
    return [w / sum(work) for w in work]


def counters_per_service(model: Model) -> list[float]:
    """How many counters' time each service gets: a counter splits its time among its services
    in proportion to its weight for the service times the service's share of the work."""
    shares = work_shares(model)
    got = [0.0] * len(model.service_minutes)
    for served in model.counters:
        claims = [(s, w * shares[s]) for s, w in served]
        total = sum(c for _, c in claims)
        for s, claim in claims:
            got[s] += claim / total
    return got


def slot_capacity(model: Model) -> list[float]:
    """Tickets of each service its counters can finish in one slot. "weighted": the counters'
    time as `counters_per_service` splits it; "center": as the appointment center counts it
    (appointments/domain.py `counter_places`): each counter's slot split equally among its
    services."""
    if model.quota_rule == "center":
        got = [0.0] * len(model.service_minutes)
        for served in model.counters:
            for s, _ in served:
                got[s] += model.slot_minutes / model.service_minutes[s] / len(served)
        return got
    return [
        n * model.slot_minutes / minutes
        for n, minutes in zip(counters_per_service(model), model.service_minutes, strict=True)
    ]


def slot_share(model: Model, slot: float) -> float:
    """The booking share of a slot: `booking_share`, or with `dynamic` the appointment center's
    `dynamic_share`: share x the hour's load / 0.85 within [min_share, max_share], the hour's
    load being the offered load scaled by the walk-in rate at the slot's middle."""
    if not model.dynamic:
        return model.booking_share
    middle = slot + model.slot_minutes / 2
    load = model.load * shape(model, middle) * model.open_minutes / _shape_area(model)
    plan = _PLAN.model_copy(
        update={
            "share": model.booking_share,
            "min_share": model.min_share,
            "max_share": model.max_share,
        }
    )
    return dynamic_share(plan, load)


def booking_quota(model: Model, slot: float) -> list[int]:
    """Bookings offered in a slot per service: its share of the tickets the service's counter
    time can finish in the slot (counter-minutes / mean service time), rounded ("center":
    rounded down, as the appointment center does)."""
    share = slot_share(model, slot)
    half = 0.0 if model.quota_rule == "center" else 0.5
    return [math.floor(share * places + half + 1e-9) for places in slot_capacity(model)]


def slots(model: Model) -> list[float]:
    starts: list[float] = []
    for start, end in model.sessions:
        moment = start
        while moment + model.slot_minutes <= end + 1e-9:
            starts.append(moment)
            moment += model.slot_minutes
    return starts


def capacity_minutes(model: Model) -> float:
    return len(model.counters) * model.open_minutes


def expected_booking_work(model: Model) -> float:
    offered = sum(
        q * (m + model.changeover)
        for slot in slots(model)
        for q, m in zip(booking_quota(model, slot), model.service_minutes, strict=True)
    )
    return offered * model.booking_fill * (1 - model.no_show)


def expected_walk_ins(model: Model) -> float:
    """Walk-ins a day so that walk-ins and bookings together offer `load` of the capacity."""
    work = model.load * capacity_minutes(model) - expected_booking_work(model)
    per_walk_in = sum(
        p * (m + model.changeover)
        for p, m in zip(model.service_mix, model.service_minutes, strict=True)
    )
    return max(work, 0.0) / per_walk_in


def is_open(model: Model, minute: float) -> bool:
    return any(start <= minute < end for start, end in model.sessions)


def shape(model: Model, minute: float) -> float:
    """The walk-in arrival rate's shape: a base plus a bump at each peak."""
    bumps = sum(math.exp(-((minute - p) ** 2) / (2 * model.peak_width**2)) for p in model.peaks)
    return 1.0 + model.peak_height * bumps


@functools.cache
def _shape_area(model: Model) -> float:
    """The shape's integral over the opening hours (quarter-minute steps)."""
    return sum(
        sum(shape(model, start + (i + 0.5) / 4) for i in range(int((end - start) * 4))) / 4
        for start, end in model.sessions
    )


@functools.cache
def _rate_scale(model: Model) -> float:
    return expected_walk_ins(model) / _shape_area(model)


def arrival_rate(model: Model, minute: float) -> float:
    """Walk-ins per minute at this minute (zero while the hall is closed)."""
    if not is_open(model, minute):
        return 0.0
    return _rate_scale(model) * shape(model, minute)


# -- a day's citizens -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Citizen:
    service: int
    arrival: float  # when they reach the hall
    minutes: float  # how long their business takes at the counter
    elderly: bool
    slot: float | None = None  # a booking's slot start

    def check_in(self, model: Model) -> float | None:
        """When a booking checks in (None: too late, a walk-in then); a walk-in's arrival."""
        if self.slot is None:
            return self.arrival
        if self.arrival > self.slot + model.checkin_late:
            return None
        return max(self.arrival, self.slot - model.checkin_early)


@dataclass
class DayPeople:
    citizens: list[Citizen]
    booked: int  # bookings made
    no_shows: int


def service_time(model: Model, rng: random.Random, service: int) -> float:
    mean = model.service_minutes[service]
    sigma = model.service_sigma
    return rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)


def draw_day(model: Model, rng: random.Random) -> DayPeople:
    """The day's walk-ins (a Poisson process with the peaked rate, by thinning) and bookings
    (each slot's quota filled at random, some not coming, the others early or late)."""
    citizens: list[Citizen] = []
    top = max(arrival_rate(model, m / 4) for m in range(int(model.sessions[-1][1] * 4)))
    services = range(len(model.service_minutes))
    moment = model.sessions[0][0]
    end = model.sessions[-1][1]
    while top > 0:
        moment += rng.expovariate(top)
        if moment >= end:
            break
        if rng.random() < arrival_rate(model, moment) / top:
            service = rng.choices(services, weights=model.service_mix)[0]
            citizens.append(
                Citizen(
                    service,
                    moment,
                    service_time(model, rng, service),
                    rng.random() < model.priority_share,
                )
            )
    booked = no_shows = 0
    for slot in slots(model):
        quota = booking_quota(model, slot)
        for service in services:
            for _ in range(quota[service]):
                if rng.random() >= model.booking_fill:
                    continue
                booked += 1
                if rng.random() < model.no_show:
                    no_shows += 1
                    continue
                clip = model.arrival_clip
                offset = min(max(rng.gauss(model.arrival_mean, model.arrival_sd), -clip), clip)
                citizens.append(
                    Citizen(
                        service,
                        slot + offset,
                        service_time(model, rng, service),
                        rng.random() < model.priority_share,
                        slot,
                    )
                )
    return DayPeople(citizens, booked, no_shows)


# -- one day under one policy ------------------------------------------------------------------


class Kind(StrEnum):
    WALK_IN = "walk-in"
    BOOKING = "booking"
    LATE = "late booking"  # came after check-in closed: queued as a walk-in


@dataclass(frozen=True, slots=True)
class Served:
    kind: Kind
    arrival: float  # walk-ins: arrival; bookings: the slot (for waits by time of day)
    wait: float  # walk-ins: call - arrival; bookings: call - max(check-in, slot), >= 0
    on_time: bool  # bookings: called by slot + on_time
    too_early: bool  # bookings: called before slot - early_mark
    priority: bool
    reason: domain.Reason  # the rule of choose_next that called them


@dataclass
class DayResult:
    served: list[Served]
    busy: float  # counter-minutes serving
    capacity: float  # counter-minutes of the opening hours
    booked: int
    no_shows: int
    turned_away: int  # late bookings who came after the session closed
    overtime: float  # minutes the last counter worked past closing


@dataclass
class Simulation:
    model: Model
    policy: Policy
    people: DayPeople
    now: float = 0.0
    waiting: dict[str, Ticket] = field(default_factory=dict)
    checked_in: dict[str, float] = field(default_factory=dict)
    citizen_of: dict[str, Citizen] = field(default_factory=dict)
    streaks: dict[str, int] = field(default_factory=dict)
    free: set[str] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)
    order: itertools.count[int] = field(default_factory=itertools.count)
    seq: dict[str, int] = field(default_factory=dict)
    served: list[Served] = field(default_factory=list)
    busy: float = 0.0
    turned_away: int = 0
    last_free: float = 0.0

    def __post_init__(self) -> None:
        self.calling = self.model.calling_policy(self.policy)
        hall, services, counters = hall_of(self.model)
        self.hall = hall.model_copy(update={"policy": self.calling})
        self.services = services
        self.counters = {c.id: c for c in counters}

    def push(self, moment: float, kind: str, payload: object = None) -> None:
        heapq.heappush(self.events, Event(moment, next(self.order), kind, payload))

    def run(self) -> DayResult:
        self.free = set(self.counters)
        self.streaks = dict.fromkeys(self.counters, 0)
        for start, _ in self.model.sessions:
            self.push(start, "open")
        for citizen in self.people.citizens:
            moment = citizen.check_in(self.model)
            self.push(citizen.arrival if moment is None else moment, "check-in", citizen)
        while self.events:
            event = heapq.heappop(self.events)
            self.now = event.at
            if event.kind == "check-in":
                assert isinstance(event.payload, Citizen)
                self._check_in(event.payload)
            elif event.kind == "free":
                assert isinstance(event.payload, str)
                self.free.add(event.payload)
                self.last_free = max(self.last_free, self.now)
            self._call()
        if self.waiting:
            raise RuntimeError(f"{len(self.waiting)} tickets never called")
        return DayResult(
            served=self.served,
            busy=self.busy,
            capacity=capacity_minutes(self.model),
            booked=self.people.booked,
            no_shows=self.people.no_shows,
            turned_away=self.turned_away,
            overtime=max(self.last_free - self.model.sessions[-1][1], 0.0),
        )

    def _check_in(self, citizen: Citizen) -> None:
        checked_in = citizen.check_in(self.model)
        booking = checked_in is not None and citizen.slot is not None
        if checked_in is None and not is_open(self.model, self.now):
            self.turned_away += 1  # too late, and the hall has closed for lunch or the day
            return
        service = self.services[citizen.service]
        self.seq[service.id] = self.seq.get(service.id, 0) + 1
        appointment: Appointment | None = None
        queue_time = at(self.now)
        if booking and self.policy is not Policy.FIFO:
            assert citizen.slot is not None
            slot = at(citizen.slot)
            shift = timedelta(minutes=self.model.window_shift)
            if self.policy is not Policy.OURS:
                shift = timedelta(0)
            appointment = Appointment(
                appointment_id=f"ap-{service.id}-{self.seq[service.id]}",
                slot_start=slot + shift,
                slot_end=slot + shift + timedelta(minutes=self.model.slot_minutes),
            )
            if self.policy is Policy.OURS and self.model.queue_at == "slot":
                queue_time = slot - timedelta(minutes=self.model.lead)
        ticket = domain.issue(
            self.hall,
            service,
            self.seq[service.id],
            channel=Channel.APPOINTMENT if citizen.slot is not None else Channel.KIOSK,
            citizen=CitizenInfo(),
            tags=[Tag.ELDERLY] if citizen.elderly else [],
            person=[],
            now=at(self.now),
            ahead=0,
            minutes=0.0,
            appointment=appointment,
            queue_time=queue_time,
        )
        self.waiting[ticket.id] = ticket
        self.checked_in[ticket.id] = self.now
        self.citizen_of[ticket.id] = citizen if booking else _as_walk_in(citizen, self.now)

    def _callable(self) -> list[Ticket]:
        """Tickets the counters may call now: all while open; after a session closes, those
        who checked in before it closed (they are served before the counters stop)."""
        if is_open(self.model, self.now):
            return list(self.waiting.values())
        closed = [end for _, end in self.model.sessions if end <= self.now]
        if not closed:
            return []
        cutoff = max(closed)
        return [t for t in self.waiting.values() if self.checked_in[t.id] < cutoff]

    def _call(self) -> None:
        if not self.free or not self.waiting:
            return
        pool = self._callable()
        for counter_id in sorted(self.free):
            if not pool:
                return
            counter = self.counters[counter_id]
            choice = domain.choose_next(
                pool, counter, self.streaks[counter_id], self.calling, at(self.now)
            )
            if choice is None:
                continue
            ticket = choice.ticket
            self.streaks[counter_id] = domain.next_streak(self.streaks[counter_id], choice)
            pool = [t for t in pool if t.id != ticket.id]
            del self.waiting[ticket.id]
            self.free.discard(counter_id)
            citizen = self.citizen_of[ticket.id]
            self.served.append(self._outcome(ticket, citizen, choice.reason))
            busy = citizen.minutes + self.model.changeover
            self.busy += busy
            self.push(self.now + busy, "free", counter_id)

    def _outcome(self, ticket: Ticket, citizen: Citizen, reason: domain.Reason) -> Served:
        checked_in = self.checked_in[ticket.id]
        priority = ticket.priority > 0
        if citizen.slot is None:
            kind = Kind.LATE if ticket.channel is Channel.APPOINTMENT else Kind.WALK_IN
            return Served(kind, checked_in, self.now - checked_in, False, False, priority, reason)
        slot = citizen.slot
        return Served(
            Kind.BOOKING,
            slot,
            max(self.now - max(checked_in, slot), 0.0),
            self.now <= slot + self.model.on_time,
            self.now < slot - self.model.early_mark,
            priority,
            reason,
        )


def _as_walk_in(citizen: Citizen, moment: float) -> Citizen:
    return Citizen(citizen.service, moment, citizen.minutes, citizen.elderly)


def simulate(model: Model, policy: Policy, people: DayPeople) -> DayResult:
    return Simulation(model, policy, people).run()


# -- figures -----------------------------------------------------------------------------------


def p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0] if values else math.nan
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else math.nan


@dataclass
class Summary:
    walk_ins: int
    walk_mean: float
    walk_p90: float
    walk_max: float
    bookings: int  # checked in and served, over all days
    book_mean: float
    book_p90: float
    book_max: float
    on_time: float  # share of bookings called by slot + on_time
    on_time_worst_day: float
    too_early: float
    too_early_priority: float  # ... of them called by the priority rule (elderly bookings)
    late: int  # came after check-in closed (served as walk-ins, or turned away)
    late_mean: float
    booked: int
    no_shows: int
    priority_mean: float
    utilisation: float
    overtime: float  # mean minutes past closing
    days: int
    reasons: dict[domain.Reason, int]  # calls by the rule that made them, over all days


def summarize(days: Sequence[DayResult]) -> Summary:
    served = [s for day in days for s in day.served]
    walk = [s.wait for s in served if s.kind is Kind.WALK_IN]
    book = [s for s in served if s.kind is Kind.BOOKING]
    late = [s.wait for s in served if s.kind is Kind.LATE]
    waits = [s.wait for s in book]
    worst = min(
        (
            sum(s.on_time for s in b) / len(b)
            for day in days
            if (b := [s for s in day.served if s.kind is Kind.BOOKING])
        ),
        default=math.nan,
    )
    return Summary(
        walk_ins=len(walk),
        walk_mean=mean(walk),
        walk_p90=p90(walk),
        walk_max=max(walk, default=math.nan),
        bookings=len(book),
        book_mean=mean(waits),
        book_p90=p90(waits),
        book_max=max(waits, default=math.nan),
        on_time=sum(s.on_time for s in book) / len(book) if book else math.nan,
        on_time_worst_day=worst,
        too_early=sum(s.too_early for s in book) / len(book) if book else math.nan,
        too_early_priority=(
            sum(s.too_early and s.reason is domain.Reason.PRIORITY for s in book) / len(book)
            if book
            else math.nan
        ),
        late=len(late) + sum(d.turned_away for d in days),
        late_mean=mean(late),
        booked=sum(d.booked for d in days),
        no_shows=sum(d.no_shows for d in days),
        priority_mean=mean([s.wait for s in served if s.priority and s.kind is Kind.WALK_IN]),
        utilisation=sum(d.busy for d in days) / sum(d.capacity for d in days),
        overtime=mean([d.overtime for d in days]),
        days=len(days),
        reasons={r: sum(s.reason is r for s in served) for r in domain.Reason},
    )


def waits_by_half_hour(
    days: Sequence[DayResult], kind: Kind, model: Model
) -> tuple[list[float], list[float]]:
    """Mean wait of this kind by the half hour it arrived in (bookings: their slot), as
    (local hours, minutes); NaN where nobody came."""
    end = model.sessions[-1][1]
    bins = math.ceil(end / 30)
    sums = [0.0] * bins
    counts = [0] * bins
    for day in days:
        for s in day.served:
            if s.kind is kind and 0 <= s.arrival < end:
                b = int(s.arrival // 30)
                sums[b] += s.wait
                counts[b] += 1
    hours = [9 + (b * 30 + 15) / 60 for b in range(bins)]
    return hours, [sums[b] / counts[b] if counts[b] else math.nan for b in range(bins)]

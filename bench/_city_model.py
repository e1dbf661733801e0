"""The simulated city day that bench/city.py replays: its halls, counters and services, and
every visit of the day (walk-ins, bookings, video calls), drawn once from a seed.

Times are minutes after 09:00 on the replayed day in the halls' time zone (Asia/Shanghai), as
in bench/_sim_model.py, whose arrival shape (a morning and an afternoon peak over the two
sessions 09:00-12:00 and 13:30-17:00) and lognormal service times this reuses. Pure: no I/O,
no clock, no hub.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bench._sim_model import DAY, Model, is_open, service_time, shape

# The whole city (issue #11): 60 halls, 600 counters, 40,000 tickets, 15 % of them booked,
# 3,000 live screens and phones, 50 video calls.
FULL_COUNTERS = 600
FULL_TICKETS = 40_000
FULL_VIDEO_CALLS = 50
FULL_AGENTS = 10
# Citizens with the H5 app open on their messages or a case (subscribed to their own topic,
# nothing to do with a ticket today): with the screens and the phones following tickets they
# make the 3,000 live subscribers of the whole city (see `standing_phones`).
FULL_STANDING_PHONES = 600

BOOKED_SHARE = 0.15  # of the tickets: bookings checked in at the hall
BOOKING_NO_SHOW = 0.05  # of the bookings: never come (the appointment center records it)
H5_SHARE = 0.30  # of the walk-ins: taken in the H5 app (their phone follows the ticket)
SLIP_SHARE = 0.15  # of the walk-ins: a kiosk slip whose QR code a phone follows
SMS_SHARE = 0.5  # of the bookings: asked for SMS (the message center then has their phone)
LOAD = 0.85  # offered work over the counters' opening hours (bench/hall_sim.py: 0.875)
CHANGEOVER = 0.5  # minutes between two citizens at a counter
ELDERLY = 0.05
ABSENT = 0.03  # called, never come: recalled, then marked no-show
SLOW = 0.06  # need a second call (recall) before they come
PARK = 0.02  # set aside for a missing paper, called back later
TRANSFER = 0.03  # sent on to another service of the hall
CANCEL = 0.01  # H5 tickets cancelled by their holder while waiting
PAUSE = 0.015  # after a citizen, a clerk pauses (a few minutes) this often

SERVICES = (  # name, prefix, base minutes, share of the walk-ins
    ("户籍", "A", 6.0, 3),
    ("社保", "B", 10.0, 3),
    ("企业开办", "C", 15.0, 2),
    ("公积金", "D", 8.0, 2),
    ("综合", "E", 5.0, 1),
    ("出入境", "F", 12.0, 1),
)
SESSIONS = ((0.0, 180.0), (270.0, 480.0))  # 09:00-12:00, 13:30-17:00
SLOT_MINUTES = 30
VIDEO_TOPICS = ("zonghe", "shebao", "huji", "gongjijin")


class HallKind(StrEnum):
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


# kind -> (halls, services, displays, kiosks); township sizes are drawn to total 420 counters.
KINDS = {
    HallKind.CITY: (1, 6, 6, 4),
    HallKind.COUNTY: (5, 5, 4, 2),
    HallKind.TOWNSHIP: (54, 3, 2, 1),
}
CITY_COUNTERS = 60
COUNTY_COUNTERS = 24


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    id: str
    name: str
    prefix: str
    base_minutes: float
    weight: int


@dataclass(frozen=True, slots=True)
class CounterSpec:
    id: str
    number: int
    name: str
    services: tuple[tuple[str, int], ...]  # (service id, weight)


@dataclass(frozen=True, slots=True)
class HallSpec:
    id: str
    name: str
    kind: HallKind
    label: str  # short, in counter names ("县2"): a counter's name is unique in the city
    services: tuple[ServiceSpec, ...]
    counters: tuple[CounterSpec, ...]
    displays: int
    kiosks: int

    def setup(self) -> dict[str, Any]:
        """The hall as `PUT /api/v1/halls/{id}/setup` takes it."""
        return {
            "hall": {"id": self.id, "name": self.name, "address": f"{self.name}大楼"},
            "services": [
                {
                    "id": s.id,
                    "hall_id": self.id,
                    "name": s.name,
                    "prefix": s.prefix,
                    "last_number": 99_999,
                    "expected_minutes": s.base_minutes,
                }
                for s in self.services
            ],
            "counters": [
                {
                    "id": c.id,
                    "hall_id": self.id,
                    "number": c.number,
                    "name": c.name,
                    "services": [{"service_id": s, "weight": w} for s, w in c.services],
                }
                for c in self.counters
            ],
        }


class Channel(StrEnum):
    KIOSK = "kiosk"  # a printed slip, no phone
    SLIP = "slip"  # a printed slip whose QR code a phone follows
    H5 = "h5"  # taken in the H5 app
    BOOKED = "booked"  # booked the day before, checked in with the H5 app at the hall


@dataclass(slots=True)
class Visit:
    """One citizen's ticket: when they take it (a booking: check in), and what happens at the
    counter (drawn here so that every run of a seed meets the same people)."""

    n: int
    hall: str
    service: str
    minute: float
    channel: Channel
    service_minutes: float
    elderly: bool = False
    slot: float | None = None  # a booking's slot start
    no_show_booking: bool = False  # booked, never comes
    sms: bool = False  # a booking that asked for SMS
    absent: bool = False
    slow: bool = False
    park: bool = False
    transfer_to: str | None = None
    cancel_after: float | None = None  # minutes after taking it, if not called by then
    parked_done: bool = False  # (set during the replay)
    transferred_done: bool = False

    @property
    def citizen(self) -> str:
        return f"c{self.n}"


@dataclass(frozen=True, slots=True)
class FutureBooking:
    """A citizen booking a later day while the replayed day runs."""

    n: int
    minute: float
    hall: str
    service: str
    day: date
    slot: float  # minutes after 09:00 of `day`


@dataclass(frozen=True, slots=True)
class VideoCall:
    n: int
    minute: float
    topic: str
    minutes: float
    chats: int


@dataclass
class CityDay:
    halls: list[HallSpec]
    visits: list[Visit]  # the tickets of the day (bookings that come included)
    bookings: list[Visit]  # every booking of the day, no-shows included
    future: list[FutureBooking]
    video: list[VideoCall]
    agents: int
    standing_phones: int
    model: Model
    scale: float  # the share of the city's counters replayed
    capacity: dict[tuple[str, str], int] = field(default_factory=dict)  # places per slot

    @property
    def counters(self) -> int:
        return sum(len(h.counters) for h in self.halls)


# -- halls --------------------------------------------------------------------------------------


def _township_sizes(rng: random.Random, halls: int, total: int) -> list[int]:
    sizes = [5 + rng.randrange(8) for _ in range(halls)]  # 5 to 12 counters
    while sum(sizes) != total:
        i = rng.randrange(halls)
        step = 1 if sum(sizes) < total else -1
        if 4 <= sizes[i] + step <= 14:
            sizes[i] += step
    return sizes


def _counters(hall_id: str, label: str, services: tuple[ServiceSpec, ...], n: int) -> list[Any]:
    """Each service gets primary counters in proportion to its work; every counter also serves
    the next service at a lower weight, so that no queue is left to one counter."""
    work = [s.weight * s.base_minutes for s in services]
    quotas = [n * w / sum(work) for w in work]
    primary = [max(1, math.floor(q)) for q in quotas]
    while sum(primary) > n:
        primary[primary.index(max(primary))] -= 1
    while sum(primary) < n:
        gaps = [q - p for q, p in zip(quotas, primary, strict=True)]
        primary[gaps.index(max(gaps))] += 1
    out = []
    number = 1
    for i, count in enumerate(primary):
        for _ in range(count):
            served = [(services[i].id, 2)]
            if len(services) > 1:
                served.append((services[(i + 1) % len(services)].id, 1))
            out.append(
                CounterSpec(f"{hall_id}-w{number}", number, f"{label}{number}号窗口", tuple(served))
            )
            number += 1
    return out


def build_city(seed: int) -> list[HallSpec]:
    rng = random.Random(seed)
    township_total = FULL_COUNTERS - CITY_COUNTERS - KINDS[HallKind.COUNTY][0] * COUNTY_COUNTERS
    townships = _township_sizes(rng, KINDS[HallKind.TOWNSHIP][0], township_total)
    halls = []
    for kind, (count, n_services, displays, kiosks) in KINDS.items():
        for i in range(count):
            if kind is HallKind.CITY:
                hall_id, name, label, size = "city", "市民中心", "市", CITY_COUNTERS
            elif kind is HallKind.COUNTY:
                hall_id, name, label = f"county-{i + 1}", f"第{i + 1}县政务服务中心", f"县{i + 1}"
                size = COUNTY_COUNTERS
            else:
                hall_id, name, label = f"town-{i + 1:02d}", f"第{i + 1}镇便民服务中心", f"镇{i + 1}"
                size = townships[i]
            services = tuple(
                ServiceSpec(f"{hall_id}-s{j + 1}", name_, prefix, minutes, weight)
                for j, (name_, prefix, minutes, weight) in enumerate(SERVICES[:n_services])
            )
            counters = tuple(_counters(hall_id, label, services, size))
            halls.append(HallSpec(hall_id, name, kind, label, services, counters, displays, kiosks))
    return halls


def select(halls: list[HallSpec], scale: float) -> list[HallSpec]:
    """A share of the city for a quick run: of each kind, round(count x scale) halls, evenly
    spread (at least one hall); each hall keeps its size, so its load stays a real hall's."""
    if scale >= 1:
        return halls
    chosen: list[HallSpec] = []
    for kind in HallKind:
        of_kind = [h for h in halls if h.kind is kind]
        take = math.floor(len(of_kind) * scale + 0.5)
        chosen += [of_kind[int(i * len(of_kind) / take)] for i in range(take)] if take else []
    return chosen or [halls[-1]]


# -- the day ------------------------------------------------------------------------------------


def model_for(halls: list[HallSpec], tickets: int) -> Model:
    """bench/_sim_model.py's model with the service times scaled so that the day's tickets
    offer LOAD of the counters' opening hours (the city's halls are sized for their day)."""
    base = _mean_base(halls)
    open_minutes = sum(end - start for start, end in SESSIONS)
    counters = sum(len(h.counters) for h in halls)
    per_ticket = LOAD * counters * open_minutes / max(tickets, 1) - CHANGEOVER
    factor = max(per_ticket, 0.5) / base
    return Model(
        sessions=SESSIONS,
        service_minutes=tuple(minutes * factor for _, _, minutes, _ in SERVICES),
        changeover=CHANGEOVER,
        load=LOAD,
    )


def _mean_base(halls: list[HallSpec]) -> float:
    total = weight = 0.0
    for hall in halls:
        hall_weight = sum(s.weight for s in hall.services)
        mean = sum(s.weight * s.base_minutes for s in hall.services) / hall_weight
        total += mean * len(hall.counters)
        weight += len(hall.counters)
    return total / weight


@functools.cache
def _top(model: Model) -> float:
    return max(shape(model, m / 2) for m in range(0, int(SESSIONS[-1][1] * 2)))


def arrival_minute(model: Model, rng: random.Random) -> float:
    """A moment of the opening hours drawn with the day's arrival shape (thinning)."""
    top = _top(model)
    while True:
        minute = rng.uniform(SESSIONS[0][0], SESSIONS[-1][1])
        if is_open(model, minute) and rng.random() < shape(model, minute) / top:
            return minute


def slot_starts() -> list[float]:
    return [
        float(start)
        for begin, end in SESSIONS
        for start in range(int(begin), int(end), SLOT_MINUTES)
        if start + SLOT_MINUTES <= end
    ]


def draw_day(halls: list[HallSpec], seed: int, scale: float) -> CityDay:
    rng = random.Random(seed + 1)
    per_counter = FULL_TICKETS / FULL_COUNTERS
    counters = sum(len(h.counters) for h in halls)
    model = model_for(halls, round(per_counter * counters))
    index = {name: i for i, (name, _, _, _) in enumerate(SERVICES)}
    slots = slot_starts()
    slot_weights = [shape(model, s + SLOT_MINUTES / 2) for s in slots]
    visits: list[Visit] = []
    bookings: list[Visit] = []
    n = 0
    for hall in halls:
        tickets = round(per_counter * len(hall.counters))
        weights = [s.weight for s in hall.services]
        booked = round(tickets * BOOKED_SHARE)
        no_shows = round(booked * BOOKING_NO_SHOW / (1 - BOOKING_NO_SHOW))
        for i in range(tickets + no_shows):
            n += 1
            spec = rng.choices(hall.services, weights=weights)[0]
            minutes = service_time(model, rng, index[spec.name])
            visit = Visit(n, hall.id, spec.id, 0.0, Channel.KIOSK, minutes)
            if i < booked + no_shows:
                slot = rng.choices(slots, weights=slot_weights)[0]
                offset = min(max(rng.gauss(-8.0, 7.0), -30.0), 25.0)
                visit.channel = Channel.BOOKED
                visit.slot = slot
                visit.minute = max(slot + offset, slot - 29.5)
                visit.no_show_booking = i >= booked
                visit.sms = rng.random() < SMS_SHARE
                bookings.append(visit)
                if visit.no_show_booking:
                    continue
            else:
                visit.minute = arrival_minute(model, rng)
                draw = rng.random()
                if draw < H5_SHARE:
                    visit.channel = Channel.H5
                    if rng.random() < CANCEL:
                        visit.cancel_after = rng.uniform(3.0, 20.0)
                elif draw < H5_SHARE + SLIP_SHARE:
                    visit.channel = Channel.SLIP
            _behaviour(visit, hall, rng)
            visits.append(visit)
    visits.sort(key=lambda v: v.minute)
    capacity = _capacity(halls, bookings)
    future = _future(halls, model, rng, len(bookings), n, slots)
    frac = counters / FULL_COUNTERS
    video = [
        VideoCall(
            i,
            arrival_minute(model, rng),
            rng.choice(VIDEO_TOPICS),
            rng.lognormvariate(math.log(6.0) - 0.125, 0.5),
            rng.randrange(5, 16),
        )
        for i in range(max(1, round(FULL_VIDEO_CALLS * frac)))
    ]
    video.sort(key=lambda c: c.minute)
    return CityDay(
        halls=halls,
        visits=visits,
        bookings=bookings,
        future=future,
        video=video,
        agents=max(2, round(FULL_AGENTS * frac)),
        standing_phones=round(FULL_STANDING_PHONES * frac),
        model=model,
        scale=frac,
        capacity=capacity,
    )


def _behaviour(visit: Visit, hall: HallSpec, rng: random.Random) -> None:
    visit.elderly = rng.random() < ELDERLY
    visit.absent = rng.random() < ABSENT
    visit.slow = not visit.absent and rng.random() < SLOW
    visit.park = not visit.absent and rng.random() < PARK
    if not (visit.absent or visit.park) and len(hall.services) > 1 and rng.random() < TRANSFER:
        others = [s.id for s in hall.services if s.id != visit.service]
        visit.transfer_to = rng.choice(others)


def _capacity(halls: list[HallSpec], bookings: list[Visit]) -> dict[tuple[str, str], int]:
    """Places per slot of each service: the most any slot of the day needs, and one more."""
    per_slot: dict[tuple[str, str, float], int] = {}
    for b in bookings:
        key = (b.hall, b.service, b.slot or 0.0)
        per_slot[key] = per_slot.get(key, 0) + 1
    capacity = {(h.id, s.id): 2 for h in halls for s in h.services}
    for (hall, service, _), count in per_slot.items():
        capacity[hall, service] = max(capacity[hall, service], count + 1)
    return capacity


def _future(
    halls: list[HallSpec],
    model: Model,
    rng: random.Random,
    count: int,
    first: int,
    slots: list[float],
) -> list[FutureBooking]:
    """As many citizens as booked today book one of the next three working days meanwhile."""
    days = next_working_days(3)
    weights = [len(h.counters) for h in halls]
    out: list[FutureBooking] = []
    for i in range(count):
        hall = rng.choices(halls, weights=weights)[0]
        service = rng.choice(hall.services)
        out.append(
            FutureBooking(
                first + i + 1,
                arrival_minute(model, rng),
                hall.id,
                service.id,
                rng.choice(days),
                rng.choice(slots),
            )
        )
    out.sort(key=lambda f: f.minute)
    return out


def next_working_days(count: int) -> list[date]:
    day = DAY.date()
    out: list[date] = []
    while len(out) < count:
        day += timedelta(days=1)
        if day.isoweekday() <= 5:
            out.append(day)
    return out


def id_number(n: int) -> str:
    """A valid mainland resident ID number (GB 11643 check digit), different for each n below
    840,000 (the birth date takes n modulo 840, the sequence the rest)."""
    birth = f"{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}"
    body = f"110101{birth}{(n // 840) % 1000:03d}"
    factors = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * f for d, f in zip(body, factors, strict=True))
    return body + "10X98765432"[total % 11]


def phone(n: int) -> str:
    return f"139{n:08d}"


def window_of(day: CityDay, start: float, end: float) -> CityDay:
    """The day's visits, bookings (by when they come, or would have), citizens booking later
    days, and video calls with a moment in [start, end)."""
    return replace(
        day,
        visits=[v for v in day.visits if start <= v.minute < end],
        bookings=[b for b in day.bookings if start <= b.minute < end],
        future=[f for f in day.future if start <= f.minute < end],
        video=[c for c in day.video if start <= c.minute < end],
    )

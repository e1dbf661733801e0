"""Access cases of the appointment center."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from appointments.api import APPOINTMENTS
from appointments.errors import SameMatterLimit
from appointments.models import AbuseRules, AppointmentRef, BookIn, BookingPlan
from hub.auth.models import Principal, Role
from tests.access.world import (
    FRIDAY_0930,
    OWN_HALL,
    Act,
    Builder,
    Target,
    Who,
    World,
    cmd,
    id_number,
    rest,
)

MONDAY_0930 = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
# Friday's slots (09:00-12:00, 13:30-17:00 in Shanghai), in order.
FRIDAY_SLOTS = [
    datetime(2026, 11, 27, 1, 0, tzinfo=UTC) + timedelta(minutes=30 * k) for k in range(6)
] + [datetime(2026, 11, 27, 5, 30, tzinfo=UTC) + timedelta(minutes=30 * k) for k in range(7)]


def _booking(w: World, slot: datetime = FRIDAY_0930) -> dict[str, Any]:
    n = w.n()
    return {
        "hall_id": OWN_HALL,
        "service_id": "s1",
        "slot_start": slot.isoformat(),
        "name": f"市民{n}",
        "id_number": id_number(1000 + n),
        "phone": f"138{n:08d}",
        "notify_sms": False,
    }


async def _booked(w: World, slot: datetime = FRIDAY_0930) -> tuple[Target, str]:
    """A fresh booking of the own hall by a citizen of its own."""
    citizen = f"c-a{w.n()}"
    booked = await w.app[APPOINTMENTS].book(
        Principal(citizen, Role.CITIZEN), BookIn.model_validate_json(json.dumps(_booking(w, slot)))
    )
    return Target(citizen=citizen), booked.id


async def offer(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", f"/appointments/halls/{OWN_HALL}/services")


async def calendar(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", f"/appointments/halls/{OWN_HALL}/services/s1/calendar")


async def slots(w: World, who: Who) -> tuple[Target, Act]:
    path = f"/appointments/halls/{OWN_HALL}/services/s1/slots?day=2026-11-27"
    return Target(), rest("GET", path)


async def book_rest(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("POST", "/appointments", _booking(w))


async def book_command(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), cmd("appointments.book", _booking(w))


async def mine(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/appointments/mine")


async def one(w: World, who: Who) -> tuple[Target, Act]:
    target, booking = await _booked(w)
    return target, rest("GET", f"/appointments/{booking}")


def change(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, booking = await _booked(w)
        later = (FRIDAY_0930 + timedelta(minutes=30)).isoformat()
        if rest_call:
            return target, rest("POST", f"/appointments/{booking}/change", {"slot_start": later})
        return target, cmd("appointments.change", {"appointment_id": booking, "slot_start": later})

    return build


def cancel(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, booking = await _booked(w)
        if rest_call:
            return target, rest("POST", f"/appointments/{booking}/cancel")
        return target, cmd("appointments.cancel", {"appointment_id": booking})

    return build


def check_in(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        # Each on a later slot of Friday: a slot's free places go to walk-ins 30 minutes
        # before it, so the clock moves on past the slots already used, never back into one.
        slot = FRIDAY_SLOTS[w.count("check-in")]
        target, booking = await _booked(w, slot)
        w.at(slot - timedelta(minutes=10))  # inside the booking's check-in window
        body: dict[str, Any] = {"hall_id": OWN_HALL, "appointment_id": booking}
        if who.role is Role.CITIZEN:  # at the hall: the phone scanned the hall's code
            body["hall_code"] = w.app[APPOINTMENTS].hall_code(OWN_HALL)
        if rest_call:
            return target, rest("POST", "/appointments/check-in", body)
        return target, cmd("appointments.check_in", body)

    return build


async def check_in_code(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", f"/appointments/halls/{OWN_HALL}/check-in-code")


async def search(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", f"/appointments?hall_id={OWN_HALL}")


async def statistics(w: World, who: Who) -> tuple[Target, Act]:
    query = f"hall_id={OWN_HALL}&day_from=2026-11-01&day_to=2026-11-30"
    return Target(), rest("GET", f"/appointments/stats?{query}")


async def plans(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/appointments/plans")


async def save_plan(w: World, who: Who) -> tuple[Target, Act]:
    plan = BookingPlan.model_validate(
        {
            "_id": f"{OWN_HALL}:s1",
            "hall_id": OWN_HALL,
            "service_id": "s1",
            "dynamic": False,
            "capacity": 500,
            "backup_share": 0,
        }
    )
    return Target(), rest("PUT", f"/appointments/plans/{OWN_HALL}/s1", plan.model_dump(mode="json"))


async def rules(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/appointments/rules")


async def save_rules(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("PUT", "/appointments/rules", AbuseRules().model_dump(mode="json"))


async def blacklist(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/appointments/blacklist")


async def _suspended(w: World) -> str:
    """A person whose booking is suspended, as the service suspends one: a fourth booking of
    one service in one day (the first three cancelled). On Monday: Friday's places went to
    walk-ins when the check-in cases' clock passed them."""
    citizen = Principal(f"c-s{w.n()}", Role.CITIZEN)
    body = BookIn.model_validate_json(json.dumps(_booking(w, MONDAY_0930)))
    service = w.app[APPOINTMENTS]
    for _ in range((await service.abuse_rules()).same_matter_daily_limit):
        booked = await service.book(citizen, body)
        await service.cancel(citizen, AppointmentRef(appointment_id=booked.id))
    with contextlib.suppress(SameMatterLimit):
        await service.book(citizen, body)
    return booked.person


async def lift(w: World, who: Who) -> tuple[Target, Act]:
    person = await _suspended(w)
    return Target(), rest("POST", f"/appointments/blacklist/{person}/lift", {"reason": "系统故障"})


CASES: dict[str, Builder] = {
    "GET /appointments/halls/{hall_id}/services": offer,
    "GET /appointments/halls/{hall_id}/services/{service_id}/calendar": calendar,
    "GET /appointments/halls/{hall_id}/services/{service_id}/slots": slots,
    "POST /appointments": book_rest,
    "appointments.book": book_command,
    "GET /appointments/mine": mine,
    "GET /appointments/{appointment_id}": one,
    "POST /appointments/{appointment_id}/change": change(rest_call=True),
    "appointments.change": change(rest_call=False),
    "POST /appointments/{appointment_id}/cancel": cancel(rest_call=True),
    "appointments.cancel": cancel(rest_call=False),
    "POST /appointments/check-in": check_in(rest_call=True),
    "appointments.check_in": check_in(rest_call=False),
    "GET /appointments/halls/{hall_id}/check-in-code": check_in_code,
    "GET /appointments": search,
    "GET /appointments/stats": statistics,
    "GET /appointments/plans": plans,
    "PUT /appointments/plans/{hall_id}/{service_id}": save_plan,
    "GET /appointments/rules": rules,
    "PUT /appointments/rules": save_rules,
    "GET /appointments/blacklist": blacklist,
    "POST /appointments/blacklist/{person}/lift": lift,
}

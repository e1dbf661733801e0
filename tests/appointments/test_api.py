"""The appointment center's API: coded refusals that change nothing, live availability over
Socket.IO, the back office's plans, statistics and blacklist."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from appointments.models import AppointmentQuery, AppointmentRef, BookingPlan
from hub.auth.models import Role
from tests.appointments.conftest import FRIDAY_0930, Center, booking, citizen, id_number
from tests.support import connect


async def call(
    center: Center,
    method: str,
    path: str,
    *,
    role: Role = Role.ADMIN,
    sub: str = "",
    hall: str | None = None,
    **kw: Any,
) -> tuple[int, Any]:
    token = center.hub.token(role, sub, hall=hall or ("h1" if role is Role.STAFF else None))
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http,
        http.request(method, f"{center.hub.url}/api/v1{path}", **kw) as response,
    ):
        if response.content_type == "application/json" or "json" in response.content_type:
            return response.status, await response.json()
        return response.status, await response.text()


def body(n: int, **changes: Any) -> dict[str, Any]:
    return {**booking(n).model_dump(mode="json"), **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"slot_start": 1764207000},
        {"id_number": "12345"},
        {"phone": "010-12345678"},
        {"name": ""},
        {"hall_id": "H1!"},
        {"extra": True},
        {"notify_sms": "yes"},
    ],
    ids=["number-time", "short-id", "landline", "no-name", "bad-hall", "unknown-key", "str-bool"],
)
async def test_wrong_types_are_refused_and_nothing_is_booked(
    center: Center, changes: dict[str, Any]
) -> None:
    await center.plan(capacity=3, backup_share=0)
    status, error = await call(
        center, "POST", "/appointments", role=Role.CITIZEN, sub="c-1", json=body(1, **changes)
    )
    assert (status, error["code"]) == (422, "INVALID_PAYLOAD")
    assert await center.service.search(AppointmentQuery()) == []


async def test_booking_over_rest_and_someone_elses_booking(center: Center) -> None:
    await center.plan(capacity=3, backup_share=0)
    status, mine = await call(
        center, "POST", "/appointments", role=Role.CITIZEN, sub="c-1", json=body(1)
    )
    assert status == 201
    assert mine["code"] == "Y0001"
    assert mine["id_number"].startswith("110101")
    assert "*" in mine["id_number"]
    status, error = await call(
        center, "GET", f"/appointments/{mine['id']}", role=Role.CITIZEN, sub="c-2"
    )
    assert (status, error["code"]) == (403, "FORBIDDEN")
    status, error = await call(
        center, "POST", f"/appointments/{mine['id']}/cancel", role=Role.CITIZEN, sub="c-2"
    )
    assert (status, error["code"]) == (403, "FORBIDDEN")
    status, listed = await call(center, "GET", "/appointments/mine", role=Role.CITIZEN, sub="c-1")
    assert [a["id"] for a in listed] == [mine["id"]]
    status, error = await call(
        center,
        "GET",
        "/appointments/halls/h1/services/s1/slots?day=tomorrow",
        role=Role.CITIZEN,
        sub="c-1",
    )
    assert (status, error["code"]) == (422, "INVALID_PAYLOAD")


async def test_availability_is_live_for_anyone_viewing_the_day(center: Center) -> None:
    await center.plan(capacity=3, backup_share=0)
    viewer = await connect(center.hub.url, center.hub.token(Role.CITIZEN, "c-9"))
    booker = await connect(center.hub.url, center.hub.token(Role.CITIZEN, "c-1"))
    try:
        await viewer.ok("subscribe", {"topic": "hall:h1"})
        made = await booker.ok("appointments.book", body(1))
        assert made["state"] == "booked"
        events = await viewer.wait_events(1)
        booked = [e for e in events if e["type"] == "appointments.appointment_booked"]
        assert booked[0]["data"]["slots"] == [
            {"id": "h1:s1:20261127T0130", "free": 2, "walkin_released": None}
        ]
        assert "name" not in booked[0]["data"]  # no personal data on the hall's topic
        error = await booker.error("appointments.book", body(1))
        assert error["code"] == "ALREADY_BOOKED"
        await booker.ok("appointments.cancel", {"appointment_id": made["id"]})
        events = await viewer.wait_events(2)
        assert events[-1]["type"] == "appointments.appointment_cancelled"
        assert events[-1]["data"]["slots"][0]["free"] == 3
    finally:
        await viewer.close()
        await booker.close()


async def test_a_plan_with_bad_hours_is_refused_and_the_old_one_kept(center: Center) -> None:
    await center.plan(capacity=3)
    status, plans = await call(center, "GET", "/appointments/plans")
    [plan] = plans
    bad = {**plan, "windows": [{"weekdays": [1], "opens": "12:00:00", "closes": "09:00:00"}]}
    status, error = await call(center, "PUT", "/appointments/plans/h1/s1", json=bad)
    assert (status, error["code"]) == (422, "INVALID_PAYLOAD")
    status, error = await call(
        center, "PUT", "/appointments/plans/h1/s1", json={**plan, "service_id": "zz"}
    )
    assert status == 422
    status, error = await call(
        center, "PUT", "/appointments/plans/h1/s1", role=Role.SUPERVISOR, json=plan
    )
    assert status == 403
    assert (await call(center, "GET", "/appointments/plans"))[1] == plans


async def test_statistics_export_and_the_blacklist_lift_over_rest(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    kept = await center.service.book(citizen(1), booking(1))
    missed = await center.service.book(citizen(2), booking(2))
    gone = await center.service.book(citizen(3), booking(3))
    await center.service.cancel(citizen(3), AppointmentRef(appointment_id=gone.id))
    center.at(FRIDAY_0930 - timedelta(minutes=5))
    from appointments.models import CheckInIn

    await center.service.check_in(
        citizen(1),
        CheckInIn(hall_id="h1", appointment_id=kept.id, hall_code=center.service.hall_code("h1")),
    )
    center.at(FRIDAY_0930 + timedelta(minutes=20))
    await center.jobs()
    query = "/appointments/stats?hall_id=h1&day_from=2026-11-27&day_to=2026-11-27"
    status, stats = await call(center, "GET", query)
    assert stats["rows"] == [
        {
            "day": "2026-11-27",
            "service_id": "s1",
            "booked": 3,
            "checked_in": 1,
            "late": 0,
            "no_show": 1,
            "cancelled": 1,
            "fulfilment_rate": 0.5,
            "no_show_rate": 0.5,
        }
    ]
    status, csv = await call(center, "GET", query + "&format=csv")
    assert status == 200
    assert csv.startswith("\ufeff日期,事项,预约数,签到")
    # A second no-show suspends; the supervisor lifts it with a reason.
    monday = FRIDAY_0930 + timedelta(days=3)
    await center.service.book(citizen(2), booking(2, monday))
    center.at(monday + timedelta(minutes=20))
    await center.jobs()
    status, listed = await call(center, "GET", "/appointments/blacklist")
    [entry] = listed
    assert entry["id"] == missed.person
    assert entry["name"] == "市*2"
    status, _error = await call(
        center, "POST", f"/appointments/blacklist/{entry['id']}/lift", json={"reason": ""}
    )
    assert status == 422
    status, lifted = await call(
        center,
        "POST",
        f"/appointments/blacklist/{entry['id']}/lift",
        role=Role.SUPERVISOR,
        json={"reason": "窗口系统故障"},
    )
    assert status == 200
    assert lifted["lift_reason"] == "窗口系统故障"
    assert (await call(center, "GET", "/appointments/blacklist"))[1] == []


async def test_a_clerk_sees_their_own_halls_bookings(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    await center.service.book(citizen(1), booking(1))
    status, refused = await call(center, "GET", "/appointments?hall_id=h2", role=Role.STAFF)
    assert (status, refused["code"]) == (403, "FORBIDDEN")  # another hall's: refused
    _status, found = await call(center, "GET", "/appointments", role=Role.STAFF)
    assert [a["hall_id"] for a in found["appointments"]] == ["h1"]
    assert id_number(1) not in str(found)  # masked


async def test_a_halls_supervisor_sees_that_hall_only(center: Center) -> None:
    await center.plan(capacity=5, backup_share=0)
    query = "/appointments/stats?hall_id=h1&day_from=2026-11-27&day_to=2026-11-27"
    status, error = await call(center, "GET", query, role=Role.SUPERVISOR, hall="h2")
    assert (status, error["code"]) == (403, "FORBIDDEN")
    assert (await call(center, "GET", "/appointments/plans", role=Role.SUPERVISOR, hall="h2"))[
        1
    ] == []
    status, plans = await call(
        center, "GET", "/appointments/plans", role=Role.SUPERVISOR, hall="h1"
    )
    assert [p["id"] for p in plans] == ["h1:s1"]
    assert (await call(center, "GET", query, role=Role.SUPERVISOR, hall="h1"))[0] == 200


async def test_bookable_services_are_listed_in_the_halls_order(center: Center) -> None:
    """As every screen lists them (the hall's order, A–E), whatever order the plans were made."""
    for service_id in ("s3", "s1", "s2"):
        plan = BookingPlan.model_validate(
            {"_id": f"h1:{service_id}", "hall_id": "h1", "service_id": service_id, "dynamic": False}
        )
        await center.service.save_plan(plan)
    status, services = await call(center, "GET", "/appointments/halls/h1/services")
    assert status == 200
    assert [s["service_id"] for s in services] == ["s1", "s2", "s3"]

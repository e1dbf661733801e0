"""The appointment center's events: one model per type, the booker's copy and the hall's, and
what a booking's life publishes on each topic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from appointments import errors, events
from appointments.models import AppointmentRef, ChangeIn, CheckInIn
from hub import keys
from hub.events.envelope import Envelope
from hub.events.types import describe, registered
from tests.appointments.conftest import FRIDAY_0930, Center, booking, citizen

Seen = list[tuple[str, str, dict[str, Any]]]

HALL_KEYS = {"hall_id", "service_id", "day", "slots"}
PERSONAL = {"name", "id_number", "phone", "sms_phone", "citizen_id", "code", "id"}

TYPES = {
    "appointments.appointment_booked": ["citizen", "hall"],
    "appointments.appointment_changed": ["citizen", "hall"],
    "appointments.appointment_cancelled": ["citizen", "hall"],
    "appointments.no_show_recorded": ["citizen", "hall"],
    "appointments.appointment_checked_in": ["citizen"],
    "appointments.reminder_sent": ["citizen"],
    "appointments.person_blacklisted": ["citizen"],
    "appointments.slots_released": ["hall"],
}


@pytest.fixture
def seen(center: Center) -> Seen:
    found: Seen = []

    async def listener(envelope: Envelope) -> None:
        if envelope.type.startswith("appointments."):
            found.append((envelope.topic, envelope.type, envelope.data))

    center.hub.app[keys.BUS].listen(listener)
    return found


def of(seen: Seen, type: str, topic: str) -> list[dict[str, Any]]:
    return [d for t, ty, d in seen if ty == f"appointments.{type}" and t == topic]


def test_every_type_has_a_model_its_topics_and_a_summary() -> None:
    mine = {t: m for t, m in registered().items() if t.startswith("appointments.")}
    assert set(mine) == set(TYPES)
    described = describe()
    for type, topics in TYPES.items():
        assert described[type]["topics"] == topics
        assert described[type]["summary"]


def test_a_copy_that_mixes_the_hall_and_the_booker_is_refused() -> None:
    slots = [events.SlotPlaces(id="h1:s1:20261127T0130", free=2, walkin_released=None)]
    hall = {"hall_id": "h1", "service_id": "s1", "day": "2026-11-27"}
    assert events.AppointmentBooked(**hall, slots=slots).payload() == {
        **hall,
        "slots": [{"id": "h1:s1:20261127T0130", "free": 2, "walkin_released": None}],
    }
    with pytest.raises(ValidationError, match="hall's copy carries"):
        events.AppointmentBooked(**hall, slots=slots, name="张*")
    with pytest.raises(ValidationError, match="hall's copy carries"):
        events.AppointmentBooked(**hall, slots=slots, sms_phone="13800000001")
    with pytest.raises(ValidationError, match="lacks"):
        events.AppointmentCancelled(**hall, code="Y0001")
    with pytest.raises(ValidationError):
        events.SlotsReleased(**hall, why="because", slots=slots)


async def test_a_booking_with_sms_tells_the_booker_their_phone_and_the_hall_only_places(
    center: Center, seen: Seen
) -> None:
    await center.plan(capacity=5, backup_share=0)
    mine = await center.service.book(citizen(1), booking(1))
    [personal] = of(seen, "appointment_booked", "citizen:c-1")
    assert (personal["citizen_id"], personal["sms_phone"]) == ("c-1", "13800000001")
    assert personal["phone"] == "138****0001"
    assert personal["notify_sms"] is True
    assert (personal["code"], personal["state"]) == (mine.code, "booked")
    assert "slots" not in personal
    [public] = of(seen, "appointment_booked", "hall:h1")
    assert set(public) == HALL_KEYS
    # Without SMS the booker's copy carries no phone but the masked one.
    await center.service.book(citizen(2), booking(2, notify_sms=False))
    [other] = of(seen, "appointment_booked", "citizen:c-2")
    assert "sms_phone" not in other
    assert other["citizen_id"] == "c-2"
    # The day opened with the first booking: its slots released, on the hall's topic only.
    [opened] = of(seen, "slots_released", "hall:h1")
    assert (opened["why"], len(opened["slots"])) == ("opened", 13)
    assert not [d for t, ty, d in seen if t.startswith("hall:") and PERSONAL & set(d)]


async def test_change_cancel_no_show_and_check_in_tell_both_topics_as_they_should(
    center: Center, seen: Seen
) -> None:
    await center.plan(capacity=5, backup_share=0)
    first = await center.service.book(citizen(1), booking(1))
    monday = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    await center.service.change(citizen(1), ChangeIn(appointment_id=first.id, slot_start=monday))
    [moved] = of(seen, "appointment_changed", "citizen:c-1")
    assert (moved["day"], moved["slot_text"]) == ("2026-11-30", "11月30日 09:30")
    assert "ticket_id" not in moved  # a booking has no ticket before its check-in
    days = [d["day"] for d in of(seen, "appointment_changed", "hall:h1")]
    assert days == ["2026-11-27", "2026-11-30"]  # the old slot's day, then the new one's

    await center.service.cancel(citizen(1), AppointmentRef(appointment_id=first.id))
    [cancelled] = of(seen, "appointment_cancelled", "citizen:c-1")
    assert cancelled["state"] == "cancelled"
    [freed] = of(seen, "appointment_cancelled", "hall:h1")
    assert freed["slots"][0]["free"] == 5

    missed = await center.service.book(citizen(2), booking(2))
    center.at(FRIDAY_0930 + timedelta(minutes=16))
    await center.jobs()
    [no_show] = of(seen, "no_show_recorded", "citizen:c-2")
    assert (no_show["state"], no_show["warning"]) == ("no_show", True)
    [public] = of(seen, "no_show_recorded", "hall:h1")
    assert set(public) == HALL_KEYS
    assert missed.code == no_show["code"]

    came = await center.service.book(citizen(3), booking(3, monday))
    center.at(monday - timedelta(minutes=10))
    code = center.service.hall_code("h1")
    await center.service.check_in(
        citizen(3), CheckInIn(hall_id="h1", appointment_id=came.id, hall_code=code)
    )
    [checked_in] = of(seen, "appointment_checked_in", "citizen:c-3")
    assert (checked_in["ticket_code"], checked_in["state"]) == ("YA001", "checked_in")
    assert not of(seen, "appointment_checked_in", "hall:h1")


async def test_a_suspension_and_a_reminder_go_to_the_booker_only(
    center: Center, seen: Seen
) -> None:
    await center.plan(capacity=5, backup_share=0)
    for _ in range(3):
        mine = await center.service.book(citizen(1), booking(1))
        await center.service.cancel(citizen(1), AppointmentRef(appointment_id=mine.id))
    with pytest.raises(errors.SameMatterLimit):
        await center.service.book(citizen(1), booking(1))
    [suspended] = of(seen, "person_blacklisted", "citizen:c-1")
    assert suspended["days"] == 90
    assert "同一事项" in suspended["reason"]

    await center.service.book(citizen(2), booking(2))
    center.at(FRIDAY_0930 - timedelta(hours=18))
    await center.jobs()
    [reminder] = of(seen, "reminder_sent", "citizen:c-2")
    assert reminder["slot_text"] == "11月27日 09:30"
    assert reminder["ticket_id"] is None
    told = {(t.split(":")[0], ty) for t, ty, _ in seen}
    assert ("hall", "appointments.person_blacklisted") not in told
    assert ("hall", "appointments.reminder_sent") not in told

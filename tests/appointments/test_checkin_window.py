"""The check-in window is one setting (the plan's `checkin_early_minutes` and
`checkin_late_minutes`): what check-in accepts, the booking as every screen reads it, the
events' words and the messages made from them all follow it, and change when it changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from appointments import domain, errors
from appointments.models import CheckInIn
from hub import keys
from hub.events.envelope import Envelope
from hub.settings import ROOT
from notifier.domain import render_text
from tests.appointments.conftest import FRIDAY_0930, Center, booking, citizen
from tests.appointments.test_domain import make_plan

KINDS = ("appointment_booked", "appointment_changed", "appointment_reminder")
ZONE = "Asia/Shanghai"


def templates() -> list[dict[str, Any]]:
    config = yaml.safe_load((ROOT / "config" / "notifier.yaml").read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = [t for t in config["templates"] if t["kind"] in KINDS]
    return found


def test_no_message_template_writes_out_a_window_of_its_own() -> None:
    for template in templates():
        assert "{{ checkin_text }}" in template["text"], template
        assert not re.search(r"\d+\s*分钟", template["text"]), template


async def test_changing_the_plans_setting_changes_every_text_and_check_in_itself(
    center: Center,
) -> None:
    seen: list[Envelope] = []

    async def listener(envelope: Envelope) -> None:
        if envelope.topic.startswith("citizen:"):
            seen.append(envelope)

    center.hub.app[keys.BUS].listen(listener)
    await center.plan(capacity=5, backup_share=0)  # the defaults: 30 minutes before, 15 after
    mine = await center.service.book(citizen(1), booking(1))

    view = await center.service.public(mine)
    assert (view["checkin_from"], view["checkin_until"]) == (
        FRIDAY_0930 - timedelta(minutes=30),
        FRIDAY_0930 + timedelta(minutes=15),
    )
    [booked] = [e.data for e in seen if e.type == "appointments.appointment_booked"]
    assert booked["checkin_text"] == "11月27日 09:00–09:45"
    for template in templates():
        if template["kind"] == "appointment_booked":
            assert "11月27日 09:00–09:45" in render_text(template["text"], booked)
            assert "11月27日 Y0001" in render_text(template["text"], booked)

    await center.plan(capacity=5, backup_share=0, checkin_early_minutes=10, checkin_late_minutes=5)
    calendar = await center.service.calendar("h1", "s1")
    assert (
        calendar["plan"]["checkin_early_minutes"],
        calendar["plan"]["checkin_late_minutes"],
    ) == (
        10,
        5,
    )
    view = await center.service.public(mine)
    assert (view["checkin_from"], view["checkin_until"]) == (
        FRIDAY_0930 - timedelta(minutes=10),
        FRIDAY_0930 + timedelta(minutes=5),
    )
    [listed] = await center.service.mine("c-1")
    assert listed["checkin_from"] == view["checkin_from"]

    # The reminder the evening before says the window as it is now.
    center.at(FRIDAY_0930 - timedelta(hours=17))
    assert await center.service.send_reminders() == 1
    [reminder] = [e.data for e in seen if e.type == "appointments.reminder_sent"]
    assert reminder["checkin_text"] == "11月27日 09:20–09:35"
    for template in templates():
        if template["kind"] == "appointment_reminder":
            text = render_text(template["text"], reminder)
            assert "11月27日 09:20–09:35" in text
            assert "09:00" not in text

    # And check-in keeps to it: 09:15 is too early now, with the time to come back.
    center.at(FRIDAY_0930 - timedelta(minutes=15))
    with pytest.raises(errors.TooEarly) as early:
        await center.service.check_in(
            citizen(1),
            CheckInIn(
                hall_id="h1", appointment_id=mine.id, hall_code=center.service.hall_code("h1")
            ),
        )
    assert "09:20" in early.value.message


def test_the_window_in_words_names_the_day_once_and_both_days_across_midnight() -> None:
    start = FRIDAY_0930
    assert domain.window_text(
        start - timedelta(minutes=30), start + timedelta(minutes=15), ZONE
    ) == ("11月27日 09:00–09:45")
    late = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    assert domain.window_text(late, late + timedelta(minutes=45), ZONE) == (
        "11月27日 23:30–11月28日 00:15"
    )


def test_the_slots_to_check_in_now_are_the_coming_ones_first() -> None:
    plan = make_plan(slot_minutes=30, checkin_early_minutes=30, checkin_late_minutes=15)
    now = datetime(2026, 11, 27, 2, 7, tzinfo=UTC)  # Friday 10:07
    found = [
        f"{s.astimezone(ZoneInfo(ZONE)):%H:%M}"
        for s, _ in domain.slots_to_check_in_now(plan, now, ZONE)
    ]
    assert found == ["10:30", "10:00"]  # 09:30's window closed at 09:45
    saturday = datetime(2026, 11, 28, 2, 7, tzinfo=UTC)
    assert domain.slots_to_check_in_now(plan, saturday, ZONE) == []  # no slots that day

"""Queueing's typed events: a model for every type, published only to the topics the model
names, the data the screens read (and no personal data on a hall's topic)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub import keys
from hub.auth.models import Principal, Role
from hub.events.envelope import Envelope, split_topic
from hub.events.types import Event, registered
from queueing import HALLS, QUEUE, events
from queueing.api import WALK_IN
from queueing.models import Channel, CitizenIn, PhoneCodeIn
from tests.queueing.factories import setup
from tests.support import RunningHub

QUEUEING = Path(events.__file__).parent
CLERK_1 = Principal("clerk1", Role.STAFF, hall="h1", name="王芳")
CLERK_2 = Principal("clerk2", Role.STAFF, hall="h1", name="刘洋")
PERSON = CitizenIn(name="张三丰", id_number="11010519491231002X", phone="13812340000")
# What only a ticket's own topics carry (`events.sometimes` fields given there).
OWN_ONLY = {"ahead", "estimate_minutes", "case_id"}
TICKET = {"ticket_id", "number", "service_id", "service_name", "priority", "appointment"}
AT_COUNTER = TICKET | {"hall_id", "counter_id", "counter_number", "counter_name"}
COUNTER = {
    "hall_id",
    "counter_id",
    "counter_number",
    "counter_name",
    "status",
    "pause_reason",
    "staff_id",
    "staff_name",
    "current_ticket_id",
}
# The data's keys as the screens read them (clients/shared/src/board.ts, ticket.ts, the
# workstation), by type and topic kind: what the models must keep sending.
KEYS: dict[tuple[str, str], set[str]] = {
    ("ticket_issued", "hall"): TICKET | {"channel"},
    ("ticket_issued", "ticket"): TICKET | {"channel", "ahead", "estimate_minutes"},
    ("ticket_called", "hall"): AT_COUNTER | {"call_count", "called_at", "repeat", "reason"},
    ("ticket_recalled", "hall"): AT_COUNTER | {"call_count", "called_at", "repeat"},
    ("ticket_started", "hall"): AT_COUNTER,
    ("ticket_finished", "hall"): AT_COUNTER,
    ("ticket_finished", "ticket"): AT_COUNTER | {"case_id"},
    ("ticket_no_show", "hall"): AT_COUNTER,
    ("ticket_requeued", "hall"): AT_COUNTER | {"queued_behind"},
    ("ticket_transferred", "hall"): AT_COUNTER
    | {"from_service_id", "to_counter_number", "to_counter_name"},
    ("ticket_parked", "hall"): AT_COUNTER,
    ("ticket_unparked", "ticket"): TICKET,
    ("ticket_cancelled", "hall"): TICKET,
    ("position_changed", "ticket"): {"ticket_id", "number", "ahead", "estimate_minutes"},
    ("turn_near", "ticket"): {"ticket_id", "number", "ahead", "estimate_minutes"},
    ("wait_exceeded", "hall"): TICKET | {"hall_id", "waited_minutes"},
    ("waiting_changed", "hall"): {"hall_id", "waiting", "total"},
    ("notice_changed", "hall"): {"hall_id", "notice"},
    ("hall_updated", "hall"): {"hall_id", "name"},
    ("hall_updated", "desk"): {"hall_id", "name"},
    ("desk_ticket_changed", "desk"): {"ticket"},
    ("counter_opened", "hall"): COUNTER,
    ("counter_paused", "hall"): COUNTER,
    ("counter_resumed", "hall"): COUNTER,
    ("counter_closed", "hall"): COUNTER,
    ("counter_updated", "counter"): COUNTER | {"current", "normal_streak"},
}


def queueing_types() -> dict[str, type[Event]]:
    return {t: m for t, m in registered().items() if t.startswith("queueing.")}


def test_every_type_the_module_names_has_a_model() -> None:
    named = set(re.findall(r"\b[a-z]+_[a-z_]+\b", events.__doc__ or ""))
    assert {t.removeprefix("queueing.") for t in queueing_types()} == named
    assert len(named) == 24
    for model in queueing_types().values():
        assert (model.__doc__ or "").strip(), model  # its summary on /api/v1/events.json


def test_queueing_publishes_typed_events_only() -> None:
    for source in QUEUEING.rglob("*.py"):
        assert "publish_untyped" not in source.read_text(encoding="utf-8"), source.name


async def test_a_day_of_events_fits_the_models(hub: RunningHub) -> None:
    """Every event of a scripted day, as published: to a topic its model names, with the
    data the screens read, nothing personal on the hall's topic, masked on the desks'."""
    seen: list[Envelope] = []

    async def record(envelope: Envelope) -> None:
        if envelope.type.startswith("queueing."):  # the message center's follow, too
            seen.append(envelope)

    hub.app[keys.BUS].listen(record)
    await hub.app[HALLS].apply_setup(setup())
    queue = hub.app[QUEUE]
    # The day's morning, whatever the hour the test runs: the long wait below stays in its day.
    morning = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    queue._now = lambda: morning
    await queue.open_counter("w1", CLERK_1)
    await queue.open_counter("w2", CLERK_2)
    mine = await queue.take_ticket("h1", "s1", Channel.MINIAPP, PERSON, citizen_id="c-1")
    for _ in range(3):
        await queue.take_ticket("h1", "s1", Channel.KIOSK, None)
    await queue.settle()
    await queue.call_ticket("w1", mine.id, CLERK_1)
    await queue.recall("w1", CLERK_1)
    await queue.start("w1", CLERK_1)
    await queue.finish("w1", "CASE-7", CLERK_1)
    await queue.call_next("w2", CLERK_2)
    await queue.recall("w2", CLERK_2)
    missed = await queue.no_show("w2", CLERK_2)
    await queue.requeue("w2", missed.id, CLERK_2)  # its holder came back
    await queue.call_next("w1", CLERK_1)
    await queue.transfer("w1", None, "w2", CLERK_1)
    await queue.call_next("w1", CLERK_1)
    parked = await queue.park("w1", CLERK_1)
    await queue.unpark("w1", parked.id, CLERK_1)
    await queue.call_next("w2", CLERK_2)
    await queue.transfer("w2", "s2", None, CLERK_2)
    await queue.cancel(parked.id, CLERK_1)
    await queue.pause("w2", "午休", CLERK_2)
    await queue.resume("w2", CLERK_2)
    await queue.close_counter("w2", CLERK_2)
    await hub.app[HALLS].set_notice("h1", "请带身份证")
    waiting = await queue.take_ticket("h1", "s2", Channel.KIOSK, None)
    await queue.settle()
    later = waiting.queue_time + timedelta(minutes=61)
    queue._now = lambda: later
    assert await queue.alert_long_waits() >= 1
    # A walk-in's phone checked by SMS (码上取号 without an account), as if SMS were configured.
    walk_in = hub.app[WALK_IN]
    walk_in._sms = True
    await walk_in.send_code("h1", PhoneCodeIn(phone="13900139000", device="device-01"), "::1")

    models = queueing_types()
    shapes: dict[tuple[str, str], set[frozenset[str]]] = {}
    for envelope in seen:
        kind = (split_topic(envelope.topic) or ("?", ""))[0]
        model = models[envelope.type]
        assert kind in model.event_topics, (envelope.type, envelope.topic)
        assert model.model_validate(envelope.data).payload() == envelope.data
        name = envelope.type.removeprefix("queueing.")
        shapes.setdefault((name, "ticket" if kind == "citizen" else kind), set()).add(
            frozenset(envelope.data)
        )
        if kind == "hall":
            text = str(envelope.data)
            for personal in ("张三丰", "13812340000", "11010519491231002X", "c-1", "CASE-7"):
                assert personal not in text, envelope
            assert not OWN_ONLY & set(envelope.data), envelope
        if kind == "desk":  # staff read it: the citizen masked
            text = str(envelope.data)
            for personal in ("张三丰", "13812340000", "11010519491231002X"):
                assert personal not in text, envelope
    assert {k for k, _ in shapes} == {t.removeprefix("queueing.") for t in models}
    for key, expected in KEYS.items():
        # The widest shape seen (optional fields present) is exactly what the screens read.
        assert max(shapes[key], key=len) == expected, key
    assert {frozenset(KEYS["ticket_called", "hall"]) - {"reason"}} <= shapes[
        "ticket_called", "ticket"
    ]  # a recall, as the holder hears it
    holding_none = frozenset(COUNTER | {"normal_streak"})
    assert holding_none in shapes["counter_updated", "counter"]
    assert ("ticket_started", "ticket") in shapes

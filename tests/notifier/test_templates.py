"""A template is checked against the events its kind's rules listen to (their models' JSON
Schemas, nested paths included) before it is saved, and rendered with the kind's sample; a
kind no rule with a typed event uses is checked against its sample alone."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from notifier import domain
from notifier.api import DEFAULTS
from notifier.models import Channel, KindSpec, Rule, TemplateIn
from queueing.events import TicketCalled, TurnNear
from rtc.events import CallOffered
from tests.notifier.conftest import Center

# -- the paths a template reads, and whether events have them (pure) --------------------------


@pytest.mark.parametrize(
    ("source", "paths"),
    [
        ("{{ number }}号到{{ counter_name }}", {("number",), ("counter_name",)}),
        ("{{ session.topic_name|default('') }}", {("session", "topic_name")}),
        (
            "{{ slots[0].free }} {{ session['agent_name'] }}",
            {("slots", 0, "free"), ("session", "agent_name")},
        ),
        ("{{ waiting[kind].total }}", {("waiting",), ("kind",)}),  # a key only known at render
        ("{% for s in slots %}{{ s.id }}{{ loop.index }}{% endfor %}", {("slots",)}),
        ("{% set n = ahead + 1 %}{{ n }}{% if warning %}!{% endif %}", {("ahead",), ("warning",)}),
        (
            "{{ estimate_minutes|round|int }} {{ name.upper() }}",
            {("estimate_minutes",), ("name", "upper")},
        ),
    ],
)
def test_a_templates_paths(source: str, paths: set[domain.Path]) -> None:
    assert domain.template_paths(source) == paths


SCHEMA = CallOffered.model_json_schema(mode="serialization")


@pytest.mark.parametrize(
    ("path", "known"),
    [
        (("session",), True),
        (("session", "topic_name"), True),
        (("session", "topic_nam"), False),  # the model says what a session has
        (("session", "rating", "stars"), True),  # through an optional model
        (("session", "rating", "mood"), False),
        (("session", "chat", 0, "text"), True),  # a list's items
        (("session", "chat", 0, "txt"), False),
        (("session", "topic_name", "upper"), True),  # a text's methods: not the schema's to say
        (("expires_at",), True),
        (("expires",), False),
    ],
)
def test_a_path_is_known_where_the_schema_says_what_there_is(
    path: domain.Path, known: bool
) -> None:
    assert (domain.unknown_paths([path], [SCHEMA]) == []) is known


def test_a_free_mapping_has_any_key_and_the_union_of_events_counts() -> None:
    free = {"type": "object", "properties": {"data": {"type": "object"}}}
    assert domain.unknown_paths([("data", "anything", "deep")], [free]) == []
    called = TicketCalled.model_json_schema(mode="serialization")
    near = TurnNear.model_json_schema(mode="serialization")
    paths = [("ahead",), ("counter_name",), ("nowhere",)]
    assert domain.unknown_paths(paths, [called, near]) == ["nowhere"]


# -- saving against the events of real rules ----------------------------------------------------


async def _save(center: Center, **body: Any) -> tuple[int, Any]:
    return await center.http("POST", "/api/v1/notifier/templates", json=body)


async def _versions(center: Center, kind: str, channel: str) -> list[Any]:
    _, found = await center.http("GET", f"/api/v1/notifier/templates/{kind}/{channel}/zh-CN")
    return list(found)


async def test_a_variable_no_event_of_the_kinds_rules_has_is_refused(center: Center) -> None:
    before = await _versions(center, "ticket_called", "sms")
    text = "【政务服务】请{{ number }}号到{{ counter_nme }}办理{{ service_name }}。"
    for path in ("/api/v1/notifier/templates", "/api/v1/notifier/templates/preview"):
        status, error = await center.http(
            "POST", path, json={"kind": "ticket_called", "channel": "sms", "text": text}
        )
        assert (status, error["code"]) == (422, "TEMPLATE_VARIABLE_UNKNOWN")
        assert error["details"]["variables"] == ["counter_nme"]
        assert error["details"]["events"] == ["queueing.ticket_called"]
        assert "counter_nme" in error["detail"]
    assert await _versions(center, "ticket_called", "sms") == before

    ok = "【政务服务】请{{ number }}号到{{ counter_name }}（{{ topic }}）。"
    status, saved = await _save(center, kind="ticket_called", channel="sms", text=ok)
    assert status == 201, saved
    assert saved["version"] == len(before) + 1


async def test_the_sample_does_not_make_a_variable_known(center: Center) -> None:
    """A kind's sample may hold more than its events carry: the events decide."""
    kind = KindSpec.model_validate(
        {
            "_id": "ticket_near",
            "title": "即将叫号提醒",
            "sample": {"number": "A1", "ahead": 2, "hall_name": "市民中心"},
        }
    )
    await center.service.save_kind(kind)
    status, error = await _save(
        center, kind="ticket_near", channel="in_app", text="{{ hall_name }}：{{ number }}"
    )
    assert (status, error["code"]) == (422, "TEMPLATE_VARIABLE_UNKNOWN")
    # And an event's field the sample lacks still fails its render with the sample.
    status, error = await _save(
        center,
        kind="ticket_near",
        channel="in_app",
        text="{{ number }} 约 {{ estimate_minutes }} 分钟",
    )
    assert (status, error["code"]) == (422, "TEMPLATE_INVALID")
    assert any("estimate_minutes" in p for p in error["details"]["problems"])


async def test_nested_paths_are_checked_against_the_events_model(center: Center) -> None:
    sample = {"session": {"topic_name": "社保医保", "citizen_name": "张*"}, "expires_at": "x"}
    await center.service.save_kind(
        KindSpec.model_validate(
            {"_id": "call_offer", "title": "来电", "audience": "staff", "sample": sample}
        )
    )
    await center.service.save_rule(
        Rule.model_validate(
            {
                "_id": "call-offer",
                "event_type": "rtc.call_offered",
                "kind": "call_offer",
                "recipients": ["{topic}"],
                "channels": ["in_app"],
            }
        )
    )
    good = "{{ session.citizen_name }}咨询{{ session['topic_name'] }}"
    status, saved = await _save(center, kind="call_offer", channel="in_app", text=good)
    assert status == 201, saved
    status, error = await _save(
        center,
        kind="call_offer",
        channel="in_app",
        subject="{{ session.topic }}",
        text="{{ session.subject }}",
    )
    assert (status, error["code"]) == (422, "TEMPLATE_VARIABLE_UNKNOWN")
    assert error["details"]["variables"] == ["session.subject"]  # `topic` is a session's too
    assert error["details"]["problems"] == ["text：事件中没有变量 session.subject"]


async def test_a_kind_with_two_rules_knows_what_either_event_has(center: Center) -> None:
    await center.service.save_rule(
        Rule.model_validate(
            {
                "_id": "ticket-recalled",
                "event_type": "queueing.ticket_recalled",
                "kind": "ticket_called",
                "recipients": ["{topic}"],
                "channels": ["in_app"],
            }
        )
    )
    assert set(await center.service.template_events("ticket_called")) == {
        "queueing.ticket_called",
        "queueing.ticket_recalled",
    }
    status, _ = await _save(center, kind="ticket_called", channel="in_app", text="{{ number }}")
    assert status == 201


async def test_a_kind_no_typed_event_makes_is_checked_with_its_sample(center: Center) -> None:
    await center.service.save_rule(
        Rule.model_validate(
            {
                "_id": "untyped",
                "event_type": "test.never_modelled",
                "kind": "notice",
                "recipients": ["{topic}"],
                "channels": ["in_app"],
            }
        )
    )
    assert await center.service.template_events("notice") == {}
    status, _ = await _save(center, kind="notice", channel="in_app", text="{{ title }}：{{ body }}")
    assert status == 201
    status, error = await _save(center, kind="notice", channel="in_app", text="{{ heading }}")
    assert (status, error["code"]) == (422, "TEMPLATE_INVALID")


async def test_every_default_template_fits_the_events_of_its_kinds_rules(center: Center) -> None:
    raw = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    for t in raw["templates"]:
        template = TemplateIn(
            kind=t["kind"],
            channel=Channel(t["channel"]),
            subject=t.get("subject", ""),
            text=t["text"],
            html=t.get("html", ""),
        )
        await center.service.preview(template)  # raises when it does not

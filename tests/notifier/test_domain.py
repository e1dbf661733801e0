"""The message center's pure rules: rendering, recipients, addresses, preferences, quiet
hours, retries, receipts and digests. No I/O."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from notifier.domain import (
    BACKOFF_FIRST_SECONDS,
    BACKOFF_MAX_SECONDS,
    SMS_MAX_CHARS,
    address_of,
    after_attempt,
    after_receipt,
    backoff,
    check_email,
    delivery_key,
    digest,
    matching,
    normalise_phone,
    opted_out,
    quiet_until,
    recipients_of,
    render,
    render_text,
    template_problems,
    variables,
)
from notifier.errors import InvalidAddress, TemplateError
from notifier.models import (
    Attempt,
    Channel,
    Contact,
    Delivery,
    DeliveryState,
    Outcome,
    QuietHours,
    Rendered,
    Rule,
    Template,
)

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SAMPLE: dict[str, Any] = {"number": "A001", "counter": "3号窗口", "hall": "政务服务大厅"}


class _FixedRandom(random.Random):
    """A random source whose `random()` is always the same number."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _contact(**changes: Any) -> Contact:
    return Contact.model_validate({"_id": "citizen:c1", **changes})


def _template(**changes: Any) -> Template:
    raw: dict[str, Any] = {
        "_id": "ticket_called/email/zh-CN/v1",
        "kind": "ticket_called",
        "channel": "email",
        "version": 1,
        "subject": "",
        "text": "",
        "html": "",
        "created_at": T0,
    }
    return Template.model_validate({**raw, **changes})


def _rule(rule_id: str = "r1", **changes: Any) -> Rule:
    raw: dict[str, Any] = {
        "_id": rule_id,
        "event_type": "queueing.ticket_called",
        "kind": "ticket_called",
        "recipients": ["citizen:{citizen_id}"],
        "channels": ["sms"],
    }
    return Rule.model_validate({**raw, **changes})


def _delivery(attempts: int = 1, provider_index: int = 0, detail: str = "") -> Delivery:
    return Delivery.model_validate(
        {
            "_id": "d1",
            "key": delivery_key("event:e1", Channel.SMS, "citizen:c1"),
            "message_id": "m1",
            "kind": "ticket_called",
            "channel": "sms",
            "recipient": "citizen:c1",
            "due_at": T0,
            "lease_until": T0,
            "created_at": T0,
            "updated_at": T0,
            "provider_index": provider_index,
            "attempts": [
                Attempt(at=T0, provider=f"p{i}", outcome=Outcome.TEMPORARY, detail=detail)
                for i in range(attempts)
            ],
        }
    )


# -- rendering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "{{ number.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ range(10 ** 7) | list | length }}",
    ],
)
def test_the_sandbox_refuses_python_internals(source: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render_text(source, SAMPLE)
    assert caught.value.code == "TEMPLATE_INVALID"


def test_a_private_attribute_is_not_readable() -> None:
    class Secretive:
        _token = "s3cret"
        public = "ok"

    assert render_text("{{ obj.public }}", {"obj": Secretive()}) == "ok"
    with pytest.raises(TemplateError) as caught:
        render_text("{{ obj._token }}", {"obj": Secretive()})
    assert "s3cret" not in caught.value.message


def test_a_missing_variable_is_an_error_not_a_blank() -> None:
    with pytest.raises(TemplateError) as caught:
        render_text("请 {{ number }} 到 {{ counter }}", {"number": "A001"})
    assert "counter" in caught.value.message
    assert "counter" in caught.value.details["detail"]


@pytest.mark.parametrize(
    "source",
    ["{% if vip %}优先{% endif %}", "{{ ticket.wait_minutes }}", "{{ missing | upper }}"],
)
def test_strict_undefined_also_guards_tests_attributes_and_filters(source: str) -> None:
    with pytest.raises(TemplateError):
        render_text(source, {"ticket": {"number": "A001"}})


def test_a_syntax_error_is_a_template_error() -> None:
    with pytest.raises(TemplateError) as caught:
        render_text("{{ number ", SAMPLE)
    assert "语法" in caught.value.message


def test_html_is_escaped_in_the_html_part_only() -> None:
    data = {"name": "<b>王&李</b>"}
    assert (
        render_text("<p>{{ name }}</p>", data, html=True) == "<p>&lt;b&gt;王&amp;李&lt;/b&gt;</p>"
    )
    assert render_text("您好 {{ name }}", data) == "您好 <b>王&李</b>"


def test_render_fills_every_part_and_escapes_only_html() -> None:
    template = _template(
        subject="{{ number }} 请到 {{ counter }}",
        text="  {{ number }} 请到 {{ counter }}（{{ note }}）\n",
        html="<p>{{ number }}：{{ note }}</p>",
    )
    rendered = render(template, {**SAMPLE, "note": "<带证件>"})
    assert rendered == Rendered(
        subject="A001 请到 3号窗口",
        text="A001 请到 3号窗口（<带证件>）",
        html="<p>A001：&lt;带证件&gt;</p>",
    )


def test_render_leaves_absent_parts_empty() -> None:
    rendered = render(_template(text="{{ number }}"), SAMPLE)
    assert rendered == Rendered(subject="", text="A001", html="")


def test_render_fails_on_a_missing_variable_in_any_part() -> None:
    with pytest.raises(TemplateError):
        render(_template(subject="{{ nope }}", text="{{ number }}"), SAMPLE)
    with pytest.raises(TemplateError):
        render(_template(text="{{ number }}", html="<p>{{ nope }}</p>"), SAMPLE)


@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        ("约 {{ minutes | round | int }} 分钟", {"minutes": 12.6}, "约 13 分钟"),
        ("约 {{ minutes | round | int }} 分钟", {"minutes": 12.4}, "约 12 分钟"),
        ("{{ '%.1f' | format(km) }} 公里", {"km": 2.345}, "2.3 公里"),
        ("{{ items | join('、') }}", {"items": ["身份证", "户口本"]}, "身份证、户口本"),
        ("{{ name | default('市民') }}您好", {"name": "张三"}, "张三您好"),
    ],
)
def test_filters_work(source: str, data: dict[str, Any], expected: str) -> None:
    assert render_text(source, data) == expected


def test_block_tags_leave_no_blank_lines() -> None:
    source = "{% for item in items %}\n- {{ item }}\n{% endfor %}"
    assert render_text(source, {"items": ["身份证", "户口本"]}) == "- 身份证\n- 户口本"


# -- template checks --------------------------------------------------------------------------


def test_variables_are_the_top_level_names_read() -> None:
    source = (
        "{{ number }} {{ ticket.service }}"
        "{% for item in items %}{{ item }}{% endfor %}{% set local = 1 %}{{ local }}"
    )
    assert variables(source) == {"number", "ticket", "items"}


def test_variables_of_a_broken_template_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        variables("{% if number %}没有结束")


@pytest.mark.parametrize(
    ("channel", "parts"),
    [
        (Channel.SMS, {"text": "{{ number }} 请到 {{ counter }}"}),
        (Channel.IN_APP, {"subject": "到号了", "text": "{{ number }} 请到 {{ counter }}"}),
        (
            Channel.EMAIL,
            {
                "subject": "{{ hall }}：{{ number }}",
                "text": "{{ number }} 请到 {{ counter }}",
                "html": "<p>{{ number }}</p>",
            },
        ),
    ],
)
def test_a_sound_template_has_no_problems(channel: Channel, parts: dict[str, str]) -> None:
    assert template_problems(channel, parts, SAMPLE) == []


def test_a_variable_the_sample_lacks_is_named() -> None:
    problems = template_problems(Channel.SMS, {"text": "{{ number }} {{ wait_minutes }}"}, SAMPLE)
    assert len(problems) == 1
    assert "wait_minutes" in problems[0]
    assert "number" not in problems[0]


def test_problems_name_the_part_they_are_in() -> None:
    problems = template_problems(
        Channel.EMAIL,
        {"subject": "{{ title }}", "text": "{{ number }}", "html": "<p>{{ body }}</p>"},
        SAMPLE,
    )
    assert len(problems) == 2
    assert any("subject" in p and "title" in p for p in problems), problems
    assert any("html" in p and "body" in p for p in problems), problems


def test_a_syntax_error_is_a_problem() -> None:
    problems = template_problems(Channel.SMS, {"text": "{{ number "}, SAMPLE)
    assert len(problems) == 1
    assert "语法" in problems[0]


def test_a_missing_nested_field_is_a_problem() -> None:
    sample = {"ticket": {"number": "A001"}}
    problems = template_problems(Channel.SMS, {"text": "{{ ticket.counter }}"}, sample)
    assert len(problems) == 1
    assert "counter" in problems[0]


def test_a_sandbox_refusal_is_a_problem() -> None:
    problems = template_problems(Channel.SMS, {"text": "{{ ''.__class__.__mro__ }}"}, SAMPLE)
    assert len(problems) == 1
    assert "__class__" in problems[0]


def test_an_sms_too_long_once_rendered_is_a_problem() -> None:
    parts = {"text": "{{ notice }}"}
    fits = template_problems(Channel.SMS, parts, {"notice": "字" * SMS_MAX_CHARS})
    assert fits == []
    problems = template_problems(Channel.SMS, parts, {"notice": "字" * (SMS_MAX_CHARS + 1)})
    assert len(problems) == 1
    assert str(SMS_MAX_CHARS + 1) in problems[0]


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.IN_APP])
def test_only_sms_has_a_length_limit(channel: Channel) -> None:
    parts = {"subject": "通知", "text": "字" * (SMS_MAX_CHARS * 2)}
    assert template_problems(channel, parts, {}) == []


@pytest.mark.parametrize(
    "parts", [{"text": "{{ number }}"}, {"subject": "", "text": "{{ number }}"}]
)
def test_an_email_needs_a_subject(parts: dict[str, str]) -> None:
    problems = template_problems(Channel.EMAIL, parts, SAMPLE)
    assert len(problems) == 1
    assert "主题" in problems[0]
    assert template_problems(Channel.SMS, parts, SAMPLE) == []


# -- rules and recipients ---------------------------------------------------------------------


def test_matching_keeps_enabled_rules_of_the_event_type_in_order() -> None:
    called = _rule("called")
    also_called = _rule("also-called", channels=["email"])
    disabled = _rule("disabled", enabled=False)
    other = _rule("other", event_type="queueing.ticket_taken")
    rules = [called, disabled, other, also_called]
    assert matching(rules, "queueing.ticket_called") == [called, also_called]
    assert matching(rules, "queueing.ticket_taken") == [other]
    assert matching(rules, "queueing.nothing") == []
    assert matching([disabled], "queueing.ticket_called") == []


def test_recipient_patterns_are_filled_from_the_event() -> None:
    rule = _rule(
        recipients=["citizen:{citizen_id}", "user:supervisor", "group:supervisors:{hall_id}"]
    )
    data = {"citizen_id": "c42", "hall_id": "xc-01", "number": "A001"}
    assert recipients_of(rule, data) == [
        "citizen:c42",
        "user:supervisor",
        "group:supervisors:xc-01",
    ]


def test_a_whole_recipient_can_come_from_the_event() -> None:
    rule = _rule(recipients=["{topic}", "user:{clerk}"])
    assert recipients_of(rule, {"topic": "user:clerk01", "clerk": "clerk02"}) == [
        "user:clerk01",
        "user:clerk02",
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"hall_id": "xc-01"},
        {"hall_id": "xc-01", "citizen_id": None},
        {"hall_id": "xc-01", "citizen_id": ""},
    ],
)
def test_a_pattern_whose_field_is_missing_names_nobody(data: dict[str, Any]) -> None:
    rule = _rule(recipients=["citizen:{citizen_id}", "group:supervisors:{hall_id}"])
    assert recipients_of(rule, data) == ["group:supervisors:xc-01"]


def test_no_fields_no_recipients() -> None:
    rule = _rule(recipients=["citizen:{citizen_id}"])
    assert recipients_of(rule, {}) == []


def test_recipients_are_named_once_in_first_order() -> None:
    rule = _rule(recipients=["user:{clerk}", "user:supervisor", "user:{assignee}"])
    data = {"clerk": "supervisor", "assignee": "clerk01"}
    assert recipients_of(rule, data) == ["user:supervisor", "user:clerk01"]


# -- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "13800138000",
        "+8613800138000",
        "8613800138000",
        "+86 138 0013 8000",
        "86-138-0013-8000",
        " 138-0013-8000 ",
        "+86-138 0013 8000",
        "0086 138 0013 8000",
        "(+86) 138 0013 8000",
    ],
)
def test_a_mainland_mobile_becomes_e164(phone: str) -> None:
    assert normalise_phone(phone) == "+8613800138000"


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("+44 7400 123456", "+447400123456"), ("+1-415-555-2671", "+14155552671")],
)
def test_a_foreign_e164_number_is_kept(phone: str, expected: str) -> None:
    assert normalise_phone(phone) == expected


@pytest.mark.parametrize(
    "phone",
    [
        "010-12345678",  # Beijing landline
        "0755 8888 8888",  # Shenzhen landline
        "12800138000",  # no such mobile prefix
        "1380013800",  # one digit short
        "138001380001",  # one digit too many
        "12345",
        "",
        "not a number",
        "+0123456789",
        "+12345",  # too short for E.164
        "+44 20 7946 0958",  # a London landline
        "138 0013 800x",
    ],
)
def test_anything_else_is_an_invalid_address(phone: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        normalise_phone(phone)
    assert caught.value.code == "INVALID_ADDRESS"
    assert caught.value.details["channel"] == "sms"


def test_an_invalid_number_is_not_echoed_in_full() -> None:
    with pytest.raises(InvalidAddress) as caught:
        normalise_phone("010-12345678")
    assert "12345678" not in caught.value.message


@pytest.mark.parametrize("phone", ["+86 10 1234 5678", "+86 755 8888 8888", "+86 12345"])
def test_a_plus86_number_must_be_a_mobile(phone: str) -> None:
    with pytest.raises(InvalidAddress):
        normalise_phone(phone)


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("wang.li@example.com", "wang.li@example.com"),
        ("  zhang+hall@mail.gov.cn ", "zhang+hall@mail.gov.cn"),
    ],
)
def test_a_sound_email_is_kept(email: str, expected: str) -> None:
    assert check_email(email) == expected


@pytest.mark.parametrize(
    "email",
    ["", "wang", "wang@", "@example.com", "wang@example", "wang li@example.com", "a@b@c.com"],
)
def test_a_bad_email_is_an_invalid_address(email: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        check_email(email)
    assert caught.value.code == "INVALID_ADDRESS"
    assert caught.value.details["channel"] == "email"


def test_in_app_reaches_the_recipient_id_whatever_else_is_known() -> None:
    assert address_of(_contact(), Channel.IN_APP) == "citizen:c1"
    contact = _contact(phone="not a number", email="nope")
    assert address_of(contact, Channel.IN_APP) == "citizen:c1"


def test_address_of_normalises_and_checks() -> None:
    contact = _contact(phone="+86 138 0013 8000", email=" wang@example.com ")
    assert address_of(contact, Channel.SMS) == "+8613800138000"
    assert address_of(contact, Channel.EMAIL) == "wang@example.com"


@pytest.mark.parametrize(
    ("changes", "channel"),
    [
        ({"email": "wang@example.com"}, Channel.SMS),
        ({"phone": "13800138000"}, Channel.EMAIL),
        ({"phone": "010-12345678"}, Channel.SMS),
        ({"email": "wang@"}, Channel.EMAIL),
    ],
)
def test_no_usable_address_is_an_invalid_address(changes: dict[str, Any], channel: Channel) -> None:
    with pytest.raises(InvalidAddress) as caught:
        address_of(_contact(**changes), channel)
    assert caught.value.code == "INVALID_ADDRESS"
    assert caught.value.details["channel"] == channel.value


# -- preferences and quiet hours --------------------------------------------------------------


def test_an_opt_out_is_per_kind_and_channel() -> None:
    contact = _contact(opted_out={"ticket_called": ["sms"]})
    assert opted_out(contact, "ticket_called", Channel.SMS, critical=False)
    assert not opted_out(contact, "ticket_called", Channel.EMAIL, critical=False)
    assert not opted_out(contact, "ticket_called", Channel.IN_APP, critical=False)
    assert not opted_out(contact, "long_wait", Channel.SMS, critical=False)


def test_an_opt_out_of_every_kind() -> None:
    contact = _contact(opted_out={"*": ["email"]})
    assert opted_out(contact, "ticket_called", Channel.EMAIL, critical=False)
    assert opted_out(contact, "long_wait", Channel.EMAIL, critical=False)
    assert not opted_out(contact, "long_wait", Channel.SMS, critical=False)


def test_nobody_opts_out_of_a_critical_kind() -> None:
    contact = _contact(opted_out={"service_outage": ["sms", "email"], "*": ["sms"]})
    assert opted_out(contact, "service_outage", Channel.SMS, critical=False)
    assert not opted_out(contact, "service_outage", Channel.SMS, critical=True)
    assert not opted_out(contact, "service_outage", Channel.EMAIL, critical=True)


def test_no_preferences_no_opt_out() -> None:
    assert not opted_out(_contact(), "ticket_called", Channel.SMS, critical=False)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (_utc(26, 13, 0), _utc(27, 0, 0)),  # 21:00 in Shanghai: the start is quiet
        (_utc(26, 14, 30), _utc(27, 0, 0)),  # 22:30
        (_utc(26, 15, 59), _utc(27, 0, 0)),  # 23:59
        (_utc(26, 16, 0), _utc(27, 0, 0)),  # 00:00, past midnight: the same morning
        (_utc(26, 18, 15), _utc(27, 0, 0)),  # 02:15
        (_utc(26, 23, 59), _utc(27, 0, 0)),  # 07:59
    ],
)
def test_quiet_hours_hold_until_8_local(now: datetime, until: datetime) -> None:
    contact = _contact(timezone="Asia/Shanghai")
    for channel in (Channel.SMS, Channel.EMAIL):
        held = quiet_until(now, contact, channel, critical=False)
        assert held == until
        assert held is not None
        assert held.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "now",
    [_utc(26, 0, 0), _utc(26, 2, 0), _utc(26, 12, 59)],  # 08:00, 10:00, 20:59 in Shanghai
)
def test_outside_quiet_hours_nothing_is_held(now: datetime) -> None:
    assert quiet_until(now, _contact(), Channel.SMS, critical=False) is None


def test_quiet_hours_are_the_contacts_own_time() -> None:
    now = _utc(26, 14, 0)  # 22:00 in Shanghai, 14:00 in London
    assert quiet_until(now, _contact(timezone="Asia/Shanghai"), Channel.SMS, False) is not None
    assert quiet_until(now, _contact(timezone="Europe/London"), Channel.SMS, False) is None
    late = _utc(26, 22, 0)  # 22:00 in London, 06:00 next day in Shanghai
    assert quiet_until(late, _contact(timezone="Europe/London"), Channel.SMS, False) == _utc(
        27, 8, 0
    )


def test_quiet_hours_across_a_daylight_saving_change() -> None:
    # 22:00 EST on 9 March 2024; clocks go forward that night, 08:00 next morning is EDT.
    now = datetime(2024, 3, 10, 3, 0, tzinfo=UTC)
    held = quiet_until(now, _contact(timezone="America/New_York"), Channel.SMS, False)
    assert held == datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def test_the_contacts_own_quiet_hours() -> None:
    contact = _contact(quiet_hours={"start": "12:00", "end": "14:30"})  # a midday nap
    assert contact.quiet_hours == QuietHours(start=time(12, 0), end=time(14, 30))
    assert quiet_until(_utc(26, 5, 0), contact, Channel.SMS, False) == _utc(26, 6, 30)
    assert quiet_until(_utc(26, 6, 30), contact, Channel.SMS, False) is None
    assert quiet_until(_utc(26, 14, 0), contact, Channel.SMS, False) is None  # 22:00


def test_critical_and_in_app_messages_are_never_held() -> None:
    now = _utc(26, 15, 0)  # 23:00 in Shanghai
    contact = _contact()
    assert quiet_until(now, contact, Channel.SMS, critical=False) is not None
    assert quiet_until(now, contact, Channel.SMS, critical=True) is None
    assert quiet_until(now, contact, Channel.EMAIL, critical=True) is None
    assert quiet_until(now, contact, Channel.IN_APP, critical=False) is None


# -- retries ----------------------------------------------------------------------------------


def test_backoff_doubles_up_to_ten_minutes() -> None:
    middle = _FixedRandom(0.5)  # no jitter: the factor is 0.5 + 0.5
    seconds = [backoff(n, middle).total_seconds() for n in range(1, 10)]
    assert seconds == [5, 10, 20, 40, 80, 160, 320, 600, 600]
    assert backoff(0, middle).total_seconds() == BACKOFF_FIRST_SECONDS


def test_backoff_jitter_is_half_to_one_and_a_half_times() -> None:
    assert backoff(3, _FixedRandom(0.0)).total_seconds() == 10
    assert backoff(3, _FixedRandom(0.999)).total_seconds() == pytest.approx(29.98)
    assert backoff(50, _FixedRandom(0.999)).total_seconds() < BACKOFF_MAX_SECONDS * 1.5


def test_backoff_is_jittered_and_reproducible() -> None:
    waits = [backoff(3, random.Random(seed)).total_seconds() for seed in range(50)]
    assert all(10 <= w < 30 for w in waits)
    assert len(set(waits)) > 40
    assert backoff(3, random.Random(7)) == backoff(3, random.Random(7))


def test_backoff_grows_for_any_draw() -> None:
    rng = random.Random(1)
    for attempt in range(1, 8):
        # the shortest wait of the next attempt is the longest of this one's base
        assert backoff(attempt + 1, rng) >= backoff(attempt, _FixedRandom(0.0)) * 2
    for attempt in range(1, 51):
        assert backoff(attempt, rng) < timedelta(seconds=BACKOFF_MAX_SECONDS * 1.5)


def test_a_sent_attempt_is_sent() -> None:
    step = after_attempt(_delivery(), Outcome.SENT, 2, 5, T0, random.Random(0))
    assert step == {"state": DeliveryState.SENT, "final_at": None}


def test_a_temporary_error_queues_again_with_the_next_provider() -> None:
    step = after_attempt(_delivery(attempts=1), Outcome.TEMPORARY, 3, 5, T0, random.Random(0))
    assert step["state"] is DeliveryState.QUEUED
    assert step["provider_index"] == 1
    assert T0 + timedelta(seconds=2.5) <= step["due_at"] < T0 + timedelta(seconds=7.5)
    assert step["due_at"] == T0 + backoff(1, random.Random(0))
    assert "final_at" not in step


@pytest.mark.parametrize(
    ("providers", "index", "expected"),
    [(3, 0, 1), (3, 1, 2), (3, 2, 0), (2, 1, 0), (1, 0, 0), (0, 0, 0)],
)
def test_failover_goes_round_the_providers(providers: int, index: int, expected: int) -> None:
    delivery = _delivery(provider_index=index)
    step = after_attempt(delivery, Outcome.TEMPORARY, providers, 5, T0, random.Random(0))
    assert step["provider_index"] == expected


def test_each_retry_waits_longer() -> None:
    middle = _FixedRandom(0.5)
    waits = [
        after_attempt(_delivery(attempts=n), Outcome.TEMPORARY, 2, 10, T0, middle)["due_at"] - T0
        for n in (1, 2, 3)
    ]
    assert waits == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]


@pytest.mark.parametrize("attempts", [4, 5])
def test_too_many_temporary_errors_fail_for_good(attempts: int) -> None:
    step = after_attempt(
        _delivery(attempts=attempts), Outcome.TEMPORARY, 2, 4, T0, random.Random(0)
    )
    assert step["state"] is DeliveryState.FAILED
    assert step["final_at"] == T0
    assert str(attempts) in step["reason"]


def test_the_last_allowed_attempt_still_retries() -> None:
    step = after_attempt(_delivery(attempts=3), Outcome.TEMPORARY, 2, 4, T0, random.Random(0))
    assert step["state"] is DeliveryState.QUEUED


@pytest.mark.parametrize("providers", [1, 3])
def test_a_permanent_error_fails_at_once_without_failover(providers: int) -> None:
    delivery = _delivery(attempts=1, detail="21211 invalid 'To' number")
    step = after_attempt(delivery, Outcome.PERMANENT, providers, 5, T0, random.Random(0))
    assert step == {
        "state": DeliveryState.FAILED,
        "final_at": T0,
        "reason": "21211 invalid 'To' number",
    }


def test_a_permanent_error_without_attempts_still_has_a_reason() -> None:
    step = after_attempt(_delivery(attempts=0), Outcome.PERMANENT, 2, 5, T0, random.Random(0))
    assert step["state"] is DeliveryState.FAILED
    assert step["reason"]


# -- receipts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "status", "expected"),
    [
        (DeliveryState.QUEUED, "queued", DeliveryState.SENT),
        (DeliveryState.QUEUED, "sent", DeliveryState.SENT),
        (DeliveryState.SENT, "delivered", DeliveryState.DELIVERED),
        (DeliveryState.SENT, "read", DeliveryState.DELIVERED),
        (DeliveryState.SENT, "DELIVERED", DeliveryState.DELIVERED),
        (DeliveryState.QUEUED, "delivered", DeliveryState.DELIVERED),
        (DeliveryState.SENT, "failed", DeliveryState.FAILED),
        (DeliveryState.SENT, "undelivered", DeliveryState.FAILED),
        (DeliveryState.SENT, "canceled", DeliveryState.FAILED),
    ],
)
def test_a_receipt_moves_forward(
    current: DeliveryState, status: str, expected: DeliveryState
) -> None:
    assert after_receipt(current, status) is expected


@pytest.mark.parametrize(
    ("current", "status"),
    [
        (DeliveryState.SENT, "sent"),  # a repeated callback
        (DeliveryState.SENT, "sending"),
        (DeliveryState.SENT, "accepted"),
        (DeliveryState.DELIVERED, "delivered"),
        (DeliveryState.DELIVERED, "sent"),  # never back
        (DeliveryState.DELIVERED, "queued"),
        (DeliveryState.DELIVERED, "failed"),  # a late failure does not undo a delivery
        (DeliveryState.FAILED, "delivered"),
        (DeliveryState.FAILED, "sent"),
        (DeliveryState.SUPPRESSED, "delivered"),
        (DeliveryState.SENT, "bounced-somehow"),  # unknown: ignored
        (DeliveryState.QUEUED, ""),
    ],
)
def test_a_receipt_that_changes_nothing_is_none(current: DeliveryState, status: str) -> None:
    assert after_receipt(current, status) is None


# -- digests and keys -------------------------------------------------------------------------


def test_a_digest_of_one_is_that_message() -> None:
    one = Rendered(subject="到号提醒", text="A001 请到 3号窗口", html="<p>A001</p>")
    assert digest([one]) == one


def test_a_digest_merges_every_message_and_counts_them() -> None:
    items = [
        Rendered(subject="排队提醒", text="A001 已等候 30 分钟", html="<p>A001</p>"),
        Rendered(subject="排队提醒", text="A002 已等候 35 分钟", html="<p>A002</p>"),
        Rendered(subject="排队提醒", text="A003 已等候 40 分钟", html="<p>A003</p>"),
    ]
    merged = digest(items)
    assert "3" in merged.subject
    assert merged.subject.startswith("排队提醒")
    assert "3 条" in merged.text
    lines = merged.text.splitlines()
    for i, item in enumerate(items, start=1):
        assert f"{i}. {item.text}" in lines
        assert f"<li>{item.html}</li>" in merged.html
    assert merged.html.count("<li>") == 3


def test_a_digest_without_html_escapes_the_text_into_html() -> None:
    items = [Rendered(text="<b>A001</b> & 更多"), Rendered(text="A002")]
    merged = digest(items)
    assert "<li>&lt;b&gt;A001&lt;/b&gt; &amp; 更多</li>" in merged.html
    assert "<li>A002</li>" in merged.html
    assert "<b>" not in merged.html
    assert merged.subject == ""
    assert "<b>A001</b> & 更多" in merged.text  # the text part is not escaped


def test_the_same_delivery_has_the_same_key() -> None:
    key = delivery_key("event:e1", Channel.SMS, "citizen:c1")
    assert key == delivery_key("event:e1", Channel.SMS, "citizen:c1")
    others = {
        delivery_key("event:e2", Channel.SMS, "citizen:c1"),
        delivery_key("event:e1", Channel.EMAIL, "citizen:c1"),
        delivery_key("event:e1", Channel.IN_APP, "citizen:c1"),
        delivery_key("event:e1", Channel.SMS, "citizen:c2"),
        delivery_key("api:e1", Channel.SMS, "citizen:c1"),
    }
    assert key not in others
    assert len(others) == 5

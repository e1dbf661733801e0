"""Pure rules of the message center: rendering, who gets what where and when, retries,
receipts. No I/O."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from notifier.errors import InvalidAddress, TemplateError
from notifier.models import (
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

DEFAULT_QUIET_HOURS = QuietHours(start=time(21, 0), end=time(8, 0))
SMS_MAX_CHARS = 500  # longer than this is split into too many parts to be one message

# Sandboxed: a template edited in the back office can read its data, never call into Python.
# StrictUndefined: a missing variable is an error when the template is saved or previewed,
# not a blank in a citizen's SMS.
_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
_html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, trim_blocks=True)


# -- templates --------------------------------------------------------------------------------


def render_text(source: str, data: dict[str, Any], *, html: bool = False) -> str:
    env = _html_env if html else _env
    try:
        return env.from_string(source).render(**data).strip()
    except UndefinedError as exc:
        raise TemplateError(f"模板缺少变量：{exc.message}", detail=exc.message) from exc
    except TemplateSyntaxError as exc:
        raise TemplateError(f"模板语法错误（第 {exc.lineno} 行）：{exc.message}") from exc
    except Exception as exc:  # a sandbox refusal or a type error inside an expression
        raise TemplateError(f"模板无法渲染：{exc}") from exc


def render(template: Template, data: dict[str, Any]) -> Rendered:
    return Rendered(
        subject=render_text(template.subject, data) if template.subject else "",
        text=render_text(template.text, data),
        html=render_text(template.html, data, html=True) if template.html else "",
    )


DEFAULT_LOCALE = "zh-CN"


def newest_templates(templates: Iterable[Template]) -> dict[tuple[str, Channel, str], Template]:
    """The newest version of each (kind, channel, locale) among stored versions."""
    newest: dict[tuple[str, Channel, str], Template] = {}
    for template in templates:
        key = (template.kind, template.channel, template.locale)
        if key not in newest or newest[key].version < template.version:
            newest[key] = template
    return newest


def template_for(
    newest: dict[tuple[str, Channel, str], Template], kind: str, channel: Channel, locale: str
) -> Template | None:
    """The template a message uses: the newest version in the recipient's locale, or else in
    zh-CN; None when the kind has none on the channel."""
    for wanted in dict.fromkeys((locale, DEFAULT_LOCALE)):
        if (found := newest.get((kind, channel, wanted))) is not None:
            return found
    return None


def variables(source: str) -> set[str]:
    """The top-level variables a template reads."""
    try:
        return set(meta.find_undeclared_variables(_env.parse(source)))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"模板语法错误（第 {exc.lineno} 行）：{exc.message}") from exc


# A variable and the attributes or keys read from it: `{{ ticket.number }}` is
# ("ticket", "number"), `{{ slots[0].free }}` ("slots", 0, "free").
Path = tuple[str | int, ...]


def template_paths(source: str) -> set[Path]:
    """Every variable a template reads from its data, with the attribute or key path it
    follows as far as the template writes it out (a key computed at render time ends the
    path). Names the template sets itself (a loop's, `set`) are not its data."""
    try:
        tree = _env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"模板语法错误（第 {exc.lineno} 行）：{exc.message}") from exc
    data = meta.find_undeclared_variables(tree)
    found: set[Path] = set()

    def visit(node: nodes.Node) -> None:
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            others: list[nodes.Node] = []
            path, _ = _walk(node, others)
            if path and path[0] in data:
                found.add(path)
            for other in others:
                visit(other)
            return
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)
    return found


def _walk(node: nodes.Node, others: list[nodes.Node]) -> tuple[Path | None, bool]:
    """The path `node` reads from a variable, and whether it may go on (a key computed at
    render time ends it); the parts that are no path go to `others`, to be looked into."""
    if isinstance(node, nodes.Name):
        return ((node.name,) if node.ctx == "load" else None), True
    key: str | int | None
    if isinstance(node, nodes.Getattr):
        key = node.attr
    elif isinstance(node, nodes.Getitem):
        key = _const_key(node.arg)
        if key is None:
            others.append(node.arg)
    else:
        others.append(node)
        return None, False
    base, goes_on = _walk(node.node, others)
    if base is None or not goes_on or key is None:
        return base, False
    return (*base, key), True


def _const_key(node: nodes.Node) -> str | int | None:
    value = node.value if isinstance(node, nodes.Const) else None
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def unknown_paths(paths: Iterable[Path], schemas: Sequence[dict[str, Any]]) -> list[str]:
    """The paths no schema has, written `a.b.0`. A JSON Schema that lists an object's
    properties has only those (the events' models are closed); an object without a list (a
    free mapping), a value of any other type, or one the schema leaves open, may have any."""
    return sorted(
        ".".join(str(part) for part in path)
        for path in paths
        if not any(_has(schema, schema, path) for schema in schemas)
    )


def _has(root: dict[str, Any], schema: Any, path: Path) -> bool:
    if not path or not isinstance(schema, dict):
        return True
    while "$ref" in schema:  # "#/$defs/Name"
        schema = root.get("$defs", {}).get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
    options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if options:
        return any(_has(root, option, path) for option in options)
    if schema.get("type") == "null":
        return False  # nothing is read from a null
    key, rest = path[0], path[1:]
    extra = schema.get("additionalProperties")
    if "properties" in schema:
        if isinstance(key, str) and key in schema["properties"]:
            return _has(root, schema["properties"][key], rest)
        return extra is True or (isinstance(extra, dict) and _has(root, extra, rest))
    if schema.get("type") == "object":
        return not isinstance(extra, dict) or _has(root, extra, rest)
    if schema.get("type") == "array" and isinstance(key, int):
        return _has(root, schema.get("items", {}), rest)
    return True


def template_problems(channel: Channel, parts: dict[str, str], sample: dict[str, Any]) -> list[str]:
    """Everything wrong with a template, checked against its kind's sample data."""
    problems: list[str] = []
    for name, source in parts.items():
        if not source:
            continue
        try:
            missing = sorted(variables(source) - set(sample))
            if missing:
                problems.append(f"{name}：示例数据中没有变量 {', '.join(missing)}")
                continue
            text = render_text(source, sample, html=name == "html")
        except TemplateError as exc:
            problems.append(f"{name}：{exc.message}")
            continue
        if channel is Channel.SMS and name == "text" and len(text) > SMS_MAX_CHARS:
            problems.append(f"短信过长：{len(text)} 字（最多 {SMS_MAX_CHARS} 字）")
    if channel is Channel.EMAIL and not parts.get("subject"):
        problems.append("邮件需要主题")
    return problems


# -- rules and recipients ---------------------------------------------------------------------


def matching(rules: Iterable[Rule], event_type: str) -> list[Rule]:
    return [r for r in rules if r.enabled and r.event_type == event_type]


def recipients_of(rule: Rule, data: dict[str, Any]) -> list[str]:
    """Fill the rule's recipient patterns from the event's data; a pattern whose field the
    event lacks names nobody (an anonymous ticket has no citizen to tell)."""
    found: list[str] = []
    for pattern in rule.recipients:
        fields = [name for _, name, _, _ in Formatter().parse(pattern) if name]
        if any(data.get(f) in (None, "") for f in fields):
            continue
        found.append(pattern.format(**{f: data[f] for f in fields}))
    return list(dict.fromkeys(found))


_SMS_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_phone(phone: str) -> str:
    """A mobile number (mainland without a prefix, others with +country), as E.164
    (+8613812340000). Google's libphonenumber knows every country's plan: a landline, which
    cannot take an SMS, is refused here rather than by the provider."""
    masked = phone.strip()[:3] + "****"
    try:
        number = phonenumbers.parse(phone, "CN")
    except NumberParseException:
        raise InvalidAddress(f"手机号码有误：{masked}", channel=Channel.SMS.value) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidAddress(f"手机号码有误：{masked}", channel=Channel.SMS.value)
    if phonenumbers.number_type(number) not in _SMS_TYPES:
        raise InvalidAddress(f"不是手机号码，无法接收短信：{masked}", channel=Channel.SMS.value)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


@dataclass(frozen=True, slots=True)
class ContactSearch:
    """What a back-office search for a person looks for (each "" when not)."""

    recipient: str = ""
    name: str = ""
    phone_digits: str = ""


_RECIPIENT = re.compile(r"^(citizen|user):[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s-]{3,20}$")


def contact_search(text: str) -> ContactSearch:
    """A search box's text as hall staff type it: a name (张三), some digits of a phone number
    (1381234, 138 1234 0000, +86 138…), or a recipient id (citizen:…, user:…)."""
    text = text.strip()
    if _RECIPIENT.match(text):
        return ContactSearch(recipient=text)
    if _PHONE_LIKE.match(text):
        digits = re.sub(r"\D", "", text)
        # Phones are kept as E.164 (+8613812340000): a mainland number typed with 86 matches too.
        return ContactSearch(phone_digits=digits)
    return ContactSearch(name=text)


def check_email(email: str) -> str:
    """A well-formed address (syntax only: the hub may not reach DNS), normalised."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidAddress("电子邮箱地址有误", channel=Channel.EMAIL.value) from None
    return str(checked.normalized)


def address_of(contact: Contact, channel: Channel) -> str:
    """Where a channel reaches a contact; InvalidAddress when there is no usable address."""
    if channel is Channel.IN_APP:
        return contact.id
    if channel is Channel.SMS:
        if not contact.phone:
            raise InvalidAddress("收件人没有手机号码", channel=channel.value)
        return normalise_phone(contact.phone)
    if not contact.email:
        raise InvalidAddress("收件人没有电子邮箱", channel=channel.value)
    return check_email(contact.email)


def opted_out(contact: Contact, kind: str, channel: Channel, critical: bool) -> bool:
    """The recipient does not want this kind on this channel (critical kinds go anyway)."""
    if critical:
        return False
    return channel in contact.opted_out.get(kind, []) or channel in contact.opted_out.get("*", [])


def quiet_until(
    now: datetime, contact: Contact, channel: Channel, critical: bool
) -> datetime | None:
    """When a message may go out if now is within the recipient's quiet hours (in their time
    zone), else None. In-app messages and critical ones are never held."""
    if critical or channel is Channel.IN_APP:
        return None
    hours = contact.quiet_hours or DEFAULT_QUIET_HOURS
    zone = ZoneInfo(contact.timezone)
    local = now.astimezone(zone)
    moment = local.time()
    if hours.start <= hours.end:
        quiet = hours.start <= moment < hours.end
    else:
        quiet = moment >= hours.start or moment < hours.end
    if not quiet:
        return None
    end = local.replace(hour=hours.end.hour, minute=hours.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)


# -- sending, retrying, failing over ----------------------------------------------------------

BACKOFF_FIRST_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 600.0


def backoff(attempt: int, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: 5 s, 10 s, 20 s … up to 10 min, each 50-150 %."""
    base = min(BACKOFF_FIRST_SECONDS * 2 ** min(max(attempt - 1, 0), 16), BACKOFF_MAX_SECONDS)
    return timedelta(seconds=base * (0.5 + rng.random()))


def after_attempt(
    delivery: Delivery,
    outcome: Outcome,
    providers: int,
    max_attempts: int,
    now: datetime,
    rng: random.Random,
) -> dict[str, Any]:
    """The delivery's next state after an attempt: sent; failed for good; or queued again
    after a backoff, with the next provider (failover)."""
    if outcome is Outcome.SENT:
        return {"state": DeliveryState.SENT, "final_at": None}
    attempts = len(delivery.attempts)
    if outcome is Outcome.PERMANENT:
        return {
            "state": DeliveryState.FAILED,
            "final_at": now,
            "reason": delivery.attempts[-1].detail if delivery.attempts else "permanent",
        }
    if attempts >= max_attempts:
        return {
            "state": DeliveryState.FAILED,
            "final_at": now,
            "reason": f"{attempts} 次尝试均失败",
        }
    return {
        "state": DeliveryState.QUEUED,
        "due_at": now + backoff(attempts, rng),
        "provider_index": (delivery.provider_index + 1) % max(providers, 1),
    }


_RECEIPT_STATE = {
    "accepted": DeliveryState.SENT,
    "queued": DeliveryState.SENT,
    "sending": DeliveryState.SENT,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.DELIVERED,
    "failed": DeliveryState.FAILED,
    "undelivered": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}
_RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENT: 1,
    DeliveryState.DELIVERED: 2,
    DeliveryState.FAILED: 2,
    DeliveryState.SUPPRESSED: 2,
}


def after_receipt(current: DeliveryState, status: str) -> DeliveryState | None:
    """A provider's status callback moves a delivery forward only: delivered never goes back
    to sent, a repeated callback changes nothing. None: nothing to change."""
    new = _RECEIPT_STATE.get(status.lower())
    if new is None or _RANK[new] <= _RANK[current]:
        return None
    return new


def digest(rendered: Sequence[Rendered]) -> Rendered:
    """Several messages of one kind to one recipient, merged into one."""
    if len(rendered) == 1:
        return rendered[0]
    text = "\n".join(f"{i}. {r.text}" for i, r in enumerate(rendered, start=1))
    html = "".join(f"<li>{Markup(r.html) if r.html else escape(r.text)}</li>" for r in rendered)
    return Rendered(
        subject=f"{rendered[0].subject}（共 {len(rendered)} 条）" if rendered[0].subject else "",
        text=f"您有 {len(rendered)} 条新消息：\n{text}",
        html=f"<p>您有 {len(rendered)} 条新消息：</p><ol>{html}</ol>",
    )


def delivery_key(source: str, channel: Channel, recipient: str) -> str:
    return f"{source}|{channel.value}|{recipient}"

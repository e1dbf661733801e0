"""Who may read which topic. Topics are `<kind>:<id>`; a rule per kind decides.

The hub ships role rules for the kinds named in ARCHITECTURE.md; a domain refines a kind whose
answer needs its data (is this counter in the display's hall?) by registering its own rule.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from hub.auth.models import Principal, Role
from hub.errors import InvalidTopic, TopicForbidden
from hub.events.envelope import split_topic

Rule = Callable[[Principal, str], bool | Awaitable[bool]]

_STAFF_SIDE = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.STAFF})


def _hall(principal: Principal, hall_id: str) -> bool:
    if principal.is_back_office or principal.role is Role.CITIZEN:
        return True  # hall events carry no personal data: citizens see waiting counts
    if principal.role in (Role.STAFF, Role.DISPLAY):
        return principal.hall is None or principal.hall == hall_id
    return False


def _own_or_back_office(principal: Principal, subject: str, role: Role) -> bool:
    return principal.is_back_office or (principal.role is role and principal.sub == subject)


def _counter(principal: Principal, _: str) -> bool:
    return principal.role in _STAFF_SIDE


def _case(principal: Principal, _: str) -> bool:
    return principal.role in _STAFF_SIDE


def _back_office(principal: Principal, _: str) -> bool:
    return principal.is_back_office


class TopicPolicy:
    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {
            "hall": _hall,
            "counter": _counter,
            "citizen": lambda p, i: _own_or_back_office(p, i, Role.CITIZEN),
            "agent": lambda p, i: _own_or_back_office(p, i, Role.AGENT),
            "user": lambda p, i: p.role is not Role.CITIZEN and (p.sub == i or p.is_back_office),
            "case": _case,
            "rtc": _back_office,
        }

    def register(self, kind: str, rule: Rule) -> None:
        """Set the rule of a topic kind (a domain refining or adding one)."""
        self._rules[kind] = rule

    async def check(self, principal: Principal, topic: str) -> None:
        parts = split_topic(topic)
        if parts is None:
            shown = topic[:80]
            raise InvalidTopic(f"主题格式错误：{shown!r}，应为 <类别>:<编号>", topic=shown)
        kind, ident = parts
        rule = self._rules.get(kind)
        if rule is None:
            raise InvalidTopic(f"未知的主题类别：{kind}", topic=topic)
        allowed = rule(principal, ident)
        if inspect.isawaitable(allowed):
            allowed = await allowed
        if not allowed:
            raise TopicForbidden(topic=topic)

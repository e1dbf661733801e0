"""Who may read which topic. Topics are `<kind>:<id>`; the domain that publishes a kind
registers it with the access rows that govern it and a way to find a topic's scope (its hall,
its owners). Subscribing and reading a topic's recent events both ask here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from hub.access import AccessTable, Reach, Scope, topic_key
from hub.auth.models import Principal
from hub.errors import InvalidTopic, TopicForbidden
from hub.events.envelope import split_topic

ScopeOf = Callable[[str], Awaitable[Scope | None]]  # a topic's id -> its scope (None: no such)


@dataclass(frozen=True, slots=True)
class _Kind:
    row: Callable[[str], str]  # a topic's id -> the key of its access row
    scope: ScopeOf
    keys: tuple[str, ...]


async def _no_scope(ident: str) -> Scope | None:
    return Scope()


class TopicPolicy:
    def __init__(self, table: AccessTable) -> None:
        self._table = table
        self._kinds: dict[str, _Kind] = {}

    def register(
        self,
        kind: str,
        scope: ScopeOf | None = None,
        *,
        rows: Callable[[str], str] | None = None,
        keys: Iterable[str] = (),
    ) -> None:
        """Add a topic kind. Its access row is `topic <kind>:{id}` unless `rows` picks one per
        topic id (then `keys` lists them all)."""
        if kind in self._kinds:
            raise ValueError(f"topic kind {kind!r} is registered twice")
        default = topic_key(kind)
        self._kinds[kind] = _Kind(
            rows or (lambda _: default), scope or _no_scope, tuple(keys) or (default,)
        )

    def keys(self) -> list[str]:
        """The access rows of every registered kind (each must be in the table)."""
        return [key for kind in self._kinds.values() for key in kind.keys]

    async def check(self, principal: Principal, topic: str) -> None:
        parts = split_topic(topic)
        if parts is None:
            shown = topic[:80]
            raise InvalidTopic(f"主题格式错误：{shown!r}，应为 <类别>:<编号>", topic=shown)
        kind_name, ident = parts
        kind = self._kinds.get(kind_name)
        if kind is None:
            raise InvalidTopic(f"未知的主题类别：{kind_name[:40]}", topic=topic[:80])
        row = self._table[kind.row(ident)]
        if not row.may_try(principal):
            raise TopicForbidden(topic=topic)
        if row.reach.get(principal.role) is Reach.ANY:
            return
        scope = await kind.scope(ident)
        if scope is None or not row.allows(principal, scope):
            raise TopicForbidden(topic=topic)

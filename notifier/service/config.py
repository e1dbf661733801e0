"""The message center's configuration as the hot paths use it: the kinds, the rules and the
newest version of every template, read together (three queries) and kept CONFIG_SECONDS.

Every event the bus tells runs the rules, and each message reads its kind and a template per
channel: read from the store each time, that was most of the center's reads. They change
rarely, in the back office:
- a change made through this service (this node's API, the defaults loaded) drops the cache
  with the change, so the next use reads it again: seen at once;
- another node's (or `hallhub worker` process's) change is seen here within CONFIG_SECONDS,
  when the cache is read again (the bus tells listeners only on the node that publishes, so
  no event reaches this node when the back office of another changes something);
- a kind or a template the cache lacks is looked up in the store before it counts as missing
  (one just made on another node is found at once; the cache is then read again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hub.cache import Kept
from notifier import domain
from notifier.models import Channel, KindSpec, Rule, Template
from notifier.store import NotifierStore

CONFIG_SECONDS = 5.0  # how long a node uses what it read (another node's change shows after it)


@dataclass(frozen=True, slots=True)
class NotifierConfig:
    kinds: dict[str, KindSpec]
    rules: list[Rule]
    templates: dict[tuple[str, Channel, str], Template]  # the newest version of each


class ConfigCache:
    def __init__(
        self,
        store: NotifierStore,
        ttl_seconds: float = CONFIG_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._kept = Kept(self._read, ttl_seconds, monotonic)

    async def _read(self) -> NotifierConfig:
        return NotifierConfig(
            kinds={k.id: k for k in await self._store.kinds()},
            rules=await self._store.rules(),
            templates=domain.newest_templates(await self._store.templates()),
        )

    async def current(self) -> NotifierConfig:
        return await self._kept.current()

    def forget(self) -> None:
        """A change was made: the next use reads the configuration again."""
        self._kept.forget()

    async def rules(self) -> list[Rule]:
        return (await self.current()).rules

    async def kinds(self) -> list[KindSpec]:
        """Every kind, by id."""
        return sorted((await self.current()).kinds.values(), key=lambda k: k.id)

    async def kind(self, kind: str) -> KindSpec | None:
        found = (await self.current()).kinds.get(kind)
        if found is None:
            found = await self._store.kind(kind)
            if found is not None:
                self.forget()  # made elsewhere since it was read
        return found

    async def template(self, kind: str, channel: Channel, locale: str) -> Template | None:
        """The newest version in the locale, or else in zh-CN."""
        found = domain.template_for((await self.current()).templates, kind, channel, locale)
        if found is None:
            found = await self._store.template(kind, channel, locale)
            if found is not None:
                self.forget()
        return found

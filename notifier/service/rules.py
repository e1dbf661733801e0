"""Events made messages: the rules for an event's type name the kind, the recipients (patterns
over the event's data) and the channels. Handling an event twice (an outbox retried, a copy
from another node) makes nothing twice: a delivery's key is the event, the rule's channel and
the recipient."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from hub.events import Envelope
from hub.logs import get_logger
from notifier import domain
from notifier.errors import TemplateError, UnknownKind
from notifier.models import Contact, Rule
from notifier.service.core import Core, Templates
from notifier.service.planning import Planning

log = get_logger("notifier")


class Rules:
    def __init__(self, core: Core, planning: Planning) -> None:
        self._core = core
        self._store = core.store
        self._planning = planning

    async def current(self) -> list[Rule]:
        """The rules as this node uses them (notifier/service/config.py: read again every
        CONFIG_SECONDS; a change made here at once)."""
        return await self._core.config.rules()

    async def listed(self) -> list[Rule]:
        return await self._store.rules()

    async def using(self, kind: str) -> list[Rule]:
        """The rules that make messages of a kind."""
        return [rule for rule in await self._store.rules() if rule.kind == kind]

    async def save(self, rule: Rule) -> Rule:
        if await self._store.kind(rule.kind) is None:
            raise UnknownKind(kind=rule.kind)
        await self._store.save_rule(rule)
        self._core.config.forget()
        return rule

    async def delete(self, rule_id: str) -> None:
        await self._store.delete_rule(rule_id)
        self._core.config.forget()

    async def on_event(self, envelope: Envelope) -> None:
        rules = domain.matching(await self.current(), envelope.type)
        if not rules:
            return
        data = {**envelope.data, "topic": envelope.topic}
        templates: Templates = {}
        for rule in rules:
            await self._apply(rule, data, f"event:{envelope.event_id}:{rule.id}", templates)

    async def _apply(
        self, rule: Rule, data: dict[str, Any], source: str, templates: Templates
    ) -> None:
        kind = await self._core.config.kind(rule.kind)
        if kind is None:
            log.warning("rule_kind_missing", rule=rule.id, kind=rule.kind)
            return
        channels = [c for c in rule.channels if c not in rule.when or data.get(rule.when[c])]
        for recipient, stored in await self._recipients(rule, data):
            # Made even with no channel left: a malformed id fails the event as it did.
            contact = stored or Contact(id=recipient)
            if not channels:
                continue
            try:
                message, plans = await self._planning.plan(
                    kind,
                    contact,
                    data,
                    channels,
                    source=source,
                    send_at=self._core.now() + timedelta(minutes=rule.delay_minutes),
                    fallback=rule.fallback,
                    digest_minutes=rule.digest_minutes,
                    rule_id=rule.id,
                    strict=False,
                    templates=templates,
                )
            except (TemplateError, ValidationError) as exc:
                log.error("rule_message_failed", rule=rule.id, error=str(exc)[:200])
                continue
            await self._core.write(message, plans)

    async def _recipients(
        self, rule: Rule, data: dict[str, Any]
    ) -> list[tuple[str, Contact | None]]:
        """The rule's recipients, each once, in order, with their stored contact if any: a
        group's members as loaded, the others read in one query."""
        found: list[str] = []
        known: dict[str, Contact] = {}
        for recipient in domain.recipients_of(rule, data):
            if recipient.startswith("group:"):
                members = await self._store.group(recipient.removeprefix("group:"))
                known.update((c.id, c) for c in members)
                found += [c.id for c in members]
            elif recipient.startswith(("citizen:", "user:")):
                found.append(recipient)
        ids = list(dict.fromkeys(found))
        known.update(await self._store.contacts([i for i in ids if i not in known]))
        return [(recipient, known.get(recipient)) for recipient in ids]

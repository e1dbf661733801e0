"""The message center's orchestration, one concept a module:

- `core`         the store, the bus, the settings, the providers, the clock; the outbox written
- `config`       kinds, rules and templates kept a few seconds for the hot paths; dropped here
                 with every change
- `planning`     a message and its deliveries planned: templates, addresses, preferences,
                 quiet hours, the hourly limit, digests (the API's sends, rules, fallbacks)
- `rules`        events made messages by the rules for their type
- `contacts`     contacts, a person's preferences, and the phones other domains' events carry
- `claim`        working the outbox: due deliveries claimed with a lease, by any worker (those
                 written here by their id, the others found by a search)
- `attempt`      a delivery attempted with a provider: retries, failover, fallback, digests
- `recover`      an attempt left in doubt by a crash checked with the provider; receipts
- `inbox`        in-app deliveries put in the inbox; listed and marked, told to every screen
- `templates`    templates checked against the events of their kind's rules and the sample
- `back_office`  kinds, deliveries searched and followed, resends, success rates, defaults

Every delivery is written before anything is sent. Workers (in the hub and in `hallhub
worker` processes, on any node) claim due deliveries with a lease; a worker that dies lets its
lease run out and another takes over. Before each send the attempt is written; a delivery
found with an attempt of unknown outcome asks the provider whether it went out before sending
again, so a crash sends nothing twice.

`NotifierService` is what the adapters (notifier/api.py), the composition root and other
domains' tests see; the store stays behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hub.auth import Principal
from hub.clock import Clock, utc_now
from hub.events import Envelope, EventBus
from hub.logs import get_logger
from hub.outages import log_failure
from hub.settings import NotifierSettings
from notifier.channels import Provider
from notifier.models import (
    Channel,
    Contact,
    ContactIn,
    Delivery,
    DeliveryQuery,
    DeliveryState,
    InboxState,
    KindSpec,
    PreferencesIn,
    Rule,
    SendIn,
    Template,
    TemplateIn,
)
from notifier.service.attempt import Attempts
from notifier.service.back_office import BackOffice
from notifier.service.claim import Outbox
from notifier.service.contacts import PHONE_EVENTS, Contacts
from notifier.service.core import Core
from notifier.service.inbox import Inbox
from notifier.service.planning import Planning
from notifier.service.recover import Recovery
from notifier.service.rules import Rules
from notifier.service.templates import Templates
from notifier.store import NotifierStore

__all__ = ["PHONE_EVENTS", "NotifierService"]

log = get_logger("notifier")


class NotifierService:
    def __init__(
        self,
        store: NotifierStore,
        bus: EventBus,
        settings: NotifierSettings,
        *,
        sms: Sequence[Provider] = (),
        email: Sequence[Provider] = (),
        clock: Clock = utc_now,
        rng: random.Random | None = None,
        channels: Sequence[Channel] | None = None,
    ) -> None:
        self._now = clock
        self._store = store
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._providers: dict[Channel, list[Provider]] = {
            Channel.SMS: list(sms),
            Channel.EMAIL: list(email),
        }
        # The parts read the clock through `now` (a test may move `_now`).
        core = Core(
            store,
            bus,
            settings,
            self._providers,
            self.now,
            rng or random.Random(),
            list(channels) if channels is not None else None,
            self.owner,
        )
        self._planning = Planning(core)
        self._rules = Rules(core, self._planning)
        self._contacts = Contacts(core)
        self._inbox = Inbox(core)
        self._recovery = Recovery(core)
        self._attempts = Attempts(core, self._planning, self._recovery)
        self._outbox = Outbox(core, self._attempts, self._inbox)
        self._templates = Templates(core, self._rules)
        self._back_office = BackOffice(core)

    def now(self) -> datetime:
        return self._now()

    async def start(self, defaults: Path | None = None) -> None:
        """Indexes made, and the starting kinds, templates and rules loaded when there are
        none yet."""
        await self._store.ensure_indexes()
        if defaults is not None:
            await self._back_office.load_defaults(defaults)

    async def close(self) -> None:
        for providers in self._providers.values():
            for provider in providers:
                with contextlib.suppress(Exception):
                    await provider.close()

    # -- messages: sent by the API, made by rules from events ------------------------------

    async def send(self, request: SendIn, *, idempotency_key: str | None) -> dict[str, Any]:
        return await self._planning.send(request, idempotency_key=idempotency_key)

    async def on_event(self, envelope: Envelope) -> None:
        """The bus tells every event: a phone it carries is kept first (the SMS its rules
        make goes to it), then the rules for its type make messages. Idempotent."""
        try:
            await self._contacts.from_event(envelope)
        except Exception:  # the messages are made all the same, to the address known
            log_failure(log, "event_phone_failed", type=envelope.type)
        await self._rules.on_event(envelope)

    # -- the outbox ---------------------------------------------------------------------------

    async def run_workers(self, stop: asyncio.Event) -> None:
        await self._outbox.run(stop)

    async def work_once(self) -> bool:
        return await self._outbox.work_once()

    async def receipt(self, provider_message_id: str, status: str) -> bool:
        return await self._recovery.receipt(provider_message_id, status)

    # -- a person's own inbox and preferences ---------------------------------------------

    async def inbox(
        self, recipient: str, state: InboxState | None, limit: int, before: datetime | None
    ) -> dict[str, Any]:
        return await self._inbox.listed(recipient, state, limit, before)

    async def mark(
        self, principal: Principal, item_id: str | None, state: InboxState
    ) -> dict[str, Any]:
        return await self._inbox.mark(principal, item_id, state)

    async def preferences(self, recipient: str) -> dict[str, Any]:
        return await self._contacts.preferences(recipient)

    async def set_preferences(self, recipient: str, change: PreferencesIn) -> dict[str, Any]:
        return await self._contacts.set_preferences(recipient, change)

    # -- back office --------------------------------------------------------------------------

    async def contact(self, recipient: str) -> Contact:
        return await self._contacts.contact(recipient)

    async def save_contact(self, contact: Contact) -> Contact:
        return await self._contacts.save(contact)

    async def find_contacts(self, text: str, limit: int) -> list[Contact]:
        return await self._contacts.find(text, limit)

    async def names(self, recipients: Iterable[str]) -> dict[str, str]:
        return await self._contacts.names(recipients)

    async def update_contact(self, recipient: str, change: ContactIn) -> Contact:
        return await self._contacts.update(recipient, change)

    async def kinds(self) -> list[KindSpec]:
        return await self._back_office.kinds()

    async def save_kind(self, kind: KindSpec) -> KindSpec:
        return await self._back_office.save_kind(kind)

    async def templates(self) -> list[Template]:
        return await self._templates.listed()

    async def template_versions(self, kind: str, channel: Channel, locale: str) -> list[Template]:
        return await self._templates.versions(kind, channel, locale)

    async def template_events(self, kind: str) -> dict[str, dict[str, Any]]:
        return await self._templates.events_of(kind)

    async def preview(
        self, template: TemplateIn, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self._templates.preview(template, data)

    async def save_template(self, template: TemplateIn, by: str, by_name: str = "") -> Template:
        return await self._templates.save(template, by, by_name)

    async def rules(self) -> list[Rule]:
        return await self._rules.listed()

    async def save_rule(self, rule: Rule) -> Rule:
        return await self._rules.save(rule)

    async def delete_rule(self, rule_id: str) -> None:
        await self._rules.delete(rule_id)

    async def search(self, query: DeliveryQuery) -> list[Delivery]:
        return await self._back_office.search(query)

    async def dead_letters(self, limit: int, skip: int) -> list[Delivery]:
        query = DeliveryQuery(state=DeliveryState.FAILED, limit=limit, skip=skip)
        return await self._back_office.search(query)

    async def timeline(self, message_id: str) -> dict[str, Any]:
        return await self._back_office.timeline(message_id)

    async def resend(self, delivery_id: str) -> Delivery:
        return await self._back_office.resend(delivery_id)

    async def success_rates(self, period: timedelta) -> dict[str, Any]:
        return await self._back_office.success_rates(period)

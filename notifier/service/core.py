"""What every part of the message center's service shares: the store, the bus, the settings,
the providers, the clock; a kind looked up; a message and its deliveries written to the
outbox."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from hub.clock import Clock
from hub.events import EventBus
from hub.settings import NotifierSettings
from notifier.channels import Provider
from notifier.errors import UnknownKind
from notifier.models import Channel, Delivery, DeliveryState, KindSpec, Message, Template
from notifier.service.config import ConfigCache
from notifier.store import NotifierStore

# Templates looked up within one call, by (kind, channel, locale): None when there is none.
Templates = dict[tuple[str, Channel, str], Template | None]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
READY_LIMIT = 1_000


class Core:
    def __init__(
        self,
        store: NotifierStore,
        bus: EventBus,
        settings: NotifierSettings,
        providers: dict[Channel, list[Provider]],
        now: Clock,
        rng: random.Random,
        channels: list[Channel] | None,
        owner: str,
    ) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings
        self.providers = providers
        self.now = now
        self.rng = rng
        self.channels = channels  # the channels this process works (None: every one)
        self.owner = owner  # this worker, in leases: host:pid:id
        # Kinds, rules and templates as the hot paths read them (notifier/service/config.py).
        self.config = ConfigCache(store)
        # Set when a delivery due now is written here: the idle workers look at once.
        self.wake = asyncio.Event()
        # The queued deliveries due now written here, oldest first, that this process works:
        # claimed by their id before the outbox is searched (notifier/service/claim.py).
        self.ready: dict[str, None] = {}

    async def kind(self, kind: str) -> KindSpec:
        spec = await self.config.kind(kind)
        if spec is None:
            raise UnknownKind(f"未知的消息类型：{kind}", kind=kind)
        return spec

    async def write(self, message: Message, deliveries: list[Delivery]) -> Message:
        """The message, then its deliveries in one insert (those whose key exists already, of
        an event handled before, are left out)."""
        await self.store.add_message(message)
        added = await self.store.add_deliveries(deliveries)
        for delivery in deliveries:
            if delivery.id in added:
                self.written(delivery)
        return message

    def written(self, delivery: Delivery) -> None:
        """A delivery just written here: when due now, the idle workers look at once, and a
        worker of this process takes it by its id if it works its channel."""
        if delivery.due_at > self.now():
            return
        self.wake.set()
        if delivery.state is DeliveryState.QUEUED and (
            self.channels is None or delivery.channel in self.channels
        ):
            if len(self.ready) >= READY_LIMIT:  # no worker here: the oldest go (searches find them)
                del self.ready[next(iter(self.ready))]
            self.ready[delivery.id] = None

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
from notifier.models import Channel, Delivery, KindSpec, Message, Template
from notifier.store import NotifierStore

# Templates looked up within one call, by (kind, channel, locale): None when there is none.
Templates = dict[tuple[str, Channel, str], Template | None]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
        # Set when a delivery due now is written here: the idle workers look at once.
        self.wake = asyncio.Event()

    async def kind(self, kind: str) -> KindSpec:
        spec = await self.store.kind(kind)
        if spec is None:
            raise UnknownKind(f"未知的消息类型：{kind}", kind=kind)
        return spec

    async def write(self, message: Message, deliveries: list[Delivery]) -> Message:
        await self.store.add_message(message)
        for delivery in deliveries:
            if await self.store.add_delivery(delivery) and delivery.due_at <= self.now():
                self.wake.set()
        return message

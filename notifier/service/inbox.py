"""The in-app inbox: a delivery on the in-app channel becomes an item of the recipient's
inbox; the person lists theirs and marks items read, unread or archived. Each change is told
on their own topic with what the hub stored (`notifier.message_received`,
`notifier.inbox_changed`), so every screen of theirs applies it and equals a fresh load."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.auth import Principal
from hub.clock import stored
from notifier import access
from notifier.errors import InboxItemNotFound
from notifier.events import InboxChanged, InboxCounts, InboxEntry, MessageReceived
from notifier.models import Delivery, InboxItem, InboxState
from notifier.service.core import Core


class Inbox:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

    async def deliver(self, delivery: Delivery) -> None:
        """Put an in-app delivery in its recipient's inbox and tell them (idempotent: the
        item's id is the delivery's, the event's id too)."""
        rendered = delivery.rendered
        assert rendered is not None
        item = InboxItem(
            id=delivery.id,
            recipient=delivery.recipient,
            message_id=delivery.message_id,
            kind=delivery.kind,
            title=rendered.subject or rendered.text[:30],
            body=rendered.text,
            created_at=stored(delivery.created_at),
        )
        await self._store.add_inbox_item(item)
        counts = await self._counts(delivery.recipient)
        await self._core.bus.publish(
            delivery.recipient,
            MessageReceived(item=InboxEntry.of(item), unread=counts.unread),
            event_id=f"inbox:{delivery.id}",
        )

    async def listed(
        self, recipient: str, state: InboxState | None, limit: int, before: datetime | None
    ) -> dict[str, Any]:
        items = await self._store.inbox(recipient, state, limit, before)
        return {
            "items": [i.model_dump(by_alias=False, mode="json") for i in items],
            "counts": (await self._counts(recipient)).model_dump(),
        }

    async def mark(
        self, principal: Principal, item_id: str | None, state: InboxState
    ) -> dict[str, Any]:
        """Set one of the caller's messages (or, with no item, every unread one) to a state.
        The answer and the event carry the read time stored (`read_at`, for `read`)."""
        recipient = principal.key
        if item_id is not None:
            item = await self._store.inbox_item(item_id)
            if item is None:
                raise InboxItemNotFound(item_id=item_id)
            access.INBOX_ITEM.require(principal, access.of_item(item))
        now = stored(self._core.now())
        changed = await self._store.set_inbox_state(recipient, item_id, state, now)
        counts = await self._counts(recipient)
        read_at = now if state is InboxState.READ else None
        event = InboxChanged(counts=counts, item_id=item_id, state=state, read_at=read_at)
        await self._core.bus.publish(recipient, event)
        answer = event.payload()
        return {"changed": changed, "counts": answer["counts"], "read_at": answer["read_at"]}

    async def _counts(self, recipient: str) -> InboxCounts:
        return InboxCounts.of(await self._store.inbox_counts(recipient))

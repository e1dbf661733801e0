"""Events the message center publishes: one model per type.

Both go to the recipient's own topic (`citizen:<id>` or `user:<account>`), which only that
person may follow: every screen of theirs keeps its inbox with them
(clients/shared/src/inbox.ts `applyInboxEvent`).

    await bus.publish(recipient, events.InboxChanged(counts=..., item_id=..., state=..., ...))
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hub.events.types import Event
from notifier.models import InboxItem, InboxState


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InboxEntry(_Data):
    """One message in an inbox, as `GET /api/v1/notifier/inbox` lists it."""

    id: str  # the delivery's id
    recipient: str
    message_id: str
    kind: str
    title: str
    body: str
    created_at: datetime
    state: InboxState
    read_at: datetime | None

    @classmethod
    def of(cls, item: InboxItem) -> InboxEntry:
        return cls.model_validate(item.model_dump(by_alias=False))


class InboxCounts(_Data):
    """How many of the person's messages are in each state."""

    unread: int = Field(ge=0)
    read: int = Field(ge=0)
    archived: int = Field(ge=0)

    @classmethod
    def of(cls, counts: dict[str, int]) -> InboxCounts:
        return cls(**{state.value: counts.get(state.value, 0) for state in InboxState})


class MessageReceived(Event, type="notifier.message_received", topics=("citizen", "user")):
    """A message arrived in the person's in-app inbox.

    `unread` is the number of unread messages once it is in (a repeat of the event, after a
    crash, carries the same item)."""

    item: InboxEntry
    unread: int = Field(ge=0)


class InboxChanged(Event, type="notifier.inbox_changed", topics=("citizen", "user")):
    """One of the person's messages (or, with no `item_id`, every unread one) was read,
    marked unread or archived, on any of their screens.

    `read_at` is the read time the hub stored on the messages it changed when `state` is
    `read` (the same instant `GET /api/v1/notifier/inbox` answers); otherwise null: a message
    marked unread has no read time any more, an archived one keeps its own."""

    counts: InboxCounts
    item_id: str | None
    state: InboxState
    read_at: datetime | None


__all__ = ["InboxChanged", "InboxCounts", "InboxEntry", "MessageReceived"]

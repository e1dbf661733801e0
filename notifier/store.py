"""The message center's collections; nothing else touches them.

`notifier_contacts`, `notifier_kinds`, `notifier_templates` (every version), `notifier_rules`:
who, what and how. `notifier_messages`: one per recipient and message. `notifier_deliveries`:
the outbox, one per message and channel, unique by `key`. `notifier_inbox`: in-app messages.
`notifier_requests`: idempotency keys of the API.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from notifier.models import (
    Channel,
    Contact,
    Delivery,
    DeliveryQuery,
    DeliveryState,
    InboxItem,
    InboxState,
    KindSpec,
    Message,
    Rule,
    Template,
)

Document = dict[str, Any]
CANDIDATES = 8
DUPLICATE_KEY = 11000


def _ts(moment: datetime) -> float:
    """Epoch seconds at the store's date precision (milliseconds), so a time read back from
    a stored date compares equal to its mirror."""
    return math.floor(moment.timestamp() * 1000) / 1000


def _document(delivery: Delivery) -> Document:
    doc = delivery.model_dump(by_alias=True)
    doc["due_ts"] = _ts(delivery.due_at)
    doc["lease_ts"] = _ts(delivery.lease_until)
    doc["created_ts"] = _ts(delivery.created_at)
    return doc


def _delivery(doc: Document) -> Delivery:
    doc.pop("due_ts", None)
    doc.pop("lease_ts", None)
    doc.pop("created_ts", None)
    return Delivery.model_validate(doc)


class NotifierStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._contacts = db["notifier_contacts"]
        self._kinds = db["notifier_kinds"]
        self._templates = db["notifier_templates"]
        self._rules = db["notifier_rules"]
        self._messages = db["notifier_messages"]
        self._deliveries = db["notifier_deliveries"]
        self._inbox = db["notifier_inbox"]
        self._requests = db["notifier_requests"]

    async def ensure_indexes(self) -> None:
        # Single-field indexes where a query is hot: nx-27017 (the embedded store) uses no
        # other kind for a find (a compound one left the outbox's claim at a full scan).
        await self._contacts.create_index([("groups", ASCENDING)])
        await self._templates.create_index(
            [("kind", 1), ("channel", 1), ("locale", 1), ("version", 1)], unique=True
        )
        await self._templates.create_index([("kind", 1)])
        await self._rules.create_index([("event_type", 1)])
        await self._messages.create_index([("recipient", 1)])
        d = self._deliveries
        await d.create_index([("key", 1)], unique=True)
        await d.create_index([("state", 1)])
        await d.create_index([("message_id", 1)])
        await d.create_index([("recipient", 1)])
        await d.create_index([("digest_key", 1)])
        await d.create_index([("provider_message_id", 1)])
        await self._inbox.create_index([("recipient", 1)])

    # -- contacts, kinds, templates, rules -------------------------------------------------

    async def contact(self, recipient: str) -> Contact | None:
        doc = await self._contacts.find_one({"_id": recipient})
        return Contact.model_validate(doc) if doc else None

    async def contacts(self, recipients: Sequence[str]) -> dict[str, Contact]:
        """The stored contacts among `recipients`, by id, in one query."""
        if not recipients:
            return {}
        found = self._contacts.find({"_id": {"$in": list(recipients)}})
        return {c.id: c for c in [Contact.model_validate(d) async for d in found]}

    async def find_contacts(
        self, recipient: str, name: str, phone_digits: str, limit: int
    ) -> list[Contact]:
        """Contacts with the id `recipient`, a name containing `name`, or a phone containing
        `phone_digits` (each may be "": not searched), by id."""
        wanted: list[dict[str, Any]] = []
        if recipient:
            wanted.append({"_id": recipient})
        if name:
            wanted.append({"name": {"$regex": re.escape(name)}})
        if phone_digits:
            wanted.append({"phone": {"$regex": re.escape(phone_digits)}})
        if not wanted:
            return []
        found = self._contacts.find({"$or": wanted}).sort("_id", 1).limit(limit)
        return [Contact.model_validate(d) async for d in found]

    async def save_contact(self, contact: Contact) -> None:
        doc = contact.model_dump(by_alias=True, mode="json")
        await self._contacts.replace_one({"_id": contact.id}, doc, upsert=True)

    async def set_phone(self, recipient: str, phone: str) -> None:
        """The recipient's SMS address, the rest of their contact untouched (one atomic step:
        a preference saved at the same moment is kept)."""
        await self._contacts.update_one({"_id": recipient}, {"$set": {"phone": phone}}, upsert=True)

    async def set_preferences(self, contact: Contact) -> None:
        """The recipient's opt-outs and quiet hours, the rest of their contact untouched."""
        fields = contact.model_dump(mode="json", include={"opted_out", "quiet_hours"})
        await self._contacts.update_one({"_id": contact.id}, {"$set": fields}, upsert=True)

    async def group(self, name: str) -> list[Contact]:
        # `$all` rather than plain equality: nx-27017 finds nothing by equality on an indexed
        # array; MongoDB uses the multikey index for both.
        found = self._contacts.find({"groups": {"$all": [name]}})
        return [Contact.model_validate(d) async for d in found]

    async def kinds(self) -> list[KindSpec]:
        return [KindSpec.model_validate(d) async for d in self._kinds.find().sort("_id", 1)]

    async def kind(self, kind: str) -> KindSpec | None:
        doc = await self._kinds.find_one({"_id": kind})
        return KindSpec.model_validate(doc) if doc else None

    async def save_kind(self, kind: KindSpec) -> None:
        doc = kind.model_dump(by_alias=True, mode="json")
        await self._kinds.replace_one({"_id": kind.id}, doc, upsert=True)

    async def template(self, kind: str, channel: Channel, locale: str) -> Template | None:
        """The newest version, in the locale or else in zh-CN."""
        for wanted in dict.fromkeys((locale, "zh-CN")):
            cursor = (
                self._templates.find({"kind": kind, "channel": channel.value, "locale": wanted})
                .sort("version", DESCENDING)
                .limit(1)
            )
            async for doc in cursor:
                return Template.model_validate(doc)
        return None

    async def template_versions(self, kind: str, channel: Channel, locale: str) -> list[Template]:
        cursor = self._templates.find(
            {"kind": kind, "channel": channel.value, "locale": locale}
        ).sort("version", DESCENDING)
        return [Template.model_validate(d) async for d in cursor]

    async def templates(self) -> list[Template]:
        """The newest version of every template."""
        newest: dict[tuple[str, str, str], Template] = {}
        async for doc in self._templates.find().sort("version", ASCENDING):
            template = Template.model_validate(doc)
            newest[(template.kind, template.channel.value, template.locale)] = template
        return sorted(newest.values(), key=lambda t: (t.kind, t.channel.value, t.locale))

    async def add_template(self, template: Template) -> bool:
        try:
            await self._templates.insert_one(template.model_dump(by_alias=True))
        except DuplicateKeyError:
            return False
        return True

    async def rules(self) -> list[Rule]:
        return [Rule.model_validate(d) async for d in self._rules.find().sort("_id", 1)]

    async def save_rule(self, rule: Rule) -> None:
        doc = rule.model_dump(by_alias=True, mode="json")
        await self._rules.replace_one({"_id": rule.id}, doc, upsert=True)

    async def delete_rule(self, rule_id: str) -> bool:
        return (await self._rules.delete_one({"_id": rule_id})).deleted_count == 1

    # -- messages and deliveries -----------------------------------------------------------

    async def add_message(self, message: Message) -> None:
        await self._messages.replace_one(
            {"_id": message.id}, message.model_dump(by_alias=True), upsert=True
        )

    async def message(self, message_id: str) -> Message | None:
        doc = await self._messages.find_one({"_id": message_id})
        return Message.model_validate(doc) if doc else None

    async def add_delivery(self, delivery: Delivery) -> bool:
        """False when a delivery with the same key exists (the event was handled before)."""
        try:
            await self._deliveries.insert_one(_document(delivery))
        except DuplicateKeyError:
            return False
        return True

    async def add_deliveries(self, deliveries: Sequence[Delivery]) -> set[str]:
        """Several deliveries in one insert; the ids of those written (one whose key exists
        is left out, the others are written all the same)."""
        if not deliveries:
            return set()
        try:
            await self._deliveries.insert_many([_document(d) for d in deliveries], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            failed = {int(e["index"]) for e in errors}
            return {d.id for i, d in enumerate(deliveries) if i not in failed}
        return {d.id for d in deliveries}

    async def delivery(self, delivery_id: str) -> Delivery | None:
        doc = await self._deliveries.find_one({"_id": delivery_id})
        return _delivery(doc) if doc else None

    async def due(self, now: datetime, channels: list[Channel] | None = None) -> list[str]:
        """The ids of a few queued deliveries due at `now` and free, in random order (workers
        on other nodes start elsewhere in the list).

        On indexes: nx-27017 scans the whole collection for an update by any other filter than
        the id, and for a find that compares dates: hence the epoch-second mirrors."""
        ts = now.timestamp()
        query: Document = {
            "state": DeliveryState.QUEUED.value,
            "due_ts": {"$lte": ts},
            "lease_ts": {"$lte": ts},
        }
        if channels is not None:
            query["channel"] = {"$in": [c.value for c in channels]}
        # MongoDB walks the (state, due_ts) index, oldest due first; nx its insertion order.
        candidates = [
            d["_id"] async for d in self._deliveries.find(query, {"_id": 1}).limit(CANDIDATES)
        ]
        random.shuffle(candidates)
        return candidates

    async def take(
        self, delivery_id: str, owner: str, now: datetime, lease_until: datetime
    ) -> Delivery | None:
        """Lease a delivery to `owner` until `lease_until` if it is still queued, due and free:
        one worker at a time (an atomic update guarded by the lease), and a crashed worker's
        lease simply runs out. None when it is not (any more)."""
        ts = now.timestamp()
        doc = await self._deliveries.find_one_and_update(
            {
                "_id": delivery_id,
                "state": DeliveryState.QUEUED.value,
                "due_ts": {"$lte": ts},
                "lease_ts": {"$lte": ts},
            },
            {
                "$set": {
                    "lease_until": lease_until,
                    "lease_ts": _ts(lease_until),
                    "lease_owner": owner,
                    "updated_at": now,
                },
                "$inc": {"version": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return _delivery(doc) if doc is not None else None

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        channels: list[Channel] | None = None,
    ) -> Delivery | None:
        """Take a due delivery for `owner` until `lease_until`: a few due candidates, then the
        first of them still free taken by its id (both steps on indexes)."""
        for delivery_id in await self.due(now, channels):
            taken = await self.take(delivery_id, owner, now, lease_until)
            if taken is not None:
                return taken
        return None

    async def claim_digest(
        self, digest_key: str, owner: str, now: datetime, lease_until: datetime, exclude: str
    ) -> list[Delivery]:
        """The other queued deliveries of a digest, leased to the same owner."""
        claimed = []
        ts = now.timestamp()
        cursor = self._deliveries.find(
            {
                "digest_key": digest_key,
                "state": DeliveryState.QUEUED.value,
                "lease_ts": {"$lte": ts},
                "_id": {"$ne": exclude},
            }
        )
        async for doc in cursor:
            taken = await self._deliveries.find_one_and_update(
                {"_id": doc["_id"], "version": doc["version"], "lease_ts": {"$lte": ts}},
                {
                    "$set": {
                        "lease_until": lease_until,
                        "lease_ts": _ts(lease_until),
                        "lease_owner": owner,
                    },
                    "$inc": {"version": 1},
                },
                return_document=ReturnDocument.AFTER,
            )
            if taken is not None:
                claimed.append(_delivery(taken))
        return claimed

    async def save(self, delivery: Delivery) -> Delivery | None:
        """Write a delivery its worker still holds (guarded by version)."""
        saved = delivery.model_copy(update={"version": delivery.version + 1})
        result = await self._deliveries.replace_one(
            {"_id": delivery.id, "version": delivery.version}, _document(saved)
        )
        return saved if result.matched_count == 1 else None

    async def by_provider_id(self, provider_message_id: str) -> Delivery | None:
        doc = await self._deliveries.find_one({"provider_message_id": provider_message_id})
        return _delivery(doc) if doc else None

    async def recent_count(
        self, recipient: str, channel: Channel, since: datetime
    ) -> list[datetime]:
        """When this recipient's deliveries on this channel since `since` were made."""
        cursor = self._deliveries.find(
            {"recipient": recipient, "channel": channel.value, "created_ts": {"$gte": _ts(since)}},
            {"created_at": 1},
        )
        return sorted([d["created_at"] async for d in cursor])

    async def of_message(self, message_id: str) -> list[Delivery]:
        cursor = self._deliveries.find({"message_id": message_id}).sort("created_at", 1)
        return [_delivery(d) async for d in cursor]

    async def search(self, query: DeliveryQuery) -> list[Delivery]:
        found: Document = {}
        for field in ("recipient", "kind"):
            if getattr(query, field):
                found[field] = getattr(query, field)
        if query.channel:
            found["channel"] = query.channel.value
        if query.state:
            found["state"] = query.state.value
        if query.since or query.until:
            found["created_at"] = {
                **({"$gte": query.since} if query.since else {}),
                **({"$lt": query.until} if query.until else {}),
            }
        cursor = (
            self._deliveries.find(found)
            .sort("created_at", DESCENDING)
            .skip(query.skip)
            .limit(query.limit)
        )
        return [_delivery(d) async for d in cursor]

    async def states_by_channel(self, since: datetime) -> list[Document]:
        cursor = await self._deliveries.aggregate(
            [
                {"$match": {"created_at": {"$gte": since}}},
                # One string key: nx-27017 does not evaluate paths inside an `_id` document.
                {"$group": {"_id": {"$concat": ["$channel", "|", "$state"]}, "n": {"$sum": 1}}},
            ]
        )
        rows = []
        async for doc in cursor:
            channel, _, state = str(doc["_id"]).partition("|")
            rows.append({"channel": channel, "state": state, "n": int(doc["n"])})
        return rows

    # -- inbox -----------------------------------------------------------------------------

    async def add_inbox_item(self, item: InboxItem) -> bool:
        try:
            await self._inbox.insert_one(item.model_dump(by_alias=True))
        except DuplicateKeyError:
            return False
        return True

    async def inbox(
        self, recipient: str, state: InboxState | None, limit: int, before: datetime | None
    ) -> list[InboxItem]:
        query: Document = {"recipient": recipient}
        if state is not None:
            query["state"] = state.value
        else:
            query["state"] = {"$ne": InboxState.ARCHIVED.value}
        if before is not None:
            query["created_at"] = {"$lt": before}
        cursor = self._inbox.find(query).sort("created_at", DESCENDING).limit(limit)
        return [InboxItem.model_validate(d) async for d in cursor]

    async def inbox_item(self, item_id: str) -> InboxItem | None:
        doc = await self._inbox.find_one({"_id": item_id})
        return InboxItem.model_validate(doc) if doc is not None else None

    async def set_inbox_state(
        self, recipient: str, item_id: str | None, state: InboxState, now: datetime
    ) -> int:
        query: Document = {"recipient": recipient}
        if item_id is not None:
            query["_id"] = item_id
        else:
            query["state"] = InboxState.UNREAD.value
        update: Document = {"state": state.value}
        if state is InboxState.READ:
            update["read_at"] = now
        elif state is InboxState.UNREAD:
            update["read_at"] = None
        result = await self._inbox.update_many(query, {"$set": update})
        return result.matched_count

    async def inbox_counts(self, recipient: str) -> dict[str, int]:
        cursor = await self._inbox.aggregate(
            [
                {"$match": {"recipient": recipient}},
                {"$group": {"_id": "$state", "n": {"$sum": 1}}},
            ]
        )
        return {d["_id"]: int(d["n"]) async for d in cursor}

    # -- idempotency -----------------------------------------------------------------------

    async def request(self, key: str) -> Document | None:
        return await self._requests.find_one({"_id": key})

    async def save_request(
        self, key: str, fingerprint: str, answer: Document, now: datetime
    ) -> bool:
        try:
            await self._requests.insert_one(
                {"_id": key, "fingerprint": fingerprint, "answer": answer, "created_at": now}
            )
        except DuplicateKeyError:
            return False
        return True

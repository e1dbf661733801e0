"""The queueing collections; nothing else touches them.

`queueing_halls`, `queueing_services`, `queueing_counters`: configuration.
`queueing_tickets`: one document per ticket, written whole and guarded by its `version`, with
  the events its last change caused (`outbox`) until they are published; a call claims a
  waiting ticket with one guarded `find_one_and_update` (`claim`).
`queueing_counter_states`: the live state of each counter, guarded the same way.
`queueing_day_numbers`: the last ticket number per hall, service and day (`$inc`).
`queueing_counter_log`: counter status intervals, for idle-time statistics.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hub.idempotency import Requests
from queueing.models import (
    AT_COUNTER,
    Arrival,
    Counter,
    CounterLogEntry,
    CounterState,
    Hall,
    HallSetup,
    PendingEvent,
    PhoneCode,
    Service,
    Ticket,
    TicketStatus,
)

Document = dict[str, Any]


class HallStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._halls = db["queueing_halls"]
        self._services = db["queueing_services"]
        self._counters = db["queueing_counters"]

    async def ensure_indexes(self) -> None:
        await self._services.create_index([("hall_id", 1), ("prefix", 1)], unique=True)
        await self._counters.create_index([("hall_id", 1), ("number", 1)], unique=True)

    async def list_halls(self) -> list[Hall]:
        return [Hall.model_validate(d) async for d in self._halls.find().sort("_id", 1)]

    async def get_hall(self, hall_id: str) -> Hall | None:
        doc = await self._halls.find_one({"_id": hall_id})
        return Hall.model_validate(doc) if doc else None

    async def set_notice(self, hall_id: str, notice: str) -> bool:
        result = await self._halls.update_one({"_id": hall_id}, {"$set": {"notice": notice}})
        return result.matched_count == 1

    async def save_hall(self, hall: Hall) -> None:
        doc = hall.model_dump(by_alias=True, mode="json")
        await self._halls.replace_one({"_id": hall.id}, doc, upsert=True)

    async def services(self, hall_id: str) -> list[Service]:
        cursor = self._services.find({"hall_id": hall_id}).sort("prefix", 1)
        return [_service(d) async for d in cursor]

    async def counters(self, hall_id: str) -> list[Counter]:
        cursor = self._counters.find({"hall_id": hall_id}).sort("number", 1)
        return [Counter.model_validate(d) async for d in cursor]

    async def get_counter(self, counter_id: str) -> Counter | None:
        doc = await self._counters.find_one({"_id": counter_id})
        return Counter.model_validate(doc) if doc else None

    async def count(self, hall_id: str) -> tuple[int, int]:
        services = await self._services.count_documents({"hall_id": hall_id})
        counters = await self._counters.count_documents({"hall_id": hall_id})
        return services, counters

    async def save_service(self, service: Service) -> None:
        doc = _service_doc(service)
        await self._services.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def delete_service(self, hall_id: str, service_id: str) -> bool:
        key = _service_key(hall_id, service_id)
        return (await self._services.delete_one({"_id": key})).deleted_count == 1

    async def counter_hall(self, counter_id: str) -> str | None:
        """The hall a counter id belongs to (counter ids are unique across halls)."""
        doc = await self._counters.find_one({"_id": counter_id}, {"hall_id": 1})
        return str(doc["hall_id"]) if doc else None

    async def save_counter(self, counter: Counter) -> None:
        doc = counter.model_dump(by_alias=True, mode="json")
        await self._counters.replace_one({"_id": counter.id}, doc, upsert=True)

    async def delete_counter(self, counter_id: str) -> bool:
        return (await self._counters.delete_one({"_id": counter_id})).deleted_count == 1

    async def replace_setup(self, setup: HallSetup) -> None:
        """Write a hall with exactly these services and counters (the setup is checked)."""
        hall_id = setup.hall.id
        await self.save_hall(setup.hall)
        keep_services = [_service_key(hall_id, s.id) for s in setup.services]
        keep_counters = [c.id for c in setup.counters]
        await self._counters.delete_many({"hall_id": hall_id, "_id": {"$nin": keep_counters}})
        await self._services.delete_many({"hall_id": hall_id, "_id": {"$nin": keep_services}})
        for service in setup.services:
            await self.save_service(service)
        for counter in setup.counters:
            await self.save_counter(counter)


def _service_key(hall_id: str, service_id: str) -> str:
    # Service ids are the hall's own ("huji" in every hall); the document key is per hall.
    return f"{hall_id}/{service_id}"


def _service_doc(service: Service) -> Document:
    doc = service.model_dump(by_alias=True, mode="json")
    doc["service_id"] = doc["_id"]
    doc["_id"] = _service_key(service.hall_id, service.id)
    return doc


def _service(doc: Document) -> Service:
    doc["_id"] = doc.pop("service_id")
    return Service.model_validate(doc)


# The fields that order a queue, address a ticket's holder, make its call (`domain.call`) and
# tell the workstations about it.
_QUEUE_FIELDS = {
    field: 1
    for field in (
        "hall_id",
        "service_id",
        "day",
        "number",
        "code",
        "channel",
        "status",
        "tags",
        "priority",
        "appointment",
        "issued_at",
        "queue_time",
        "target_counter_id",
        "counter_id",
        "version",
        "near_notified_at",
        "citizen",
        "calls",
        "called_at",
        # and what the workstations are told of its call (`domain.desk_ticket`)
        "last_called_at",
        "serving_at",
        "finished_at",
        "parked_at",
        "case_id",
        "transfers",
        "requeues",
        "staff_id",
        "staff_name",
    )
}
# What a call writes (`domain.call`): the rest of the ticket stays as stored.
_CALL_FIELDS = (
    "status",
    "counter_id",
    "target_counter_id",
    "calls",
    "called_at",
    "last_called_at",
    "staff_id",
    "staff_name",
    "parked_at",
)
# What a clerk's own figures of the day need (`views.clerk_figures`).
_FIGURE_FIELDS = {
    field: 1
    for field in (
        "hall_id",
        "service_id",
        "day",
        "number",
        "code",
        "channel",
        "status",
        "issued_at",
        "queue_time",
        "called_at",
        "serving_at",
        "finished_at",
        "staff_id",
    )
}


# An outbox as published: how many events, and the last one's id. Outboxes only grow until
# cleared, so one of that size holding that event is exactly what was published, whatever
# else changed the document meanwhile (a near-notice bumps the version, not the outbox).
Published = tuple[int, str]


def published(outbox: list[PendingEvent]) -> Published:
    return (len(outbox), outbox[-1].id) if outbox else (0, "")


async def _clear(
    collection: AsyncCollection[Document], outboxes: dict[str, Published], *, by_last: bool
) -> None:
    """Clear published outboxes that are still as published. `by_last`: recognise one by its
    last event's id, kept beside it as a plain field (`outbox_last`, written with every
    outbox): nx-27017 matches that in SQL, where a filter on the array's contents makes it
    load and decode every document in Python (a batch of clears took 18 ms, blocking every
    other command). Event ids are unique and an outbox is published whole, so an outbox
    ending with a published event is one that was published. The sweeper's clears (a
    document written by an older version has no `outbox_last`) use the array's size and
    contents."""
    clears = [
        UpdateOne(
            {"_id": doc_id, "outbox_last": last}
            if by_last
            else {"_id": doc_id, "outbox": {"$size": size}, "outbox.id": last},
            _CLEARED,
        )
        for doc_id, (size, last) in outboxes.items()
        if size
    ]
    if clears:
        await collection.bulk_write(clears, ordered=False)


# The outbox removed (read back as empty), not set to []: nx-27017 applies updates of plain
# values in SQL and others in Python, several times slower (hub/nx_server.py).
_CLEARED = {"$unset": {"outbox": "", "outbox_last": ""}, "$set": {"pending": False}}


def _outbox_fields(outbox: list[Any]) -> Document:
    """The fields written with an outbox (events as models or as stored documents)."""
    last = outbox[-1] if outbox else None
    last_id = (last["id"] if isinstance(last, dict) else last.id) if last is not None else None
    return {"pending": bool(outbox), "outbox_last": last_id}


def _person_id(hall_id: str, day: str, service_id: str, key: str) -> str:
    return f"{hall_id}|{day}|{service_id}|{key}"


def _ticket_doc(ticket: Ticket) -> Document:
    doc = ticket.model_dump(by_alias=True)
    doc.update(_outbox_fields(ticket.outbox))  # pending: indexed, the sweeper's query
    # The appointment's slot, at the top level: nx-27017 does not compare nested dates.
    doc["slot_start"] = ticket.appointment.slot_start if ticket.appointment else None
    return doc


def _ticket(doc: Document) -> Ticket:
    doc.pop("pending", None)
    doc.pop("outbox_last", None)
    doc.pop("slot_start", None)
    for key in [k for k in doc if "." in k]:
        # nx-27017 answers a projected sub-field flat ("citizen.citizen_id"); MongoDB nests it.
        outer, inner = key.split(".", 1)
        doc.setdefault(outer, {})[inner] = doc.pop(key)
    return Ticket.model_validate(doc)


class TicketStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tickets = db["queueing_tickets"]
        self._numbers = db["queueing_day_numbers"]
        # A person's tickets of a day and service, by each of their keys (the daily limit):
        # looked up by _id, where a query on the tickets' person_keys array scans the day.
        self._persons = db["queueing_person_tickets"]
        self.requests = Requests(db["queueing_requests"])

    async def ensure_indexes(self) -> None:
        await self.requests.ensure_indexes()
        t = self._tickets
        await t.create_index([("request", 1)])
        await t.create_index([("hall_id", 1), ("day", 1), ("code", 1)], unique=True)
        await t.create_index([("hall_id", 1), ("day", 1), ("status", 1)])
        await t.create_index([("counter_id", 1), ("status", 1)])
        await t.create_index([("staff_id", 1), ("day", 1)])  # a clerk's own tickets
        await t.create_index([("citizen.citizen_id", 1), ("day", 1)])
        await t.create_index([("hall_id", 1), ("day", 1), ("last_called_at", -1)])
        await t.create_index([("pending", 1)])
        await t.create_index([("status", 1)])

    async def next_seq(self, hall_id: str, service_id: str, day: str, cap: int) -> int | None:
        """The next number of the day for a service, atomically; None when `cap` are issued."""
        try:
            doc = await self._numbers.find_one_and_update(
                {"_id": f"{hall_id}:{service_id}:{day}", "seq": {"$lt": cap}},
                {"$inc": {"seq": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # MongoDB: the day's document exists and is at the cap
            return None
        return int(doc["seq"]) if doc else None  # nx-27017 answers None there instead

    async def insert(self, ticket: Ticket) -> None:
        await self._tickets.insert_one(_ticket_doc(ticket))

    async def get(self, ticket_id: str) -> Ticket | None:
        doc = await self._tickets.find_one({"_id": ticket_id})
        return _ticket(doc) if doc else None

    async def by_request(self, claim_id: str) -> Ticket | None:
        """The ticket taken under an idempotency claim (by an attempt that died midway)."""
        doc = await self._tickets.find_one({"request": claim_id})
        return _ticket(doc) if doc else None

    async def light(self, ticket_id: str) -> Ticket | None:
        """One ticket as `waiting` reads it (light), whatever its status now."""
        doc = await self._tickets.find_one({"_id": ticket_id}, _QUEUE_FIELDS)
        return _ticket(doc) if doc else None

    async def get_many(self, ticket_ids: list[str]) -> list[Ticket]:
        """The tickets of these ids that exist, in no particular order."""
        if not ticket_ids:
            return []
        cursor = self._tickets.find({"_id": {"$in": ticket_ids}})
        return [_ticket(d) async for d in cursor]

    async def save(self, ticket: Ticket, expected_version: int) -> Ticket | None:
        """Write the ticket if nobody changed it since `expected_version`; the saved ticket."""
        saved = ticket.model_copy(update={"version": expected_version + 1})
        result = await self._tickets.replace_one(
            {"_id": ticket.id, "version": expected_version}, _ticket_doc(saved)
        )
        return saved if result.matched_count == 1 else None

    async def claim(self, seen: Ticket, called: Ticket) -> Ticket | None:
        """Take a waiting ticket for a counter in one atomic step: write the call (`called`,
        made by `domain.call` from `seen`, with the call's events in its outbox) if the ticket
        is still waiting at the version seen. The ticket as saved, or None when someone else
        changed it first (another counter took it: this counter tries its next choice).

        Safe on any number of nodes: MongoDB applies one update to a document at a time, so of
        several counters claiming the same ticket exactly one matches the filter; the others
        find the status (and version) moved on. `seen` may be the queue's light copy: only
        the call's fields are written, the rest of the ticket (personal data, earlier events
        still in the outbox) stays as stored."""
        doc = _ticket_doc(called)
        found = await self._tickets.find_one_and_update(
            {"_id": seen.id, "version": seen.version, "status": TicketStatus.WAITING.value},
            {
                "$set": {
                    **{f: doc[f] for f in _CALL_FIELDS},
                    **_outbox_fields(doc["outbox"]),
                },
                "$push": {"outbox": {"$each": doc["outbox"]}},
                "$inc": {"version": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return _ticket(found) if found else None

    async def unclaim(self, claimed: Ticket, seen: Ticket, event_ids: set[str]) -> None:
        """Undo a claim whose counter changed meanwhile: the call's fields as they were, its
        events out of the outbox (guarded by the claimed version)."""
        doc = _ticket_doc(seen)
        left = [e.model_dump() for e in claimed.outbox if e.id not in event_ids]
        await self._tickets.update_one(
            {"_id": claimed.id, "version": claimed.version},
            {
                "$set": {
                    **{f: doc[f] for f in _CALL_FIELDS},
                    "outbox": left,
                    **_outbox_fields(left),
                },
                "$inc": {"version": 1},
            },
        )

    async def mark_near(self, ticket: Ticket, now: datetime) -> bool:
        """Note that the holder was told their turn is near (once: guarded by version)."""
        result = await self._tickets.update_one(
            {"_id": ticket.id, "version": ticket.version, "near_notified_at": None},
            {"$set": {"near_notified_at": now}, "$inc": {"version": 1}},
        )
        return result.modified_count == 1

    async def clear_outbox(self, ticket: Ticket) -> None:
        """The ticket's events are published: clear them, unless a newer write added events
        to the outbox (it carries these along, published again as no-ops by event id, and
        clears them itself)."""
        await _clear(self._tickets, {ticket.id: published(ticket.outbox)}, by_last=False)

    async def clear_outboxes(self, outboxes: dict[str, Published]) -> None:
        """`clear_outbox` for many tickets in one command."""
        await _clear(self._tickets, outboxes, by_last=True)

    async def with_pending_events(self, limit: int = 200) -> list[Ticket]:
        cursor = self._tickets.find({"pending": True}).limit(limit)
        return [_ticket(d) async for d in cursor]

    async def waiting(self, hall_id: str, day: str) -> list[Ticket]:
        """A hall's waiting tickets, light: what ordering the queue needs, without personal
        data, calls or outbox (read a ticket whole with `get` before changing it). An
        aggregation with a projection: nx-27017 answers it several times faster than a find."""
        cursor = await self._tickets.aggregate(
            [
                {"$match": {"hall_id": hall_id, "day": day, "status": TicketStatus.WAITING.value}},
                {"$project": _QUEUE_FIELDS},
            ]
        )
        return [_ticket(d) async for d in cursor]

    async def held_at_counters(self) -> list[Ticket]:
        cursor = self._tickets.find(
            {"status": {"$in": [s.value for s in AT_COUNTER]}}, _QUEUE_FIELDS
        )
        return [_ticket(d) async for d in cursor]

    async def parked(self, counter_id: str, day: str) -> list[Ticket]:
        cursor = self._tickets.find(
            {"counter_id": counter_id, "day": day, "status": TicketStatus.PARKED.value}
        ).sort("parked_at", 1)
        return [_ticket(d) async for d in cursor]

    async def at_counter(self, counter_id: str) -> list[Ticket]:
        cursor = self._tickets.find(
            {"counter_id": counter_id, "status": {"$in": [s.value for s in AT_COUNTER]}}
        )
        return [_ticket(d) async for d in cursor]

    async def person_count(
        self, hall_id: str, day: str, service_id: str, person: list[str], limit: int
    ) -> int:
        """Tickets of the day for this person and service (any of their keys), up to
        `limit`."""
        ids = [_person_id(hall_id, day, service_id, key) for key in person]
        tickets: set[str] = set()
        async for doc in self._persons.find({"_id": {"$in": ids}}):
            tickets.update(doc.get("tickets", []))
        return min(len(tickets), limit)

    async def note_person(self, ticket: Ticket) -> None:
        """Count a ticket issued against its holder's keys (after it is written: a crash in
        between lets a person one ticket more, never refuses one)."""
        if ticket.person_keys:
            await self._persons.bulk_write(
                [
                    UpdateOne(
                        {"_id": _person_id(ticket.hall_id, ticket.day, ticket.service_id, key)},
                        {"$addToSet": {"tickets": ticket.id}},
                        upsert=True,
                    )
                    for key in ticket.person_keys
                ],
                ordered=False,
            )

    async def waiting_counts(self, hall_id: str, day: str) -> dict[str, int]:
        cursor = await self._tickets.aggregate(
            [
                {"$match": {"hall_id": hall_id, "day": day, "status": TicketStatus.WAITING.value}},
                {"$group": {"_id": "$service_id", "n": {"$sum": 1}}},
            ]
        )
        return {d["_id"]: int(d["n"]) async for d in cursor}

    async def recent_service_minutes(
        self, hall_id: str, service_id: str, day: str, limit: int = 20
    ) -> list[float]:
        """Service times of the last finished tickets, oldest first."""
        cursor = (
            self._tickets.find(
                {
                    "hall_id": hall_id,
                    "day": day,
                    "service_id": service_id,
                    "status": TicketStatus.FINISHED.value,
                },
                {"serving_at": 1, "finished_at": 1},
            )
            .sort("finished_at", -1)
            .limit(limit)
        )
        minutes = [
            (d["finished_at"] - d["serving_at"]).total_seconds() / 60
            async for d in cursor
            if d.get("serving_at") and d.get("finished_at")
        ]
        return list(reversed(minutes))

    async def latest_calls(self, hall_id: str, day: str, limit: int) -> list[Ticket]:
        cursor = (
            self._tickets.find({"hall_id": hall_id, "day": day, "last_called_at": {"$ne": None}})
            .sort("last_called_at", -1)
            .limit(limit)
        )
        return [_ticket(d) async for d in cursor]

    async def of_day(self, hall_id: str, day: str) -> list[Ticket]:
        cursor = self._tickets.find({"hall_id": hall_id, "day": day}).sort("issued_at", 1)
        return [_ticket(d) async for d in cursor]

    async def served_by_counter(self, counter_id: str, day: str, limit: int) -> list[Ticket]:
        cursor = (
            self._tickets.find(
                {
                    "day": day,
                    "calls.counter_id": counter_id,
                    "status": {"$in": [TicketStatus.FINISHED.value, TicketStatus.NO_SHOW.value]},
                }
            )
            .sort("last_called_at", -1)
            .limit(limit)
        )
        return [_ticket(d) async for d in cursor]

    async def of_clerk(self, hall_id: str, staff_id: str, day: str) -> list[Ticket]:
        """The tickets a clerk called today (indexed by clerk and day), light: what their
        figures need."""
        cursor = self._tickets.find(
            {"staff_id": staff_id, "day": day, "hall_id": hall_id}, _FIGURE_FIELDS
        )
        return [_ticket(d) async for d in cursor]

    async def arrivals(self, hall_id: str, day: str) -> list[Arrival]:
        """When each ticket of a day was issued, and for which service."""
        cursor = self._tickets.find(
            {"hall_id": hall_id, "day": day}, {"_id": 0, "service_id": 1, "issued_at": 1}
        )
        return [Arrival.model_validate(d) async for d in cursor]

    async def of_citizen(self, citizen_id: str, day: str) -> list[Ticket]:
        cursor = self._tickets.find({"citizen.citizen_id": citizen_id, "day": day}).sort(
            "issued_at", -1
        )
        return [_ticket(d) async for d in cursor]


class CounterStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._states = db["queueing_counter_states"]
        self._log = db["queueing_counter_log"]

    async def ensure_indexes(self) -> None:
        await self._states.create_index([("hall_id", 1)])
        await self._log.create_index([("hall_id", 1), ("day", 1)])
        await self._log.create_index([("counter_id", 1), ("end", 1)])

    async def get(self, counter: Counter) -> CounterState:
        doc = await self._states.find_one({"_id": counter.id})
        if doc is None:
            state = CounterState(id=counter.id, hall_id=counter.hall_id)
            try:
                await self._states.insert_one(_state_doc(state))
            except DuplicateKeyError:
                doc = await self._states.find_one({"_id": counter.id})
                assert doc is not None
                return _state(doc)
            return state
        return _state(doc)

    async def of_hall(self, hall_id: str) -> dict[str, CounterState]:
        return {d["_id"]: _state(d) async for d in self._states.find({"hall_id": hall_id})}

    async def save(self, state: CounterState, expected_version: int) -> CounterState | None:
        saved = state.model_copy(update={"version": expected_version + 1})
        result = await self._states.replace_one(
            {"_id": state.id, "version": expected_version}, _state_doc(saved)
        )
        return saved if result.matched_count == 1 else None

    async def clear_outbox(self, state: CounterState) -> None:
        await _clear(self._states, {state.id: published(state.outbox)}, by_last=False)

    async def clear_outboxes(self, outboxes: dict[str, Published]) -> None:
        await _clear(self._states, outboxes, by_last=True)

    async def by_id(self, counter_id: str) -> CounterState | None:
        doc = await self._states.find_one({"_id": counter_id})
        return _state(doc) if doc else None

    async def holding(self) -> list[CounterState]:
        return [_state(d) async for d in self._states.find({"current_ticket_id": {"$ne": None}})]

    async def with_pending_events(self) -> list[CounterState]:
        return [_state(d) async for d in self._states.find({"pending": True})]

    async def log_status(self, entry: CounterLogEntry) -> None:
        """Close the counter's open interval and open the new one."""
        await self._log.update_many(
            {"counter_id": entry.counter_id, "end": None}, {"$set": {"end": entry.start}}
        )
        await self._log.insert_one(entry.model_dump())

    async def log_of_day(self, hall_id: str, day: str) -> list[CounterLogEntry]:
        cursor = self._log.find({"hall_id": hall_id, "day": day}, {"_id": 0}).sort("start", 1)
        return [CounterLogEntry.model_validate(d) async for d in cursor]


def _state_doc(state: CounterState) -> Document:
    doc = state.model_dump(by_alias=True)
    doc.update(_outbox_fields(state.outbox))
    return doc


def _state(doc: Document) -> CounterState:
    doc.pop("pending", None)
    doc.pop("outbox_last", None)
    return CounterState.model_validate(doc)


class WalkInStore:
    """码上取号 without an account: `queueing_walk_in_limits`, one counter per window of a
    limit (an address's tickets this hour, a phone's codes today), and
    `queueing_phone_codes`, the code last sent to each phone (keyed hashes only). Both lapse
    with their `expires_at` (a TTL index; a lapsed one is ignored until it is gone)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._limits = db["queueing_walk_in_limits"]
        self._codes = db["queueing_phone_codes"]

    async def ensure_indexes(self) -> None:
        await self._limits.create_index([("expires_at", 1)], expireAfterSeconds=0)
        await self._codes.create_index([("expires_at", 1)], expireAfterSeconds=0)

    async def bump(self, key: str, limit: int, expires_at: datetime) -> bool:
        """Count one more in the window, atomically, only while it is under `limit`: False
        (and nothing written) when it is full."""
        try:
            doc = await self._limits.find_one_and_update(
                {"_id": key, "n": {"$lt": limit}},
                # The window's own end, the same on every bump ($set: nx-27017 ignores
                # $setOnInsert in an upsert).
                {"$inc": {"n": 1}, "$set": {"expires_at": expires_at}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # MongoDB: the window exists and is full
            return False
        return doc is not None  # nx-27017 answers None there instead

    async def unbump(self, key: str) -> None:
        """Take back one count (what it counted was refused after all); a window back at
        nothing is gone, as if never counted."""
        await self._limits.update_one({"_id": key, "n": {"$gt": 0}}, {"$inc": {"n": -1}})
        await self._limits.delete_one({"_id": key, "n": {"$lte": 0}})

    async def code(self, phone_key: str) -> PhoneCode | None:
        doc = await self._codes.find_one({"_id": phone_key})
        return PhoneCode.model_validate(doc) if doc else None

    async def save_code(self, code: PhoneCode) -> None:
        doc = code.model_dump(by_alias=True)
        await self._codes.replace_one({"_id": code.id}, doc, upsert=True)

    async def use_code(self, code: PhoneCode) -> bool:
        """Use the code up, once: False when another request used it (or a new one replaced
        it) first."""
        found = await self._codes.find_one_and_delete(
            {"_id": code.id, "digest": code.digest, "attempts": code.attempts}
        )
        return found is not None

    async def wrong_code(self, code: PhoneCode) -> None:
        """One more wrong try of this code (not of a newer one that replaced it)."""
        await self._codes.update_one(
            {"_id": code.id, "digest": code.digest}, {"$inc": {"attempts": 1}}
        )

    async def restore_code(self, code: PhoneCode) -> None:
        """Give back a code used for a ticket that was refused after all (unless a new code
        has been sent meanwhile)."""
        with contextlib.suppress(DuplicateKeyError):
            await self._codes.insert_one(code.model_dump(by_alias=True))

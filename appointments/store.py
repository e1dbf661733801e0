"""The appointment center's collections; nothing else touches them.

`appointments_plans` (one per hall and service), `appointments_settings` (the abuse rules),
`appointments_slots` (a slot's places, written when its day opens), `appointments_bookings`,
`appointments_holds` (one per person, service and day while a booking is active: the unique
`_id` makes "one booking a day" atomic), `appointments_strikes`, `appointments_blacklist`,
`appointments_numbers` (appointment codes per hall and day).

Times that jobs compare are mirrored as epoch seconds (`slot_ts`): the embedded nx-27017
store scans a whole collection for a date comparison but uses an index for a number. A slot
whose places are still to be released carries `due_ts`, when the jobs have something to do
with it next (`domain.next_release`); the jobs read only the slots due (indexed), and the field
goes when the places go to walk-ins.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from appointments.models import (
    AbuseRules,
    Appointment,
    AppointmentQuery,
    AppointmentState,
    Blacklisting,
    BookingPlan,
    Change,
    SlotState,
    Strike,
)
from hub.errors import RequestInProgress
from hub.idempotency import Requests

Document = dict[str, Any]


def _ts(moment: datetime) -> float:
    return math.floor(moment.timestamp() * 1000) / 1000


def _booking_doc(appointment: Appointment) -> Document:
    doc = appointment.model_dump(by_alias=True)
    doc["slot_ts"] = _ts(appointment.slot_start)
    doc["has_outbox"] = bool(appointment.outbox)
    return doc


def _booking(doc: Document) -> Appointment:
    doc.pop("slot_ts", None)
    doc.pop("has_outbox", None)
    return Appointment.model_validate(doc)


def _slot(doc: Document) -> SlotState:
    doc.pop("due_ts", None)
    return SlotState.model_validate(doc)


def _slot_due(doc: Document) -> tuple[SlotState, float]:
    """A slot and its next release (`due_ts`), of a document that has one."""
    due_ts = float(doc["due_ts"])
    return _slot(doc), due_ts


def _due(due: datetime | None) -> Document:
    """The update that sets a slot's next release (or drops it: nothing left to release)."""
    return {"$set": {"due_ts": _ts(due)}} if due is not None else {"$unset": {"due_ts": ""}}


# A booking attempt in these states made nothing to answer a repeat with.
_UNFINISHED = (AppointmentState.PENDING.value, AppointmentState.FAILED.value)


class AppointmentStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._plans = db["appointments_plans"]
        self._settings = db["appointments_settings"]
        self._slots = db["appointments_slots"]
        self._bookings = db["appointments_bookings"]
        self._holds = db["appointments_holds"]
        self._strikes = db["appointments_strikes"]
        self._blacklist = db["appointments_blacklist"]
        self._numbers = db["appointments_numbers"]
        self.requests = Requests(db["appointments_requests"])

    async def ensure_indexes(self) -> None:
        await self.requests.ensure_indexes()
        await self._bookings.create_index([("request", 1)])
        # Single-field indexes: nx-27017 uses no other kind for a find.
        await self._plans.create_index([("hall_id", 1)])
        await self._slots.create_index([("day", 1)])
        await self._slots.create_index([("due_ts", 1)])
        b = self._bookings
        await b.create_index([("citizen_id", 1)])
        await b.create_index([("state", 1)])
        await b.create_index([("hall_id", 1)])
        await b.create_index([("day", 1)])
        await b.create_index([("person", 1)])
        await b.create_index([("slot_id", 1)])
        await b.create_index([("code", 1)])  # check-in by the code the citizen shows
        await b.create_index([("has_outbox", 1)])
        await self._strikes.create_index([("person", 1)])
        await self._blacklist.create_index([("until", 1)])

    # -- plans and rules -------------------------------------------------------------------

    async def plans(self, hall_id: str | None = None) -> list[BookingPlan]:
        query = {"hall_id": hall_id} if hall_id else {}
        return [BookingPlan.model_validate(d) async for d in self._plans.find(query).sort("_id")]

    async def plan(self, hall_id: str, service_id: str) -> BookingPlan | None:
        doc = await self._plans.find_one({"_id": f"{hall_id}:{service_id}"})
        return BookingPlan.model_validate(doc) if doc else None

    async def save_plan(self, plan: BookingPlan) -> None:
        doc = plan.model_dump(by_alias=True, mode="json")
        await self._plans.replace_one({"_id": plan.id}, doc, upsert=True)

    async def abuse_rules(self) -> AbuseRules:
        doc = await self._settings.find_one({"_id": "abuse"})
        return AbuseRules.model_validate(doc) if doc else AbuseRules()

    async def save_abuse_rules(self, rules: AbuseRules) -> None:
        await self._settings.replace_one(
            {"_id": "abuse"}, rules.model_dump(by_alias=True), upsert=True
        )

    # -- slots -----------------------------------------------------------------------------

    async def slots(self, hall_id: str, service_id: str, day: str) -> dict[str, SlotState]:
        cursor = self._slots.find({"day": day, "hall_id": hall_id, "service_id": service_id})
        return {d["_id"]: _slot(d) async for d in cursor}

    async def slot(self, slot_id: str) -> SlotState | None:
        doc = await self._slots.find_one({"_id": slot_id})
        return _slot(doc) if doc else None

    async def open_slot(self, slot: SlotState, due: datetime | None) -> bool:
        """Write a slot's places when its day opens, with its first release (`due`); False
        when it was already open."""
        doc = slot.model_dump(by_alias=True)
        if due is not None:
            doc["due_ts"] = _ts(due)
        try:
            await self._slots.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def take_place(self, slot_id: str, appointment_id: str) -> SlotState | None:
        """A place taken for the booking: the slot after, or None when none was free."""
        doc = await self._slots.find_one_and_update(
            {
                "_id": slot_id,
                "free": {"$gt": 0},
                "walkin_released": None,
                "holders": {"$ne": appointment_id},
            },
            {"$inc": {"free": -1}, "$push": {"holders": appointment_id}},
            return_document=ReturnDocument.AFTER,
        )
        return _slot(doc) if doc is not None else None

    async def due_slots(self, now: datetime, limit: int = 500) -> list[tuple[SlotState, float]]:
        """The slots with places to release at `now` (by `due_ts`, on its index), soonest
        first, each with its `due_ts`."""
        cursor = self._slots.find({"due_ts": {"$lte": _ts(now)}}).sort("due_ts", 1).limit(limit)
        return [_slot_due(d) async for d in cursor]

    async def pending_slots(self, hall_id: str, service_id: str) -> list[tuple[SlotState, float]]:
        """A plan's slots with places still to release, each with its `due_ts`."""
        cursor = self._slots.find(
            {"due_ts": {"$gte": 0}, "hall_id": hall_id, "service_id": service_id}
        )
        return [_slot_due(d) async for d in cursor]

    async def unscheduled_slots(self, from_day: str) -> list[SlotState]:
        """Slots from a day on that were opened before slots carried `due_ts` (none once they
        have been scheduled)."""
        cursor = self._slots.find(
            {"day": {"$gte": from_day}, "walkin_released": None, "due_ts": {"$exists": False}}
        )
        return [_slot(d) async for d in cursor]

    async def reschedule(
        self, slot: SlotState, due: datetime | None, *, was: float | None = None
    ) -> bool:
        """Set a slot's next release, if it is still as read (`slot`'s places, and `was`: its
        `due_ts` then; None: not set); False when it changed meanwhile or is due then already."""
        if due is not None and was is not None and _ts(due) == was:
            return False
        guard: Document = {
            "_id": slot.id,
            "free": slot.free,
            "backup_released": slot.backup_released,
            "walkin_released": None,
            "due_ts": was if was is not None else {"$exists": False},
        }
        result = await self._slots.update_one(guard, _due(due))
        return result.matched_count == 1

    async def due_now(self, slot_id: str, now: datetime) -> None:
        """The slot has places to release now (its backup, booked out)."""
        await self._slots.update_one(
            {"_id": slot_id, "walkin_released": None}, {"$min": {"due_ts": _ts(now)}}
        )

    async def give_back(self, slot_id: str, appointment_id: str) -> bool:
        """A cancelled booking's place: bookable again, or a walk-in's after the release."""
        doc = await self._slots.find_one_and_update(
            {"_id": slot_id, "holders": appointment_id, "walkin_released": None},
            {"$inc": {"free": 1}, "$pull": {"holders": appointment_id}},
        )
        if doc is not None:
            return True
        doc = await self._slots.find_one_and_update(
            {"_id": slot_id, "holders": appointment_id},
            {"$inc": {"walkin_released": 1}, "$pull": {"holders": appointment_id}},
        )
        return doc is not None

    async def take_released_place(self, slot_id: str, appointment_id: str) -> bool:
        """A place handed to walk-ins taken back for a booking (demo data made for a slot
        under way): the walk-ins' count goes down by the place."""
        doc = await self._slots.find_one_and_update(
            {"_id": slot_id, "walkin_released": {"$gt": 0}, "holders": {"$ne": appointment_id}},
            {"$inc": {"walkin_released": -1}, "$push": {"holders": appointment_id}},
        )
        return doc is not None

    async def holds_place(self, slot_id: str, appointment_id: str) -> bool:
        return await self._slots.find_one({"_id": slot_id, "holders": appointment_id}) is not None

    async def release_backup(self, slot: SlotState, then: datetime | None) -> SlotState | None:
        """The backup places made bookable, once; `then`: the slot's next release after."""
        update = _due(then)
        update.setdefault("$set", {})["backup_released"] = True
        doc = await self._slots.find_one_and_update(
            {"_id": slot.id, "backup_released": False, "walkin_released": None},
            {"$inc": {"free": slot.backup}, **update},
            return_document=ReturnDocument.AFTER,
        )
        return _slot(doc) if doc else None

    async def release_to_walkins(self, slot: SlotState) -> SlotState | None:
        """Hand the free places (and any backup still held) to walk-ins, once: tried on the
        slot as read (`slot`), and if it changed meanwhile on the slot as it is now."""
        current: SlotState | None = slot
        for _ in range(2):
            if current is None or current.walkin_released is not None:
                return None
            held = 0 if current.backup_released else current.backup
            doc = await self._slots.find_one_and_update(
                {
                    "_id": slot.id,
                    "walkin_released": None,
                    "free": current.free,
                    "backup_released": current.backup_released,
                },
                {
                    "$set": {"walkin_released": current.free + held, "free": 0},
                    "$unset": {"due_ts": ""},
                },
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                return _slot(doc)
            current = await self.slot(slot.id)
        return None

    async def walkin_places(self, hall_id: str, service_id: str, day: str) -> int:
        slots = await self.slots(hall_id, service_id, day)
        return sum(s.walkin_released or 0 for s in slots.values())

    # -- bookings --------------------------------------------------------------------------

    async def next_code(self, hall_id: str, day: str) -> int:
        """The hall day's next appointment number, for every service of the hall: one
        document per hall and day, moved on by `$inc` in one atomic step (any number of
        bookings and nodes at once get distinct numbers)."""
        for _ in range(3):
            try:
                doc = await self._numbers.find_one_and_update(
                    {"_id": f"{hall_id}:{day}"},
                    {"$inc": {"seq": 1}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                # Two first bookings of the day upserted at once and the other one inserted
                # the document: the $inc applies to it on the next try.
                continue
            if doc is not None:
                return int(doc["seq"])
        raise RuntimeError(f"no appointment number for {hall_id} {day}")

    async def add(self, appointment: Appointment) -> None:
        await self._bookings.insert_one(_booking_doc(appointment))

    async def get(self, appointment_id: str) -> Appointment | None:
        doc = await self._bookings.find_one({"_id": appointment_id})
        return _booking(doc) if doc else None

    async def booked_by_request(self, claim_id: str) -> Appointment | None:
        """The booking an idempotency claim's attempt completed, if it did (one that died
        midway left a pending booking, which the clockwork settles)."""
        pending = False
        async for doc in self._bookings.find({"request": claim_id}):
            if doc["state"] not in _UNFINISHED:
                return _booking(doc)
            pending = pending or doc["state"] == AppointmentState.PENDING.value
        if pending:
            # Cut off midway, it still holds the person's day and maybe a place: booking again
            # would be refused as ALREADY_BOOKED. The clockwork settles it (booked or failed)
            # within a minute; the repeat is asked to wait for that.
            raise RequestInProgress()
        return None

    async def save(self, appointment: Appointment, by: str, what: str) -> Appointment | None:
        """Write a change guarded by the version read; None when someone changed it first."""
        saved = appointment.model_copy(
            update={
                "version": appointment.version + 1,
                "history": [
                    *appointment.history,
                    Change(at=appointment.updated_at, by=by, what=what),
                ],
            }
        )
        result = await self._bookings.replace_one(
            {"_id": appointment.id, "version": appointment.version}, _booking_doc(saved)
        )
        return saved if result.matched_count == 1 else None

    async def clear_outbox(self, appointment_id: str, version: int) -> None:
        """Published: emptied, unless the booking changed since (its writer carried the
        events along and publishes them again; repeats are dropped by event id)."""
        await self._bookings.update_one(
            {"_id": appointment_id, "version": version},
            {"$set": {"outbox": [], "has_outbox": False}},
        )

    async def with_outbox(self) -> list[Appointment]:
        cursor = self._bookings.find({"has_outbox": True}).limit(500)
        return [_booking(d) async for d in cursor]

    async def hold(self, key: str, appointment_id: str) -> bool:
        try:
            await self._holds.insert_one({"_id": key, "appointment_id": appointment_id})
        except DuplicateKeyError:
            return False
        return True

    async def holder(self, key: str) -> str | None:
        doc = await self._holds.find_one({"_id": key})
        return str(doc["appointment_id"]) if doc else None

    async def unhold(self, key: str, appointment_id: str) -> None:
        await self._holds.delete_one({"_id": key, "appointment_id": appointment_id})

    async def of_citizen(self, citizen_id: str) -> list[Appointment]:
        cursor = self._bookings.find({"citizen_id": citizen_id}).sort("slot_ts", -1).limit(200)
        return [_booking(d) async for d in cursor]

    async def of_person_day(self, person: str, service_id: str, day: str) -> list[Appointment]:
        cursor = self._bookings.find({"person": person, "service_id": service_id, "day": day})
        return [_booking(d) async for d in cursor]

    async def in_state(
        self, state: AppointmentState, slot_before: datetime, limit: int = 500
    ) -> list[Appointment]:
        """Bookings in a state whose slot starts before a time (the jobs' work)."""
        cursor = self._bookings.find(
            {"state": state.value, "slot_ts": {"$lt": _ts(slot_before)}}
        ).limit(limit)
        return [_booking(d) async for d in cursor]

    async def stale_pending(self, created_before: datetime) -> list[Appointment]:
        cursor = self._bookings.find({"state": AppointmentState.PENDING.value})
        return [b for b in [_booking(d) async for d in cursor] if b.created_at < created_before]

    async def by_code(self, hall_id: str, day: str, code: str) -> list[Appointment]:
        """The bookings of a hall day with a code (one that was made; attempts have none)."""
        cursor = self._bookings.find({"code": code, "hall_id": hall_id, "day": day})
        return [_booking(d) async for d in cursor]

    async def for_checkin(self, hall_id: str, day: str, person: str) -> list[Appointment]:
        cursor = self._bookings.find({"person": person, "hall_id": hall_id, "day": day})
        return [_booking(d) async for d in cursor]

    async def search(self, q: AppointmentQuery, limit: int | None = None) -> list[Appointment]:
        """Bookings by hall, service, days and state, by slot time (`limit`: instead of the
        query's own, for a whole report)."""
        query: Document = {}
        if q.hall_id:
            query["hall_id"] = q.hall_id
        if q.service_id:
            query["service_id"] = q.service_id
        if q.state:
            query["state"] = q.state.value
        if q.day_from or q.day_to:
            query["day"] = {
                **({"$gte": q.day_from.isoformat()} if q.day_from else {}),
                **({"$lte": q.day_to.isoformat()} if q.day_to else {}),
            }
        cursor = self._bookings.find(query).sort("slot_ts", 1).skip(q.skip)
        return [_booking(d) async for d in cursor.limit(limit or q.limit)]

    async def unreminded(self, slot_before: datetime) -> list[Appointment]:
        cursor = self._bookings.find(
            {
                "state": AppointmentState.BOOKED.value,
                "slot_ts": {"$lt": _ts(slot_before)},
                "reminded": {"$ne": True},
            }
        ).limit(500)
        return [_booking(d) async for d in cursor]

    async def mark_reminded(self, appointment_id: str) -> bool:
        result = await self._bookings.update_one(
            {"_id": appointment_id, "reminded": {"$ne": True}}, {"$set": {"reminded": True}}
        )
        return result.modified_count == 1

    # -- strikes and the blacklist ---------------------------------------------------------

    async def add_strike(self, strike: Strike) -> bool:
        try:
            await self._strikes.insert_one(strike.model_dump(by_alias=True))
        except DuplicateKeyError:
            return False
        return True

    async def strikes(self, person: str) -> list[Strike]:
        return [Strike.model_validate(d) async for d in self._strikes.find({"person": person})]

    async def blacklisting(self, person: str) -> Blacklisting | None:
        doc = await self._blacklist.find_one({"_id": person})
        return Blacklisting.model_validate(doc) if doc else None

    async def save_blacklisting(self, entry: Blacklisting) -> None:
        await self._blacklist.replace_one(
            {"_id": entry.id}, entry.model_dump(by_alias=True), upsert=True
        )

    async def blacklist(self, include_lifted: bool) -> list[Blacklisting]:
        query: Document = {} if include_lifted else {"lifted_at": None}
        cursor = self._blacklist.find(query).sort("since", -1).limit(1000)
        return [Blacklisting.model_validate(d) async for d in cursor]

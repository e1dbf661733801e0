"""Idempotency keys for the commands that create things (take a ticket, book a slot).

A screen sends `request_id` with the command and sends the same id again when it could not
learn the answer (its node died, the connection dropped, the store was restarting). The first
attempt claims the id in the domain's requests collection; a repeat answers what it made.
An attempt that died midway leaves its claim running until its lease ends (no attempt runs
longer: it is stopped at ATTEMPT_SECONDS); a repeat after that looks for what the dead attempt
made (the created document carries the claim's id) before making anything.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import StringConstraints
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from hub.errors import IdempotencyConflict, RequestInProgress
from hub.gateway.commands import CommandTimeout

RequestId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]

# An attempt runs at most this long (a take or a booking answers in well under a second); its
# claim's lease a little longer, so a claim past its lease was made by an attempt that cannot
# still be running: a repeat after its node died waits at most this long.
ATTEMPT_SECONDS = 5.0
LEASE = timedelta(seconds=ATTEMPT_SECONDS + 1)
# Kept this long: a screen retries within minutes, never days later.
KEPT = timedelta(days=1)
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

T = TypeVar("T")
Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RequestKey:
    """Who sent it and which command (`scope`), the screen's id, and the content."""

    scope: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, scope: str, key: str, payload: Any, pepper: bytes) -> RequestKey:
        return cls(scope, key, fingerprint(payload, pepper))


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    made: str | None  # the id of what the first attempt made, when it finished
    recovered: bool  # an earlier attempt died midway: look for what it made first


def fingerprint(payload: Any, pepper: bytes) -> str:
    """The request as sent, less its id: a key sent again with other content is refused. Keyed
    (the request may hold an ID number or a phone: the stored hash must not reveal them)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(pepper, text.encode(), hashlib.sha256).hexdigest()[:32]


class Requests:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._requests = collection
        # This process's claims, and those it is running: a claim of ours that is not running
        # was left by an attempt that failed without giving it back (the store went away
        # meanwhile); it is taken over at once instead of after its lease.
        self._owner = secrets.token_hex(8)
        self._running: set[str] = set()

    async def ensure_indexes(self) -> None:
        await self._requests.create_index([("expires_at", 1)], expireAfterSeconds=0)

    async def once(
        self,
        request: RequestKey,
        *,
        now: datetime,
        make: Callable[[str], Awaitable[T]],
        made_by: Callable[[str], Awaitable[T | None]],
        load: Callable[[str], Awaitable[T]],
        id_of: Callable[[T], str],
    ) -> T:
        """`make(claim_id)` once per (scope, key): a repeat answers `load(id)` of what the
        first made; after an attempt died midway, `made_by(claim_id)` finds what it made, if
        anything, before `make` runs again."""
        claim = await self._claim(request.scope, request.key, request.fingerprint, now)
        if claim.made is not None:
            return await load(claim.made)
        try:
            if claim.recovered:
                earlier = await made_by(claim.id)
                if earlier is not None:
                    await self._done(claim, id_of(earlier))
                    return earlier
            async with asyncio.timeout(ATTEMPT_SECONDS):
                result = await make(claim.id)
        except TimeoutError as exc:
            # Stopped midway (what it made, if anything, is found by the repeat).
            await self._expire(claim)
            raise CommandTimeout() from exc
        except BaseException:
            # Whatever happened (a refusal, the store failing midway), a repeat may run now:
            # it first looks for what this attempt may have made.
            await self._expire(claim)
            raise
        finally:
            self._running.discard(claim.id)
        await self._done(claim, id_of(result))
        return result

    async def _claim(self, scope: str, key: str, fingerprint: str, now: datetime) -> Claim:
        claim_id = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:32]
        for _ in range(3):
            try:
                await self._requests.insert_one(
                    {
                        "_id": claim_id,
                        "fingerprint": fingerprint,
                        "made": None,
                        "owner": self._owner,
                        "lease_until": now + LEASE,
                        # The node's wall clock, not the caller's (a simulation's may be days
                        # off): the store's TTL monitor compares it with its own.
                        "expires_at": datetime.now(UTC) + KEPT,
                    }
                )
                self._running.add(claim_id)
                return Claim(claim_id, None, False)
            except DuplicateKeyError:
                pass
            found = await self._requests.find_one({"_id": claim_id})
            if found is None:
                continue  # expired meanwhile: claim it afresh
            if found["fingerprint"] != fingerprint:
                raise IdempotencyConflict()
            if found["made"] is not None:
                return Claim(claim_id, str(found["made"]), False)
            ours_and_over = found.get("owner") == self._owner and claim_id not in self._running
            if found["lease_until"] > now and not ours_and_over:
                raise RequestInProgress()
            taken = await self._requests.find_one_and_update(
                {"_id": claim_id, "made": None, "lease_until": found["lease_until"]},
                {"$set": {"lease_until": now + LEASE, "owner": self._owner}},
            )
            if taken is None:
                raise RequestInProgress()  # another repeat took it over first
            # Running from here: a repeat on this node meanwhile must wait, not take it over.
            self._running.add(claim_id)
            return Claim(claim_id, None, True)
        raise RequestInProgress()

    async def _done(self, claim: Claim, made: str) -> None:
        await self._requests.update_one(
            {"_id": claim.id, "owner": self._owner, "made": None}, {"$set": {"made": made}}
        )

    async def _expire(self, claim: Claim) -> None:
        try:
            await self._requests.update_one(
                {"_id": claim.id, "owner": self._owner, "made": None},
                {"$set": {"lease_until": _LONG_AGO}},
            )
        except Exception:  # the store is down: the lease ends by itself
            return

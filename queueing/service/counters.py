"""A counter's own state: a clerk signs in (opens it), pauses, resumes, signs out."""

from __future__ import annotations

from hub.auth import Principal
from queueing import domain
from queueing.errors import ConcurrentChange
from queueing.models import CounterLogEntry, CounterState, PendingEvent
from queueing.service.core import Place, may_operate
from queueing.service.positions import Positions


class Counters(Positions):
    async def open_counter(self, counter_id: str, principal: Principal) -> CounterState:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            opened, out = domain.open_counter(
                place.counter, state, principal.sub, principal.name or principal.sub, self._now()
            )
            return await self._commit_counter(place, state, opened, out)

    async def close_counter(self, counter_id: str, principal: Principal) -> CounterState:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            may_operate(principal, state)
            closed, out = domain.close_counter(place.counter, state, self._now())
            return await self._commit_counter(place, state, closed, out)

    async def pause(self, counter_id: str, reason: str, principal: Principal) -> CounterState:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            may_operate(principal, state)
            paused, out = domain.pause(place.counter, state, reason, self._now())
            return await self._commit_counter(place, state, paused, out)

    async def resume(self, counter_id: str, principal: Principal) -> CounterState:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            state = await self._counter_state(place)
            may_operate(principal, state)
            resumed, out = domain.resume(place.counter, state, self._now())
            return await self._commit_counter(place, state, resumed, out)

    async def _commit_counter(
        self, place: Place, old: CounterState, new: CounterState, out: list[PendingEvent]
    ) -> CounterState:
        if not out:
            return old
        saved = await self._counters.save(
            new.model_copy(update={"outbox": [*self._unpublished_of_counter(old), *out]}),
            old.version,
        )
        if saved is None:
            raise ConcurrentChange()
        self._forget_paces(place.hall.id)  # open counters changed: estimates change
        now = self._now()
        day = domain.local_day(now, place.hall.timezone).isoformat()
        if saved.status is not old.status:
            await self._counters.log_status(
                CounterLogEntry(
                    counter_id=saved.id,
                    hall_id=saved.hall_id,
                    day=day,
                    status=saved.status,
                    staff_id=saved.staff_id,
                    start=now,
                )
            )
        await self._flush_counter(saved)
        self._refresh_later(place.hall, day)
        return saved

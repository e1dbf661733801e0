"""A counter's actions on tickets: call the next one (F1), call one by number, recall, start,
finish, no-show, transfer, park and unpark; and put a no-show back in the queue.

F1 claims: counters pressing it at the same moment, on this node or any other, all see the
same best ticket; each takes its choice with one atomic, guarded write (`TicketStore.claim`),
and one that loses a ticket to a colleague takes the policy's next choice among those left.
So every caller gets a ticket of its own while there are any. The other actions write the
ticket whole, guarded by the version read, then the counter (`_commit_step`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from hub.auth import Principal
from queueing import domain, errors
from queueing.errors import (
    ConcurrentChange,
    CounterNotFound,
    NoTicketWaiting,
    ServiceNotFound,
    TicketNotFound,
)
from queueing.models import (
    AT_COUNTER,
    CounterState,
    PendingEvent,
    Service,
    Ticket,
    TicketStatus,
)
from queueing.service.core import Place, may_operate
from queueing.service.tickets import Tickets

# Claims one F1 may try before it gives up (CONCURRENT_CHANGE). Each lost claim is a ticket a
# colleague got, so a hall runs out of tickets long before: a guard against a bug, not a limit.
MAX_CLAIMS = 200

Act = Callable[[Place, Ticket, CounterState, Service, datetime], domain.Step]


class Calling(Tickets):
    async def call_next(self, counter_id: str, principal: Principal) -> Ticket:
        """F1: the ticket the hall's policy gives this counter now. Fails only when no ticket
        is left for it (NO_TICKET_WAITING), never because a colleague called at the same time."""
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            now = self._now()
            day = domain.local_day(now, place.hall.timezone).isoformat()
            # Two reads at once: the store answers them in turn, the round trips overlap.
            state, waiting = await asyncio.gather(
                self._counter_state(place), self._queue.waiting(place.hall.id, day)
            )
            may_operate(principal, state)
            domain.require_free(state)
            left = {t.id: t for t in waiting}
            lost: set[str] = set()  # tickets colleagues took first
            looked_again = True
            for _ in range(MAX_CLAIMS):
                choice = domain.choose_next(
                    left.values(), place.counter, state.normal_streak, place.hall.policy, now
                )
                if choice is None:
                    if looked_again:
                        raise NoTicketWaiting()
                    # Colleagues took what this counter saw: any ticket issued meanwhile?
                    waiting = await self._queue.waiting(place.hall.id, day)
                    left = {t.id: t for t in waiting if t.id not in lost}
                    looked_again = True
                    continue
                called = await self._claim(place, state, choice, now)
                if called is not None:
                    return called
                seen = await self._tickets.light(choice.ticket.id)
                if seen is not None and seen.status is TicketStatus.WAITING:
                    # Changed but still waiting (its holder was told their turn is near).
                    left[seen.id] = seen
                    self._queue.noted(seen)
                    continue
                del left[choice.ticket.id]
                lost.add(choice.ticket.id)
                looked_again = False
                if seen is not None:
                    self._queue.gone(seen)
            raise ConcurrentChange()

    async def _claim(
        self, place: Place, state: CounterState, choice: domain.Choice, now: datetime
    ) -> Ticket | None:
        """Call the chosen ticket if nobody took it first (None then). `choice.ticket` may be
        the queue's light copy: the claim writes only the call."""
        seen = choice.ticket
        service = place.services[seen.service_id]
        step = domain.call(seen, state, place.counter, service, place.hall.policy, now, choice)
        update = domain.counter_updated(place.counter, step.counter, step.ticket, service)
        new = [*step.events, update, domain.desk_changed(step.ticket, service)]
        saved = await self._tickets.claim(seen, step.ticket.model_copy(update={"outbox": new}))
        if saved is None:
            return None
        if await self._counters.save(step.counter, state.version) is None:
            # The counter itself changed meanwhile (its clerk on another node): give it back.
            await self._tickets.unclaim(saved, seen, {e.id for e in new})
            raise ConcurrentChange()
        self._held[place.counter.id] = saved
        await self._flush_ticket(saved)  # the displays first
        await self._queue.changed(saved)
        self._refresh_later(place.hall, saved.day)
        return saved

    async def call_ticket(self, counter_id: str, ticket_id: str, principal: Principal) -> Ticket:
        place = await self._place(counter_id, principal)
        async with self._lock(counter_id):
            for _ in range(5):  # the ticket may change under us (its position was noted)
                state = await self._counter_state(place)
                may_operate(principal, state)
                ticket = await self._ticket(ticket_id)
                if ticket.hall_id != place.hall.id:
                    raise TicketNotFound(ticket_id=ticket_id)
                service = place.services[ticket.service_id]
                step = domain.call(
                    ticket, state, place.counter, service, place.hall.policy, self._now()
                )
                called = await self._commit_step(place, ticket, state, step, service)
                if called is not None:
                    return called
            raise ConcurrentChange()

    async def recall(self, counter_id: str, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id,
            principal,
            lambda p, t, s, svc, now: domain.recall(t, s, p.counter, svc, p.hall.policy, now),
        )

    async def start(self, counter_id: str, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id, principal, lambda p, t, s, svc, now: domain.start(t, s, p.counter, svc, now)
        )

    async def finish(self, counter_id: str, case_id: str | None, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id,
            principal,
            lambda p, t, s, svc, now: domain.finish(t, s, p.counter, svc, now, case_id),
        )

    async def no_show(self, counter_id: str, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id,
            principal,
            lambda p, t, s, svc, now: domain.no_show(t, s, p.counter, svc, p.hall.policy, now),
        )

    async def park(self, counter_id: str, principal: Principal) -> Ticket:
        return await self._on_current(
            counter_id, principal, lambda p, t, s, svc, now: domain.park(t, s, p.counter, svc, now)
        )

    async def transfer(
        self,
        counter_id: str,
        service_id: str | None,
        to_counter_id: str | None,
        principal: Principal,
    ) -> Ticket:
        place = await self._place(counter_id, principal)
        to_counter = None
        if to_counter_id is not None:
            to_counter = (await self._config.config(place.hall.id)).counters.get(to_counter_id)
            if to_counter is None:
                raise CounterNotFound(counter_id=to_counter_id)

        def act(p: Place, t: Ticket, s: CounterState, svc: Service, now: datetime) -> domain.Step:
            target_id = service_id or t.service_id
            if target_id not in p.services:
                raise ServiceNotFound(service_id=target_id)
            return domain.transfer(t, s, p.counter, svc, p.services[target_id], to_counter, now)

        return await self._on_current(counter_id, principal, act, place=place)

    async def unpark(self, counter_id: str, ticket_id: str, principal: Principal) -> Ticket:
        place = await self._place(counter_id, principal)

        def change(ticket: Ticket, service: Service) -> tuple[Ticket, list[PendingEvent]]:
            if ticket.counter_id != counter_id:
                raise TicketNotFound(ticket_id=ticket_id)
            return domain.unpark(ticket, service, self._now())

        async with self._lock(counter_id):
            may_operate(principal, await self._counter_state(place))
            return await self._change_waiting_ticket(ticket_id, change)

    async def requeue(self, counter_id: str, ticket_id: str, principal: Principal) -> Ticket:
        """A citizen who missed their call came back: the clerk at this counter puts the
        no-show ticket back in its service's queue, where the hall's policy says."""
        place = await self._place(counter_id, principal)

        def change(ticket: Ticket, service: Service) -> tuple[Ticket, list[PendingEvent]]:
            if ticket.hall_id != place.hall.id:
                raise TicketNotFound(ticket_id=ticket_id)
            return domain.requeue(
                ticket, place.hall, place.counter, service, waiting, principal.sub, self._now()
            )

        async with self._lock(counter_id):
            may_operate(principal, await self._counter_state(place))
            day = domain.local_day(self._now(), place.hall.timezone).isoformat()
            waiting = await self._queue.waiting(place.hall.id, day)
            return await self._change_waiting_ticket(ticket_id, change)

    async def _on_current(
        self, counter_id: str, principal: Principal, act: Act, place: Place | None = None
    ) -> Ticket:
        place = place or await self._place(counter_id, principal)
        async with self._lock(counter_id):
            for attempt in range(2):
                state = await self._counter_state(place)
                may_operate(principal, state)
                if state.current_ticket_id is None:
                    raise errors.NoCurrentTicket()
                held = self._held.get(counter_id)
                if attempt == 0 and held is not None and held.id == state.current_ticket_id:
                    ticket = held  # as this node wrote it; the write below checks its version
                else:
                    ticket = await self._ticket(state.current_ticket_id)
                service = place.services[ticket.service_id]
                step = act(place, ticket, state, service, self._now())
                done = await self._commit_step(place, ticket, state, step, service)
                if done is not None:
                    return done
                # Changed meanwhile (by another node, or this node's copy was behind): the
                # action again on what the store holds now.
                self._held.pop(counter_id, None)
            raise ConcurrentChange()

    async def _commit_step(
        self,
        place: Place,
        before: Ticket,
        state: CounterState,
        step: domain.Step,
        service: Service,
    ) -> Ticket | None:
        """Write the ticket, then the counter; undo the ticket if the counter changed
        meanwhile. None when the ticket itself changed meanwhile (nothing written)."""
        current = step.ticket if step.ticket.status in AT_COUNTER else None
        update = domain.counter_updated(
            place.counter,
            step.counter,
            current,
            place.services.get(step.ticket.service_id, service),
        )
        # Events still unpublished from an earlier change ride along (never dropped).
        desk = domain.desk_changed(step.ticket, place.services.get(step.ticket.service_id))
        ticket = step.ticket.model_copy(
            update={"outbox": [*self._unpublished(before), *step.events, update, desk]}
        )
        saved = await self._tickets.save(ticket, before.version)
        if saved is None:
            return None
        counter_id = place.counter.id
        counter_changed = (
            step.counter.current_ticket_id != state.current_ticket_id
            or step.counter.normal_streak != state.normal_streak
        )
        if counter_changed and await self._counters.save(step.counter, state.version) is None:
            self._held.pop(counter_id, None)
            await self._tickets.save(
                before.model_copy(update={"outbox": self._unpublished(before)}), saved.version
            )
            raise ConcurrentChange()
        if step.counter.current_ticket_id == saved.id:
            self._held[counter_id] = saved
        else:
            self._held.pop(counter_id, None)
        if saved.status is TicketStatus.FINISHED:
            self._note_service_time(saved)
        await self._flush_ticket(saved)  # the displays first
        if before.status is TicketStatus.WAITING or saved.status is TicketStatus.WAITING:
            await self._queue.changed(saved)
            self._refresh_later(place.hall, saved.day)
        return saved

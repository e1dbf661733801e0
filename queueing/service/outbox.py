"""Publishing what changes wrote, and what the sweeper repairs.

Every change is written together with the events it causes (the document's `outbox`); the
events are published after the write and then cleared. A crash in between leaves them in the
outbox, and the sweeper publishes them (the bus drops a repeat by event id), so a call is
never lost. The clearing waits a second to be done for many documents with one command (a
crash meanwhile is the same case: the sweeper publishes them again, dropped), and a document
written again before that leaves out what was published (`_unpublished`): the write clears
it, no command of its own.
Kept events are published with `bus.republish`, which checks their data against the type's
model again. A ticket and its counter are two documents: each write is guarded,
and `reconcile_counters` repairs the pair after a crash between the two writes.
"""

from __future__ import annotations

import asyncio
import contextlib

from hub.logs import get_logger
from hub.outages import event_log_down, log_failure, note_deferred
from queueing import domain
from queueing.models import CounterState, PendingEvent, Ticket
from queueing.service.core import ServiceCore
from queueing.store import Published, published

log = get_logger("queueing")


# How long published outboxes wait to be cleared together: at a hall's pace most documents
# are written again within it (a ticket called, then started), and that write clears them.
CLEAR_DELAY_SECONDS = 1.0


class Outbox(ServiceCore):
    async def _flush_ticket(self, ticket: Ticket, *, clear_now: bool = False) -> int:
        """Publish the ticket's outbox; the events published (0 with the event log down)."""
        if ticket.outbox and await self._published(ticket.outbox):
            if clear_now:
                await self._tickets.clear_outbox(ticket)
            else:
                self._tickets_to_clear[ticket.id] = published(ticket.outbox)
                self._clear_soon()
            return len(ticket.outbox)
        return 0

    async def _flush_counter(self, state: CounterState, *, clear_now: bool = False) -> int:
        if state.outbox and await self._published(state.outbox):
            if clear_now:
                await self._counters.clear_outbox(state)
            else:
                self._counters_to_clear[state.id] = published(state.outbox)
                self._clear_soon()
            return len(state.outbox)
        return 0

    def _unpublished(self, ticket: Ticket) -> list[PendingEvent]:
        """The ticket's outbox less what this node published and has not cleared yet: a write
        carrying only these clears the rest itself."""
        return _left(ticket.outbox, self._tickets_to_clear.get(ticket.id))

    def _unpublished_of_counter(self, state: CounterState) -> list[PendingEvent]:
        return _left(state.outbox, self._counters_to_clear.get(state.id))

    def _clear_soon(self) -> None:
        # A later flush of the same document replaces its entry: its outbox holds the earlier
        # events too, unless they were cleared meanwhile.
        if self._clearing is None or self._clearing.done():
            self._clearing = asyncio.get_running_loop().create_task(self._clear_after_delay())

    async def _clear_after_delay(self) -> None:
        await asyncio.sleep(CLEAR_DELAY_SECONDS)
        await self.clear_published()

    async def clear_published(self) -> None:
        """Clear the outboxes published since the last time, each kind in one command."""
        tickets, self._tickets_to_clear = self._tickets_to_clear, {}
        counters, self._counters_to_clear = self._counters_to_clear, {}
        try:
            await self._tickets.clear_outboxes(tickets)
            await self._counters.clear_outboxes(counters)
            for counter_id, held in list(self._held.items()):
                # The held copy reads as the store now does (same version, outbox cleared).
                if held.outbox and tickets.get(held.id) == published(held.outbox):
                    self._held[counter_id] = held.model_copy(update={"outbox": []})
        except Exception:
            # Left pending: the sweeper publishes them again (dropped as repeats) and clears.
            log_failure(log, "outbox_clear_failed", tickets=len(tickets), counters=len(counters))

    async def _stop_clearing(self) -> None:
        if self._clearing is not None and not self._clearing.done():
            self._clearing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clearing
        await self.clear_published()

    async def _publish(self, out: list[PendingEvent]) -> None:
        for event in out:
            await self._bus.republish(event.topic, event.type, event.data, event_id=event.id)

    async def _published(self, out: list[PendingEvent]) -> bool:
        """Published now; False when the event log is down (the outbox keeps them for the
        sweeper, and the change that wrote them stands)."""
        try:
            await self._publish(out)
        except Exception as exc:
            if not event_log_down(exc):
                raise
            note_deferred(len(out), exc)
            return False
        return True

    async def sweep_outboxes(self) -> int:
        """Publish what a crash left in outboxes (a repeat is dropped by event id)."""
        swept = 0
        # What this node published and is about to clear is not a crash's leftover.
        await self.clear_published()
        for ticket in await self._tickets.with_pending_events():
            swept += await self._flush_ticket(ticket, clear_now=True)
        for state in await self._counters.with_pending_events():
            swept += await self._flush_counter(state, clear_now=True)
        if swept:
            log.warning("outbox_swept", events=swept)
        return swept

    async def reconcile_counters(self) -> int:
        """A crash between a ticket's write and its counter's leaves them disagreeing about
        which ticket the counter holds. A disagreement seen on two sweeps in a row, with
        neither side changed in between (not an action under way), is settled by the ticket:
        the counter holds exactly the ticket called or served there."""
        held = {t.counter_id: t for t in await self._tickets.held_at_counters() if t.counter_id}
        states = {s.id: s for s in await self._counters.holding()}
        for counter_id in held:
            if counter_id not in states:
                lost = await self._counters.by_id(counter_id)
                if lost is not None:
                    states[counter_id] = lost
        suspects: set[tuple[str, int, str | None, int]] = set()
        repaired = 0
        for counter_id, state in states.items():
            at_counter = held.get(counter_id)
            holding = at_counter.id if at_counter else None
            if state.current_ticket_id == holding:
                continue
            key = (counter_id, state.version, holding, at_counter.version if at_counter else -1)
            suspects.add(key)
            if key in self._suspects:
                fixed = state.model_copy(update={"current_ticket_id": holding})
                if await self._counters.save(fixed, state.version) is not None:
                    repaired += 1
                    log.warning("counter_state_repaired", counter_id=counter_id, ticket_id=holding)
        self._suspects = suspects
        return repaired

    async def alert_long_waits(self) -> int:
        """Tell each hall's staff about tickets waiting longer than the hall allows."""
        alerted = 0
        now = self._now()
        for hall in await self._halls.list_halls():
            day = domain.local_day(now, hall.timezone).isoformat()
            config = await self._config.config(hall.id)
            for ticket in await self._queue.waiting(hall.id, day):
                service = config.services.get(ticket.service_id)
                if (
                    service is not None
                    and ticket.id not in self._alerted
                    and domain.overdue(ticket, hall.policy, now)
                ):
                    # Published under the ticket's name: a repeat from another node is dropped.
                    await self._publish([domain.wait_exceeded_event(ticket, service, now)])
                    self._alerted.add(ticket.id)
                    alerted += 1
        return alerted


def _left(outbox: list[PendingEvent], done: Published | None) -> list[PendingEvent]:
    # Outboxes only grow until cleared: the published ones are a prefix, recognised by its
    # size and last event (anything else: keep it all, published again as a no-op).
    if done is None or not done[0] or len(outbox) < done[0] or outbox[done[0] - 1].id != done[1]:
        return outbox
    return outbox[done[0] :]

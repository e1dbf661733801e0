"""Read models: what the screens load (the hall board, the counter workstation, a ticket as
its holder sees it), the hall's statistics, and the figures other domains may use (published in
`queueing/__init__.py`). Snapshots read their topics' seq first, then the state: an event in
between is in both, never in neither."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hub.auth import Principal, Role
from hub.outages import event_log_down
from queueing import access, domain, events, statistics, views
from queueing.errors import CounterNotFound, HallNotFound, ServiceNotFound
from queueing.models import Arrival, CounterLogEntry, CounterState, Hall, Ticket
from queueing.service.core import Place
from queueing.service.positions import Positions

REPORT_DAYS = 92  # the longest period one report covers
HISTORY = 50  # tickets of the day a workstation lists as done at its counter


@dataclass(frozen=True, slots=True)
class HallReport:
    hall: Hall
    rows: list[statistics.Row]


class Reads(Positions):
    async def ticket(self, ticket_id: str) -> Ticket:
        return await self._ticket(ticket_id)

    async def find_ticket(self, ticket_id: str) -> Ticket | None:
        return await self._tickets.get(ticket_id)

    async def counter_state(self, counter_id: str) -> tuple[Place, CounterState]:
        found = await self._config.counter(counter_id)
        if found is None:
            raise CounterNotFound(counter_id=counter_id)
        config, counter = found
        place = Place(config.hall, counter, config.services)
        return place, await self._counter_state(place)

    async def holder_view(self, ticket: Ticket, *, fresh: bool = False) -> dict[str, Any]:
        """A ticket as its holder sees it, with the seq of its topic. A ticket just issued
        carries its estimate already; any other is read again after the seq and asks for its
        place in the queue now."""
        try:
            seq, epoch = await self._bus.position(events.ticket_topic(ticket.id))
        except Exception as exc:
            # A ticket just taken is stored: with the event log down its position is left
            # out (the page's subscribe brings it), not the whole answer (a retry would take
            # a second ticket without a request id).
            if not (fresh and event_log_down(exc)):
                raise
            seq, epoch = 0, ""
        if fresh:
            ahead, minutes = ticket.estimate_ahead, ticket.estimate_minutes
        else:
            ticket = await self._ticket(ticket.id)
            ahead, minutes = await self.position(ticket)
        config = await self._config.config(ticket.hall_id)
        service = config.services.get(ticket.service_id)
        if service is None:
            raise ServiceNotFound(service_id=ticket.service_id)
        return {
            **views.ticket_status(ticket, config.hall, service, config.counters, ahead, minutes),
            "seq": seq,
            "epoch": epoch,
        }

    async def my_tickets(self, principal: Principal) -> list[Ticket]:
        """The caller's tickets of today (each hall's today), newest first: a citizen's, or
        the one ticket a printed slip's token follows."""
        if principal.role is Role.TICKET and principal.ticket:
            return [await self._ticket(principal.ticket)]
        tickets: list[Ticket] = []
        of_day: dict[str, list[Ticket]] = {}  # halls in one timezone share a day
        for hall in await self._halls.list_halls():
            day = self.today(hall).isoformat()
            if day not in of_day:
                of_day[day] = await self._tickets.of_citizen(principal.sub, day)
            tickets += [t for t in of_day[day] if t.hall_id == hall.id]
        return tickets

    async def board(self, hall_id: str) -> dict[str, Any]:
        """The hall display's snapshot, with the hall topic's seq it matches."""
        seq, epoch = await self._bus.position(events.hall_topic(hall_id))
        hall = await self._halls.get_hall(hall_id)
        if hall is None:
            raise HallNotFound(hall_id=hall_id)
        day = self.today(hall).isoformat()
        services, counters, states, latest, waiting = await asyncio.gather(
            self._halls.services(hall_id),
            self._halls.counters(hall_id),
            self._counters.of_hall(hall_id),
            self._tickets.latest_calls(hall_id, day, views.LATEST_CALLS),
            self._tickets.waiting_counts(hall_id, day),
        )
        current_ids = [s.current_ticket_id for s in states.values() if s.current_ticket_id]
        held = {t.id: t for t in await self._tickets.get_many(current_ids)}
        snapshot = views.board(hall, services, counters, states, waiting, latest, held)
        return {**snapshot, "seq": seq, "epoch": epoch, "day": day}

    async def desk(self, hall_id: str, counter_id: str, principal: Principal) -> dict[str, Any]:
        """The counter workstation's snapshot for the clerk asking, with the seqs of the
        counter's and the hall's desk topics it matches. The clerk's own figures come from their
        tickets of the day (indexed by clerk), not from the hall's whole day."""
        found = await self._config.counter(counter_id)
        if found is None or found[1].hall_id != hall_id:
            raise CounterNotFound(counter_id=counter_id)
        config, counter = found
        access.SIGN_IN.require(principal, access.of_hall(hall_id))
        (counter_seq, counter_epoch), (desk_seq, desk_epoch) = await asyncio.gather(
            self._bus.position(events.counter_topic(counter_id)),
            self._bus.position(events.desk_topic(hall_id)),
        )
        place = Place(config.hall, counter, config.services)
        now = self._now()
        day = domain.local_day(now, config.hall.timezone).isoformat()
        state = await self._counter_state(place)
        current, history, mine, waiting, parked = await asyncio.gather(
            self._tickets.get(state.current_ticket_id) if state.current_ticket_id else _none(),
            self._tickets.served_by_counter(counter_id, day, HISTORY),
            self._tickets.of_clerk(hall_id, principal.sub, day),
            self._queue.waiting(hall_id, day),
            self._tickets.parked(counter_id, day),
        )
        snapshot = views.workstation(
            config.hall,
            counter,
            state,
            list(config.services.values()),
            list(config.counters.values()),
            current,
            waiting,
            parked,
            history,
            mine,
            principal.sub,
            now,
            history_limit=HISTORY,
        )
        return {
            **snapshot,
            "seq": {"counter": counter_seq, "desk": desk_seq},
            "epoch": {"counter": counter_epoch, "desk": desk_epoch},
        }

    async def tickets_of_day(self, hall_id: str, day: str) -> list[Ticket]:
        """Every ticket of a hall's day, in the order they were issued."""
        return await self._tickets.of_day(hall_id, day)

    async def report(
        self, hall_id: str, first: date, last: date | None, by: statistics.GroupBy
    ) -> HallReport:
        """The hall's figures from `first` to `last` (one day without it; REPORT_DAYS at
        most), grouped `by`."""
        hall = await self._halls.get_hall(hall_id)
        if hall is None:
            raise HallNotFound(hall_id=hall_id)
        last = min(last or first, first + timedelta(days=REPORT_DAYS - 1))
        tickets: list[Ticket] = []
        intervals: list[CounterLogEntry] = []
        for day in statistics.days(first.isoformat(), last.isoformat()):
            tickets += await self._tickets.of_day(hall_id, day)
            intervals += await self._counters.log_of_day(hall_id, day)
        services = await self._halls.services(hall_id)
        counters = await self._halls.counters(hall_id)
        labels = {hall.id: hall.name}
        labels |= {s.id: f"{s.prefix} {s.name}" for s in services}
        labels |= {c.id: c.name for c in counters}
        labels |= {t.staff_id: t.staff_name for t in tickets if t.staff_id and t.staff_name}
        rows = statistics.report(
            tickets,
            intervals,
            by,
            target_minutes=hall.policy.service_level_minutes,
            timezone=hall.timezone,
            labels=labels,
            until=self._now(),
            order=[*(s.id for s in services), *(c.id for c in counters)],
        )
        return HallReport(hall, rows)

    async def arrivals(self, hall_id: str, day: str) -> list[Arrival]:
        """When each ticket of a hall's day was issued, and for which service (the appointment
        center's recent load)."""
        return await self._tickets.arrivals(hall_id, day)


async def _none() -> None:
    return None

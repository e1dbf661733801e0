"""Taking a ticket (walk-ins, and the appointment center's check-ins) and cancelling one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from hub.auth import Principal
from hub.idempotency import RequestKey
from queueing import access, domain
from queueing.errors import ConcurrentChange, DailyCapReached
from queueing.models import (
    Appointment,
    Channel,
    CitizenIn,
    PendingEvent,
    Service,
    Tag,
    Ticket,
)
from queueing.service.core import service_of
from queueing.service.positions import Positions


class Tickets(Positions):
    async def take_ticket(
        self,
        hall_id: str,
        service_id: str,
        channel: Channel,
        citizen: CitizenIn | None,
        *,
        citizen_id: str | None = None,
        appointment: Appointment | None = None,
        queue_time: datetime | None = None,
        number_prefix: str = "",
        device: str = "",
        claim: str = "",
    ) -> Ticket:
        """A ticket for a walk-in, or (with `appointment`, `queue_time` and the appointment
        center's `number_prefix`) for a booking checked in; its numbers run on their own.
        `device`: the phone an account-less walk-in took it on (one more key of the person).
        `claim`: the idempotency claim it is taken under (see `once`)."""
        now = self._now()
        config = await self._config.config(hall_id)
        if service_id not in config.services:  # added on another node since the copy?
            config = await self._config.refreshed(hall_id)
        hall = config.hall
        service = service_of(config, service_id)
        info = domain.citizen_info(citizen, citizen_id)
        person = domain.person_keys(info, self._pepper, device)
        day = domain.local_day(now, hall.timezone).isoformat()
        refusal = None
        count = 0
        if person:
            for gate in self._gates:
                for key in person:
                    refusal = refusal or await gate(key, now)
            count = await self._tickets.person_count(
                hall.id, day, service.id, person, hall.policy.per_person_daily_limit
            )
        domain.check_admission(hall, service, now, count, refusal)
        if number_prefix:
            series, cap = (
                f"{service.id}~{number_prefix}",
                domain.capacity(service.model_copy(update={"daily_cap": None})),
            )
        else:
            released = 0
            if service.daily_cap:
                for source in self._capacity_sources:
                    released += await source(hall.id, service.id, day)
            series, cap = service.id, domain.capacity(service, released)
        seq = await self._tickets.next_seq(hall.id, series, day, cap)
        if seq is None:
            raise DailyCapReached(service_id=service.id)
        ahead, minutes = await self._estimate_new(hall, service, day, now)
        tags: list[Tag] = list(citizen.tags) if citizen else []
        ticket = domain.issue(
            hall,
            service,
            seq,
            channel=channel,
            citizen=info,
            tags=tags,
            person=person,
            now=now,
            ahead=ahead,
            minutes=minutes,
            appointment=appointment,
            queue_time=queue_time,
            prefix=number_prefix,
        )
        if claim:
            ticket = ticket.model_copy(update={"request": claim})
        await self._tickets.insert(ticket)
        await self._queue.changed(ticket)
        await self._flush_ticket(ticket)  # the screens first
        await self._tickets.note_person(ticket)
        self._refresh_later(hall, day)
        return ticket

    async def once(
        self, scope: str, request_id: str, content: Any, take: Callable[[str], Awaitable[Ticket]]
    ) -> Ticket:
        """`take(claim)` once per screen's request id (`scope`: who sent it, `content`: what it
        asked): a repeat (the screen never got the answer) answers the ticket first taken;
        `take` must pass `claim` to `take_ticket`."""
        return await self._tickets.requests.once(
            RequestKey.of(scope, request_id, content, self._pepper),
            now=self._now(),
            make=take,
            made_by=self._tickets.by_request,
            load=self._ticket,
            id_of=lambda ticket: ticket.id,
        )

    async def cancel(self, ticket_id: str, principal: Principal) -> Ticket:
        def change(ticket: Ticket, service: Service) -> tuple[Ticket, list[PendingEvent]]:
            access.CANCEL_TICKET.require(principal, access.of_ticket(ticket))
            return domain.cancel(ticket, service, self._now())

        return await self._change_waiting_ticket(ticket_id, change)

    async def _change_waiting_ticket(
        self,
        ticket_id: str,
        change: Callable[[Ticket, Service], tuple[Ticket, list[PendingEvent]]],
    ) -> Ticket:
        """Load, change, write guarded by version (again if the ticket moved meanwhile, e.g.
        its position was noted), publish; the queue then changed."""
        for _ in range(5):
            ticket = await self._ticket(ticket_id)
            config = await self._config.config(ticket.hall_id)
            service = service_of(config, ticket.service_id)
            changed, out = change(ticket, service)
            desk = domain.desk_changed(changed, service)
            saved = await self._tickets.save(
                changed.model_copy(update={"outbox": [*self._unpublished(ticket), *out, desk]}),
                ticket.version,
            )
            if saved is None:
                continue
            await self._queue.changed(saved)
            await self._flush_ticket(saved)
            self._refresh_later(config.hall, ticket.day)
            return saved
        raise ConcurrentChange()

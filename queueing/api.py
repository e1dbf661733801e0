"""Queueing's adapters: Socket.IO commands, REST routes, topic rules, and the services'
lifetimes. Validate, call the service, answer."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError, create_model

from hub import export, keys
from hub.access import Scope
from hub.auth import Principal, Role
from hub.errors import Forbidden, InvalidPayload
from hub.gateway.commands import Call, Payload
from hub.inputs import Day
from hub.logs import get_logger
from hub.rest import JSON, NoBody, Request, required
from queueing import access, errors, events, statistics, views
from queueing.errors import ChannelNotAllowed, InvalidHallSetup, TicketNotFound
from queueing.models import (
    CallingPolicy,
    CallTicketIn,
    Channel,
    CitizenIn,
    Counter,
    CounterIn,
    FinishIn,
    HallDetail,
    HallSetup,
    HallSummary,
    NoticeIn,
    PauseIn,
    Service,
    TakeTicketIn,
    Ticket,
    TicketRef,
    TransferIn,
)
from queueing.service import ConfigCache, HallService, QueueingService
from queueing.store import CounterStore, HallStore, TicketStore

log = get_logger("queueing")

HALLS = web.AppKey("queueing_halls", HallService)
QUEUE = web.AppKey("queueing_queue", QueueingService)

# Which channel each kind of caller may take a ticket through.
CHANNELS: dict[Role, set[Channel]] = {
    Role.CITIZEN: {Channel.MINIAPP, Channel.QR},
    Role.DISPLAY: {Channel.KIOSK},
    Role.STAFF: {Channel.STAFF, Channel.KIOSK},
    Role.SUPERVISOR: {Channel.STAFF, Channel.KIOSK},
    Role.ADMIN: {Channel.STAFF, Channel.KIOSK},
}
FOLLOW_TOKEN_SECONDS = 24 * 3600
SWEEP_SECONDS = 5.0


class TakeTicketBody(BaseModel):
    model_config = TakeTicketIn.model_config

    service_id: str = Field(max_length=40)
    channel: Channel
    citizen: CitizenIn | None = None


class FollowIn(BaseModel):
    model_config = TakeTicketIn.model_config

    code: str = Field(min_length=4, max_length=32)


class FollowCodeInvalid(Forbidden):
    code = "FOLLOW_CODE_INVALID"
    default_message = "号票二维码无效"


class StatsQuery(BaseModel):
    day: Day
    to: Day | None = None
    by: statistics.GroupBy = statistics.GroupBy.SERVICE
    format: str = Field("json", pattern=r"^(json|csv|xlsx)$")


class DayQuery(BaseModel):
    day: Day | None = None


def install(app: web.Application) -> None:
    app[keys.ACCESS].add("queueing", access.TABLE)
    _install_halls(app)
    _install_counters(app)
    _install_tickets(app)
    _install_reads(app)
    _install_topics(app)
    app.cleanup_ctx.append(_services)


# -- halls, services, counters (back office) --------------------------------------------------


def _install_halls(app: web.Application) -> None:
    rest = app[keys.REST]
    commands = app[keys.COMMANDS]

    @rest.route(
        "GET",
        "/halls",
        response=list[HallSummary],
        summary="List the halls",
        tag="queueing",
    )
    async def list_halls(req: Request[NoBody, NoBody]) -> list[HallSummary]:
        return await req.app[HALLS].list_halls()

    @rest.route(
        "GET",
        "/halls/{hall_id}",
        response=HallDetail,
        summary="A hall with its services and counters",
        tag="queueing",
    )
    async def get_hall(req: Request[NoBody, NoBody]) -> HallDetail:
        hall_id = req.path("hall_id")
        access.READ_HALL.require(req.require_principal(), access.of_hall(hall_id))
        return await req.app[HALLS].hall(hall_id)

    @rest.route(
        "PUT",
        "/halls/{hall_id}/setup",
        body=HallSetup,
        response=HallDetail,
        tag="queueing",
        summary="Create or replace a hall with its services and counters",
    )
    async def put_setup(req: Request[HallSetup, NoBody]) -> HallDetail:
        if req.body.hall.id != req.path("hall_id"):
            raise InvalidHallSetup("路径中的大厅编号与请求体不一致")
        return await req.app[HALLS].apply_setup(req.body)

    @rest.route(
        "PUT",
        "/halls/{hall_id}/policy",
        body=required(CallingPolicy),
        response=HallDetail,
        tag="queueing",
        summary="The hall's calling policy, priorities and per-person limits",
    )
    async def put_policy(req: Request[BaseModel, NoBody]) -> HallDetail:
        hall_id = req.path("hall_id")
        _hall_scope(req.require_principal(), hall_id)
        policy = CallingPolicy.model_validate(req.body.model_dump())
        return await req.app[HALLS].set_policy(hall_id, policy)

    @rest.route(
        "PUT",
        "/halls/{hall_id}/services/{service_id}",
        body=Service,
        response=HallDetail,
        tag="queueing",
        summary="Create or change a service",
    )
    async def put_service(req: Request[Service, NoBody]) -> HallDetail:
        _same(req, "hall_id", req.body.hall_id, "service_id", req.body.id)
        return await req.app[HALLS].save_service(req.body)

    @rest.route(
        "DELETE",
        "/halls/{hall_id}/services/{service_id}",
        response=HallDetail,
        tag="queueing",
        summary="Remove a service",
    )
    async def delete_service(req: Request[NoBody, NoBody]) -> HallDetail:
        hall_id = req.path("hall_id")
        _hall_scope(req.require_principal(), hall_id)
        return await req.app[HALLS].delete_service(hall_id, req.path("service_id"))

    @rest.route(
        "PUT",
        "/halls/{hall_id}/counters/{counter_id}",
        body=Counter,
        response=HallDetail,
        tag="queueing",
        summary="Create or change a counter and the services it serves",
    )
    async def put_counter(req: Request[Counter, NoBody]) -> HallDetail:
        _same(req, "hall_id", req.body.hall_id, "counter_id", req.body.id)
        return await req.app[HALLS].save_counter(req.body)

    @rest.route(
        "DELETE",
        "/halls/{hall_id}/counters/{counter_id}",
        response=HallDetail,
        tag="queueing",
        summary="Remove a counter",
    )
    async def delete_counter(req: Request[NoBody, NoBody]) -> HallDetail:
        hall_id = req.path("hall_id")
        _hall_scope(req.require_principal(), hall_id)
        return await req.app[HALLS].delete_counter(hall_id, req.path("counter_id"))

    @rest.route(
        "PUT",
        "/halls/{hall_id}/notice",
        body=NoticeIn,
        response=HallDetail,
        tag="queueing",
        summary="Change the hall notice shown on its displays",
    )
    async def set_notice(req: Request[NoticeIn, NoBody]) -> HallDetail:
        hall_id = req.path("hall_id")
        _hall_scope(req.require_principal(), hall_id)
        await req.app[HALLS].set_notice(hall_id, req.body.notice.strip())
        return await req.app[HALLS].hall(hall_id)

    class SetNoticeIn(Payload):
        hall_id: str = Field(max_length=40)
        notice: str = Field(max_length=500)

    @commands.command(
        "queueing.set_notice",
        SetNoticeIn,
        summary="Change the hall notice shown on its displays",
    )
    async def set_notice_command(call: Call, payload: SetNoticeIn) -> dict[str, str]:
        _hall_scope(call.principal, payload.hall_id)
        await call.app[HALLS].set_notice(payload.hall_id, payload.notice.strip())
        return {"hall_id": payload.hall_id}


def _same(req: Request[Any, Any], hall_key: str, hall_id: str, id_key: str, ident: str) -> None:
    if req.path(hall_key) != hall_id or req.path(id_key) != ident:
        raise InvalidHallSetup("路径中的编号与请求体不一致")
    _hall_scope(req.require_principal(), hall_id)


def _hall_scope(principal: Principal, hall_id: str) -> None:
    access.MANAGE_HALL.require(principal, access.of_hall(hall_id), "只能管理本大厅")


# -- counter actions --------------------------------------------------------------------------

CounterAction = Callable[[QueueingService, Any, Principal], Awaitable[Any]]


def _counter_actions() -> dict[str, tuple[type[BaseModel], CounterAction, str]]:
    """Each counter action, by name: its payload and what it does (shared by Socket.IO and
    REST so both answer the same)."""

    async def ticket_out(ticket: Awaitable[Ticket]) -> dict[str, Any]:
        done = await ticket
        return {
            "ticket_id": done.id,
            "number": done.code,
            "status": done.status.value,
            "call_count": len(done.calls),
        }

    return {
        "open_counter": (
            CounterIn,
            lambda q, p, who: _state_out(q.open_counter(p.counter_id, who)),
            "Sign in at a counter (open it)",
        ),
        "close_counter": (
            CounterIn,
            lambda q, p, who: _state_out(q.close_counter(p.counter_id, who)),
            "Sign out (close the counter)",
        ),
        "pause": (
            PauseIn,
            lambda q, p, who: _state_out(q.pause(p.counter_id, p.reason, who)),
            "Pause with a reason",
        ),
        "resume": (
            CounterIn,
            lambda q, p, who: _state_out(q.resume(p.counter_id, who)),
            "Resume a paused counter",
        ),
        "call_next": (
            CounterIn,
            lambda q, p, who: ticket_out(q.call_next(p.counter_id, who)),
            "Call the next ticket by the hall's policy",
        ),
        "call_ticket": (
            CallTicketIn,
            lambda q, p, who: ticket_out(q.call_ticket(p.counter_id, p.ticket_id, who)),
            "Call a specific waiting or parked ticket",
        ),
        "recall": (
            CounterIn,
            lambda q, p, who: ticket_out(q.recall(p.counter_id, who)),
            "Call the current ticket again",
        ),
        "start": (
            CounterIn,
            lambda q, p, who: ticket_out(q.start(p.counter_id, who)),
            "The citizen arrived: start serving",
        ),
        "finish": (
            FinishIn,
            lambda q, p, who: ticket_out(q.finish(p.counter_id, p.case_id, who)),
            "Finish, optionally with a case id",
        ),
        "no_show": (
            CounterIn,
            lambda q, p, who: ticket_out(q.no_show(p.counter_id, who)),
            "The citizen did not come (after enough calls)",
        ),
        "transfer": (
            TransferIn,
            lambda q, p, who: ticket_out(_transfer(q, p, who)),
            "Send the ticket to another service or counter",
        ),
        "park": (
            CounterIn,
            lambda q, p, who: ticket_out(q.park(p.counter_id, who)),
            "Set the ticket aside to call it back later",
        ),
        "unpark": (
            CallTicketIn,
            lambda q, p, who: ticket_out(q.unpark(p.counter_id, p.ticket_id, who)),
            "Put a parked ticket back in the queue",
        ),
    }


def _transfer(queue: QueueingService, payload: TransferIn, who: Principal) -> Awaitable[Ticket]:
    if (payload.service_id is None) == (payload.to_counter_id is None):
        raise InvalidPayload("转移需要且只需要 service_id 或 to_counter_id 之一")
    return queue.transfer(payload.counter_id, payload.service_id, payload.to_counter_id, who)


async def _state_out(state: Awaitable[Any]) -> dict[str, Any]:
    done = await state
    return {
        "counter_id": done.id,
        "status": done.status.value,
        "current_ticket_id": done.current_ticket_id,
    }


def _install_counters(app: web.Application) -> None:
    rest = app[keys.REST]
    commands = app[keys.COMMANDS]
    for name, (model, action, summary) in _counter_actions().items():

        def make_command(action: CounterAction = action) -> Any:
            async def handle(call: Call, payload: Any) -> Any:
                return await action(call.app[QUEUE], payload, call.principal)

            return handle

        commands.add(f"queueing.{name}", model, make_command(), summary=summary)

        body_fields = {k: v for k, v in model.model_fields.items() if k != "counter_id"}

        def make_route(
            action: CounterAction = action, model: type[BaseModel] = model, name: str = name
        ) -> Any:
            async def handle(req: Request[Any, NoBody]) -> Any:
                hall_id, counter_id = req.path("hall_id"), req.path("counter_id")
                counter = await req.app[HALLS].counter(counter_id)
                if counter is None or counter.hall_id != hall_id:
                    raise errors.CounterNotFound(counter_id=counter_id)
                raw = req.body.model_dump() if not isinstance(req.body, NoBody) else {}
                payload = model.model_validate({**raw, "counter_id": counter_id})
                return await action(req.app[QUEUE], payload, req.require_principal())

            handle.__name__ = f"counter_{name}"
            return handle

        body = _body_model(model, body_fields) if body_fields else None
        rest.route(
            "POST",
            f"/halls/{{hall_id}}/counters/{{counter_id}}/{name.replace('_', '-')}",
            body=body,
            summary=summary,
            tag="counter",
        )(make_route())


def _body_model(model: type[BaseModel], fields: dict[str, Any]) -> type[BaseModel]:
    """The REST body of a counter action: its payload without the counter id (in the path)."""
    return create_model(  # type: ignore[call-overload,no-any-return]
        model.__name__.removesuffix("In") + "Body",
        __config__=model.model_config,
        **{name: (field.annotation, field) for name, field in fields.items()},
    )


# -- tickets ----------------------------------------------------------------------------------


async def _take(
    app: web.Application, principal: Principal, payload: TakeTicketIn
) -> dict[str, Any]:
    access.TAKE_TICKET.require(principal, access.of_hall(payload.hall_id))
    if payload.channel not in CHANNELS.get(principal.role, set()):
        raise ChannelNotAllowed(channel=payload.channel.value, role=principal.role.value)
    citizen_id = principal.sub if principal.role is Role.CITIZEN else None
    queue = app[QUEUE]
    ticket = await queue.take_ticket(
        payload.hall_id, payload.service_id, payload.channel, payload.citizen, citizen_id=citizen_id
    )
    status = await _ticket_status(app, ticket, fresh=True)
    if citizen_id is not None:
        path = f"/m/ticket.html?id={ticket.id}"
        return {
            **status,
            "follow_code": None,
            "follow_path": path,
            "follow_url": app[keys.SETTINGS].base_url + path,
        }
    # A ticket without an account (kiosk, counter): a short code, printed in the QR code, that
    # the phone trades for a token following this ticket only (a whole token makes a QR code
    # too dense for a thermal slip).
    code = follow_code(app, ticket.id)
    path = f"/m/ticket.html?id={ticket.id}&k={code}"
    return {
        **status,
        "follow_code": code,
        "follow_path": path,
        "follow_url": app[keys.SETTINGS].base_url + path,
    }


def follow_code(app: web.Application, ticket_id: str) -> str:
    secret = app[keys.SETTINGS].signing_secret().encode()
    digest = hmac.new(secret, b"follow:" + ticket_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().rstrip("=").lower()


async def _ticket_status(
    app: web.Application, ticket: Ticket, *, fresh: bool = False
) -> dict[str, Any]:
    """A ticket as its holder sees it. A ticket just issued carries its estimate already; any
    other asks for its place in the queue now."""
    queue = app[QUEUE]
    config = await queue.config(ticket.hall_id)
    if fresh:
        ahead, minutes = ticket.estimate_ahead, ticket.estimate_minutes
    else:
        ahead, minutes = await queue.position(ticket)
    seq, epoch = await app[keys.BUS].position(events.ticket_topic(ticket.id))
    service = config.services.get(ticket.service_id)
    if service is None:
        raise errors.ServiceNotFound(service_id=ticket.service_id)
    return {
        **views.ticket_status(ticket, config.hall, service, config.counters, ahead, minutes),
        "seq": seq,
        "epoch": epoch,
    }


def _install_tickets(app: web.Application) -> None:
    rest = app[keys.REST]
    commands = app[keys.COMMANDS]

    @commands.command(
        "queueing.take_ticket",
        TakeTicketIn,
        summary="Take a ticket (kiosk, H5 app, QR code or staff)",
    )
    async def take_ticket(call: Call, payload: TakeTicketIn) -> dict[str, Any]:
        return await _take(call.app, call.principal, payload)

    @rest.route(
        "POST",
        "/halls/{hall_id}/tickets",
        body=TakeTicketBody,
        status=201,
        tag="tickets",
        summary="Take a ticket; a kiosk or counter ticket comes with a follow token",
    )
    async def take_ticket_rest(req: Request[TakeTicketBody, NoBody]) -> dict[str, Any]:
        try:
            payload = TakeTicketIn(
                hall_id=req.path("hall_id"),
                service_id=req.body.service_id,
                channel=req.body.channel,
                citizen=req.body.citizen,
            )
        except ValidationError as exc:
            raise InvalidPayload.from_validation(exc) from exc
        return await _take(req.app, req.require_principal(), payload)

    @rest.route(
        "POST",
        "/halls/{hall_id}/tickets/{ticket_id}/follow",
        body=FollowIn,
        tag="tickets",
        summary="Trade a printed ticket's code for a token that follows that ticket",
    )
    async def follow(req: Request[FollowIn, NoBody]) -> dict[str, Any]:
        ticket_id = req.path("ticket_id")
        expected = follow_code(req.app, ticket_id).encode()
        if not hmac.compare_digest(expected, req.body.code.strip().lower().encode()):
            raise FollowCodeInvalid()
        ticket = await req.app[QUEUE].ticket(ticket_id)
        if ticket.hall_id != req.path("hall_id"):
            raise TicketNotFound(ticket_id=ticket_id)
        token, expires = req.app[keys.TOKENS].issue(
            f"ticket-{ticket.id}",
            Role.TICKET,
            ticket=ticket.id,
            ttl_seconds=FOLLOW_TOKEN_SECONDS,
        )
        return {"token": token, "expires": expires, "ticket_id": ticket.id}

    @commands.command(
        "queueing.cancel_ticket",
        TicketRef,
        summary="Cancel a waiting ticket (its holder or staff)",
    )
    async def cancel_ticket(call: Call, payload: TicketRef) -> dict[str, Any]:
        ticket = await call.app[QUEUE].cancel(payload.ticket_id, call.principal)
        return {"ticket_id": ticket.id, "status": ticket.status.value}

    @rest.route(
        "DELETE",
        "/halls/{hall_id}/tickets/{ticket_id}",
        tag="tickets",
        summary="Cancel a waiting ticket (its holder or staff)",
    )
    async def cancel_ticket_rest(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        ticket = await req.app[QUEUE].ticket(req.path("ticket_id"))
        if ticket.hall_id != req.path("hall_id"):
            raise TicketNotFound(ticket_id=ticket.id)
        done = await req.app[QUEUE].cancel(ticket.id, req.require_principal())
        return {"ticket_id": done.id, "status": done.status.value}

    @rest.route(
        "GET",
        "/halls/{hall_id}/tickets/{ticket_id}",
        tag="tickets",
        summary="A ticket's status, people ahead and estimated wait",
    )
    async def get_ticket(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        ticket_id = req.path("ticket_id")
        ticket = await req.app[QUEUE].ticket(ticket_id)
        access.READ_TICKET.require(req.require_principal(), access.of_ticket(ticket))
        if ticket.hall_id != req.path("hall_id"):
            raise TicketNotFound(ticket_id=ticket_id)
        return await _ticket_status(req.app, ticket)

    @rest.route(
        "GET",
        "/queueing/my-tickets",
        tag="tickets",
        summary="The caller's tickets of today, newest first",
    )
    async def my_tickets(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        principal = req.require_principal()
        queue = req.app[QUEUE]
        if principal.role is Role.TICKET and principal.ticket:
            tickets = [await queue.ticket(principal.ticket)]
        else:
            tickets = []
            of_day: dict[str, list[Ticket]] = {}  # halls in one timezone share a day
            for hall in await queue.halls.list_halls():
                day = queue.today(hall).isoformat()
                if day not in of_day:
                    of_day[day] = await queue.tickets.of_citizen(principal.sub, day)
                tickets += [t for t in of_day[day] if t.hall_id == hall.id]
        return [await _ticket_status(req.app, t) for t in tickets]


# -- screens' snapshots and statistics ---------------------------------------------------------


def _install_reads(app: web.Application) -> None:
    rest = app[keys.REST]

    @rest.route(
        "GET",
        "/halls/{hall_id}/board",
        tag="screens",
        summary="The hall display's snapshot, with the hall topic's seq it matches",
    )
    async def board(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        hall_id = req.path("hall_id")
        topic = events.hall_topic(hall_id)
        access.READ_HALL.require(req.require_principal(), access.of_hall(hall_id))
        # Position first, then state: an event in between is in both, never in neither.
        seq, epoch = await req.app[keys.BUS].position(topic)
        queue = req.app[QUEUE]
        hall = await req.app[HALLS].get_hall(hall_id)
        day = queue.today(hall).isoformat()
        services = await queue.halls.services(hall_id)
        counters = await queue.halls.counters(hall_id)
        states = await queue.counters.of_hall(hall_id)
        current_ids = [s.current_ticket_id for s in states.values() if s.current_ticket_id]
        held = {t.id: t for t in await queue.tickets.get_many(current_ids)}
        latest = await queue.tickets.latest_calls(hall_id, day, views.LATEST_CALLS)
        waiting = await queue.tickets.waiting_counts(hall_id, day)
        snapshot = views.board(hall, services, counters, states, waiting, latest, held)
        return {**snapshot, "seq": seq, "epoch": epoch, "day": day}

    @rest.route(
        "GET",
        "/halls/{hall_id}/counters/{counter_id}/workstation",
        tag="screens",
        summary="The counter workstation's snapshot",
    )
    async def workstation(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        principal = req.require_principal()
        counter_id = req.path("counter_id")
        counter = await req.app[HALLS].counter(counter_id)
        if counter is None or counter.hall_id != req.path("hall_id"):
            raise errors.CounterNotFound(counter_id=counter_id)
        access.SIGN_IN.require(principal, access.of_hall(counter.hall_id))
        bus = req.app[keys.BUS]
        counter_seq, counter_epoch = await bus.position(events.counter_topic(counter_id))
        hall_seq, hall_epoch = await bus.position(events.hall_topic(req.path("hall_id")))
        queue = req.app[QUEUE]
        place, state = await queue.counter_state(counter_id)
        day = queue.today(place.hall).isoformat()
        current = (
            await queue.tickets.get(state.current_ticket_id) if state.current_ticket_id else None
        )
        history = await queue.tickets.served_by_counter(counter_id, day, 50)
        mine = [
            t for t in await queue.tickets.of_day(place.hall.id, day) if t.staff_id == principal.sub
        ]
        snapshot = views.workstation(
            place.hall,
            place.counter,
            state,
            list(place.services.values()),
            await queue.halls.counters(place.hall.id),
            current,
            await queue.tickets.waiting(place.hall.id, day),
            await queue.tickets.parked(counter_id, day),
            history,
            mine,
            queue.now(),
        )
        return {
            **snapshot,
            "seq": {"counter": counter_seq, "hall": hall_seq},
            "epoch": {"counter": counter_epoch, "hall": hall_epoch},
            "day": day,
        }

    @rest.route(
        "GET",
        "/halls/{hall_id}/stats",
        query=StatsQuery,
        media_types=(JSON, *export.MEDIA_TYPES),
        tag="statistics",
        summary="KPIs per service, counter, clerk, hour or day; format=csv or xlsx to export",
    )
    async def stats(req: Request[NoBody, StatsQuery]) -> Any:
        hall_id = req.path("hall_id")
        _hall_scope(req.require_principal(), hall_id)
        queue = req.app[QUEUE]
        detail = await req.app[HALLS].hall(hall_id)
        hall = detail.hall
        tickets: list[Ticket] = []
        intervals = []
        first = req.query.day
        last = req.query.to or first
        if (last - first).days > 91:  # the first 92 days at most
            last = first + timedelta(days=91)
        for day in statistics.days(first.isoformat(), last.isoformat()):
            tickets += await queue.tickets.of_day(hall_id, day)
            intervals += await queue.counters.log_of_day(hall_id, day)
        labels = {hall.id: hall.name}
        labels |= {s.id: f"{s.prefix} {s.name}" for s in detail.services}
        labels |= {c.id: c.name for c in detail.counters}
        labels |= {t.staff_id: t.staff_name for t in tickets if t.staff_id and t.staff_name}
        rows = statistics.report(
            tickets,
            intervals,
            req.query.by,
            target_minutes=hall.policy.service_level_minutes,
            timezone=hall.timezone,
            labels=labels,
            until=queue.now(),
        )
        title = f"{hall.name} {req.query.day}" + (f"~{req.query.to}" if req.query.to else "")
        name = hashlib.sha1(title.encode()).hexdigest()[:8]
        filename = f"hallhub-{hall_id}-{req.query.day}-{req.query.by.value}-{name}"
        file = export.download(
            req.query.format,
            filename,
            statistics.COLUMNS,
            [asdict(r) for r in rows],
            req.query.by.value,
            wide=frozenset({"label"}),
        )
        if file is not None:
            return file
        return {
            "hall_id": hall_id,
            "title": title,
            "by": req.query.by.value,
            "target_minutes": hall.policy.service_level_minutes,
            "rows": [asdict(r) for r in rows],
        }


# -- topics ---------------------------------------------------------------------------------


def _install_topics(app: web.Application) -> None:
    async def hall(hall_id: str) -> Scope:
        return access.of_hall(hall_id)

    async def counter(counter_id: str) -> Scope | None:
        found = await app[HALLS].counter(counter_id)
        return access.of_hall(found.hall_id) if found is not None else None

    async def ticket(ticket_id: str) -> Scope | None:
        found = await app[QUEUE].tickets.get(ticket_id)
        return access.of_ticket(found) if found is not None else None

    topics = app[keys.TOPICS]
    topics.register("hall", hall)
    topics.register("counter", counter)
    topics.register("ticket", ticket)


# -- lifetimes --------------------------------------------------------------------------------


async def _services(app: web.Application) -> AsyncIterator[None]:
    db = app[keys.DB]
    halls, tickets, counters = HallStore(db), TicketStore(db), CounterStore(db)
    for store in (halls, tickets, counters):
        await store.ensure_indexes()
    bus = app[keys.BUS]
    cache = ConfigCache(halls)
    app[HALLS] = HallService(halls, bus, cache)
    pepper = hashlib.sha256(
        b"queueing-person-key:" + app[keys.SETTINGS].signing_secret().encode()
    ).digest()
    queue = QueueingService(halls, tickets, counters, bus, pepper=pepper, cache=cache)
    app[QUEUE] = queue
    await queue.sweep_outboxes()
    sweeper = asyncio.create_task(_sweep(queue), name="queueing-outbox-sweeper")
    yield
    sweeper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sweeper
    await queue.close()


async def _sweep(queue: QueueingService) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await queue.sweep_outboxes()
            await queue.reconcile_counters()
            await queue.alert_long_waits()
        except Exception:
            log.exception("sweep_failed")


__all__ = ["HALLS", "QUEUE", "install"]

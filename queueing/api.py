"""Queueing's adapters: Socket.IO commands, REST routes, topic rules, and the services'
lifetimes. Validate, call the service, answer: no store is touched here."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError, create_model

from hub import client_address, export, keys
from hub.access import Scope
from hub.auth import Principal, Role
from hub.errors import Forbidden, InvalidPayload
from hub.gateway.commands import Call, Payload
from hub.inputs import Day
from hub.logs import get_logger
from hub.outages import log_failure
from hub.redis_keys import RedisKeys
from hub.rest import JSON, NoBody, Request, required
from queueing import access, errors, statistics
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
    PhoneCodeIn,
    Service,
    TakeTicketIn,
    Ticket,
    TicketRef,
    TransferIn,
    WalkInTicketIn,
)
from queueing.service import (
    HallService,
    MemoryQueueVersions,
    QueueingService,
    QueueVersions,
    RedisQueueVersions,
    open_services,
)
from queueing.service.walk_in import WalkInService
from queueing.store import WalkInStore

log = get_logger("queueing")

HALLS = web.AppKey("queueing_halls", HallService)
QUEUE = web.AppKey("queueing_queue", QueueingService)
WALK_IN = web.AppKey("queueing_walk_in", WalkInService)

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
    request_id: str | None = Field(None, max_length=64)  # checked as TakeTicketIn's


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


class SetNoticeIn(Payload):
    hall_id: str = Field(max_length=40)
    notice: str = Field(max_length=500)


def install(app: web.Application) -> None:
    app[keys.ACCESS].add("queueing", access.TABLE)
    _install_halls(app)
    _install_counters(app)
    _install_tickets(app)
    _install_walk_in(app)
    _install_reads(app)
    _install_topics(app)
    app.cleanup_ctx.append(_services)


# -- halls, services, counters (back office) --------------------------------------------------


async def list_halls(req: Request[NoBody, NoBody]) -> list[HallSummary]:
    return await req.app[HALLS].list_halls()


async def get_hall(req: Request[NoBody, NoBody]) -> HallDetail:
    hall_id = req.path("hall_id")
    access.READ_HALL.require(req.require_principal(), access.of_hall(hall_id))
    return await req.app[HALLS].hall(hall_id)


async def put_setup(req: Request[HallSetup, NoBody]) -> HallDetail:
    if req.body.hall.id != req.path("hall_id"):
        raise InvalidHallSetup("路径中的大厅编号与请求体不一致")
    return await req.app[HALLS].apply_setup(req.body)


async def put_policy(req: Request[BaseModel, NoBody]) -> HallDetail:
    hall_id = req.path("hall_id")
    _hall_scope(req.require_principal(), hall_id)
    policy = CallingPolicy.model_validate(req.body.model_dump())
    return await req.app[HALLS].set_policy(hall_id, policy)


async def put_service(req: Request[Service, NoBody]) -> HallDetail:
    _same(req, "hall_id", req.body.hall_id, "service_id", req.body.id)
    return await req.app[HALLS].save_service(req.body)


async def delete_service(req: Request[NoBody, NoBody]) -> HallDetail:
    hall_id = req.path("hall_id")
    _hall_scope(req.require_principal(), hall_id)
    return await req.app[HALLS].delete_service(hall_id, req.path("service_id"))


async def put_counter(req: Request[Counter, NoBody]) -> HallDetail:
    _same(req, "hall_id", req.body.hall_id, "counter_id", req.body.id)
    return await req.app[HALLS].save_counter(req.body)


async def delete_counter(req: Request[NoBody, NoBody]) -> HallDetail:
    hall_id = req.path("hall_id")
    _hall_scope(req.require_principal(), hall_id)
    return await req.app[HALLS].delete_counter(hall_id, req.path("counter_id"))


async def set_notice(req: Request[NoticeIn, NoBody]) -> HallDetail:
    hall_id = req.path("hall_id")
    _hall_scope(req.require_principal(), hall_id)
    await req.app[HALLS].set_notice(hall_id, req.body.notice.strip())
    return await req.app[HALLS].hall(hall_id)


async def set_notice_command(call: Call, payload: SetNoticeIn) -> dict[str, str]:
    _hall_scope(call.principal, payload.hall_id)
    await call.app[HALLS].set_notice(payload.hall_id, payload.notice.strip())
    return {"hall_id": payload.hall_id}


def _install_halls(app: web.Application) -> None:
    route = app[keys.REST].route
    one = "/halls/{hall_id}"
    tag = "queueing"
    route("GET", "/halls", response=list[HallSummary], summary="List the halls", tag=tag)(
        list_halls
    )
    route(
        "GET", one, response=HallDetail, summary="A hall with its services and counters", tag=tag
    )(get_hall)
    route(
        "PUT",
        one + "/setup",
        body=HallSetup,
        response=HallDetail,
        summary="Create or replace a hall with its services and counters",
        tag=tag,
    )(put_setup)
    route(
        "PUT",
        one + "/policy",
        body=required(CallingPolicy),
        response=HallDetail,
        summary="The hall's calling policy, priorities and per-person limits",
        tag=tag,
    )(put_policy)
    route(
        "PUT",
        one + "/services/{service_id}",
        body=Service,
        response=HallDetail,
        summary="Create or change a service",
        tag=tag,
    )(put_service)
    route(
        "DELETE",
        one + "/services/{service_id}",
        response=HallDetail,
        summary="Remove a service",
        tag=tag,
    )(delete_service)
    route(
        "PUT",
        one + "/counters/{counter_id}",
        body=Counter,
        response=HallDetail,
        summary="Create or change a counter and the services it serves",
        tag=tag,
    )(put_counter)
    route(
        "DELETE",
        one + "/counters/{counter_id}",
        response=HallDetail,
        summary="Remove a counter",
        tag=tag,
    )(delete_counter)
    notice = "Change the hall notice shown on its displays"
    route("PUT", one + "/notice", body=NoticeIn, response=HallDetail, summary=notice, tag=tag)(
        set_notice
    )
    app[keys.COMMANDS].add("queueing.set_notice", SetNoticeIn, set_notice_command, summary=notice)


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
            "Open a counter (开窗): the clerk works it until closing it",
        ),
        "close_counter": (
            CounterIn,
            lambda q, p, who: _state_out(q.close_counter(p.counter_id, who)),
            "Close the counter (关窗)",
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
        "requeue": (
            CallTicketIn,
            lambda q, p, who: ticket_out(q.requeue(p.counter_id, p.ticket_id, who)),
            "Put a no-show ticket back in the queue (its holder came back), where the hall's "
            "policy says",
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

    async def take(claim: str = "") -> Ticket:
        return await queue.take_ticket(
            payload.hall_id,
            payload.service_id,
            payload.channel,
            payload.citizen,
            citizen_id=citizen_id,
            claim=claim,
        )

    if payload.request_id:
        content = payload.model_dump(mode="json", exclude={"request_id"})
        ticket = await queue.once(f"take:{principal.sub}", payload.request_id, content, take)
    else:
        ticket = await take()
    status = await queue.holder_view(ticket, fresh=True)
    if citizen_id is not None:
        path = f"/m/ticket.html?id={ticket.id}"
        return {
            **status,
            "follow_code": None,
            "follow_path": path,
            "follow_url": app[keys.SETTINGS].base_url + path,
        }
    return _with_follow_code(app, ticket, status)


def _with_follow_code(
    app: web.Application, ticket: Ticket, status: dict[str, Any]
) -> dict[str, Any]:
    """A ticket without an account (kiosk, counter, a walk-in's phone): a short code, printed
    in the QR code or kept in the link, that the phone trades for a token following this
    ticket only (a whole token makes a QR code too dense for a thermal slip)."""
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


async def _of_hall(req: Request[Any, Any], ticket_id: str) -> Ticket:
    """The ticket of the path, which must be of the path's hall."""
    ticket = await req.app[QUEUE].ticket(ticket_id)
    if ticket.hall_id != req.path("hall_id"):
        raise TicketNotFound(ticket_id=ticket_id)
    return ticket


async def take_ticket(call: Call, payload: TakeTicketIn) -> dict[str, Any]:
    return await _take(call.app, call.principal, payload)


async def take_ticket_rest(req: Request[TakeTicketBody, NoBody]) -> dict[str, Any]:
    try:
        payload = TakeTicketIn(
            hall_id=req.path("hall_id"),
            service_id=req.body.service_id,
            channel=req.body.channel,
            citizen=req.body.citizen,
            # The REST convention for the same key (RFC draft "Idempotency-Key" header).
            request_id=req.body.request_id or req.http.headers.get("Idempotency-Key"),
        )
    except ValidationError as exc:
        raise InvalidPayload.from_validation(exc) from exc
    return await _take(req.app, req.require_principal(), payload)


async def follow(req: Request[FollowIn, NoBody]) -> dict[str, Any]:
    ticket_id = req.path("ticket_id")
    expected = follow_code(req.app, ticket_id).encode()
    if not hmac.compare_digest(expected, req.body.code.strip().lower().encode()):
        raise FollowCodeInvalid()
    ticket = await _of_hall(req, ticket_id)
    token, expires = req.app[keys.TOKENS].issue(
        f"ticket-{ticket.id}",
        Role.TICKET,
        ticket=ticket.id,
        ttl_seconds=FOLLOW_TOKEN_SECONDS,
    )
    return {"token": token, "expires": expires, "ticket_id": ticket.id}


async def cancel_ticket(call: Call, payload: TicketRef) -> dict[str, Any]:
    ticket = await call.app[QUEUE].cancel(payload.ticket_id, call.principal)
    return {"ticket_id": ticket.id, "status": ticket.status.value}


async def cancel_ticket_rest(req: Request[NoBody, NoBody]) -> dict[str, Any]:
    ticket = await _of_hall(req, req.path("ticket_id"))
    done = await req.app[QUEUE].cancel(ticket.id, req.require_principal())
    return {"ticket_id": done.id, "status": done.status.value}


async def get_ticket(req: Request[NoBody, NoBody]) -> dict[str, Any]:
    ticket_id = req.path("ticket_id")
    ticket = await req.app[QUEUE].ticket(ticket_id)
    access.READ_TICKET.require(req.require_principal(), access.of_ticket(ticket))
    if ticket.hall_id != req.path("hall_id"):
        raise TicketNotFound(ticket_id=ticket_id)
    return await req.app[QUEUE].holder_view(ticket)


async def my_tickets(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
    queue = req.app[QUEUE]
    tickets = await queue.my_tickets(req.require_principal())
    return [await queue.holder_view(t) for t in tickets]


# -- 码上取号 without an account (the hall's QR code) ----------------------------------------


def _address(req: Request[Any, Any]) -> str:
    return client_address.of_request(req.http, req.app[keys.SETTINGS].trusted_proxies)


async def walk_in_hall(req: Request[NoBody, NoBody]) -> dict[str, Any]:
    return await req.app[WALK_IN].hall(req.path("hall_id"))


async def walk_in_code(req: Request[PhoneCodeIn, NoBody]) -> dict[str, Any]:
    return await req.app[WALK_IN].send_code(req.path("hall_id"), req.body, _address(req))


async def walk_in_ticket(req: Request[WalkInTicketIn, NoBody]) -> dict[str, Any]:
    ticket = await req.app[WALK_IN].take(req.path("hall_id"), req.body, _address(req))
    status = await req.app[QUEUE].holder_view(ticket, fresh=True)
    return _with_follow_code(req.app, ticket, status)


def _install_walk_in(app: web.Application) -> None:
    route = app[keys.REST].route
    one = "/halls/{hall_id}/walk-in"
    tag = "walk-in"
    route("GET", one, tag=tag, summary="What a walk-in scanning the hall's QR code may take")(
        walk_in_hall
    )
    route(
        "POST",
        one + "/codes",
        body=PhoneCodeIn,
        tag=tag,
        summary="Send a walk-in's phone a verification code by SMS (limited per phone and address)",
    )(walk_in_code)
    route(
        "POST",
        one + "/tickets",
        body=WalkInTicketIn,
        status=201,
        tag=tag,
        summary="Take a ticket without an account (limited per address, device and phone); "
        "it comes with the follow code a kiosk prints",
    )(walk_in_ticket)


def _install_tickets(app: web.Application) -> None:
    route, add = app[keys.REST].route, app[keys.COMMANDS].add
    one = "/halls/{hall_id}/tickets/{ticket_id}"
    take = "Take a ticket (kiosk, H5 app, QR code or staff)"
    cancel = "Cancel a waiting ticket (its holder or staff)"
    add("queueing.take_ticket", TakeTicketIn, take_ticket, summary=take)
    route(
        "POST",
        "/halls/{hall_id}/tickets",
        body=TakeTicketBody,
        status=201,
        tag="tickets",
        summary="Take a ticket; a kiosk or counter ticket comes with a follow token",
    )(take_ticket_rest)
    route(
        "POST",
        one + "/follow",
        body=FollowIn,
        tag="tickets",
        summary="Trade a printed ticket's code for a token that follows that ticket",
    )(follow)
    add("queueing.cancel_ticket", TicketRef, cancel_ticket, summary=cancel)
    route("DELETE", one, tag="tickets", summary=cancel)(cancel_ticket_rest)
    route("GET", one, tag="tickets", summary="A ticket's status, people ahead and estimated wait")(
        get_ticket
    )
    route(
        "GET",
        "/queueing/my-tickets",
        tag="tickets",
        summary="The caller's tickets of today, newest first",
    )(my_tickets)


# -- screens' snapshots and statistics ---------------------------------------------------------


async def board(req: Request[NoBody, NoBody]) -> dict[str, Any]:
    hall_id = req.path("hall_id")
    access.READ_HALL.require(req.require_principal(), access.of_hall(hall_id))
    snapshot = await req.app[QUEUE].board(hall_id)
    # The 码上取号 QR code on the display leads phones to the public address, not the one the
    # display itself may use on the hall's network.
    hall = snapshot["hall"]
    hall["take_url"] = (
        f"{req.app[keys.SETTINGS].base_url}/m/take.html?hall={hall_id}"
        if hall.get("show_take_qr")
        else None
    )
    return snapshot


async def workstation(req: Request[NoBody, NoBody]) -> dict[str, Any]:
    return await req.app[QUEUE].desk(
        req.path("hall_id"), req.path("counter_id"), req.require_principal()
    )


async def stats(req: Request[NoBody, StatsQuery]) -> Any:
    hall_id = req.path("hall_id")
    _hall_scope(req.require_principal(), hall_id)
    query = req.query
    report = await req.app[QUEUE].report(hall_id, query.day, query.to, query.by)
    hall = report.hall
    title = f"{hall.name} {query.day}" + (f"~{query.to}" if query.to else "")
    name = hashlib.sha1(title.encode()).hexdigest()[:8]
    rows = [asdict(r) for r in report.rows]
    file = export.download(
        query.format,
        f"hallhub-{hall_id}-{query.day}-{query.by.value}-{name}",
        statistics.COLUMNS,
        rows,
        query.by.value,
        wide=frozenset({"label"}),
    )
    if file is not None:
        return file
    return {
        "hall_id": hall_id,
        "title": title,
        "by": query.by.value,
        "target_minutes": hall.policy.service_level_minutes,
        "rows": rows,
    }


def _install_reads(app: web.Application) -> None:
    route = app[keys.REST].route
    route(
        "GET",
        "/halls/{hall_id}/board",
        tag="screens",
        summary="The hall display's snapshot, with the hall topic's seq it matches",
    )(board)
    route(
        "GET",
        "/halls/{hall_id}/counters/{counter_id}/workstation",
        tag="screens",
        summary="The counter workstation's snapshot",
    )(workstation)
    route(
        "GET",
        "/halls/{hall_id}/stats",
        query=StatsQuery,
        media_types=(JSON, *export.MEDIA_TYPES),
        tag="statistics",
        summary="KPIs per service, counter, clerk, hour or day; format=csv or xlsx to export",
    )(stats)


# -- topics ---------------------------------------------------------------------------------


def _install_topics(app: web.Application) -> None:
    async def hall(hall_id: str) -> Scope:
        return access.of_hall(hall_id)

    async def counter(counter_id: str) -> Scope | None:
        found = await app[HALLS].counter(counter_id)
        return access.of_hall(found.hall_id) if found is not None else None

    async def ticket(ticket_id: str) -> Scope | None:
        found = await app[QUEUE].find_ticket(ticket_id)
        return access.of_ticket(found) if found is not None else None

    topics = app[keys.TOPICS]
    topics.register("hall", hall)
    topics.register("counter", counter)
    topics.register("desk", hall)
    topics.register("ticket", ticket)


# -- lifetimes --------------------------------------------------------------------------------


def queue_versions(app: web.Application) -> QueueVersions:
    """The hall queue versions this node shares with the others: in Redis when the nodes share
    one, else this process's."""
    redis = app.get(keys.REDIS)
    if redis is None:
        return MemoryQueueVersions.of(app[keys.BUS])
    return RedisQueueVersions(redis, RedisKeys(app[keys.SETTINGS].redis_prefix))


async def _services(app: web.Application) -> AsyncIterator[None]:
    pepper = hashlib.sha256(
        b"queueing-person-key:" + app[keys.SETTINGS].signing_secret().encode()
    ).digest()
    app[HALLS], queue = await open_services(
        app[keys.DB], app[keys.BUS], pepper=pepper, versions=queue_versions(app)
    )
    app[QUEUE] = queue
    walk_ins = WalkInStore(app[keys.DB])
    await walk_ins.ensure_indexes()
    settings = app[keys.SETTINGS]
    app[WALK_IN] = WalkInService(
        queue,
        walk_ins,
        app[keys.BUS],
        settings.walk_in,
        pepper=pepper,
        sms=bool(settings.notifier.sms),
    )
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
            log_failure(log, "sweep_failed")


__all__ = ["HALLS", "QUEUE", "WALK_IN", "install"]

"""Queueing's adapters: REST routes and topic rules."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from pydantic import Field

from hub import keys
from hub.auth import Principal, Role
from hub.errors import Forbidden
from hub.gateway.commands import Call, Payload
from hub.rest import NoBody, Request
from queueing.errors import InvalidHallSetup
from queueing.models import HallDetail, HallSetup, HallSummary, NoticeIn
from queueing.service import HallService
from queueing.store import HallStore

HALLS = web.AppKey("queueing_halls", HallService)

_BACK_OFFICE = {Role.ADMIN, Role.SUPERVISOR}


def install(app: web.Application) -> None:
    rest = app[keys.REST]

    @rest.route(
        "GET",
        "/halls",
        response=list[HallSummary],
        roles=_BACK_OFFICE,
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
        principal = req.require_principal()
        hall_id = req.path("hall_id")
        await req.app[keys.TOPICS].check(principal, f"hall:{hall_id}")
        return await req.app[HALLS].hall(hall_id)

    @rest.route(
        "PUT",
        "/halls/{hall_id}/setup",
        body=HallSetup,
        response=HallDetail,
        roles={Role.ADMIN},
        summary="Create or replace a hall with its services and counters",
        tag="queueing",
    )
    async def put_setup(req: Request[HallSetup, NoBody]) -> HallDetail:
        if req.body.hall.id != req.path("hall_id"):
            raise InvalidHallSetup("路径中的大厅编号与请求体不一致")
        return await req.app[HALLS].apply_setup(req.body)

    @rest.route(
        "PUT",
        "/halls/{hall_id}/notice",
        body=NoticeIn,
        response=HallDetail,
        roles=_BACK_OFFICE,
        summary="Change the hall notice shown on its displays",
        tag="queueing",
    )
    async def set_notice(req: Request[NoticeIn, NoBody]) -> HallDetail:
        principal = req.require_principal()
        hall_id = req.path("hall_id")
        _check_hall_scope(principal, hall_id)
        await req.app[HALLS].set_notice(hall_id, req.body.notice.strip())
        return await req.app[HALLS].hall(hall_id)

    class SetNoticeIn(Payload):
        hall_id: str = Field(max_length=40)
        notice: str = Field(max_length=500)

    @app[keys.COMMANDS].command(
        "queueing.set_notice",
        SetNoticeIn,
        roles=_BACK_OFFICE,
        summary="Change the hall notice shown on its displays",
    )
    async def set_notice_command(call: Call, payload: SetNoticeIn) -> dict[str, str]:
        _check_hall_scope(call.principal, payload.hall_id)
        await call.app[HALLS].set_notice(payload.hall_id, payload.notice.strip())
        return {"hall_id": payload.hall_id}

    async def counter_rule(principal: Principal, counter_id: str) -> bool:
        if principal.is_back_office:
            return True
        if principal.role not in (Role.STAFF, Role.DISPLAY):
            return False
        counter = await app[HALLS].counter(counter_id)
        return counter is not None and principal.hall in (None, counter.hall_id)

    app[keys.TOPICS].register("counter", counter_rule)
    app.cleanup_ctx.append(_service)


def _check_hall_scope(principal: Principal, hall_id: str) -> None:
    """A supervisor bound to a hall manages that hall only."""
    if principal.role is not Role.ADMIN and principal.hall not in (None, hall_id):
        raise Forbidden("只能管理本大厅")


async def _service(app: web.Application) -> AsyncIterator[None]:
    store = HallStore(app[keys.DB])
    await store.ensure_indexes()
    app[HALLS] = HallService(store, app[keys.BUS])
    yield

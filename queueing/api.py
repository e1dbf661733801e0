"""Queueing's adapters: REST routes and topic rules."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from hub import keys
from hub.auth import Principal, Role
from hub.rest import Request
from queueing.models import HallDetail, HallSummary
from queueing.service import HallService
from queueing.store import HallStore

HALLS = web.AppKey("queueing_halls", HallService)

_BACK_OFFICE = {Role.ADMIN, Role.SUPERVISOR}


def install(app: web.Application) -> None:
    rest = app[keys.REST]

    @rest.route("GET", "/halls", response=list[HallSummary], roles=_BACK_OFFICE,
                summary="List the halls", tag="queueing")
    async def list_halls(req: Request[object, object]) -> list[HallSummary]:
        return await req.app[HALLS].list_halls()

    @rest.route("GET", "/halls/{hall_id}", response=HallDetail,
                summary="A hall with its services and counters", tag="queueing")
    async def get_hall(req: Request[object, object]) -> HallDetail:
        principal = req.require_principal()
        hall_id = req.path("hall_id")
        await req.app[keys.TOPICS].check(principal, f"hall:{hall_id}")
        return await req.app[HALLS].hall(hall_id)

    async def counter_rule(principal: Principal, counter_id: str) -> bool:
        if principal.is_back_office:
            return True
        if principal.role not in (Role.STAFF, Role.DISPLAY):
            return False
        counter = await app[HALLS].counter(counter_id)
        return counter is not None and principal.hall in (None, counter.hall_id)

    app[keys.TOPICS].register("counter", counter_rule)
    app.cleanup_ctx.append(_service)


async def _service(app: web.Application) -> AsyncIterator[None]:
    store = HallStore(app[keys.DB])
    await store.ensure_indexes()
    app[HALLS] = HallService(store, app[keys.BUS])
    yield

"""REST: sign in with a staff account; who am I."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from hub import keys
from hub.auth.models import LoginRequest, PrincipalOut, TokenOut
from hub.auth.service import AuthService
from hub.auth.store import AccountStore
from hub.rest import NoBody, Request


def install(app: web.Application) -> None:
    rest = app[keys.REST]

    @rest.route(
        "POST",
        "/auth/login",
        body=LoginRequest,
        response=TokenOut,
        summary="Sign in with a staff account; answers a bearer token",
        tag="auth",
    )
    async def login(req: Request[LoginRequest, NoBody]) -> TokenOut:
        return await req.app[keys.AUTH].login(req.body.username, req.body.password)

    @rest.route(
        "GET", "/auth/me", response=PrincipalOut, summary="The caller's identity", tag="auth"
    )
    async def me(req: Request[NoBody, NoBody]) -> PrincipalOut:
        p = req.require_principal()
        return PrincipalOut(sub=p.sub, role=p.role, hall=p.hall, name=p.name)

    app.cleanup_ctx.append(_service)


async def _service(app: web.Application) -> AsyncIterator[None]:
    store = AccountStore(app[keys.DB])
    await store.ensure_indexes()
    app[keys.AUTH] = AuthService(store, app[keys.TOKENS])
    yield

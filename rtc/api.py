"""Video customer service's adapters: Socket.IO commands (the call is driven over the socket),
REST for the rest, who may read `rtc:` topics, and the service's lifetime (its clock, the
recorder, presence)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub import keys
from hub.access import Scope
from hub.errors import InvalidPayload
from hub.gateway.commands import Call, CommandRegistry, Payload
from hub.inputs import Skip
from hub.logs import get_logger
from hub.outages import log_failure
from hub.rest import NoBody, Request, RestApi, compose
from hub.settings import ROOT
from rtc import access, errors
from rtc.domain import Stats
from rtc.models import (
    AgentView,
    CallbackIn,
    ChatIn,
    ChatMessage,
    Hello,
    Overview,
    QualityIn,
    RatingIn,
    RequestIn,
    SessionDetail,
    SessionRef,
    SessionState,
    SessionView,
    SignalIn,
    SkillsIn,
    StatusIn,
    Topic,
    TopicNow,
    TransferIn,
    WrapUpIn,
)
from rtc.recorder import Recorder
from rtc.service import IMAGE_TYPES, MAX_IMAGE_BYTES, RtcService

log = get_logger("rtc")

RTC = web.AppKey("rtc", RtcService)
TICK_SECONDS = 1.0
DEFAULTS = ROOT / "config" / "rtc.yaml"
MATROSKA = "video/x-matroska"


class SessionsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: SessionState | None = None
    topic: str | None = Field(None, max_length=40)
    agent_id: str | None = Field(None, max_length=60)
    limit: int = Field(50, ge=1, le=500)
    skip: Skip = 0


class PartQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part: int | None = Field(None, ge=0, le=50)


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str = Field("topic", pattern="^(topic|agent|all)$")
    days: int = Field(7, ge=1, le=366)


class NameIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")


class RatingBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    stars: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)


def install(app: web.Application) -> None:
    app[keys.ACCESS].add("rtc", access.TABLE)
    _citizen_commands(app[keys.COMMANDS])
    _agent_commands(app[keys.COMMANDS])
    _call_commands(app[keys.COMMANDS])
    _citizen_routes(app[keys.REST])
    _call_routes(app[keys.REST])
    _back_office_routes(app[keys.REST])
    _install_topics(app)
    app.cleanup_ctx.append(_service)


# -- Socket.IO: the call is driven over the socket --------------------------------------------


def _citizen_commands(c: CommandRegistry) -> None:
    @c.command("rtc.request", RequestIn, summary="Join a topic's queue")
    async def request(call: Call, p: RequestIn) -> SessionView:
        call.app[RTC].watch(call.principal, call.sid)
        return await call.app[RTC].request(call.principal, p)

    @c.command("rtc.leave", SessionRef, summary="Leave or hang up")
    async def leave(call: Call, p: SessionRef) -> SessionView:
        return await call.app[RTC].leave(call.principal, p.session_id)

    @c.command("rtc.callback", CallbackIn, summary="Leave asking for a call-back")
    async def callback(call: Call, p: CallbackIn) -> SessionView:
        return await call.app[RTC].callback(call.principal, p)

    @c.command("rtc.rate", RatingIn, summary="Rate a call (1-5, once)")
    async def rate(call: Call, p: RatingIn) -> SessionView:
        return await call.app[RTC].rate(call.principal, p)


def _agent_commands(c: CommandRegistry) -> None:
    @c.command("rtc.agent_hello", Payload, summary="An agent console connected")
    async def hello(call: Call, p: Payload) -> Hello:
        return await call.app[RTC].hello(call.principal, call.sid)

    @c.command("rtc.set_status", StatusIn, summary="available | away | wrap_up")
    async def set_status(call: Call, p: StatusIn) -> dict[str, AgentView]:
        return {"agent": await call.app[RTC].set_status(call.principal, p.status)}

    @c.command("rtc.set_skills", SkillsIn, summary="The topics the agent takes")
    async def set_skills(call: Call, p: SkillsIn) -> dict[str, AgentView]:
        return {"agent": await call.app[RTC].set_skills(call.principal.sub, p.skills)}

    @c.command("rtc.accept", SessionRef, summary="Take the call offered")
    async def accept(call: Call, p: SessionRef) -> SessionView:
        return await call.app[RTC].accept(call.principal, p.session_id)

    @c.command("rtc.decline", SessionRef, summary="Decline the call offered")
    async def decline(call: Call, p: SessionRef) -> SessionView:
        return await call.app[RTC].decline(call.principal, p.session_id)

    @c.command("rtc.hang_up", SessionRef, summary="End the call")
    async def hang_up(call: Call, p: SessionRef) -> SessionView:
        return await call.app[RTC].hang_up(call.principal, p.session_id)

    @c.command("rtc.wrap_up", WrapUpIn, summary="Notes written: available again")
    async def wrap_up(call: Call, p: WrapUpIn) -> SessionView:
        return await call.app[RTC].wrap_up(call.principal, p)

    @c.command("rtc.transfer", TransferIn, summary="To another agent or topic")
    async def transfer(call: Call, p: TransferIn) -> SessionView:
        return await call.app[RTC].transfer(call.principal, p)


def _call_commands(c: CommandRegistry) -> None:
    @c.command("rtc.signal", SignalIn, summary="Offer, answer, ICE candidate")
    async def signal(call: Call, p: SignalIn) -> dict[str, Any]:
        call.app[RTC].watch(call.principal, call.sid)
        return await call.app[RTC].signal(call.principal, p)

    @c.command("rtc.quality", QualityIn, summary="getStats() summary")
    async def quality(call: Call, p: QualityIn) -> dict[str, int]:
        call.app[RTC].watch(call.principal, call.sid)
        return {"level": await call.app[RTC].quality(call.principal, p)}

    @c.command("rtc.chat", ChatIn, summary="A text in the call")
    async def chat(call: Call, p: ChatIn) -> dict[str, ChatMessage]:
        return {"message": await call.app[RTC].chat(call.principal, p)}


# -- REST -------------------------------------------------------------------------------------


def _citizen_routes(rest: RestApi) -> None:
    @rest.route("GET", "/rtc/ice-servers", tag="rtc", summary="STUN/TURN")
    async def ice(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        servers = req.app[keys.SETTINGS].ice_servers
        return {
            "ice_servers": [
                {
                    "urls": s.urls,
                    **({"username": s.username} if s.username else {}),
                    **({"credential": s.credential.get_secret_value()} if s.credential else {}),
                }
                for s in servers
            ]
        }

    @rest.route(
        "GET", "/rtc/topics", response=list[TopicNow], tag="rtc", summary="Consultation topics"
    )
    async def topics(req: Request[NoBody, NoBody]) -> list[TopicNow]:
        return await req.app[RTC].topics()

    @rest.route(
        "POST",
        "/rtc/sessions",
        body=RequestIn,
        response=SessionView,
        status=201,
        tag="rtc",
        summary="Join a topic's queue",
    )
    async def request(req: Request[RequestIn, NoBody]) -> SessionView:
        return await req.app[RTC].request(req.require_principal(), req.body)

    @rest.route(
        "GET",
        "/rtc/sessions/mine",
        response=list[SessionView],
        tag="rtc",
        summary="The caller's consultations",
    )
    async def mine(req: Request[NoBody, NoBody]) -> list[SessionView]:
        return await req.app[RTC].mine(req.require_principal())

    @rest.route(
        "POST",
        "/rtc/sessions/{session_id}/callback",
        body=NameIn,
        response=SessionView,
        tag="rtc",
        summary="Leave the queue asking for a call-back",
    )
    async def callback(req: Request[NameIn, NoBody]) -> SessionView:
        ref = compose(CallbackIn, session_id=req.path("session_id"), phone=req.body.phone)
        return await req.app[RTC].callback(req.require_principal(), ref)

    @rest.route(
        "POST",
        "/rtc/sessions/{session_id}/rating",
        body=RatingBody,
        response=SessionView,
        tag="rtc",
        summary="Rate the call (1-5, once)",
    )
    async def rating(req: Request[RatingBody, NoBody]) -> SessionView:
        body = compose(
            RatingIn,
            session_id=req.path("session_id"),
            stars=req.body.stars,
            comment=req.body.comment,
        )
        return await req.app[RTC].rate(req.require_principal(), body)


def _call_routes(rest: RestApi) -> None:
    @rest.route(
        "GET",
        "/rtc/sessions/{session_id}",
        response=SessionDetail,
        tag="rtc",
        summary="One consultation (its parties and supervisors)",
    )
    async def one(req: Request[NoBody, NoBody]) -> SessionDetail:
        return await req.app[RTC].detail(req.require_principal(), req.path("session_id"))

    @rest.route(
        "POST",
        "/rtc/sessions/{session_id}/leave",
        response=SessionView,
        tag="rtc",
        summary="Leave the queue or hang up",
    )
    async def leave(req: Request[NoBody, NoBody]) -> SessionView:
        return await req.app[RTC].leave(req.require_principal(), req.path("session_id"))

    @rest.route(
        "POST",
        "/rtc/sessions/{session_id}/images",
        uploads=tuple(IMAGE_TYPES.values()),
        tag="rtc",
        summary="A picture in the chat: the body is the image (JPEG, PNG, GIF "
        "or WebP, at most 5 MB)",
    )
    async def image(req: Request[NoBody, NoBody]) -> dict[str, ChatMessage]:
        http = req.http
        if (http.content_length or 0) > MAX_IMAGE_BYTES:
            raise errors.ImageTooLarge(limit=MAX_IMAGE_BYTES)
        data = await http.content.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise errors.ImageTooLarge(limit=MAX_IMAGE_BYTES)
        message = await req.app[RTC].post_image(
            req.require_principal(), req.path("session_id"), data, http.content_type
        )
        return {"message": message}

    @rest.route(
        "GET",
        "/rtc/images/{image_id}",
        media_types=tuple(IMAGE_TYPES.values()),
        tag="rtc",
        summary="A chat picture (the session's parties and supervisors)",
    )
    async def picture(req: Request[NoBody, NoBody]) -> web.Response:
        data, content_type = await req.app[RTC].image(req.require_principal(), req.path("image_id"))
        return web.Response(
            body=data,
            content_type=content_type,
            headers={
                "Cache-Control": "private, max-age=86400",
                "X-Content-Type-Options": "nosniff",
            },
        )


def _back_office_routes(rest: RestApi) -> None:
    @rest.route(
        "PUT",
        "/rtc/topics/{topic_id}",
        body=Topic,
        response=Topic,
        tag="rtc",
        summary="Create or change a topic",
    )
    async def save_topic(req: Request[Topic, NoBody]) -> Topic:
        if req.body.id != req.path("topic_id"):
            raise InvalidPayload("路径与请求体中的主题编号不一致")
        return await req.app[RTC].save_topic(req.body)

    @rest.route(
        "GET",
        "/rtc/overview",
        response=Overview,
        tag="rtc",
        summary="The queue, the calls and the agents now",
    )
    async def overview(req: Request[NoBody, NoBody]) -> Overview:
        return await req.app[RTC].overview()

    @rest.route(
        "GET",
        "/rtc/sessions",
        query=SessionsQuery,
        tag="rtc",
        summary="Consultations, newest first",
    )
    async def search(req: Request[NoBody, SessionsQuery]) -> dict[str, list[SessionView]]:
        q = req.query
        found = await req.app[RTC].search(
            state=q.state, topic=q.topic, agent_id=q.agent_id, limit=q.limit, skip=q.skip
        )
        return {"sessions": found}

    @rest.route(
        "GET",
        "/rtc/sessions/{session_id}/recording",
        query=PartQuery,
        media_types=(MATROSKA,),
        tag="rtc",
        summary="The call's recording (Matroska: both parties' audio and video); ?part=n for "
        "an earlier agent's part of a transferred call",
    )
    async def recording(req: Request[NoBody, PartQuery]) -> web.StreamResponse:
        path = await req.app[RTC].recording_file(req.path("session_id"), req.query.part)
        return web.FileResponse(
            path,
            headers={
                "Content-Type": MATROSKA,
                "Content-Disposition": f'attachment; filename="{path.name}"',
            },
        )

    @rest.route(
        "GET",
        "/rtc/stats",
        query=StatsQuery,
        tag="rtc",
        summary="Answered, abandoned, waits, talk time, ratings by topic or agent",
    )
    async def stats(req: Request[NoBody, StatsQuery]) -> dict[str, list[Stats]]:
        return {"rows": await req.app[RTC].statistics(req.query.by, req.query.days)}


def _install_topics(app: web.Application) -> None:
    async def session_scope(ident: str) -> Scope | None:
        if ident == "queue":
            return Scope()
        session = await app[RTC].find(ident)
        return access.of_session(session) if session is not None else None

    async def agent_scope(agent_id: str) -> Scope:
        return access.of_agent(agent_id)

    topics = app[keys.TOPICS]
    topics.register(
        "rtc",
        session_scope,
        rows=access.topic_row,
        keys=(access.QUEUE_TOPIC_KEY, access.SESSION_TOPIC_KEY),
    )
    topics.register("agent", agent_scope)


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    capacity = settings.rtc.max_recordings if settings.rtc.record else 0
    recorder = Recorder(settings.data_dir / "recordings", capacity, settings.ice_servers)
    service = RtcService(
        app[keys.DB], app[keys.BUS], recorder, retention_days=settings.rtc.retention_days
    )
    await service.start(DEFAULTS)
    app[RTC] = service

    app[keys.GATEWAY].on_disconnect(service.goodbye)
    stop = asyncio.Event()
    clock = asyncio.create_task(_tick(service, stop), name="rtc-clock")
    yield
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await clock
    await recorder.close()


async def _tick(service: RtcService, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await service.tick()
        except Exception:
            log_failure(log, "rtc_tick_failed")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(TICK_SECONDS):
                await stop.wait()

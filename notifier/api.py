"""The message center's adapters: REST, Socket.IO commands, Twilio's status callback, and the
service's lifetime (defaults loaded, providers made, the bus listened to, workers run)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from hub import keys
from hub.errors import BadRequest, InvalidPayload
from hub.gateway.commands import Call, CommandRegistry, Payload
from hub.inputs import Instant, Skip
from hub.logs import get_logger
from hub.rest import NoBody, Request, RestApi, problem, required
from hub.settings import ROOT, Settings
from notifier import access
from notifier.channels import email_providers, sms_providers
from notifier.errors import SignatureInvalid
from notifier.models import (
    Channel,
    Contact,
    ContactIn,
    Delivery,
    DeliveryQuery,
    InboxListIn,
    InboxRef,
    InboxState,
    Kind,
    KindSpec,
    PreferencesIn,
    RecipientId,
    Rule,
    SendIn,
    Template,
    TemplateIn,
)
from notifier.service import NotifierService
from notifier.store import NotifierStore

log = get_logger("notifier")

NOTIFIER = web.AppKey("notifier", NotifierService)

DEFAULTS = ROOT / "config" / "notifier.yaml"
STATUS_PATH = "/api/v1/notifier/twilio/status"


class PageQuery(BaseModel):
    limit: int = Field(50, ge=1, le=500)
    skip: Skip = 0


class TemplatePath(BaseModel):
    kind: Kind
    channel: Channel
    locale: str = Field(max_length=10)


class SinceQuery(BaseModel):
    days: int = Field(7, ge=1, le=366)


class InboxQuery(BaseModel):
    state: InboxState | None = None
    limit: int = Field(30, ge=1, le=200)
    before: Instant | None = None


class ContactQuery(BaseModel):
    """A search box's text: a name, some digits of a phone number, or a recipient id."""

    q: str = Field(min_length=1, max_length=40)
    limit: int = Field(20, ge=1, le=50)


class PreviewIn(TemplateIn):
    data: dict[str, Any] | None = None


def install(app: web.Application) -> None:
    app[keys.ACCESS].add("notifier", access.TABLE)
    rest, commands = app[keys.REST], app[keys.COMMANDS]
    _sending(rest)
    _inbox(rest)
    _inbox_commands(commands)
    _kinds_and_templates(rest)
    _rules_and_contacts(rest)
    app.router.add_post(STATUS_PATH, _twilio_status)
    app.cleanup_ctx.append(_service)


async def _deliveries(service: NotifierService, found: list[Delivery]) -> dict[str, Any]:
    """Deliveries, and the names of their recipients (the back office shows 张三, not ids)."""
    return {
        "deliveries": [d.model_dump(by_alias=False, mode="json") for d in found],
        "names": await service.names(d.recipient for d in found),
    }


# -- sending, and following what was sent (back office) ---------------------------------------


def _sending(rest: RestApi) -> None:
    @rest.route(
        "POST",
        "/notifier/messages",
        body=SendIn,
        status=202,
        tag="notifier",
        summary="Send a message of a kind to recipients on channels "
        "(header Idempotency-Key: a repeat answers the first request)",
    )
    async def send(req: Request[SendIn, NoBody]) -> dict[str, Any]:
        key = req.http.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 128):
            raise BadRequest("Idempotency-Key 长度应为 1–128")
        return await req.app[NOTIFIER].send(req.body, idempotency_key=key)

    @rest.route(
        "GET",
        "/notifier/messages",
        query=DeliveryQuery,
        tag="notifier",
        summary="Search deliveries by recipient, kind, channel, state and time",
    )
    async def search(req: Request[NoBody, DeliveryQuery]) -> dict[str, Any]:
        service = req.app[NOTIFIER]
        return await _deliveries(service, await service.search(req.query))

    @rest.route(
        "GET",
        "/notifier/messages/{message_id}",
        tag="notifier",
        summary="A message and the timeline of its deliveries",
    )
    async def timeline(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        service = req.app[NOTIFIER]
        found = await service.timeline(req.path("message_id"))
        return {**found, "names": await service.names([found["message"]["recipient"]])}

    @rest.route(
        "POST",
        "/notifier/deliveries/{delivery_id}/resend",
        response=Delivery,
        tag="notifier",
        summary="Send a delivery again",
    )
    async def resend(req: Request[NoBody, NoBody]) -> Delivery:
        return await req.app[NOTIFIER].resend(req.path("delivery_id"))

    @rest.route(
        "GET",
        "/notifier/dead-letters",
        query=PageQuery,
        tag="notifier",
        summary="Deliveries given up on",
    )
    async def dead_letters(req: Request[NoBody, PageQuery]) -> dict[str, Any]:
        q, service = req.query, req.app[NOTIFIER]
        return await _deliveries(service, await service.dead_letters(q.limit, q.skip))

    @rest.route(
        "GET",
        "/notifier/stats",
        query=SinceQuery,
        tag="notifier",
        summary="Deliveries by channel and state, and each channel's success rate",
    )
    async def stats(req: Request[NoBody, SinceQuery]) -> dict[str, Any]:
        return await req.app[NOTIFIER].success_rates(timedelta(days=req.query.days))


# -- a person's own inbox and preferences -----------------------------------------------------

# (state, the path's last part, summary) of the marks by REST.
MARKS = (
    (InboxState.READ, "read", "Mark a message read"),
    (InboxState.ARCHIVED, "archive", "Archive a message"),
    (InboxState.UNREAD, "unread", "Mark a message unread"),
)


def _mark_route(rest: RestApi, state: InboxState, path: str, summary: str) -> None:
    async def mark(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[NOTIFIER].mark(req.require_principal(), req.path("item_id"), state)

    mark.__name__ = f"inbox_{state.value}"
    rest.route("POST", f"/notifier/inbox/{{item_id}}/{path}", tag="inbox", summary=summary)(mark)


def _inbox(rest: RestApi) -> None:
    @rest.route(
        "GET",
        "/notifier/inbox",
        query=InboxQuery,
        tag="inbox",
        summary="The caller's in-app messages, newest first, with counts",
    )
    async def inbox(req: Request[NoBody, InboxQuery]) -> dict[str, Any]:
        q = req.query
        return await req.app[NOTIFIER].inbox(
            req.require_principal().key, q.state, q.limit, q.before
        )

    for state, path, summary in MARKS:
        _mark_route(rest, state, path, summary)

    @rest.route(
        "POST", "/notifier/inbox/read-all", tag="inbox", summary="Mark every unread message read"
    )
    async def read_all(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[NOTIFIER].mark(req.require_principal(), None, InboxState.READ)

    @rest.route(
        "GET", "/notifier/preferences", tag="inbox", summary="The caller's opt-outs and quiet hours"
    )
    async def preferences(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[NOTIFIER].preferences(req.require_principal().key)

    @rest.route(
        "PUT",
        "/notifier/preferences",
        body=PreferencesIn,
        tag="inbox",
        summary="Change the caller's opt-outs and quiet hours",
    )
    async def set_preferences(req: Request[PreferencesIn, NoBody]) -> dict[str, Any]:
        return await req.app[NOTIFIER].set_preferences(req.require_principal().key, req.body)


def _inbox_commands(commands: CommandRegistry) -> None:
    @commands.command(
        "notifier.list",
        InboxListIn,
        summary="The caller's in-app messages, newest first, with counts",
    )
    async def list_inbox(call: Call, p: InboxListIn) -> dict[str, Any]:
        return await call.app[NOTIFIER].inbox(call.principal.key, p.state, p.limit, p.before)

    @commands.command(
        "notifier.mark_read", InboxRef, summary="Mark one of the caller's messages read"
    )
    async def mark_read(call: Call, p: InboxRef) -> dict[str, Any]:
        return await call.app[NOTIFIER].mark(call.principal, p.item_id, InboxState.READ)

    @commands.command(
        "notifier.mark_all_read", Payload, summary="Mark every unread message of the caller read"
    )
    async def mark_all_read(call: Call, p: Payload) -> dict[str, Any]:
        return await call.app[NOTIFIER].mark(call.principal, None, InboxState.READ)

    @commands.command("notifier.archive", InboxRef, summary="Archive one of the caller's messages")
    async def archive(call: Call, p: InboxRef) -> dict[str, Any]:
        return await call.app[NOTIFIER].mark(call.principal, p.item_id, InboxState.ARCHIVED)


# -- back office: kinds, templates, rules, contacts -------------------------------------------


def _kinds_and_templates(rest: RestApi) -> None:
    @rest.route(
        "GET",
        "/notifier/kinds",
        response=list[KindSpec],
        tag="notifier",
        summary="Kinds of message, with their sample data",
    )
    async def kinds(req: Request[NoBody, NoBody]) -> list[KindSpec]:
        return await req.app[NOTIFIER].kinds()

    @rest.route(
        "PUT",
        "/notifier/kinds/{kind}",
        body=required(KindSpec),
        response=KindSpec,
        tag="notifier",
        summary="Create or change a kind of message",
    )
    async def save_kind(req: Request[BaseModel, NoBody]) -> KindSpec:
        kind = KindSpec.model_validate(req.body.model_dump())
        if kind.id != req.path("kind"):
            raise InvalidPayload("路径与请求体中的类型不一致")
        return await req.app[NOTIFIER].save_kind(kind)

    @rest.route(
        "GET",
        "/notifier/templates",
        response=list[Template],
        tag="notifier",
        summary="The newest version of every template",
    )
    async def templates(req: Request[NoBody, NoBody]) -> list[Template]:
        return await req.app[NOTIFIER].templates()

    @rest.route(
        "GET",
        "/notifier/templates/{kind}/{channel}/{locale}",
        params=TemplatePath,
        response=list[Template],
        tag="notifier",
        summary="Every version of one template, newest first",
    )
    async def versions(req: Request[NoBody, NoBody]) -> list[Template]:
        path: TemplatePath = req.params
        return await req.app[NOTIFIER].template_versions(path.kind, path.channel, path.locale)

    @rest.route(
        "POST",
        "/notifier/templates",
        body=TemplateIn,
        status=201,
        response=Template,
        tag="notifier",
        summary="Save a new version of a template (checked against the events of its kind's "
        "rules and with the kind's sample)",
    )
    async def save_template(req: Request[TemplateIn, NoBody]) -> Template:
        who = req.require_principal()
        return await req.app[NOTIFIER].save_template(req.body, who.sub, who.name)

    @rest.route(
        "POST",
        "/notifier/templates/preview",
        body=PreviewIn,
        tag="notifier",
        summary="Render a template with sample (or given) data",
    )
    async def preview(req: Request[PreviewIn, NoBody]) -> dict[str, Any]:
        template = TemplateIn.model_validate(req.body.model_dump(exclude={"data"}))
        return await req.app[NOTIFIER].preview(template, req.body.data)


def _rules_and_contacts(rest: RestApi) -> None:
    @rest.route(
        "GET",
        "/notifier/rules",
        response=list[Rule],
        tag="notifier",
        summary="Which event makes which message for whom, on which channels",
    )
    async def rules(req: Request[NoBody, NoBody]) -> list[Rule]:
        return await req.app[NOTIFIER].rules()

    @rest.route(
        "PUT",
        "/notifier/rules/{rule_id}",
        body=required(Rule),
        response=Rule,
        tag="notifier",
        summary="Create or change a rule",
    )
    async def save_rule(req: Request[BaseModel, NoBody]) -> Rule:
        rule = Rule.model_validate(req.body.model_dump())
        if rule.id != req.path("rule_id"):
            raise InvalidPayload("路径与请求体中的规则编号不一致")
        return await req.app[NOTIFIER].save_rule(rule)

    @rest.route("DELETE", "/notifier/rules/{rule_id}", tag="notifier", summary="Remove a rule")
    async def delete_rule(req: Request[NoBody, NoBody]) -> dict[str, str]:
        await req.app[NOTIFIER].delete_rule(req.path("rule_id"))
        return {"rule_id": req.path("rule_id")}

    @rest.route(
        "GET",
        "/notifier/contacts",
        query=ContactQuery,
        tag="notifier",
        summary="Find contacts by name, some digits of the phone number, or recipient id",
    )
    async def find_contacts(req: Request[NoBody, ContactQuery]) -> dict[str, Any]:
        found = await req.app[NOTIFIER].find_contacts(req.query.q, req.query.limit)
        return {"contacts": [c.model_dump(by_alias=False, mode="json") for c in found]}

    @rest.route(
        "GET",
        "/notifier/contacts/{recipient}",
        response=Contact,
        tag="notifier",
        summary="A recipient's contact details and preferences",
    )
    async def contact(req: Request[NoBody, NoBody]) -> Contact:
        return await req.app[NOTIFIER].contact(_recipient(req.path("recipient")))

    @rest.route(
        "PUT",
        "/notifier/contacts/{recipient}",
        body=ContactIn,
        response=Contact,
        tag="notifier",
        summary="Create or change how to reach a recipient",
    )
    async def save_contact(req: Request[ContactIn, NoBody]) -> Contact:
        recipient = _recipient(req.path("recipient"))
        return await req.app[NOTIFIER].update_contact(recipient, req.body)


_RECIPIENT = TypeAdapter(RecipientId)


def _recipient(value: str) -> str:
    try:
        return _RECIPIENT.validate_python(value)
    except ValidationError:
        raise InvalidPayload(
            "收件人应为 citizen:<编号> 或 user:<账号>", recipient=value[:140]
        ) from None


async def _twilio_status(request: web.Request) -> web.Response:
    """Twilio's status callback: signed with the account's auth token over our public URL."""
    from twilio.request_validator import RequestValidator

    settings = request.app[keys.SETTINGS]
    form = dict(await request.post())
    params = {k: str(v) for k, v in form.items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    url = settings.base_url + STATUS_PATH
    tokens = [p.auth_token.get_secret_value() for p in settings.notifier.sms if p.type == "twilio"]
    if not any(RequestValidator(token).validate(url, params, signature) for token in tokens):
        return problem(SignatureInvalid(), "")
    sid = params.get("MessageSid", "")
    status = params.get("MessageStatus", "")
    if sid and status:
        await request.app[NOTIFIER].receipt(sid, status)
    return web.Response(status=204)


def build_service(
    settings: Settings, store: NotifierStore, bus: Any, channels: list[Channel] | None = None
) -> NotifierService:
    # Twilio calls back our public URL; without one set, it could not reach us anyway.
    status_callback = settings.base_url + STATUS_PATH if settings.public_url else None
    return NotifierService(
        store,
        bus,
        settings.notifier,
        sms=sms_providers(settings.notifier.sms, status_callback),
        email=email_providers(settings.notifier.email),
        channels=channels,
    )


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    service = build_service(settings, NotifierStore(app[keys.DB]), app[keys.BUS])
    await service.start(DEFAULTS)
    app[NOTIFIER] = service
    app[keys.BUS].listen(service.on_event)
    stop = asyncio.Event()
    workers = (
        asyncio.create_task(service.run_workers(stop), name="notifier-workers")
        if settings.notifier.worker
        else None
    )
    yield
    stop.set()
    if workers is not None:
        with contextlib.suppress(asyncio.CancelledError):
            await workers
    await service.close()

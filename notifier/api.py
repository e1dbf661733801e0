"""The message center's adapters: REST, Socket.IO commands, Twilio's status callback, and the
service's lifetime (defaults loaded, providers made, the bus listened to, workers run)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from hub import keys
from hub.errors import BadRequest, InvalidPayload
from hub.gateway.commands import Call, Payload
from hub.inputs import Instant, Skip
from hub.logs import get_logger
from hub.rest import NoBody, Request, problem, required
from hub.settings import ROOT, Settings
from notifier import access, domain
from notifier.channels import email_providers, sms_providers
from notifier.errors import SignatureInvalid, UnknownRecipient
from notifier.models import (
    Audience,
    Channel,
    Contact,
    ContactIn,
    Delivery,
    DeliveryState,
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


class SearchQuery(BaseModel):
    recipient: str | None = Field(None, max_length=140)
    kind: str | None = Field(None, max_length=48)
    channel: Channel | None = None
    state: DeliveryState | None = None
    since: Instant | None = None
    until: Instant | None = None
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


class PreviewIn(TemplateIn):
    data: dict[str, Any] | None = None


def install(app: web.Application) -> None:
    app[keys.ACCESS].add("notifier", access.TABLE)
    _install_sending(app)
    _install_inbox(app)
    _install_back_office(app)
    app.router.add_post(STATUS_PATH, _twilio_status)
    app.cleanup_ctx.append(_service)


def _install_sending(app: web.Application) -> None:
    rest = app[keys.REST]

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
        query=SearchQuery,
        tag="notifier",
        summary="Search deliveries by recipient, kind, channel, state and time",
    )
    async def search(req: Request[NoBody, SearchQuery]) -> dict[str, Any]:
        q = req.query
        query: dict[str, Any] = {}
        for field in ("recipient", "kind"):
            if getattr(q, field):
                query[field] = getattr(q, field)
        if q.channel:
            query["channel"] = q.channel.value
        if q.state:
            query["state"] = q.state.value
        if q.since or q.until:
            query["created_at"] = {
                **({"$gte": q.since} if q.since else {}),
                **({"$lt": q.until} if q.until else {}),
            }
        found = await req.app[NOTIFIER].store.search(query, q.limit, q.skip)
        return {"deliveries": [d.model_dump(by_alias=False, mode="json") for d in found]}

    @rest.route(
        "GET",
        "/notifier/messages/{message_id}",
        tag="notifier",
        summary="A message and the timeline of its deliveries",
    )
    async def timeline(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[NOTIFIER].timeline(req.path("message_id"))

    @rest.route(
        "POST",
        "/notifier/deliveries/{delivery_id}/resend",
        response=Delivery,
        tag="notifier",
        summary="Send a delivery again",
    )
    async def resend(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        copy = await req.app[NOTIFIER].resend(req.path("delivery_id"))
        return copy.model_dump(by_alias=False, mode="json")

    @rest.route(
        "GET",
        "/notifier/dead-letters",
        query=SearchQuery,
        tag="notifier",
        summary="Deliveries given up on",
    )
    async def dead_letters(req: Request[NoBody, SearchQuery]) -> dict[str, Any]:
        found = await req.app[NOTIFIER].store.search(
            {"state": DeliveryState.FAILED.value}, req.query.limit, req.query.skip
        )
        return {"deliveries": [d.model_dump(by_alias=False, mode="json") for d in found]}

    @rest.route(
        "GET",
        "/notifier/stats",
        query=SinceQuery,
        tag="notifier",
        summary="Deliveries by channel and state, and each channel's success rate",
    )
    async def stats(req: Request[NoBody, SinceQuery]) -> dict[str, Any]:
        return await req.app[NOTIFIER].success_rates(timedelta(days=req.query.days))


def _install_inbox(app: web.Application) -> None:
    rest = app[keys.REST]
    commands = app[keys.COMMANDS]

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

    for state, path, summary in (
        (InboxState.READ, "read", "Mark a message read"),
        (InboxState.ARCHIVED, "archive", "Archive a message"),
        (InboxState.UNREAD, "unread", "Mark a message unread"),
    ):

        def make(state: InboxState = state) -> Any:
            async def mark(req: Request[NoBody, NoBody]) -> dict[str, Any]:
                return await req.app[NOTIFIER].mark(
                    req.require_principal(), req.path("item_id"), state
                )

            mark.__name__ = f"inbox_{state.value}"
            return mark

        rest.route(
            "POST",
            f"/notifier/inbox/{{item_id}}/{path}",
            tag="inbox",
            summary=summary,
        )(make())

    @rest.route(
        "POST",
        "/notifier/inbox/read-all",
        tag="inbox",
        summary="Mark every unread message read",
    )
    async def read_all(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[NOTIFIER].mark(req.require_principal(), None, InboxState.READ)

    @commands.command(
        "notifier.list",
        InboxListIn,
        summary="The caller's in-app messages, newest first, with counts",
    )
    async def list_inbox(call: Call, payload: InboxListIn) -> dict[str, Any]:
        return await call.app[NOTIFIER].inbox(
            call.principal.key, payload.state, payload.limit, payload.before
        )

    @commands.command(
        "notifier.mark_read",
        InboxRef,
        summary="Mark one of the caller's messages read",
    )
    async def mark_read(call: Call, payload: InboxRef) -> dict[str, Any]:
        return await call.app[NOTIFIER].mark(call.principal, payload.item_id, InboxState.READ)

    @commands.command(
        "notifier.mark_all_read",
        Payload,
        summary="Mark every unread message of the caller read",
    )
    async def mark_all_read(call: Call, payload: Payload) -> dict[str, Any]:
        return await call.app[NOTIFIER].mark(call.principal, None, InboxState.READ)

    @commands.command(
        "notifier.archive",
        InboxRef,
        summary="Archive one of the caller's messages",
    )
    async def archive(call: Call, payload: InboxRef) -> dict[str, Any]:
        return await call.app[NOTIFIER].mark(call.principal, payload.item_id, InboxState.ARCHIVED)

    @rest.route(
        "GET",
        "/notifier/preferences",
        tag="inbox",
        summary="The caller's opt-outs and quiet hours",
    )
    async def preferences(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        recipient = req.require_principal().key
        store = req.app[NOTIFIER].store
        contact = await store.contact(recipient) or Contact(id=recipient)
        audience = Audience.CITIZEN if recipient.startswith("citizen:") else Audience.STAFF
        return {
            "opted_out": contact.opted_out,
            "quiet_hours": contact.quiet_hours,
            "kinds": [
                k.model_dump(by_alias=False)
                for k in await store.kinds()
                if k.audience in (audience, Audience.ALL)
            ],
        }

    @rest.route(
        "PUT",
        "/notifier/preferences",
        body=PreferencesIn,
        tag="inbox",
        summary="Change the caller's opt-outs and quiet hours",
    )
    async def set_preferences(req: Request[PreferencesIn, NoBody]) -> dict[str, Any]:
        recipient = req.require_principal().key
        store = req.app[NOTIFIER].store
        contact = await store.contact(recipient) or Contact(id=recipient)
        updated = contact.model_copy(
            update={"opted_out": req.body.opted_out, "quiet_hours": req.body.quiet_hours}
        )
        await store.save_contact(updated)
        return {"opted_out": updated.opted_out, "quiet_hours": updated.quiet_hours}


def _install_back_office(app: web.Application) -> None:
    rest = app[keys.REST]

    @rest.route(
        "GET",
        "/notifier/kinds",
        response=list[KindSpec],
        tag="notifier",
        summary="Kinds of message, with their sample data",
    )
    async def kinds(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        return [k.model_dump(by_alias=False) for k in await req.app[NOTIFIER].store.kinds()]

    @rest.route(
        "PUT",
        "/notifier/kinds/{kind}",
        body=required(KindSpec),
        response=KindSpec,
        tag="notifier",
        summary="Create or change a kind of message",
    )
    async def save_kind(req: Request[BaseModel, NoBody]) -> dict[str, Any]:
        kind = KindSpec.model_validate(req.body.model_dump())
        if kind.id != req.path("kind"):
            raise InvalidPayload("路径与请求体中的类型不一致")
        await req.app[NOTIFIER].store.save_kind(kind)
        return kind.model_dump(by_alias=False)

    @rest.route(
        "GET",
        "/notifier/templates",
        response=list[Template],
        tag="notifier",
        summary="The newest version of every template",
    )
    async def templates(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        found = await req.app[NOTIFIER].store.templates()
        return [t.model_dump(by_alias=False, mode="json") for t in found]

    @rest.route(
        "GET",
        "/notifier/templates/{kind}/{channel}/{locale}",
        params=TemplatePath,
        response=list[Template],
        tag="notifier",
        summary="Every version of one template, newest first",
    )
    async def versions(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        path: TemplatePath = req.params
        found = await req.app[NOTIFIER].store.template_versions(
            path.kind, path.channel, path.locale
        )
        return [t.model_dump(by_alias=False, mode="json") for t in found]

    @rest.route(
        "POST",
        "/notifier/templates",
        body=TemplateIn,
        status=201,
        response=Template,
        tag="notifier",
        summary="Save a new version of a template (checked with the kind's sample)",
    )
    async def save_template(req: Request[TemplateIn, NoBody]) -> dict[str, Any]:
        saved = await req.app[NOTIFIER].save_template(req.body, req.require_principal().sub)
        return saved.model_dump(by_alias=False, mode="json")

    @rest.route(
        "POST",
        "/notifier/templates/preview",
        body=PreviewIn,
        tag="notifier",
        summary="Render a template with sample (or given) data",
    )
    async def preview(req: Request[PreviewIn, NoBody]) -> dict[str, Any]:
        body = req.body
        template = TemplateIn(
            kind=body.kind,
            channel=body.channel,
            locale=body.locale,
            subject=body.subject,
            text=body.text,
            html=body.html,
        )
        return await req.app[NOTIFIER].preview(template, body.data)

    @rest.route(
        "GET",
        "/notifier/rules",
        response=list[Rule],
        tag="notifier",
        summary="Which event makes which message for whom, on which channels",
    )
    async def rules(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        return [
            r.model_dump(by_alias=False, mode="json") for r in await req.app[NOTIFIER].store.rules()
        ]

    @rest.route(
        "PUT",
        "/notifier/rules/{rule_id}",
        body=required(Rule),
        response=Rule,
        tag="notifier",
        summary="Create or change a rule",
    )
    async def save_rule(req: Request[BaseModel, NoBody]) -> dict[str, Any]:
        rule = Rule.model_validate(req.body.model_dump())
        if rule.id != req.path("rule_id"):
            raise InvalidPayload("路径与请求体中的规则编号不一致")
        saved = await req.app[NOTIFIER].save_rule(rule)
        return saved.model_dump(by_alias=False, mode="json")

    @rest.route(
        "DELETE",
        "/notifier/rules/{rule_id}",
        tag="notifier",
        summary="Remove a rule",
    )
    async def delete_rule(req: Request[NoBody, NoBody]) -> dict[str, str]:
        await req.app[NOTIFIER].delete_rule(req.path("rule_id"))
        return {"rule_id": req.path("rule_id")}

    @rest.route(
        "GET",
        "/notifier/contacts/{recipient}",
        response=Contact,
        tag="notifier",
        summary="A recipient's contact details and preferences",
    )
    async def contact(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        found = await req.app[NOTIFIER].store.contact(_recipient(req.path("recipient")))
        if found is None:
            raise UnknownRecipient(recipient=req.path("recipient"))
        return found.model_dump(by_alias=False, mode="json")

    @rest.route(
        "PUT",
        "/notifier/contacts/{recipient}",
        body=ContactIn,
        response=Contact,
        tag="notifier",
        summary="Create or change how to reach a recipient",
    )
    async def save_contact(req: Request[ContactIn, NoBody]) -> dict[str, Any]:
        store = req.app[NOTIFIER].store
        recipient = _recipient(req.path("recipient"))
        current = await store.contact(recipient)
        updated = Contact.model_validate(
            {
                **(current.model_dump(by_alias=True) if current else {"_id": recipient}),
                **req.body.model_dump(),
            }
        )
        updated = updated.model_copy(
            update={
                "phone": domain.normalise_phone(updated.phone) if updated.phone else "",
                "email": domain.check_email(updated.email) if updated.email else "",
            }
        )
        await store.save_contact(updated)
        return updated.model_dump(by_alias=False, mode="json")


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


async def load_defaults(store: NotifierStore, path: Path = DEFAULTS) -> None:
    """The starting kinds, templates and rules, when there are none yet."""
    if await store.kinds():
        return
    raw = yaml.safe_load(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    for kind in raw.get("kinds", []):
        await store.save_kind(KindSpec.model_validate(kind))
    now = datetime.now(UTC)
    for t in raw.get("templates", []):
        locale = t.get("locale", "zh-CN")
        await store.add_template(
            Template.model_validate(
                {
                    **t,
                    "_id": f"{t['kind']}/{t['channel']}/{locale}/v1",
                    "locale": locale,
                    "version": 1,
                    "created_at": now,
                    "created_by": "defaults",
                }
            )
        )
    for rule in raw.get("rules", []):
        await store.save_rule(Rule.model_validate(rule))


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
    store = NotifierStore(app[keys.DB])
    await store.ensure_indexes()
    await load_defaults(store)
    service = build_service(settings, store, app[keys.BUS])
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

"""The message center's orchestration: plan messages, write the outbox, work it, take receipts.

Every delivery is written before anything is sent. Workers (in the hub and in `hallhub
worker` processes, on any node) claim due deliveries with a lease; a worker that dies lets its
lease run out and another takes over. Before each send the attempt is written; a delivery
found with an attempt of unknown outcome (the worker died between sending and recording) asks
the provider whether it went out before sending again, so a crash sends nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from hub.auth import Principal
from hub.events import Envelope, EventBus
from hub.logs import get_logger
from hub.settings import NotifierSettings
from notifier import access, domain, events
from notifier.channels import Provider
from notifier.errors import (
    ChannelNotConfigured,
    DeliveryNotFound,
    IdempotencyConflict,
    InboxItemNotFound,
    InvalidAddress,
    MessageNotFound,
    TemplateError,
    TemplateMissing,
    UnknownKind,
    UnknownRecipient,
)
from notifier.models import (
    FINAL_STATES,
    Attempt,
    Channel,
    Contact,
    Delivery,
    DeliveryState,
    InboxItem,
    InboxState,
    KindSpec,
    Message,
    Outcome,
    Rule,
    SendIn,
    Template,
    TemplateIn,
)
from notifier.store import NotifierStore

log = get_logger("notifier")

Clock = Callable[[], datetime]
# Templates looked up within one call, by (kind, channel, locale): None when there is none.
Templates = dict[tuple[str, Channel, str], Template | None]
RULES_SECONDS = 5.0
IDLE_POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 20.0  # a send's own timeout is 15 s
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _suppressed(delivery: Delivery, reason: str, now: datetime) -> Delivery:
    """A delivery that is written but never sent, and why."""
    return delivery.model_copy(
        update={"state": DeliveryState.SUPPRESSED, "final_at": now, "reason": reason}
    )


class NotifierService:
    def __init__(
        self,
        store: NotifierStore,
        bus: EventBus,
        settings: NotifierSettings,
        *,
        sms: Sequence[Provider] = (),
        email: Sequence[Provider] = (),
        clock: Clock = utc_now,
        rng: random.Random | None = None,
        channels: Sequence[Channel] | None = None,
    ) -> None:
        self._store = store
        self._channels = list(channels) if channels is not None else None
        self._bus = bus
        self._settings = settings
        self._providers: dict[Channel, list[Provider]] = {
            Channel.SMS: list(sms),
            Channel.EMAIL: list(email),
        }
        self._now = clock
        self._rng = rng or random.Random()
        self._rules: tuple[float, list[Rule]] = (0.0, [])
        self._wake = asyncio.Event()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    @property
    def store(self) -> NotifierStore:
        return self._store

    # -- planning ---------------------------------------------------------------------------

    async def send(self, request: SendIn, *, idempotency_key: str | None) -> dict[str, Any]:
        """`POST /api/v1/notifier/messages`: every recipient and channel is checked first; an
        error queues nothing. A repeated idempotency key answers what the first request did."""
        fingerprint = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
        if idempotency_key:
            earlier = await self._store.request(idempotency_key)
            if earlier is not None:
                if earlier["fingerprint"] != fingerprint:
                    raise IdempotencyConflict()
                answer: dict[str, Any] = earlier["answer"]
                return answer
        kind = await self._kind(request.kind)
        now = self._now()
        source = f"api:{idempotency_key or secrets.token_hex(8)}"
        contacts = await self._store.contacts(request.recipients)
        templates: Templates = {}
        planned: list[tuple[Message, list[Delivery]]] = []
        for recipient in request.recipients:
            contact = contacts.get(recipient)
            if contact is None:
                raise UnknownRecipient(f"收件人不存在：{recipient}", recipient=recipient)
            planned.append(
                await self._plan(
                    kind,
                    contact,
                    request.data,
                    request.channels,
                    source=source,
                    send_at=request.send_at or now,
                    fallback=request.fallback,
                    strict=True,
                    templates=templates,
                )
            )
        messages = [await self._write(message, deliveries) for message, deliveries in planned]
        answer = {"messages": [{"message_id": m.id, "recipient": m.recipient} for m in messages]}
        if idempotency_key and not await self._store.save_request(
            idempotency_key, fingerprint, answer, now
        ):
            earlier = await self._store.request(idempotency_key)  # a twin request won the race
            if earlier is not None:
                return dict(earlier["answer"])
        return answer

    async def on_event(self, envelope: Envelope) -> None:
        """The bus tells every event: the rules for its type make messages. Idempotent: a
        delivery's key is the event, the channel and the recipient."""
        rules = domain.matching(await self.rules(), envelope.type)
        if not rules:
            return
        data = {**envelope.data, "topic": envelope.topic}
        templates: Templates = {}
        for rule in rules:
            kind = await self._store.kind(rule.kind)
            if kind is None:
                log.warning("rule_kind_missing", rule=rule.id, kind=rule.kind)
                continue
            channels = [c for c in rule.channels if c not in rule.when or data.get(rule.when[c])]
            for recipient, stored in await self._recipients(rule, data):
                # Made even with no channel left: a malformed id fails the event as it did.
                contact = stored or Contact(id=recipient)
                if not channels:
                    continue
                try:
                    message, plans = await self._plan(
                        kind,
                        contact,
                        data,
                        channels,
                        source=f"event:{envelope.event_id}:{rule.id}",
                        send_at=self._now() + timedelta(minutes=rule.delay_minutes),
                        fallback=rule.fallback,
                        digest_minutes=rule.digest_minutes,
                        rule_id=rule.id,
                        strict=False,
                        templates=templates,
                    )
                except (TemplateError, ValidationError) as exc:
                    log.error("rule_message_failed", rule=rule.id, error=str(exc)[:200])
                    continue
                await self._write(message, plans)

    async def remember_phone(self, recipient: str, phone: str) -> None:
        """Another domain learnt a recipient's mobile (a booking's real-name phone): kept as
        their SMS address, their preferences untouched."""
        phone = domain.normalise_phone(phone)
        contact = await self._store.contact(recipient) or Contact(id=recipient)
        if contact.phone != phone:
            await self._store.save_contact(contact.model_copy(update={"phone": phone}))

    async def _recipients(
        self, rule: Rule, data: dict[str, Any]
    ) -> list[tuple[str, Contact | None]]:
        """The rule's recipients, each once, in order, with their stored contact if any: a
        group's members as loaded, the others read in one query."""
        found: list[str] = []
        known: dict[str, Contact] = {}
        for recipient in domain.recipients_of(rule, data):
            if recipient.startswith("group:"):
                members = await self._store.group(recipient.removeprefix("group:"))
                known.update((c.id, c) for c in members)
                found += [c.id for c in members]
            elif recipient.startswith(("citizen:", "user:")):
                found.append(recipient)
        ids = list(dict.fromkeys(found))
        known.update(await self._store.contacts([i for i in ids if i not in known]))
        return [(recipient, known.get(recipient)) for recipient in ids]

    async def _plan(
        self,
        kind: KindSpec,
        contact: Contact,
        data: dict[str, Any],
        channels: Sequence[Channel],
        *,
        source: str,
        send_at: datetime,
        fallback: dict[Channel, Channel],
        strict: bool,
        templates: Templates,
        digest_minutes: int = 0,
        rule_id: str = "",
    ) -> tuple[Message, list[Delivery]]:
        now = self._now()
        message = Message(
            id=secrets.token_hex(12),
            kind=kind.id,
            recipient=contact.id,
            data=data,
            locale=contact.locale,
            source=source,
            channels=list(channels),
            critical=kind.critical,
            created_at=now,
            send_at=send_at,
        )
        deliveries = [
            delivery
            for channel in dict.fromkeys(channels)
            if (
                delivery := await self._plan_channel(
                    message,
                    kind,
                    contact,
                    channel,
                    strict=strict,
                    fallback=fallback,
                    templates=templates,
                    digest_minutes=digest_minutes,
                    rule_id=rule_id,
                )
            )
            is not None
        ]
        return message, deliveries

    async def _plan_channel(
        self,
        message: Message,
        kind: KindSpec,
        contact: Contact,
        channel: Channel,
        *,
        strict: bool,
        fallback: dict[Channel, Channel],
        templates: Templates,
        digest_minutes: int = 0,
        rule_id: str = "",
        key: str | None = None,
        fallback_of: str = "",
    ) -> Delivery | None:
        """The delivery of a message on a channel, not written yet: None when the channel has
        no template (an error when `strict`)."""
        now = self._now()
        wanted = (kind.id, channel, contact.locale)
        if wanted not in templates:
            templates[wanted] = await self._store.template(*wanted)
        template = templates[wanted]
        if template is None:
            if strict:
                raise TemplateMissing(
                    f"消息类型 {kind.id} 在 {channel.value} 渠道没有模板",
                    kind=kind.id,
                    channel=channel.value,
                )
            log.warning("template_missing", kind=kind.id, channel=channel.value)
            return None
        rendered = domain.render(template, message.data)
        delivery = Delivery(
            id=secrets.token_hex(12),
            key=key or domain.delivery_key(message.source, channel, contact.id),
            message_id=message.id,
            kind=kind.id,
            channel=channel,
            recipient=contact.id,
            critical=kind.critical,
            due_at=message.send_at,
            lease_until=_EPOCH,
            rendered=rendered,
            template_version=template.version,
            created_at=now,
            updated_at=now,
            fallback_of=fallback_of,
        )
        if channel is not Channel.IN_APP and not self._providers[channel]:
            if strict:
                raise ChannelNotConfigured(channel=channel.value)
            return _suppressed(delivery, ChannelNotConfigured.default_message, now)
        try:
            address = domain.address_of(contact, channel)
        except InvalidAddress as exc:
            if strict:
                raise
            return _suppressed(delivery, exc.message, now)
        delivery = delivery.model_copy(
            update={"address": address, "fallback": fallback.get(channel)}
        )
        if domain.opted_out(contact, kind.id, channel, kind.critical):
            return _suppressed(delivery, "收件人已退订此类消息", now)
        due = message.send_at
        if quiet := domain.quiet_until(max(due, now), contact, channel, kind.critical):
            due = quiet
        if channel is not Channel.IN_APP and not kind.critical:
            due = max(due, await self._rate_limited_until(contact.id, channel, now))
        if digest_minutes and rule_id:
            due = max(due, now + timedelta(minutes=digest_minutes))
            delivery = delivery.model_copy(
                update={"digest_key": f"{rule_id}|{contact.id}|{channel.value}"}
            )
        return delivery.model_copy(update={"due_at": due})

    async def _rate_limited_until(
        self, recipient: str, channel: Channel, now: datetime
    ) -> datetime:
        """Past the hourly limit, a message waits until the oldest of the hour is an hour old."""
        limit = self._settings.rate_limit_per_hour
        recent = await self._store.recent_count(recipient, channel, now - timedelta(hours=1))
        if len(recent) < limit:
            return now
        return recent[-limit] + timedelta(hours=1)

    async def _write(self, message: Message, deliveries: list[Delivery]) -> Message:
        await self._store.add_message(message)
        for delivery in deliveries:
            if await self._store.add_delivery(delivery) and delivery.due_at <= self._now():
                self._wake.set()
        return message

    # -- working the outbox -----------------------------------------------------------------

    async def run_workers(self, stop: asyncio.Event) -> None:
        """Work the outbox until `stop`: one loop claims due deliveries and hands each to a
        task, `worker_concurrency` at a time. Idle, it looks again when a delivery is written
        here or every IDLE_POLL_SECONDS (deliveries written by other nodes, retries due).
        On stop, sends under way are let finish: cut off, they would be in doubt."""
        slots = asyncio.Semaphore(self._settings.worker_concurrency)
        running: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                await slots.acquire()
                self._wake.clear()  # before the claim: a delivery written after it wakes us
                try:
                    delivery = await self._claim()
                except Exception:
                    log.exception("outbox_claim_failed")
                    delivery = None
                if delivery is None:
                    slots.release()
                    waking = asyncio.create_task(self._wake.wait())
                    await asyncio.wait(
                        {waking, stopping},
                        timeout=IDLE_POLL_SECONDS,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    waking.cancel()
                    continue
                task = asyncio.create_task(self._work(delivery))
                running.add(task)
                task.add_done_callback(running.discard)
                task.add_done_callback(lambda _: slots.release())
        finally:
            stopping.cancel()
            if running:
                _, late = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)

    async def work_once(self) -> bool:
        """Claim one due delivery and take it one step further. False when none was due."""
        delivery = await self._claim()
        if delivery is None:
            return False
        await self._work(delivery)
        return True

    async def _claim(self) -> Delivery | None:
        now = self._now()
        lease = now + timedelta(seconds=self._settings.lease_seconds)
        return await self._store.claim(self.owner, now, lease, self._channels)

    async def _work(self, delivery: Delivery) -> None:
        try:
            if delivery.channel is Channel.IN_APP:
                await self._deliver_in_app(delivery)
            else:
                await self._send(delivery)
        except Exception:
            # Its lease runs out and it is tried again (an unknown outcome is checked first).
            log.exception("delivery_failed", delivery=delivery.id)

    async def _deliver_in_app(self, delivery: Delivery) -> None:
        rendered = delivery.rendered
        assert rendered is not None
        now = self._now()
        item = InboxItem(
            id=delivery.id,
            recipient=delivery.recipient,
            message_id=delivery.message_id,
            kind=delivery.kind,
            title=rendered.subject or rendered.text[:30],
            body=rendered.text,
            created_at=delivery.created_at,
        )
        await self._store.add_inbox_item(item)  # idempotent: the delivery's id
        await self._bus.publish_untyped(
            delivery.recipient,
            events.MESSAGE_RECEIVED,
            {
                "item": item.model_dump(by_alias=False, mode="json"),
                "unread": (await self._store.inbox_counts(delivery.recipient)).get("unread", 0),
            },
            event_id=f"inbox:{delivery.id}",
        )
        await self._finish(delivery, DeliveryState.DELIVERED, now, provider="inbox")

    async def _send(self, delivery: Delivery) -> None:
        providers = self._providers[delivery.channel]
        now = self._now()
        if not providers:
            # Recorded as an attempt, so the timeline says why nothing went out.
            await self._finish(
                delivery.model_copy(
                    update={
                        "attempts": [
                            *delivery.attempts,
                            Attempt(
                                at=now,
                                provider="none",
                                outcome=Outcome.PERMANENT,
                                code="no_provider",
                                detail="未配置发送渠道",
                            ),
                        ]
                    }
                ),
                DeliveryState.FAILED,
                now,
                reason="未配置发送渠道",
            )
            return
        provider = providers[delivery.provider_index % len(providers)]
        if delivery.attempts and delivery.attempts[-1].outcome is None:
            # The last worker died between sending and recording: did it go out?
            started = delivery.attempts[-1]
            by = next((p for p in providers if p.name == started.provider), provider)
            try:
                sid = await by.find_sent(delivery, started.at - timedelta(minutes=1))
            except Exception:
                sid = None
                await self._release(delivery, now + timedelta(seconds=30))
                return
            if sid is not None:
                attempts = [
                    *delivery.attempts[:-1],
                    started.model_copy(
                        update={
                            "outcome": Outcome.SENT,
                            "provider_message_id": sid,
                            "detail": "发送后未及记录，已向服务商核实",
                        }
                    ),
                ]
                await self._finish(
                    delivery.model_copy(update={"attempts": attempts}),
                    DeliveryState.SENT,
                    now,
                    provider_message_id=sid,
                )
                return
            checked = started.model_copy(
                update={"outcome": Outcome.TEMPORARY, "detail": "未发出（已向服务商核实）"}
            )
            delivery = delivery.model_copy(update={"attempts": [*delivery.attempts[:-1], checked]})
        group = [delivery]
        if delivery.digest_key:
            group += await self._store.claim_digest(
                delivery.digest_key,
                self.owner,
                now,
                now + timedelta(seconds=self._settings.lease_seconds),
                delivery.id,
            )
        rendered = domain.digest([d.rendered for d in group if d.rendered is not None])
        started = Attempt(at=now, provider=provider.name)
        sending = await self._store.save(
            delivery.model_copy(
                update={
                    "attempts": [*delivery.attempts, started],
                    "rendered": rendered,
                    "updated_at": now,
                }
            )
        )
        if sending is None:
            return  # someone else has it (our lease ran out)
        result = await provider.send(sending)
        done_at = self._now()
        attempt = started.model_copy(
            update={
                "outcome": result.outcome,
                "code": result.code,
                "detail": result.detail,
                "provider_message_id": result.provider_message_id,
            }
        )
        sent = sending.model_copy(update={"attempts": [*sending.attempts[:-1], attempt]})
        step = domain.after_attempt(
            sent,
            result.outcome,
            len(self._providers[sent.channel]),
            self._settings.max_attempts,
            done_at,
            self._rng,
        )
        if step["state"] is DeliveryState.QUEUED:
            log.info("delivery_retry", delivery=sent.id, code=result.code)
            await self._store.save(
                sent.model_copy(
                    update={**step, "lease_until": step["due_at"], "updated_at": done_at}
                )
            )
            for sibling in group[1:]:
                await self._release(sibling, step["due_at"])
            return
        await self._finish(
            sent,
            step["state"],
            done_at,
            provider_message_id=result.provider_message_id,
            reason=step.get("reason", ""),
        )
        for sibling in group[1:]:
            await self._finish(
                sibling,
                step["state"],
                done_at,
                reason=f"合并发送：{sent.id}",
                provider_message_id=result.provider_message_id,
            )
        if result.outcome is Outcome.PERMANENT:
            await self._fall_back(sent)

    async def _finish(
        self,
        delivery: Delivery,
        state: DeliveryState,
        now: datetime,
        *,
        provider: str = "",
        provider_message_id: str = "",
        reason: str = "",
    ) -> None:
        update: dict[str, Any] = {
            "state": state,
            "updated_at": now,
            "lease_until": now,
            "reason": reason or delivery.reason,
        }
        if provider_message_id:
            update["provider_message_id"] = provider_message_id
        if state in FINAL_STATES:
            update["final_at"] = now
        if provider and not delivery.attempts:
            update["attempts"] = [Attempt(at=now, provider=provider, outcome=Outcome.SENT)]
        await self._store.save(delivery.model_copy(update=update))

    async def _release(self, delivery: Delivery, until: datetime) -> None:
        await self._store.save(delivery.model_copy(update={"lease_until": until}))

    async def _fall_back(self, failed: Delivery) -> None:
        """A permanent error on a channel hands the message to the rule's fallback channel."""
        target = failed.fallback
        message = await self._store.message(failed.message_id)
        if target is None or message is None:
            return
        kind = await self._store.kind(message.kind)
        contact = await self._store.contact(message.recipient) or Contact(id=message.recipient)
        if kind is None:
            return
        delivery = await self._plan_channel(
            message.model_copy(update={"send_at": self._now()}),
            kind,
            contact,
            target,
            strict=False,
            fallback={},
            templates={},
            key=f"{failed.key}|fallback",
            fallback_of=failed.id,
        )
        if delivery is not None:
            await self._write(message, [delivery])

    # -- receipts ---------------------------------------------------------------------------

    async def receipt(self, provider_message_id: str, status: str) -> bool:
        """A provider's status callback. Moves forward only; a repeat changes nothing."""
        delivery = await self._store.by_provider_id(provider_message_id)
        if delivery is None:
            return False
        new = domain.after_receipt(delivery.state, status)
        if new is None:
            return True
        now = self._now()
        update: dict[str, Any] = {"state": new, "receipt": status, "updated_at": now}
        if new in FINAL_STATES:
            update["final_at"] = now
            if new is DeliveryState.FAILED:
                update["reason"] = f"服务商回执：{status}"
        for _ in range(3):
            if await self._store.save(delivery.model_copy(update=update)) is not None:
                return True
            fresh = await self._store.delivery(delivery.id)
            if fresh is None or domain.after_receipt(fresh.state, status) is None:
                return True
            delivery = fresh
        return True

    # -- inbox ------------------------------------------------------------------------------

    async def inbox(
        self, recipient: str, state: InboxState | None, limit: int, before: datetime | None
    ) -> dict[str, Any]:
        items = await self._store.inbox(recipient, state, limit, before)
        return {
            "items": [i.model_dump(by_alias=False, mode="json") for i in items],
            "counts": await self._counts(recipient),
        }

    async def _counts(self, recipient: str) -> dict[str, int]:
        counts = await self._store.inbox_counts(recipient)
        return {state.value: counts.get(state.value, 0) for state in InboxState}

    async def mark(
        self, principal: Principal, item_id: str | None, state: InboxState
    ) -> dict[str, Any]:
        """Set one of the caller's messages (or, with no item, every unread one) to a state."""
        recipient = principal.key
        if item_id is not None:
            item = await self._store.inbox_item(item_id)
            if item is None:
                raise InboxItemNotFound(item_id=item_id)
            access.INBOX_ITEM.require(principal, access.of_item(item))
        changed = await self._store.set_inbox_state(recipient, item_id, state, self._now())
        counts = await self._counts(recipient)
        await self._bus.publish_untyped(
            recipient,
            events.INBOX_CHANGED,
            {"counts": counts, "item_id": item_id, "state": state.value},
        )
        return {"changed": changed, "counts": counts}

    # -- back office ------------------------------------------------------------------------

    async def rules(self) -> list[Rule]:
        expires, rules = self._rules
        if expires < time.monotonic():
            rules = await self._store.rules()
            self._rules = (time.monotonic() + RULES_SECONDS, rules)
        return rules

    async def save_rule(self, rule: Rule) -> Rule:
        if await self._store.kind(rule.kind) is None:
            raise UnknownKind(kind=rule.kind)
        await self._store.save_rule(rule)
        self._rules = (0.0, [])
        return rule

    async def delete_rule(self, rule_id: str) -> None:
        await self._store.delete_rule(rule_id)
        self._rules = (0.0, [])

    async def preview(
        self, template: TemplateIn, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        kind = await self._kind(template.kind)
        sample = data if data is not None else kind.sample
        parts = {"subject": template.subject, "text": template.text, "html": template.html}
        problems = domain.template_problems(template.channel, parts, sample)
        if problems:
            raise TemplateError("；".join(problems), problems=problems)
        rendered = domain.render(
            Template(
                id="preview",
                kind=template.kind,
                channel=template.channel,
                locale=template.locale,
                version=1,
                subject=template.subject,
                text=template.text,
                html=template.html,
                created_at=self._now(),
            ),
            sample,
        )
        return {"rendered": rendered.model_dump(), "data": sample}

    async def save_template(self, template: TemplateIn, by: str) -> Template:
        """A new version, checked against the kind's sample data first."""
        await self.preview(template)
        for _ in range(5):
            versions = await self._store.template_versions(
                template.kind, template.channel, template.locale
            )
            version = (versions[0].version if versions else 0) + 1
            saved = Template(
                id=f"{template.kind}/{template.channel.value}/{template.locale}/v{version}",
                kind=template.kind,
                channel=template.channel,
                locale=template.locale,
                version=version,
                subject=template.subject,
                text=template.text,
                html=template.html,
                created_at=self._now(),
                created_by=by,
            )
            if await self._store.add_template(saved):
                return saved
        raise TemplateError("模板正被他人同时修改，请重试")

    async def resend(self, delivery_id: str) -> Delivery:
        """Send a delivery again as a new delivery (the old one keeps its history)."""
        old = await self._store.delivery(delivery_id)
        if old is None:
            raise DeliveryNotFound(delivery_id=delivery_id)
        now = self._now()
        copy = old.model_copy(
            update={
                "id": secrets.token_hex(12),
                "key": f"{old.key}|resend:{secrets.token_hex(4)}",
                "state": DeliveryState.QUEUED,
                "due_at": now,
                "lease_until": _EPOCH,
                "lease_owner": "",
                "attempts": [],
                "provider_index": 0,
                "provider_message_id": "",
                "created_at": now,
                "updated_at": now,
                "final_at": None,
                "receipt": "",
                "reason": f"重发自 {old.id}",
                "version": 0,
                "digest_key": "",
            }
        )
        await self._store.add_delivery(copy)
        self._wake.set()
        return copy

    async def timeline(self, message_id: str) -> dict[str, Any]:
        message = await self._store.message(message_id)
        if message is None:
            raise MessageNotFound(message_id=message_id)
        deliveries = await self._store.of_message(message_id)
        return {
            "message": message.model_dump(by_alias=False, mode="json"),
            "deliveries": [d.model_dump(by_alias=False, mode="json") for d in deliveries],
        }

    async def success_rates(self, period: timedelta) -> dict[str, Any]:
        """Per channel over the last `period`: deliveries by state, and sent or delivered
        among those that reached an end (suppressed ones are not the channel's failure)."""
        since = self._now() - period
        table: dict[str, dict[str, int]] = {}
        for row in await self._store.states_by_channel(since):
            table.setdefault(row["channel"], {})[row["state"]] = row["n"]
        rates = []
        for channel, states in sorted(table.items()):
            done = sum(
                states.get(s.value, 0)
                for s in (DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.FAILED)
            )
            ok = states.get(DeliveryState.SENT.value, 0) + states.get(
                DeliveryState.DELIVERED.value, 0
            )
            rates.append(
                {
                    "channel": channel,
                    "states": states,
                    "success_rate": round(ok / done, 3) if done else None,
                }
            )
        return {"since": since, "channels": rates}

    async def _kind(self, kind: str) -> KindSpec:
        spec = await self._store.kind(kind)
        if spec is None:
            raise UnknownKind(f"未知的消息类型：{kind}", kind=kind)
        return spec

    async def close(self) -> None:
        for providers in self._providers.values():
            for provider in providers:
                with contextlib.suppress(Exception):
                    await provider.close()

"""Messages planned: a message to a recipient and its deliveries, one per channel, each with
its rendered text, address, and the time it may go (quiet hours, the hourly limit, a digest);
or suppressed, with the reason, when it must not go. Used by the API's sends, by rules, and by
a fallback to another channel."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from hub.errors import IdempotencyConflict
from hub.logs import get_logger
from notifier import domain
from notifier.errors import (
    ChannelNotConfigured,
    InvalidAddress,
    TemplateMissing,
    UnknownRecipient,
)
from notifier.models import (
    Channel,
    Contact,
    Delivery,
    DeliveryState,
    KindSpec,
    Message,
    SendIn,
)
from notifier.service.core import EPOCH, Core, Templates

log = get_logger("notifier")


def _suppressed(delivery: Delivery, reason: str, now: datetime) -> Delivery:
    """A delivery that is written but never sent, and why."""
    return delivery.model_copy(
        update={"state": DeliveryState.SUPPRESSED, "final_at": now, "reason": reason}
    )


class Planning:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

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
        kind = await self._core.kind(request.kind)
        now = self._core.now()
        source = f"api:{idempotency_key or secrets.token_hex(8)}"
        contacts = await self._store.contacts(request.recipients)
        templates: Templates = {}
        planned: list[tuple[Message, list[Delivery]]] = []
        for recipient in request.recipients:
            contact = contacts.get(recipient)
            if contact is None:
                raise UnknownRecipient(f"收件人不存在：{recipient}", recipient=recipient)
            planned.append(
                await self.plan(
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
        messages = [await self._core.write(message, deliveries) for message, deliveries in planned]
        answer = {"messages": [{"message_id": m.id, "recipient": m.recipient} for m in messages]}
        if idempotency_key and not await self._store.save_request(
            idempotency_key, fingerprint, answer, now
        ):
            earlier = await self._store.request(idempotency_key)  # a twin request won the race
            if earlier is not None:
                return dict(earlier["answer"])
        return answer

    async def plan(
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
        """A message and its deliveries, not written yet: the caller writes them."""
        message = Message(
            id=secrets.token_hex(12),
            kind=kind.id,
            recipient=contact.id,
            data=data,
            locale=contact.locale,
            source=source,
            channels=list(channels),
            critical=kind.critical,
            created_at=self._core.now(),
            send_at=send_at,
        )
        deliveries = [
            delivery
            for channel in dict.fromkeys(channels)
            if (
                delivery := await self.plan_channel(
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

    async def plan_channel(
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
        now = self._core.now()
        wanted = (kind.id, channel, contact.locale)
        if wanted not in templates:
            templates[wanted] = await self._core.config.template(*wanted)
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
        delivery = Delivery(
            id=secrets.token_hex(12),
            key=key or domain.delivery_key(message.source, channel, contact.id),
            message_id=message.id,
            kind=kind.id,
            channel=channel,
            recipient=contact.id,
            critical=kind.critical,
            due_at=message.send_at,
            lease_until=EPOCH,
            rendered=domain.render(template, message.data),
            template_version=template.version,
            created_at=now,
            updated_at=now,
            fallback_of=fallback_of,
        )
        if channel is not Channel.IN_APP and not self._core.providers[channel]:
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
        return await self._timed(delivery, contact, kind, now, digest_minutes, rule_id)

    async def _timed(
        self,
        delivery: Delivery,
        contact: Contact,
        kind: KindSpec,
        now: datetime,
        digest_minutes: int,
        rule_id: str,
    ) -> Delivery:
        """When the delivery may go: not in the recipient's quiet hours, not past the hourly
        limit, and with the others of its digest."""
        channel = delivery.channel
        due = delivery.due_at
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
        limit = self._core.settings.rate_limit_per_hour
        recent = await self._store.recent_count(recipient, channel, now - timedelta(hours=1))
        if len(recent) < limit:
            return now
        return recent[-limit] + timedelta(hours=1)

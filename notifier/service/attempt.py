"""Working the outbox, step two: an attempt with a provider. The attempt is written before
the send (so a worker that dies mid-send leaves it in doubt, for `recover` to check), then
its outcome: sent, retried later with the next provider (backoff with jitter), or failed for
good and handed to the rule's fallback channel. A digest's deliveries go out as one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub.logs import get_logger
from notifier import domain
from notifier.models import FINAL_STATES, Attempt, Contact, Delivery, DeliveryState, Outcome
from notifier.service.core import Core
from notifier.service.planning import Planning
from notifier.service.recover import RETRY_CHECK, Recovery

log = get_logger("notifier")


class Attempts:
    def __init__(self, core: Core, planning: Planning, recovery: Recovery) -> None:
        self._core = core
        self._store = core.store
        self._planning = planning
        self._recovery = recovery

    async def delivered_in_app(self, delivery: Delivery) -> None:
        await self._finish(delivery, DeliveryState.DELIVERED, self._core.now(), provider="inbox")

    async def send(self, delivery: Delivery) -> None:
        providers = self._core.providers[delivery.channel]
        now = self._core.now()
        if not providers:
            await self._no_provider(delivery, now)
            return
        provider = providers[delivery.provider_index % len(providers)]
        if delivery.attempts and delivery.attempts[-1].outcome is None:
            doubt = await self._recovery.check(delivery, providers, provider)
            if doubt.unknown:
                await self._release(delivery, now + RETRY_CHECK)
                return
            if doubt.sent is not None:
                await self._finish(
                    doubt.delivery, DeliveryState.SENT, now, provider_message_id=doubt.sent
                )
                return
            delivery = doubt.delivery
        group = [delivery]
        if delivery.digest_key:
            group += await self._store.claim_digest(
                delivery.digest_key,
                self._core.owner,
                now,
                now + timedelta(seconds=self._core.settings.lease_seconds),
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
        attempt = started.model_copy(
            update={
                "outcome": result.outcome,
                "code": result.code,
                "detail": result.detail,
                "provider_message_id": result.provider_message_id,
            }
        )
        sent = sending.model_copy(update={"attempts": [*sending.attempts[:-1], attempt]})
        await self._after(sent, group[1:], result.outcome, result.code, result.provider_message_id)

    async def _after(
        self,
        sent: Delivery,
        siblings: list[Delivery],
        outcome: Outcome,
        code: str,
        provider_message_id: str,
    ) -> None:
        """The attempt's outcome written: to the delivery and the rest of its digest."""
        done_at = self._core.now()
        step = domain.after_attempt(
            sent,
            outcome,
            len(self._core.providers[sent.channel]),
            self._core.settings.max_attempts,
            done_at,
            self._core.rng,
        )
        if step["state"] is DeliveryState.QUEUED:
            log.info("delivery_retry", delivery=sent.id, code=code)
            await self._store.save(
                sent.model_copy(
                    update={**step, "lease_until": step["due_at"], "updated_at": done_at}
                )
            )
            for sibling in siblings:
                await self._release(sibling, step["due_at"])
            return
        await self._finish(
            sent,
            step["state"],
            done_at,
            provider_message_id=provider_message_id,
            reason=step.get("reason", ""),
        )
        for sibling in siblings:
            await self._finish(
                sibling,
                step["state"],
                done_at,
                reason=f"合并发送：{sent.id}",
                provider_message_id=provider_message_id,
            )
        if outcome is Outcome.PERMANENT:
            await self._fall_back(sent)

    async def _no_provider(self, delivery: Delivery, now: datetime) -> None:
        """Recorded as an attempt, so the timeline says why nothing went out."""
        attempt = Attempt(
            at=now,
            provider="none",
            outcome=Outcome.PERMANENT,
            code="no_provider",
            detail="未配置发送渠道",
        )
        await self._finish(
            delivery.model_copy(update={"attempts": [*delivery.attempts, attempt]}),
            DeliveryState.FAILED,
            now,
            reason="未配置发送渠道",
        )

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
        kind = await self._core.config.kind(message.kind)
        contact = await self._store.contact(message.recipient) or Contact(id=message.recipient)
        if kind is None:
            return
        delivery = await self._planning.plan_channel(
            message.model_copy(update={"send_at": self._core.now()}),
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
            await self._core.write(message, [delivery])

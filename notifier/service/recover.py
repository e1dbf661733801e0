"""What became of a send, learnt from the provider: the attempt a worker left in doubt (it
died between sending and recording the outcome) is checked with the provider before anything
is sent again, so a crash sends nothing twice; and the providers' status callbacks
(receipts) move a delivery forward."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from notifier import domain
from notifier.channels import Provider
from notifier.models import FINAL_STATES, Delivery, DeliveryState, Outcome
from notifier.service.core import Core

DOUBT_MARGIN = timedelta(minutes=1)  # the provider's clock and ours
RETRY_CHECK = timedelta(seconds=30)  # the provider could not be asked: ask again then


@dataclass(frozen=True, slots=True)
class InDoubt:
    """What the provider said of the attempt in doubt: sent (`sent` is its id at the
    provider), not sent (`delivery` has that attempt settled as temporary: send it now), or
    `unknown` (the provider could not be asked)."""

    delivery: Delivery
    sent: str | None = None
    unknown: bool = False


class Recovery:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

    async def check(
        self, delivery: Delivery, providers: list[Provider], provider: Provider
    ) -> InDoubt:
        """The last attempt has no outcome: did it go out? Asked of the provider it went to."""
        started = delivery.attempts[-1]
        by = next((p for p in providers if p.name == started.provider), provider)
        try:
            sid = await by.find_sent(delivery, started.at - DOUBT_MARGIN)
        except Exception:
            return InDoubt(delivery, unknown=True)
        if sid is not None:
            confirmed = started.model_copy(
                update={
                    "outcome": Outcome.SENT,
                    "provider_message_id": sid,
                    "detail": "发送后未及记录，已向服务商核实",
                }
            )
            attempts = [*delivery.attempts[:-1], confirmed]
            return InDoubt(delivery.model_copy(update={"attempts": attempts}), sent=sid)
        checked = started.model_copy(
            update={"outcome": Outcome.TEMPORARY, "detail": "未发出（已向服务商核实）"}
        )
        attempts = [*delivery.attempts[:-1], checked]
        return InDoubt(delivery.model_copy(update={"attempts": attempts}))

    async def receipt(self, provider_message_id: str, status: str) -> bool:
        """A provider's status callback. Moves forward only; a repeat changes nothing."""
        delivery = await self._store.by_provider_id(provider_message_id)
        if delivery is None:
            return False
        new = domain.after_receipt(delivery.state, status)
        if new is None:
            return True
        now = self._core.now()
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

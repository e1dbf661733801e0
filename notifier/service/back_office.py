"""The back office's read models and tools: kinds, deliveries found and followed (a message's
timeline, dead letters, each channel's success rate), a delivery sent again, and the starting
kinds, templates and rules loaded when there are none."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from notifier.errors import DeliveryNotFound, MessageNotFound
from notifier.models import Delivery, DeliveryQuery, DeliveryState, KindSpec, Rule, Template
from notifier.service.core import EPOCH, Core


class BackOffice:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

    async def kinds(self) -> list[KindSpec]:
        return await self._store.kinds()

    async def save_kind(self, kind: KindSpec) -> KindSpec:
        await self._store.save_kind(kind)
        self._core.config.forget()
        return kind

    async def search(self, query: DeliveryQuery) -> list[Delivery]:
        return await self._store.search(query)

    async def timeline(self, message_id: str) -> dict[str, Any]:
        message = await self._store.message(message_id)
        if message is None:
            raise MessageNotFound(message_id=message_id)
        deliveries = await self._store.of_message(message_id)
        return {
            "message": message.model_dump(by_alias=False, mode="json"),
            "deliveries": [d.model_dump(by_alias=False, mode="json") for d in deliveries],
        }

    async def resend(self, delivery_id: str) -> Delivery:
        """Send a delivery again as a new delivery (the old one keeps its history)."""
        old = await self._store.delivery(delivery_id)
        if old is None:
            raise DeliveryNotFound(delivery_id=delivery_id)
        now = self._core.now()
        copy = old.model_copy(
            update={
                "id": secrets.token_hex(12),
                "key": f"{old.key}|resend:{secrets.token_hex(4)}",
                "state": DeliveryState.QUEUED,
                "due_at": now,
                "lease_until": EPOCH,
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
        self._core.written(copy)
        return copy

    async def success_rates(self, period: timedelta) -> dict[str, Any]:
        """Per channel over the last `period`: deliveries by state, and sent or delivered
        among those that reached an end (suppressed ones are not the channel's failure)."""
        since = self._core.now() - period
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

    async def load_defaults(self, path: Path) -> None:
        """The starting kinds, templates and rules, when there are none yet; and a kind a
        newer version brought (with its templates and rules) to a center that has others: the
        kinds, templates and rules the back office kept, changed or removed stay as they are."""
        store = self._store
        known = {kind.id for kind in await store.kinds()}
        raw = yaml.safe_load(await asyncio.to_thread(path.read_text, encoding="utf-8"))
        new = {kind["id"] for kind in raw.get("kinds", [])} - known
        if not new:
            return
        for kind in raw.get("kinds", []):
            if kind["id"] in new:
                await store.save_kind(KindSpec.model_validate(kind))
        now = datetime.now(UTC)
        for t in raw.get("templates", []):
            if t["kind"] not in new:
                continue
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
            if rule["kind"] in new:
                await store.save_rule(Rule.model_validate(rule))
        self._core.config.forget()

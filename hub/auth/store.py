"""Collection `auth_accounts`; nothing else touches it."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from hub.auth.domain import LoginState
from hub.auth.models import Account

Document = dict[str, Any]


class AccountStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._accounts = db["auth_accounts"]

    async def ensure_indexes(self) -> None:
        await self._accounts.create_index([("role", 1), ("hall_id", 1)])

    async def get(self, username: str) -> Account | None:
        doc = await self._accounts.find_one({"_id": username})
        return Account.model_validate(doc) if doc else None

    async def upsert(self, account: Account) -> None:
        doc = account.model_dump(by_alias=True)
        await self._accounts.replace_one({"_id": account.username}, doc, upsert=True)

    async def save_login_state(self, username: str, state: LoginState) -> None:
        await self._accounts.update_one(
            {"_id": username},
            {"$set": {"failed_logins": state.failed_logins, "locked_until": state.locked_until}},
        )

    async def list(self) -> list[Account]:
        return [Account.model_validate(d) async for d in self._accounts.find().sort("_id", 1)]

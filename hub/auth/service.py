"""Sign-in: load the account, decide, save, issue a token."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.auth import domain
from hub.auth.models import ACCOUNT_ROLES, Account, PrincipalOut, Role, TokenOut
from hub.auth.store import AccountStore
from hub.auth.tokens import TokenIssuer
from hub.errors import BadCredentials, Forbidden, InvalidPayload
from hub.logs import get_logger

log = get_logger("hub.auth")

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("hallhub-timing-equaliser")


class AccountLocked(Forbidden):
    code = "ACCOUNT_LOCKED"
    default_message = "登录失败次数过多，账号已临时锁定，请15分钟后再试"


class AuthService:
    def __init__(self, store: AccountStore, tokens: TokenIssuer) -> None:
        self._store = store
        self._tokens = tokens

    async def create_account(
        self,
        username: str,
        password: str,
        role: Role,
        *,
        name: str = "",
        hall_id: str | None = None,
    ) -> Account:
        if role not in ACCOUNT_ROLES:
            raise InvalidPayload(f"角色 {role} 不能用密码登录", field="role")
        if len(password) < 8:
            raise InvalidPayload("密码至少8位", field="password")
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        account = Account(
            username=username,
            password_hash=password_hash,
            role=role,
            name=name,
            hall_id=hall_id,
            created_at=datetime.now(UTC),
        )
        await self._store.upsert(account)
        return account

    async def login(self, username: str, password: str) -> TokenOut:
        now = datetime.now(UTC)
        account = await self._store.get(username)
        if account is None:
            await asyncio.to_thread(_verify, _DUMMY_HASH, password)
            raise BadCredentials()
        state = domain.LoginState(account.failed_logins, account.locked_until)
        if domain.is_locked(state, now):
            raise AccountLocked()
        if account.disabled or not await asyncio.to_thread(
            _verify, account.password_hash, password
        ):
            await self._store.save_login_state(username, domain.after_failure(state, now))
            log.info("login_failed", username=username)
            raise BadCredentials()
        await self._store.save_login_state(username, domain.after_success())
        token, exp = self._tokens.issue(
            account.username, account.role, hall=account.hall_id, name=account.name
        )
        log.info("login_ok", username=username, role=account.role.value)
        return TokenOut(
            token=token,
            expires_at=datetime.fromtimestamp(exp, UTC),
            principal=PrincipalOut(
                sub=account.username, role=account.role, hall=account.hall_id, name=account.name
            ),
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False

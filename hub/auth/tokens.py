"""Issue and verify HS256 JWTs. Pure: no I/O."""

from __future__ import annotations

import secrets
import time

import jwt

from hub.auth.models import Principal, Role
from hub.errors import InvalidPayload, TokenExpired, TokenInvalid

_ISSUER = "hallhub"
_LEEWAY_SECONDS = 10  # device clocks in halls drift


class TokenIssuer:
    def __init__(self, secret: str, default_ttl_seconds: int) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must be at least 32 characters")
        self._secret = secret
        self._ttl = default_ttl_seconds

    def issue(
        self,
        sub: str,
        role: Role,
        *,
        hall: str | None = None,
        name: str = "",
        ttl_seconds: int | None = None,
        now: float | None = None,
        ticket: str | None = None,
    ) -> tuple[str, int]:
        """Return (token, expiry as epoch seconds)."""
        if role is Role.DISPLAY and not hall:
            raise InvalidPayload("显示屏令牌必须绑定一个大厅", field="hall")
        if (role is Role.TICKET) != bool(ticket):
            raise InvalidPayload("号票令牌必须且只能绑定一张号票", field="ticket")
        if not sub:
            raise InvalidPayload("令牌必须有主体", field="sub")
        issued = int(now if now is not None else time.time())
        exp = issued + (ttl_seconds if ttl_seconds is not None else self._ttl)
        claims: dict[str, object] = {
            "iss": _ISSUER,
            "sub": sub,
            "role": role.value,
            "iat": issued,
            "exp": exp,
            "jti": secrets.token_hex(8),
        }
        if hall:
            claims["hall"] = hall
        if name:
            claims["name"] = name
        if ticket:
            claims["ticket"] = ticket
        return jwt.encode(claims, self._secret, algorithm="HS256"), exp

    def verify(self, token: object) -> Principal:
        if not isinstance(token, str) or not token:
            raise TokenInvalid("缺少令牌")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=_ISSUER,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.PyJWTError as exc:
            raise TokenInvalid(f"令牌无效：{exc}") from exc
        try:
            role = Role(str(claims.get("role")))
        except ValueError as exc:
            raise TokenInvalid("令牌角色无效") from exc
        hall = claims.get("hall")
        ticket = claims.get("ticket")
        if role is Role.DISPLAY and not isinstance(hall, str):
            raise TokenInvalid("显示屏令牌未绑定大厅")
        if isinstance(ticket, str) and ticket:
            # A ticket's token follows that ticket whatever role it names (tokens issued before
            # the TICKET role said "citizen"): it is never a citizen's account.
            role = Role.TICKET
        elif role is Role.TICKET:
            raise TokenInvalid("号票令牌未绑定号票")
        return Principal(
            sub=str(claims["sub"]),
            role=role,
            hall=hall if isinstance(hall, str) else None,
            name=str(claims.get("name", "")),
            exp=int(claims["exp"]),
            ticket=ticket if isinstance(ticket, str) else None,
        )

from __future__ import annotations

import time

import pytest

from hub.auth.models import Role
from hub.auth.tokens import TokenIssuer
from hub.errors import InvalidPayload, TokenExpired, TokenInvalid

SECRET = "s" * 40


def test_round_trip_keeps_role_hall_and_name() -> None:
    issuer = TokenIssuer(SECRET, 3600)
    token, exp = issuer.issue("screen-1", Role.DISPLAY, hall="xc-01", name="大屏")
    principal = issuer.verify(token)
    assert (principal.sub, principal.role, principal.hall, principal.name) == (
        "screen-1",
        Role.DISPLAY,
        "xc-01",
        "大屏",
    )
    assert principal.exp == exp


def test_expired_token_is_refused_after_the_leeway() -> None:
    issuer = TokenIssuer(SECRET, 60)
    token, _ = issuer.issue("c1", Role.CITIZEN, now=time.time() - 3600)
    with pytest.raises(TokenExpired):
        issuer.verify(token)
    fresh, _ = issuer.issue("c1", Role.CITIZEN, ttl_seconds=-5)  # within the 10 s leeway
    assert issuer.verify(fresh).sub == "c1"


@pytest.mark.parametrize("token", [None, "", 42, "a.b.c", "Bearer x"])
def test_malformed_tokens_are_invalid(token: object) -> None:
    with pytest.raises(TokenInvalid):
        TokenIssuer(SECRET, 60).verify(token)


def test_display_token_needs_a_hall() -> None:
    with pytest.raises(InvalidPayload):
        TokenIssuer(SECRET, 60).issue("screen", Role.DISPLAY)


def test_unknown_role_claim_is_invalid() -> None:
    import jwt

    forged = jwt.encode(
        {
            "iss": "hallhub",
            "sub": "x",
            "role": "root",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(TokenInvalid):
        TokenIssuer(SECRET, 60).verify(forged)


def test_alg_none_is_refused() -> None:
    import jwt

    unsigned = jwt.encode(
        {
            "iss": "hallhub",
            "sub": "x",
            "role": "admin",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        "",
        algorithm="none",
    )
    with pytest.raises(TokenInvalid):
        TokenIssuer(SECRET, 60).verify(unsigned)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        TokenIssuer("short", 60)

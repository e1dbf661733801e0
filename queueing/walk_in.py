"""Pure rules of 码上取号 without an account: a walk-in scans the hall's QR code and takes a
ticket, as the kiosk would print it, optionally after verifying their phone with a code sent by
SMS. No I/O; codes and times come in as arguments.

What stops one person or script from emptying a hall's numbers:
- the hall's own rules: daily caps and the per-person daily limit, the person being the phone
  (when verified) and the device (the page's random id);
- limits per network address (tickets, codes) and per phone (codes a day, one a minute), kept
  as counters of fixed windows: `window` names the counter, the store bumps it only while it
  is under the limit, so a refusal changes nothing;
- a code is valid a few minutes, for a few wrong tries, and is used up by the ticket it takes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.privacy import mask_phone
from queueing import domain, errors
from queueing.models import PhoneCode

HOUR = 3600
DAY = 24 * HOUR
CODE_DIGITS = 6


@dataclass(frozen=True, slots=True)
class Window:
    """One fixed-window counter: its key, the most it may count, and when it lapses."""

    key: str
    limit: int
    expires_at: datetime
    retry_after: int  # seconds until the window lapses
    refusal: str  # what to tell a person refused by it
    limit_name: str  # which limit, for `details`


def window(
    kind: str,
    subject: str,
    now: datetime,
    seconds: int,
    limit: int,
    refusal: str,
) -> Window:
    """The window of `seconds` that `now` falls in, for one subject (an address, a phone)."""
    epoch = int(now.timestamp())
    start = epoch - epoch % seconds
    return Window(
        key=f"{kind}:{subject}:{start}",
        limit=limit,
        expires_at=datetime.fromtimestamp(start + seconds, now.tzinfo) + timedelta(seconds=1),
        retry_after=start + seconds - epoch,
        refusal=refusal,
        limit_name=kind,
    )


def limited(found: Window) -> errors.WalkInLimited:
    return refused(found.refusal, found.limit_name, found.retry_after)


def refused(message: str, limit: str, retry_after: int) -> errors.WalkInLimited:
    """RATE_LIMITED, saying which limit (`details.limit`) and when to try again."""
    return errors.WalkInLimited(message, limit=limit, retry_after_seconds=retry_after)


def keyed(pepper: bytes, *parts: str) -> str:
    """A keyed hash naming a phone, device or address without keeping it."""
    return hmac.new(pepper, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def phone_of(raw: str) -> str:
    """A mainland mobile number as typed (spaces and dashes dropped), or INVALID_PHONE."""
    phone = raw.strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not domain.valid_mobile(phone):
        raise errors.InvalidPhone("请输入正确的11位手机号码")
    return phone


def walk_in_citizen(phone_key: str) -> str:
    """The message center's name for a phone that belongs to no account: its SMS are made
    from events on `citizen:<this>`, a topic no token follows."""
    return f"walkin-{phone_key[:24]}"


def code_digest(pepper: bytes, phone: str, code: str) -> str:
    return keyed(pepper, "code", phone, code)


def resend_wait(stored: PhoneCode | None, now: datetime, resend_seconds: int) -> int:
    """Seconds before another code may be sent to this phone (0: now)."""
    if stored is None:
        return 0
    left = (stored.issued_at + timedelta(seconds=resend_seconds) - now).total_seconds()
    return math.ceil(left) if left > 0 else 0


def new_code(
    phone_key: str, hall_id: str, phone: str, code: str, pepper: bytes, now: datetime, minutes: int
) -> PhoneCode:
    return PhoneCode(
        id=phone_key,
        hall_id=hall_id,
        digest=code_digest(pepper, phone, code),
        issued_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )


def check_code(
    stored: PhoneCode | None,
    hall_id: str,
    phone: str,
    code: str,
    pepper: bytes,
    now: datetime,
    max_attempts: int,
) -> None:
    """Raise why this code does not verify this phone here and now; None when it does."""
    if not code.strip():
        raise errors.PhoneCodeInvalid("请输入短信验证码")
    if stored is None or stored.hall_id != hall_id or stored.expires_at <= now:
        raise errors.PhoneCodeExpired()
    if stored.attempts >= max_attempts:
        raise errors.PhoneCodeExpired("验证码错误次数过多，请重新获取")
    given = code.strip()
    if not hmac.compare_digest(stored.digest, code_digest(pepper, phone, given)):
        left = max_attempts - stored.attempts - 1
        message = (
            f"验证码不正确，还可以再试 {left} 次" if left else "验证码错误次数过多，请重新获取"
        )
        raise errors.PhoneCodeInvalid(message, attempts_left=left)


def masked(phone: str) -> str:
    return mask_phone(phone)


__all__ = [
    "CODE_DIGITS",
    "DAY",
    "HOUR",
    "Window",
    "check_code",
    "code_digest",
    "keyed",
    "limited",
    "masked",
    "new_code",
    "phone_of",
    "refused",
    "resend_wait",
    "walk_in_citizen",
    "window",
]

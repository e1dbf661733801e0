"""Sign-in decisions, pure: lockout after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class LoginState:
    failed_logins: int
    locked_until: datetime | None


def is_locked(state: LoginState, now: datetime) -> bool:
    return state.locked_until is not None and state.locked_until > now


def after_failure(state: LoginState, now: datetime) -> LoginState:
    failures = state.failed_logins + 1
    if failures >= MAX_FAILURES:
        return LoginState(failed_logins=0, locked_until=now + LOCKOUT)
    return LoginState(failed_logins=failures, locked_until=None)


def after_success() -> LoginState:
    return LoginState(failed_logins=0, locked_until=None)

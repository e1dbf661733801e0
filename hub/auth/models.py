from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    STAFF = "staff"
    AGENT = "agent"
    DISPLAY = "display"  # a screen or kiosk device bound to one hall
    CITIZEN = "citizen"  # bound to one citizen id (the token's subject)


# Roles that sign in with a username and password; devices and citizens get tokens otherwise.
ACCOUNT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.STAFF, Role.AGENT})


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller of a command or request."""

    sub: str
    role: Role
    hall: str | None = None
    name: str = ""
    exp: int = 0
    # A token scoped to one ticket (printed as a QR code by a kiosk): it reads that ticket only.
    ticket: str | None = None

    @property
    def is_back_office(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPERVISOR)


class Account(BaseModel):
    """A staff account as stored (collection `auth_accounts`, `_id` = username)."""

    model_config = ConfigDict(populate_by_name=True)

    username: str = Field(alias="_id")
    password_hash: str
    role: Role
    name: str = ""
    hall_id: str | None = None
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PrincipalOut(BaseModel):
    sub: str
    role: Role
    hall: str | None
    name: str


class TokenOut(BaseModel):
    token: str
    expires_at: datetime
    principal: PrincipalOut

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
    TICKET = "ticket"  # follows one printed ticket (its QR code traded for a token), nothing else


# Role groups, defined here once; access tables and screens speak of these.
# Roles that sign in with a username and password; devices and citizens get tokens otherwise.
ACCOUNT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.STAFF, Role.AGENT})
BACK_OFFICE = frozenset({Role.ADMIN, Role.SUPERVISOR})
# People with an inbox of their own: accounts and citizens (not devices, not a ticket's slip).
PEOPLE = ACCOUNT_ROLES | {Role.CITIZEN}


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller of a command or request."""

    sub: str
    role: Role
    hall: str | None = None
    name: str = ""
    exp: int = 0
    # The ticket a TICKET token follows (printed as a QR code by a kiosk or a counter).
    ticket: str | None = None

    @property
    def key(self) -> str:
        """Who this is, as access scopes and the message center name owners and recipients:
        `citizen:<id>`, `user:<account>`, `ticket:<id>` or `device:<id>`."""
        if self.role is Role.CITIZEN:
            return f"citizen:{self.sub}"
        if self.role is Role.TICKET:
            return f"ticket:{self.ticket}"
        if self.role is Role.DISPLAY:
            return f"device:{self.sub}"
        return f"user:{self.sub}"


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

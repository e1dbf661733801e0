"""Who may do what: the rows of the access tables, and the one table the gateway, REST and topic
subscriptions consult.

Each domain keeps one table in its `access.py`: a row (a `Grant`) for every Socket.IO command,
REST route and topic it owns, naming each role that may try and how far that role reaches. The
gateway and REST refuse a role the row does not name before anything else runs; a handler that
has loaded the resource asks the same row whether this caller reaches it
(`grant.require(principal, scope)`). The access test is generated from the tables and
`docs/security.md` prints them (`hallhub access-table`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from hub.auth.models import Principal, Role
from hub.errors import Forbidden


class Reach(StrEnum):
    ANY = "any"  # every caller of the role
    HALL = "hall"  # what belongs to the caller's hall (a caller bound to no hall: every hall)
    OWN = "own"  # the caller's own: their ticket, booking, inbox, counter, call, ...


@dataclass(frozen=True, slots=True)
class Scope:
    """What access to one resource turns on: the hall it belongs to, and its owners as principal
    keys (`citizen:<id>`, `user:<account>`, `ticket:<id>`; see `Principal.key`)."""

    hall: str | None = None
    owners: frozenset[str] = frozenset()

    @classmethod
    def of(cls, hall: str | None = None, *owners: str | None) -> Scope:
        return cls(hall, frozenset(o for o in owners if o))


class Grant:
    """One row: the roles that may try, each with its reach."""

    __slots__ = ("note", "public", "reach")

    def __init__(self, reach: Mapping[Role, Reach], *, public: bool = False, note: str = ""):
        self.reach = dict(reach)
        self.public = public  # no token needed: every caller, signed in or not
        self.note = note

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role) if self.public else frozenset(self.reach)

    def may_try(self, principal: Principal | None) -> bool:
        """The role check made before a payload is even read."""
        if self.public:
            return True
        return principal is not None and principal.role in self.reach

    def allows(self, principal: Principal, scope: Scope) -> bool:
        if self.public:
            return True
        reach = self.reach.get(principal.role)
        if reach is None:
            return False
        if reach is Reach.ANY:
            return True
        if reach is Reach.HALL:
            return principal.hall is None or principal.hall == scope.hall
        return principal.key in scope.owners

    def require(self, principal: Principal, scope: Scope, message: str | None = None) -> None:
        if not self.allows(principal, scope):
            raise Forbidden(message or _refusal(principal, self))

    def require_hall(self, principal: Principal, hall_id: str | None) -> None:
        """Before a resource is looked up in a hall (a search, a lookup by ID number): refuse a
        caller whose reach is their own hall and who names another, so a refusal says nothing
        of what the other hall holds."""
        if self.reach.get(principal.role) is Reach.HALL and principal.hall not in (None, hall_id):
            raise Forbidden(_refusal(principal, self))

    def describe(self) -> dict[str, str]:
        """Role → reach, for documents."""
        if self.public:
            return {"*": "public"}
        return {role.value: self.reach[role].value for role in Role if role in self.reach}


def grant(note: str = "", **reach: Reach) -> Grant:
    """A row from keyword arguments: `grant(admin=ANY, supervisor=HALL)`."""
    return Grant({Role(name): value for name, value in reach.items()}, note=note)


def every(roles: Iterable[Role], reach: Reach, note: str = "") -> Grant:
    """A row giving a group of roles (`hub.auth.models`) one reach."""
    return Grant(dict.fromkeys(roles, reach), note=note)


def public(note: str = "") -> Grant:
    return Grant({}, public=True, note=note)


def _refusal(principal: Principal, row: Grant) -> str:
    reach = row.reach.get(principal.role)
    if reach is Reach.HALL:
        return "只能处理本大厅的事务"
    if reach is Reach.OWN:
        return "只能处理本人的事务"
    return f"角色 {principal.role.value} 没有此项权限"


def topic_key(kind: str, ident: str = "{id}") -> str:
    return f"topic {kind}:{ident}"


class AccessTable:
    """Every domain's rows, by key: a command's name, `METHOD /path` of a route, or
    `topic <kind>:<id>`."""

    def __init__(self) -> None:
        self._rows: dict[str, Grant] = {}
        self._domains: dict[str, str] = {}

    def add(self, domain: str, rows: Mapping[str, Grant]) -> None:
        for key, row in rows.items():
            if key in self._rows:
                raise ValueError(f"access row {key!r} is set twice")
            self._rows[key] = row
            self._domains[key] = domain

    def get(self, key: str) -> Grant | None:
        return self._rows.get(key)

    def __getitem__(self, key: str) -> Grant:
        return self._rows[key]

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def domain_of(self, key: str) -> str:
        return self._domains[key]

    def check_complete(self, keys: Iterable[str]) -> None:
        """Every command, route and topic has a row, and every row something to govern: a
        command added without one fails the hub's start, not a pen test."""
        wanted = set(keys)
        missing = sorted(wanted - self._rows.keys())
        stale = sorted(self._rows.keys() - wanted)
        if missing or stale:
            raise ValueError(f"access table: no row for {missing}; rows for nothing: {stale}")


_CELL = {Reach.ANY: "任意 any", Reach.HALL: "本大厅 hall", Reach.OWN: "本人 own"}


def markdown(table: AccessTable) -> str:
    """The tables as docs/security.md prints them: a section per domain, a row per command,
    route and topic, a column per role."""
    out: list[str] = []
    domains: dict[str, list[str]] = {}
    for key in table:
        domains.setdefault(table.domain_of(key), []).append(key)
    roles = list(Role)
    for domain, keys in domains.items():
        allowed = sum(
            1 for key in keys for role in roles if table[key].public or role in table[key].reach
        )
        out += [
            f"### {domain}",
            "",
            f"{len(keys)} rows; {allowed} role cells may try, "
            f"{len(keys) * len(roles) - allowed} are refused by role alone.",
            "",
            "| command, route or topic | " + " | ".join(r.value for r in roles) + " | note |",
            "|---|" + "---|" * (len(roles) + 1),
        ]
        for key in keys:
            row = table[key]
            cells = [
                "公开 public" if row.public else _CELL[row.reach[r]] if r in row.reach else "—"
                for r in roles
            ]
            out.append(f"| `{key}` | " + " | ".join(cells) + f" | {row.note} |")
        out.append("")
    return "\n".join(out)


def route_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


__all__ = [
    "AccessTable",
    "Grant",
    "Reach",
    "Scope",
    "every",
    "grant",
    "markdown",
    "public",
    "route_key",
    "topic_key",
]

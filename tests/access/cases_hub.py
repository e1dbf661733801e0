"""Access cases of the hub's own rows: sign-in, who am I, subscriptions, personal topics."""

from __future__ import annotations

from hub.auth.models import Principal, Role
from tests.access.world import Act, Builder, Target, Who, World, cmd, rest, topic

PASSWORD = "hallhub-matrix-1"


def natural_topic(principal: Principal | None) -> str:
    """A topic the caller may follow whoever they are: their own feed, or their hall."""
    if principal is None:
        return "citizen:nobody"
    if principal.role is Role.CITIZEN:
        return f"citizen:{principal.sub}"
    if principal.role is Role.TICKET:
        return f"ticket:{principal.ticket}"
    if principal.role is Role.DISPLAY:
        return f"hall:{principal.hall}"
    return f"user:{principal.sub}"


async def login(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("POST", "/auth/login", {"username": "matrix", "password": PASSWORD})


async def me(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/auth/me")


async def subscribe(w: World, who: Who) -> tuple[Target, Act]:
    target = Target()
    return target, cmd("subscribe", {"topic": natural_topic(w.principal(who, target))})


async def unsubscribe(w: World, who: Who) -> tuple[Target, Act]:
    target = Target()
    return target, cmd("unsubscribe", {"topic": natural_topic(w.principal(who, target))})


async def recent_events(w: World, who: Who) -> tuple[Target, Act]:
    target = Target()
    return target, rest("GET", f"/events/{natural_topic(w.principal(who, target))}")


async def citizen_topic(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), topic("citizen:c-a")


async def user_topic(w: World, who: Who) -> tuple[Target, Act]:
    # The feed of the account this role's own principal is.
    target = Target()
    owner = w.principal(Who(who.role, "own"), target)
    sub = owner.sub if owner is not None and owner.role is not Role.CITIZEN else "clerk-a"
    return target, topic(f"user:{sub}")


CASES: dict[str, Builder] = {
    "POST /auth/login": login,
    "GET /auth/me": me,
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "GET /events/{topic}": recent_events,
    "topic citizen:{id}": citizen_topic,
    "topic user:{id}": user_topic,
}


async def prepare(w: World) -> None:
    from hub import keys

    await w.app[keys.AUTH].create_account("matrix", PASSWORD, Role.STAFF, hall_id="xc-01")

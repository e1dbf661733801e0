"""The hub's own access rows: signing in, who am I, subscribing to topics and reading their
recent events, and the two personal topics every domain publishes to (`citizen:<id>`,
`user:<account>`)."""

from __future__ import annotations

from hub.access import Grant, Reach, Scope, every, grant, public, topic_key
from hub.auth.models import ACCOUNT_ROLES, Role

ANY, OWN = Reach.ANY, Reach.OWN

EVERY_TOKEN = every(Role, ANY)
# Which topics a caller may follow is the topic's own row; these only let every token ask.
BY_TOPIC = every(Role, ANY, note="the topic's own row decides")

TABLE: dict[str, Grant] = {
    "POST /auth/login": public("a staff account's name and password"),
    "GET /auth/me": EVERY_TOKEN,
    "subscribe": BY_TOPIC,
    "unsubscribe": BY_TOPIC,
    "GET /events/{topic}": BY_TOPIC,
    # A person's own feed: their messages, their tickets' and bookings' news.
    topic_key("citizen"): grant(citizen=OWN),
    topic_key("user"): every(ACCOUNT_ROLES, OWN),
}


async def citizen_scope(citizen_id: str) -> Scope:
    return Scope.of(None, f"citizen:{citizen_id}")


async def user_scope(account: str) -> Scope:
    return Scope.of(None, f"user:{account}")

"""REST: the recent events of a topic (an event-list screen's snapshot)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from hub import keys
from hub.rest import NoBody, Request


class RecentQuery(BaseModel):
    limit: int = Field(50, ge=1, le=500)


class RecentEvents(BaseModel):
    topic: str
    seq: int
    epoch: str
    events: list[dict[str, Any]]


def install(app: web.Application) -> None:
    rest = app[keys.REST]

    @rest.route(
        "GET",
        "/events/{topic}",
        query=RecentQuery,
        response=RecentEvents,
        summary="Most recent kept events of a topic, with the seq they match",
        tag="events",
    )
    async def recent_events(req: Request[NoBody, RecentQuery]) -> RecentEvents:
        topic = req.path("topic")
        await req.app[keys.TOPICS].check(req.require_principal(), topic)
        replay = await req.app[keys.BUS].recent(topic, req.query.limit)
        return RecentEvents(
            topic=topic,
            seq=replay.seq,
            epoch=replay.epoch,
            events=[e.to_wire() for e in replay.events],
        )

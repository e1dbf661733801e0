"""Read models: the topics with their line, a citizen's consultations, one consultation, the
search and the statistics of the back office, the line now; and the topics' administration."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import yaml

from hub.auth.models import BACK_OFFICE, Principal
from rtc import access, domain, errors
from rtc.models import Overview, Session, SessionDetail, SessionState, SessionView, Topic, TopicNow
from rtc.service.core import Core

MAX_STATISTICS_SESSIONS = 100_000


class Reads:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

    async def topics(self) -> list[TopicNow]:
        """The active topics, each with the agents online who take it and the calls waiting."""
        waiting, _, agents = await self._core.line()
        now = self._core.now()
        return [
            TopicNow(
                id=t.id,
                name=t.name,
                description=t.description,
                expected_minutes=t.expected_minutes,
                active=t.active,
                agents_online=sum(1 for a in agents if t.id in a.skills and domain.present(a, now)),
                waiting=sum(1 for s in waiting if s.topic == t.id),
            )
            for t in await self._store.topics()
            if t.active
        ]

    async def find(self, session_id: str) -> Session | None:
        """The consultation (who may follow its topic is decided by it), or None."""
        return await self._store.get(session_id)

    async def mine(self, principal: Principal) -> list[SessionView]:
        """The caller's consultations, newest first."""
        found = await self._store.of_citizen(principal.sub)
        return await self._views(found)

    async def detail(self, principal: Principal, session_id: str) -> SessionDetail:
        """One consultation for its parties; supervisors also see its quality and notes."""
        session = await self._store.get(session_id)
        if session is None:
            raise errors.SessionNotFound()
        access.READ_SESSION.require(principal, access.of_session(session))
        topic = await self._store.topic(session.topic)
        name = topic.name if topic else session.topic
        detail = SessionDetail.of(session, name, self._core.places.get(session.id))
        if principal.role in BACK_OFFICE:
            detail = detail.model_copy(update={"quality": session.quality, "notes": session.notes})
        return detail

    async def search(
        self,
        *,
        state: SessionState | None,
        topic: str | None,
        agent_id: str | None,
        limit: int,
        skip: int,
    ) -> list[SessionView]:
        """Consultations, newest first, filtered by state, topic and agent."""
        query: dict[str, str] = {}
        if state is not None:
            query["state"] = state.value
        if topic:
            query["topic"] = topic
        if agent_id:
            query["agent_id"] = agent_id
        return await self._views(await self._store.search(query, limit, skip))

    async def overview(self) -> Overview:
        waiting, active, agents = await self._core.line()
        names = await self._names()
        return Overview(
            waiting=[await self._core.view(s, names) for s in waiting],
            active=[await self._core.view(s, names) for s in active],
            agents=[self._core.agent_view(a) for a in agents],
        )

    async def statistics(self, by: str, days: int) -> list[domain.Stats]:
        since = (self._core.now() - timedelta(days=days)).date().isoformat()
        sessions = await self._store.search({"day": {"$gte": since}}, MAX_STATISTICS_SESSIONS, 0)
        return domain.statistics(sessions, by)

    async def _views(self, sessions: list[Session]) -> list[SessionView]:
        names = await self._names() if len(sessions) > 1 else None
        return [await self._core.view(s, names) for s in sessions]

    async def _names(self) -> dict[str, str]:
        return {t.id: t.name for t in await self._store.topics()}

    # -- topics -----------------------------------------------------------------------------

    async def save_topic(self, topic: Topic) -> Topic:
        await self._store.save_topic(topic)
        return topic

    async def load_topics(self, path: Path) -> None:
        """The default topics (config/rtc.yaml), when there are none yet."""
        if await self._store.topics():
            return
        raw = yaml.safe_load(await asyncio.to_thread(path.read_text, encoding="utf-8"))
        for topic in raw.get("topics", []):
            await self._store.save_topic(Topic.model_validate(topic))

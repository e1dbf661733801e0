"""The line and routing: offers made (and withdrawn), each waiting citizen told their place, a
long wait offered a call-back.

Routing runs after every change that can make an offer possible, under a per-node lock; a
version guard on the agent and the session keeps two nodes from making one offer.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from hub.logs import get_logger
from rtc import domain, events
from rtc.models import Agent, AgentStatus, Session, SessionState
from rtc.service.core import Core

log = get_logger("rtc")


class Routing:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store
        self._lock = asyncio.Lock()

    async def route(self, line: tuple[list[Session], list[Agent]] | None = None) -> int:
        """Make every offer that can be made now; `line`: the open sessions and the agents as
        just read (the clock's tick), else they are read. Guarded saves make a copy read
        earlier safe: one changed meanwhile is not offered (the change routes again)."""
        async with self._lock:
            now = self._core.now()
            if line is None:
                waiting = await self._store.in_state(SessionState.WAITING)
            else:
                waiting = [s for s in line[0] if s.state is SessionState.WAITING]
            if not waiting:
                return 0
            agents = await self._store.agents() if line is None else line[1]
            made = 0
            for session, agent in domain.route(waiting, agents, now):
                taken = await self._store.save_agent(
                    agent.model_copy(update={"session_id": session.id})
                )
                if taken is None:
                    continue  # another node offered this agent a call just now
                offered = await self._store.save(domain.offer(session, agent, now))
                if offered is None:
                    await self._store.save_agent(taken.model_copy(update={"session_id": None}))
                    continue
                await self.tell_offer(offered, taken)
                await self._core.agent_told(taken)  # the agent's call-to-be (the line below)
                made += 1
        if made:
            await self._core.queue_changed()
        return made

    async def tell_offer(self, session: Session, agent: Agent) -> None:
        assert session.offer_expires is not None  # an offered session runs out
        view = await self._core.view(session)
        await self._core.tell_agent(
            agent.id, events.CallOffered(session=view, expires_at=session.offer_expires)
        )

    async def decline(
        self, session: Session, agent_id: str, why: str, *, away: bool = False
    ) -> Session:
        """The offer goes back to the line (`away`: the agent missed it, and is not offered the
        next one until back)."""
        now = self._core.now()
        declined = await self._core.save(domain.decline(session, agent_id, now))
        agent = await self._store.agent(agent_id)
        if agent is not None and agent.session_id == session.id:
            update: dict[str, Any] = {"session_id": None}
            if away:
                update |= {"status": AgentStatus.AWAY, "status_since": now}
            saved = await self._core.save_agent(agent.model_copy(update=update))
            await self._core.agent_changed(saved)
        await self._core.tell_agent(
            agent_id, events.OfferWithdrawn(session_id=session.id, reason=why)
        )
        log.info("offer_declined", session=session.id, agent=agent_id, why=why)
        return declined

    async def withdraw(self, session: Session) -> None:
        """The citizen left (or asked for a call-back) while offered: the agent is free."""
        if not session.offered_to:
            return
        agent = await self._store.agent(session.offered_to)
        if agent is not None and agent.session_id == session.id:
            freed = await self._core.save_agent(agent.model_copy(update={"session_id": None}))
            await self._core.agent_told(freed)  # the line is told by the caller
        await self._core.tell_agent(
            session.offered_to, events.OfferWithdrawn(session_id=session.id, reason="市民已离开")
        )

    async def expire_offers(self, now: datetime, sessions: list[Session]) -> int:
        """Offers not accepted in time count as declined; the agent is set away. `sessions`:
        the open ones as just read; how many expired."""
        expired = 0
        for session in sessions:
            if (
                session.state is SessionState.OFFERED
                and domain.offer_expired(session, now)
                and session.offered_to
            ):
                await self.decline(session, session.offered_to, "超时未接", away=True)
                expired += 1
        return expired

    # -- the line as the citizen sees it ----------------------------------------------------

    async def tell_places(self, sessions: list[Session], agents: list[Agent] | None = None) -> None:
        """Each waiting citizen told their place and wait when it changed (`agents`: as just
        read with `sessions`, else read)."""
        waiting = {
            s.id: s for s in sessions if s.state in (SessionState.WAITING, SessionState.OFFERED)
        }
        minutes: dict[str, float] = {}
        for topic in {s.topic for s in waiting.values()}:
            spec = await self._store.topic(topic)
            minutes[topic] = domain.handle_minutes(
                await self._store.recent_of_topic(topic), spec.expected_minutes if spec else 6.0
            )
        now = self._core.now()
        if agents is None:
            agents = await self._store.agents()
        present = [a for a in agents if domain.present(a, now)]
        told = self._core.places
        for session_id, place in domain.places(list(waiting.values()), present, minutes).items():
            if told.get(session_id) == (place.position, place.estimate_minutes):
                continue
            told[session_id] = (place.position, place.estimate_minutes)
            await self._core.tell_citizen(
                waiting[session_id],
                events.PositionChanged(
                    session_id=session_id,
                    position=place.position,
                    estimate_minutes=place.estimate_minutes,
                ),
            )
        for session_id in set(told) - set(waiting):
            del told[session_id]

    async def offer_callbacks(self, sessions: list[Session], now: datetime) -> None:
        """A citizen waiting long is offered a call-back (once: the event has its own id)."""
        for session in sessions:
            if domain.callback_due(session, now):  # waiting ones only
                waited = int((now - session.queued_at).total_seconds() // 60)
                await self._core.tell_citizen(
                    session,
                    events.CallbackOffered(session_id=session.id, waited_minutes=waited),
                    event_id=f"rtc:{session.id}:callback-offered",
                )

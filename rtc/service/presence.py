"""Presence: an agent is present while a console of theirs is connected to some node (a reload
keeps status and call; gone longer than the grace period is offline), their status and skills;
a citizen whose page closes during a call has the grace period to come back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.auth.models import Principal, Role
from hub.logs import get_logger
from rtc import domain, errors, events
from rtc.models import Agent, AgentStatus, AgentView, Hello, SessionState
from rtc.service.core import Core
from rtc.service.routing import Routing

log = get_logger("rtc")

HEARTBEAT = timedelta(seconds=10)  # presence refreshed; an agent is gone after 30 s unseen


class Presence:
    def __init__(self, core: Core, routing: Routing) -> None:
        self._core = core
        self._store = core.store
        self._routing = routing
        self._present: dict[str, set[str]] = {}  # agent -> sockets on this node
        self._citizens: dict[str, set[str]] = {}  # citizen -> sockets in a consultation
        self._heartbeat = datetime.min.replace(tzinfo=UTC)

    async def hello(self, principal: Principal, sid: str) -> Hello:
        """An agent's console connected: present from now on; status and call as they were
        (a reload changes nothing)."""
        now = self._core.now()
        sockets = self._present.setdefault(principal.sub, set())
        first = sid not in sockets
        sockets.add(sid)
        agent = await self._store.agent(principal.sub)
        if agent is None:
            skills = [t.id for t in await self._store.topics() if t.active]
            agent = Agent(
                id=principal.sub,
                name=principal.name or principal.sub,
                skills=skills,
                status=AgentStatus.AWAY,
                status_since=now,
                idle_since=now,
                seen_at=now,
            )
            await self._store.add_agent(agent)
        elif agent.status is AgentStatus.OFFLINE:
            agent = await self._core.save_agent(
                agent.model_copy(
                    update={"status": AgentStatus.AWAY, "status_since": now, "seen_at": now}
                )
            )
        if first:
            await self._store.consoles(agent.id, +1, now)
            agent = await self._core.agent(agent.id)
        current = await self._store.get(agent.session_id) if agent.session_id else None
        return Hello(
            agent=self._core.agent_view(agent),
            session=await self._core.view(current) if current else None,
        )

    def watch(self, principal: Principal, sid: str) -> None:
        """A citizen's socket that takes part in a consultation: its closing is noticed."""
        if principal.role is Role.CITIZEN:
            self._citizens.setdefault(principal.sub, set()).add(sid)

    async def goodbye(self, sid: str, principal: Principal) -> None:
        """A socket closed: this node stops vouching for the agent's presence through it; a
        citizen whose last socket closed during a call has the grace period to come back."""
        if principal.role is Role.CITIZEN:
            await self._citizen_gone(sid, principal.sub)
            return
        sockets = self._present.get(principal.sub)
        if sockets is None or sid not in sockets:
            return
        sockets.discard(sid)
        if not sockets:
            del self._present[principal.sub]
        await self._store.consoles(principal.sub, -1, self._core.now())

    async def _citizen_gone(self, sid: str, citizen_id: str) -> None:
        sockets = self._citizens.get(citizen_id)
        if sockets is None or sid not in sockets:
            return
        sockets.discard(sid)
        if sockets:
            return
        del self._citizens[citizen_id]
        for session in await self._store.of_citizen(citizen_id, 5):
            if session.state is SessionState.ACTIVE and "citizen" not in session.dropped:
                dropped = {**session.dropped, "citizen": self._core.now()}
                await self._core.save(session.model_copy(update={"dropped": dropped}), retry=True)
                await self._core.tell_call(
                    session,
                    events.QualityReported(party="citizen", level=0, state="reconnecting"),
                )

    async def set_status(self, principal: Principal, status: str) -> AgentView:
        agent = await self._core.agent(principal.sub)
        wanted = AgentStatus(status)
        if agent.session_id and wanted is AgentStatus.AVAILABLE:
            current = await self._store.get(agent.session_id)
            if current is not None and current.state in (SessionState.ACTIVE, SessionState.WRAP_UP):
                raise errors.AgentBusy()
        now = self._core.now()
        update: dict[str, Any] = {"status": wanted, "status_since": now, "seen_at": now}
        if wanted is AgentStatus.AVAILABLE and agent.status is not AgentStatus.AVAILABLE:
            update["idle_since"] = now
        saved = await self._core.save_agent(agent.model_copy(update=update))
        if wanted is not AgentStatus.AVAILABLE and agent.session_id:
            offered = await self._store.get(agent.session_id)
            if offered is not None and offered.state is SessionState.OFFERED:
                await self._routing.decline(offered, agent.id, "坐席离开")
        await self._core.agent_changed(saved)
        await self._routing.route()
        return self._core.agent_view(saved)

    async def set_skills(self, agent_id: str, skills: list[str]) -> AgentView:
        known = {t.id for t in await self._store.topics()}
        unknown = [s for s in skills if s not in known]
        if unknown:
            raise errors.TopicNotFound(topic=unknown[0])
        agent = await self._core.agent(agent_id)
        saved = await self._core.save_agent(agent.model_copy(update={"skills": skills}))
        await self._core.agent_changed(saved)
        await self._routing.route()
        return self._core.agent_view(saved)

    # -- the clockwork ----------------------------------------------------------------------

    async def heartbeat(self, now: datetime) -> None:
        """This node vouches for the agents whose console is connected to it."""
        if self._present and now - self._heartbeat >= HEARTBEAT:
            self._heartbeat = now
            await self._store.seen(list(self._present), now)

    async def sweep(self, now: datetime, agents: list[Agent]) -> int:
        """Agents not seen for the grace period are offline (a call offered to them goes back
        to the line). `agents`: as just read; how many went offline."""
        gone = 0
        for agent in agents:
            if agent.status is not AgentStatus.OFFLINE and not domain.present(agent, now):
                await self._gone(agent)
                gone += 1
        return gone

    async def _gone(self, agent: Agent) -> None:
        now = self._core.now()
        log.info("agent_offline", agent=agent.id)
        saved = await self._store.save_agent(
            agent.model_copy(update={"status": AgentStatus.OFFLINE, "status_since": now})
        )
        await self._store.reset_consoles(agent.id)
        if saved is None:
            return
        if agent.session_id:
            session = await self._store.get(agent.session_id)
            if session is not None and session.state is SessionState.OFFERED:
                await self._routing.decline(session, agent.id, "坐席离线")
        await self._core.agent_changed(saved)

"""What every part of the service shares: the store, the bus and the clock; loading and guarded
saving of sessions and agents; the views the screens are sent, and the events that carry the
line and the agents."""

from __future__ import annotations

import time
from collections.abc import Mapping

from hub.clock import Clock
from hub.events import EventBus
from hub.events.types import Event
from rtc import domain, errors, events
from rtc.models import (
    ActiveEntry,
    Agent,
    AgentView,
    Session,
    SessionState,
    SessionView,
    WaitingEntry,
)
from rtc.store import RtcStore

SIGNAL_CACHE = 2.0  # seconds a node may signal on what it read of a session


class Core:
    def __init__(self, store: RtcStore, bus: EventBus, now: Clock) -> None:
        self.store = store
        self.now = now
        self._bus = bus
        # Each waiting consultation's place as last told: (position, estimate_minutes).
        self.places: dict[str, tuple[int, float]] = {}
        # Signals are many (every ICE candidate): who may send them is read from the session
        # at most every SIGNAL_CACHE seconds per session on this node; a save forgets it.
        self._signal_cache: dict[str, tuple[float, Session]] = {}

    # -- loading and saving ---------------------------------------------------------------

    async def session(self, session_id: str) -> Session:
        session = await self.store.get(session_id)
        if session is None:
            raise errors.SessionNotFound(session_id=session_id)
        return session

    async def agent(self, agent_id: str) -> Agent:
        agent = await self.store.agent(agent_id)
        if agent is None:
            raise errors.AgentNotFound(agent_id=agent_id)
        return agent

    async def signal_session(self, session_id: str, link: str) -> Session:
        """The session, freshly read for anything but a call's signals (those may use what
        this node read in the last SIGNAL_CACHE seconds: a call ended elsewhere relays a
        candidate or two more, harmlessly)."""
        cached = self._signal_cache.get(session_id)
        if link == "call" and cached is not None and cached[0] > time.monotonic():
            return cached[1]
        session = await self.session(session_id)
        if len(self._signal_cache) > 10_000:
            self._signal_cache.clear()
        self._signal_cache[session_id] = (time.monotonic() + SIGNAL_CACHE, session)
        return session

    async def save(self, session: Session, *, retry: bool = False) -> Session:
        """A guarded save. With `retry`, a change that commutes with others (a quality sample,
        the recording's state) is applied again on the fresh document."""
        self._signal_cache.pop(session.id, None)
        saved = await self.store.save(session)
        if saved is not None:
            return saved
        if retry:
            for _ in range(5):
                fresh = await self.session(session.id)
                changes = {
                    k: getattr(session, k)
                    for k in ("quality", "dropped", "recording", "earlier_recordings")
                }
                saved = await self.store.save(fresh.model_copy(update=changes))
                if saved is not None:
                    return saved
        raise errors.NotInCall("会话刚被其他操作修改，请重试")

    async def save_agent(self, agent: Agent) -> Agent:
        saved = await self.store.save_agent(agent)
        if saved is None:
            fresh = await self.agent(agent.id)
            changes = agent.model_dump(exclude={"version", "seen_at", "consoles"})
            saved = await self.store.save_agent(fresh.model_copy(update=changes))
            if saved is None:
                raise errors.AgentBusy("坐席状态刚被修改，请重试")
        return saved

    # -- views ----------------------------------------------------------------------------

    async def view(self, session: Session, names: Mapping[str, str] | None = None) -> SessionView:
        """The session as its parties and supervisors see it; `names` (topic id → name), when
        a list is being shown, spares a read per session."""
        if names is None:
            topic = await self.store.topic(session.topic)
            names = {topic.id: topic.name} if topic else {}
        name = names.get(session.topic, session.topic)
        return SessionView.of(session, name, self.places.get(session.id))

    def agent_view(self, agent: Agent) -> AgentView:
        return AgentView.of(agent, domain.present(agent, self.now()))

    async def line(self) -> tuple[list[Session], list[Session], list[Agent]]:
        """The consultations waiting (first come first), those in a call, and the agents."""
        sessions = await self.store.open_sessions()
        waiting = sorted(
            (s for s in sessions if s.state in (SessionState.WAITING, SessionState.OFFERED)),
            key=lambda s: s.queued_at,
        )
        active = [s for s in sessions if s.state is SessionState.ACTIVE]
        return waiting, active, sorted(await self.store.agents(), key=lambda a: a.name)

    # -- telling --------------------------------------------------------------------------

    async def tell_call(self, session: Session, event: Event) -> None:
        """To the call's topic: its parties and the supervisors."""
        await self._bus.publish(events.session_topic(session.id), event)

    async def tell_citizen(self, session: Session, event: Event, *, event_id: str = "") -> None:
        await self._bus.publish(
            events.citizen_topic(session.citizen_id), event, event_id=event_id or None
        )

    async def tell_both(self, session: Session, event: Event) -> None:
        """To the call's topic and to the citizen's own (a page that follows no call yet)."""
        await self.tell_call(session, event)
        await self.tell_citizen(session, event)

    async def tell_parties(self, session: Session, event: Event, agent_id: str | None) -> None:
        """A change of the call itself: to both parties, the agent on their own topic too (a
        console that follows no call yet, or another console of theirs, knows its call from
        `agent:<id>` alone, as `rtc.agent_hello` would tell it)."""
        await self.tell_both(session, event)
        if agent_id:
            await self.tell_agent(agent_id, event)

    async def tell_agent(self, agent_id: str, event: Event) -> None:
        await self._bus.publish(events.agent_topic(agent_id), event)

    async def tell_queue(self, event: Event) -> None:
        await self._bus.publish(events.QUEUE_TOPIC, event)

    async def agent_told(self, agent: Agent) -> None:
        """To the agent's consoles only (the line is told once for several changes)."""
        await self.tell_agent(agent.id, events.AgentUpdated(agent=self.agent_view(agent)))

    async def agent_changed(self, agent: Agent) -> None:
        await self.agent_told(agent)
        await self.queue_changed()

    async def queue_changed(self) -> None:
        waiting, active, agents = await self.line()
        await self.tell_queue(
            events.QueueChanged(
                waiting=[
                    WaitingEntry(
                        session_id=s.id,
                        topic=s.topic,
                        citizen_name=s.citizen_name,
                        state=s.state,
                        queued_at=s.queued_at,
                    )
                    for s in waiting
                ],
                active=[
                    ActiveEntry(
                        session_id=s.id,
                        topic=s.topic,
                        citizen_name=s.citizen_name,
                        agent_id=s.agent_id,
                        agent_name=s.agent_name,
                        answered_at=s.answered_at,
                    )
                    for s in active
                ],
                agents=[self.agent_view(a) for a in agents],
            )
        )

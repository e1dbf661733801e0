"""A consultation from request to rating: join the line, leave it (or ask for a call-back), the
agent's accept, decline, hang-up, wrap-up and transfer, the end of a call whose party did not
come back. Each change: load -> domain -> guarded save -> publish."""

from __future__ import annotations

import secrets
from datetime import datetime

from hub.auth.models import Principal
from hub.logs import get_logger
from hub.privacy import mask_name
from rtc import access, domain, errors, events
from rtc.models import (
    Agent,
    AgentStatus,
    CallbackIn,
    Rating,
    RatingIn,
    RequestIn,
    Session,
    SessionState,
    SessionView,
    TransferIn,
    WrapUpIn,
)
from rtc.service.core import Core
from rtc.service.recordings import Recordings
from rtc.service.routing import Routing

log = get_logger("rtc")


class Consultation:
    def __init__(self, core: Core, routing: Routing, recordings: Recordings) -> None:
        self._core = core
        self._store = core.store
        self._routing = routing
        self._recordings = recordings

    # -- the citizen ------------------------------------------------------------------------

    async def request(self, principal: Principal, request: RequestIn) -> SessionView:
        topic = await self._store.topic(request.topic)
        if topic is None or not topic.active:
            raise errors.TopicNotFound(topic=request.topic)
        if any(domain.is_open(s) for s in await self._store.of_citizen(principal.sub, 10)):
            raise errors.AlreadyWaiting()
        now = self._core.now()
        session = Session(
            id=secrets.token_hex(10),
            citizen_id=principal.sub,
            citizen_name=mask_name(request.name or principal.name or "市民"),
            topic=topic.id,
            created_at=now,
            queued_at=now,
        )
        await self._store.add(session)
        log.info("consultation_requested", session=session.id, topic=topic.id)
        if not await self._routing.route():  # an offer made has told the queue already
            await self._core.queue_changed()
        await self._placed()
        fresh = await self._store.get(session.id)
        return await self._core.view(fresh or session)

    async def leave(self, principal: Principal, session_id: str) -> SessionView:
        """Stop waiting, or hang up a call (either party)."""
        session = await self._core.session(session_id)
        access.IN_CALL.require(principal, access.of_session(session))
        party = domain.party_of(principal, session)
        return await self.end(session, "市民挂断" if party == domain.Party.CITIZEN else "坐席挂断")

    async def callback(self, principal: Principal, request: CallbackIn) -> SessionView:
        """Leave the line asking for a call-back: the event carries the number (the message
        center confirms by SMS and keeps it; the supervisors are told whom to call)."""
        session = await self._core.session(request.session_id)
        access.CITIZEN_OF.require(principal, access.of_session(session))
        if session.state not in (SessionState.WAITING, SessionState.OFFERED):
            raise errors.NotInCall(state=session.state.value)
        if session.offered_to:
            await self._routing.withdraw(session)
        changed = await self._core.save(
            session.model_copy(
                update={
                    "state": SessionState.CALLBACK,
                    "callback_phone": request.phone,
                    "ended_at": self._core.now(),
                    "end_reason": "请求回电",
                    "offered_to": None,
                }
            )
        )
        topic = await self._store.topic(changed.topic)
        requested = events.CallbackRequested(
            session_id=changed.id,
            citizen_id=changed.citizen_id,
            citizen_name=changed.citizen_name,
            phone=request.phone,
            topic_name=topic.name if topic else changed.topic,
        )
        # One event, on the citizen's topic: the message center confirms it to the citizen and
        # tells the video service's supervisors whom to call (config/notifier.yaml).
        await self._core.tell_citizen(changed, requested)
        await self._core.queue_changed()
        await self._placed()
        return await self._core.view(changed)

    async def rate(self, principal: Principal, request: RatingIn) -> SessionView:
        rating = Rating(stars=request.stars, comment=request.comment.strip(), at=self._core.now())
        # The recorder finishing or the agent's wrap-up may save the session between our read
        # and our write; the rating does not depend on them, so it is checked and tried again.
        for _ in range(5):
            session = await self._core.session(request.session_id)
            access.CITIZEN_OF.require(principal, access.of_session(session))
            if session.rating is not None or session.state not in (
                SessionState.WRAP_UP,
                SessionState.ENDED,
            ):
                raise errors.NotRated()
            try:
                rated = await self._core.save(session.model_copy(update={"rating": rating}))
            except errors.NotInCall:
                continue
            return await self._core.view(rated)
        raise errors.NotInCall("会话刚被其他操作修改，请重试")

    # -- the agent --------------------------------------------------------------------------

    async def accept(self, principal: Principal, session_id: str) -> SessionView:
        session = await self._core.session(session_id)
        access.AGENT_OF.require(principal, access.of_offer(session))
        agent = await self._core.agent(principal.sub)
        now = self._core.now()
        active = domain.accept(session, agent, now)
        # Recording starts with the call, so the call's first event says whether there is one.
        saved = await self._core.save(self._recordings.begin(active, now))
        agent = await self._core.save_agent(
            agent.model_copy(
                update={"status": AgentStatus.BUSY, "status_since": now, "session_id": saved.id}
            )
        )
        log.info("call_accepted", session=saved.id, agent=agent.id)
        view = await self._core.view(saved)
        await self._core.tell_parties(saved, events.CallAccepted(session=view), agent.id)
        await self._core.agent_changed(agent)
        await self._placed()
        return view

    async def decline(self, principal: Principal, session_id: str) -> SessionView:
        session = await self._core.session(session_id)
        access.AGENT_OF.require(principal, access.of_offer(session))
        declined = await self._routing.decline(session, principal.sub, "坐席拒接")
        await self._routing.route()
        return await self._core.view(declined)

    async def wrap_up(self, principal: Principal, request: WrapUpIn) -> SessionView:
        session = await self._core.session(request.session_id)
        access.AGENT_OF.require(principal, access.of_session(session))
        if session.agent_id != principal.sub or session.state is not SessionState.WRAP_UP:
            raise errors.NotInCall(state=session.state.value)
        ended = await self._core.save(
            session.model_copy(update={"state": SessionState.ENDED, "notes": request.notes})
        )
        await self._free(principal.sub)
        await self._routing.route()
        return await self._core.view(ended)

    async def transfer(self, principal: Principal, request: TransferIn) -> SessionView:
        session = await self._core.session(request.session_id)
        access.AGENT_OF.require(principal, access.of_session(session))
        target = None
        if request.to_agent == principal.sub:
            raise errors.TransferTarget("不能转给自己")
        if request.to_agent:
            target = await self._store.agent(request.to_agent)
            if target is None:
                raise errors.AgentNotFound(agent_id=request.to_agent)
            if not domain.can_take(target, self._core.now()):
                raise errors.AgentBusy("该坐席当前不能接听")
        if request.to_topic and await self._store.topic(request.to_topic) is None:
            raise errors.TopicNotFound(topic=request.to_topic)
        moved = domain.transfer(
            session,
            self._core.now(),
            from_agent=principal.sub,
            to_agent=target,
            to_topic=request.to_topic,
            note=request.note,
        )
        saved = await self._core.save(moved)
        await self._recordings.stop(saved)
        me = await self._free(principal.sub, tell=False)
        view = await self._core.view(saved)
        await self._core.tell_parties(saved, events.CallTransferred(session=view), principal.sub)
        if target is not None:
            target = await self._core.save_agent(target.model_copy(update={"session_id": saved.id}))
            await self._routing.tell_offer(saved, target)
            await self._core.agent_told(target)
        await self._core.agent_changed(me)
        await self._routing.route()
        await self._placed()
        return view

    async def _placed(self) -> None:
        """The line moved: every waiting caller's place at once, not at the next tick (the
        overview shows the places as told)."""
        await self._routing.tell_places(await self._store.open_sessions())

    async def _free(self, agent_id: str, *, tell: bool = True) -> Agent:
        """The agent is done with their call: available again, idle from now."""
        agent = await self._core.agent(agent_id)
        now = self._core.now()
        freed = await self._core.save_agent(
            agent.model_copy(
                update={
                    "status": AgentStatus.AVAILABLE,
                    "status_since": now,
                    "idle_since": now,
                    "session_id": None,
                }
            )
        )
        if tell:
            await self._core.agent_changed(freed)
        return freed

    # -- the end ----------------------------------------------------------------------------

    async def end(self, session: Session, reason: str) -> SessionView:
        """Left before an answer (abandoned), or hung up (the agent wraps up)."""
        now = self._core.now()
        if session.state is SessionState.OFFERED:
            await self._routing.withdraw(session)
        ended = await self._core.save(domain.end(session, reason, now))
        agent = None
        if ended.agent_id and ended.state is SessionState.WRAP_UP:
            agent = await self._store.agent(ended.agent_id)
        if agent is not None:
            agent = await self._core.save_agent(
                agent.model_copy(update={"status": AgentStatus.WRAP_UP, "status_since": now})
            )
            await self._core.agent_changed(agent)  # tells the queue too
        else:
            await self._core.queue_changed()
        if session.state is not SessionState.ACTIVE:
            await self._placed()  # left the line
        view = await self._core.view(ended)
        await self._core.tell_parties(ended, events.CallEnded(session=view), ended.agent_id)
        log.info("consultation_ended", session=ended.id, reason=reason)
        # The parties see the end at once: closing the recording's file can take seconds
        # (the frames still queued are encoded first); its outcome follows as its own event.
        recorded = await self._recordings.stop(ended)
        return view if recorded is None else await self._core.view(recorded)

    async def end_dropped(self, now: datetime, sessions: list[Session]) -> int:
        """Calls whose party did not come back within the grace period end. `sessions`: the
        open ones as just read; how many ended."""
        ended = 0
        for session in sessions:
            if session.state is not SessionState.ACTIVE:
                continue
            party = domain.drop_expired(session, now)
            if party is not None:
                await self.end(session, f"{'市民' if party == 'citizen' else '坐席'}连接中断")
                ended += 1
        return ended

"""Video customer service's orchestration: the queue, routing, presence, the call's life,
signaling relay, chat, quality, recording. Each change: load -> domain -> guarded save ->
publish. Routing runs after every change that can make an offer possible, under a per-node
lock; a version guard on the agent and the session keeps two nodes from making one offer.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.auth.models import Principal, Role
from hub.events import EventBus
from hub.logs import get_logger
from hub.privacy import mask_name
from rtc import access, domain, errors, events
from rtc.models import (
    Agent,
    AgentStatus,
    CallbackIn,
    ChatIn,
    ChatMessage,
    QualityIn,
    QualitySample,
    RatingIn,
    Recording,
    RequestIn,
    Session,
    SessionState,
    SignalIn,
    Topic,
    TransferIn,
    WrapUpIn,
)
from rtc.recorder import Recorder
from rtc.store import RtcStore

log = get_logger("rtc")

Clock = Callable[[], datetime]
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_QUALITY_SAMPLES = 720  # an hour of reports every 5 s
HEARTBEAT = timedelta(seconds=10)  # presence refreshed; an agent is gone after 30 s unseen
SIGNAL_CACHE = 2.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class RtcService:
    def __init__(
        self,
        store: RtcStore,
        bus: EventBus,
        recorder: Recorder,
        *,
        clock: Clock = utc_now,
        remember_phone: Callable[[str, str], Awaitable[None]] | None = None,
        retention_days: int = 180,
    ) -> None:
        self._retention = timedelta(days=retention_days)
        self._swept = datetime.min.replace(tzinfo=UTC)
        # The message center learns a call-back number, to confirm by SMS.
        self._remember_phone = remember_phone
        self.store = store
        self._bus = bus
        self.recorder = recorder
        self._now = clock
        self._routing = asyncio.Lock()
        self._present: dict[str, set[str]] = {}  # agent -> sockets on this node
        self._citizens: dict[str, set[str]] = {}  # citizen -> sockets in a consultation
        self._told: dict[str, tuple[int, float]] = {}  # session -> place told
        self._heartbeat = datetime.min.replace(tzinfo=UTC)
        # Signals are many (every ICE candidate): who may send them is read from the session
        # at most every SIGNAL_CACHE seconds per session on this node.
        self._signal_cache: dict[str, tuple[float, Session]] = {}

    def now(self) -> datetime:
        return self._now()

    # -- citizens ---------------------------------------------------------------------------

    async def request(self, principal: Principal, request: RequestIn) -> dict[str, Any]:
        topic = await self.store.topic(request.topic)
        if topic is None or not topic.active:
            raise errors.TopicNotFound(topic=request.topic)
        if any(domain.is_open(s) for s in await self.store.of_citizen(principal.sub, 10)):
            raise errors.AlreadyWaiting()
        now = self._now()
        session = Session(
            id=secrets.token_hex(10),
            citizen_id=principal.sub,
            citizen_name=mask_name(request.name or principal.name or "市民"),
            topic=topic.id,
            created_at=now,
            queued_at=now,
        )
        await self.store.add(session)
        log.info("consultation_requested", session=session.id, topic=topic.id)
        if not await self.route():  # an offer made has told the queue already
            await self._queue_changed()
        await self._places(await self.store.open_sessions())  # the place at once, not next tick
        fresh = await self.store.get(session.id)
        return await self.view(fresh or session)

    async def leave(self, principal: Principal, session_id: str) -> dict[str, Any]:
        session = await self._session(session_id)
        access.IN_CALL.require(principal, access.of_session(session))
        party = domain.party_of(principal, session)
        return await self._end(session, "市民挂断" if party == "citizen" else "坐席挂断")

    async def callback(self, principal: Principal, request: CallbackIn) -> dict[str, Any]:
        session = await self._session(request.session_id)
        access.CITIZEN_OF.require(principal, access.of_session(session))
        if session.state not in (SessionState.WAITING, SessionState.OFFERED):
            raise errors.NotInCall(state=session.state.value)
        if session.offered_to:
            await self._withdraw(session)
        changed = await self._save(
            session.model_copy(
                update={
                    "state": SessionState.CALLBACK,
                    "callback_phone": request.phone,
                    "ended_at": self._now(),
                    "end_reason": "请求回电",
                    "offered_to": None,
                }
            )
        )
        if self._remember_phone is not None:
            try:
                await self._remember_phone(f"citizen:{changed.citizen_id}", request.phone)
            except Exception:  # the message center's trouble must not lose the request
                log.exception("remember_phone_failed")
        topic = await self.store.topic(changed.topic)
        data = {
            "session_id": changed.id,
            "phone": request.phone,
            "topic_name": topic.name if topic else changed.topic,
            "citizen_name": changed.citizen_name,
        }
        await self._tell_citizen(changed, events.CALLBACK_REQUESTED, data)
        # Whoever calls back: the video service's supervisors (see config/notifier.yaml).
        await self._bus.publish_untyped(events.QUEUE_TOPIC, events.CALLBACK_REQUESTED, data)
        await self._queue_changed()
        return await self.view(changed)

    async def rate(self, principal: Principal, request: RatingIn) -> dict[str, Any]:
        session = await self._session(request.session_id)
        access.CITIZEN_OF.require(principal, access.of_session(session))
        if session.rating is not None or session.state not in (
            SessionState.WRAP_UP,
            SessionState.ENDED,
        ):
            raise errors.NotRated()
        from rtc.models import Rating

        rated = await self._save(
            session.model_copy(
                update={
                    "rating": Rating(
                        stars=request.stars, comment=request.comment.strip(), at=self._now()
                    )
                }
            )
        )
        return await self.view(rated)

    # -- agents -----------------------------------------------------------------------------

    async def hello(self, principal: Principal, sid: str) -> dict[str, Any]:
        """An agent's console connected: present from now on; status and call as they were
        (a reload changes nothing)."""
        now = self._now()
        sockets = self._present.setdefault(principal.sub, set())
        first = sid not in sockets
        sockets.add(sid)
        agent = await self.store.agent(principal.sub)
        if agent is None:
            skills = [t.id for t in await self.store.topics() if t.active]
            agent = Agent(
                id=principal.sub,
                name=principal.name or principal.sub,
                skills=skills,
                status=AgentStatus.AWAY,
                status_since=now,
                idle_since=now,
                seen_at=now,
            )
            await self.store.add_agent(agent)
        elif agent.status is AgentStatus.OFFLINE:
            agent = await self._save_agent(
                agent.model_copy(
                    update={"status": AgentStatus.AWAY, "status_since": now, "seen_at": now}
                )
            )
        if first:
            await self.store.consoles(agent.id, +1, now)
            agent = await self._agent(agent.id)
        current = await self.store.get(agent.session_id) if agent.session_id else None
        return {
            "agent": _agent_view(agent, now),
            "session": await self.view(current) if current else None,
        }

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
        await self.store.consoles(principal.sub, -1, self._now())

    async def _citizen_gone(self, sid: str, citizen_id: str) -> None:
        sockets = self._citizens.get(citizen_id)
        if sockets is None or sid not in sockets:
            return
        sockets.discard(sid)
        if sockets:
            return
        del self._citizens[citizen_id]
        for session in await self.store.of_citizen(citizen_id, 5):
            if session.state is SessionState.ACTIVE and "citizen" not in session.dropped:
                dropped = {**session.dropped, "citizen": self._now()}
                await self._save(session.model_copy(update={"dropped": dropped}), retry=True)
                await self._publish_call(
                    session,
                    events.QUALITY_REPORTED,
                    {"party": "citizen", "level": 0, "state": "reconnecting"},
                )

    async def set_status(self, principal: Principal, status: str) -> dict[str, Any]:
        agent = await self._agent(principal.sub)
        wanted = AgentStatus(status)
        if agent.session_id and wanted is AgentStatus.AVAILABLE:
            current = await self.store.get(agent.session_id)
            if current is not None and current.state in (SessionState.ACTIVE, SessionState.WRAP_UP):
                raise errors.AgentBusy()
        now = self._now()
        update: dict[str, Any] = {"status": wanted, "status_since": now, "seen_at": now}
        if wanted is AgentStatus.AVAILABLE and agent.status is not AgentStatus.AVAILABLE:
            update["idle_since"] = now
        saved = await self._save_agent(agent.model_copy(update=update))
        if wanted is not AgentStatus.AVAILABLE and agent.session_id:
            offered = await self.store.get(agent.session_id)
            if offered is not None and offered.state is SessionState.OFFERED:
                await self._decline(offered, agent.id, "坐席离开")
        await self._agent_changed(saved)
        await self.route()
        return {"agent": _agent_view(saved, now)}

    async def set_skills(self, agent_id: str, skills: list[str]) -> dict[str, Any]:
        known = {t.id for t in await self.store.topics()}
        unknown = [s for s in skills if s not in known]
        if unknown:
            raise errors.TopicNotFound(topic=unknown[0])
        agent = await self._agent(agent_id)
        saved = await self._save_agent(agent.model_copy(update={"skills": skills}))
        await self._agent_changed(saved)
        await self.route()
        return {"agent": _agent_view(saved, self._now())}

    async def accept(self, principal: Principal, session_id: str) -> dict[str, Any]:
        session = await self._session(session_id)
        access.AGENT_OF.require(principal, access.of_offer(session))
        agent = await self._agent(principal.sub)
        now = self._now()
        active = domain.accept(session, agent, now)
        # Recording starts with the call, so the call's first event says whether there is one.
        saved = await self._save(self._begin_recording(active, now))
        agent = await self._save_agent(
            agent.model_copy(
                update={"status": AgentStatus.BUSY, "status_since": now, "session_id": saved.id}
            )
        )
        log.info("call_accepted", session=saved.id, agent=agent.id)
        view = await self.view(saved)
        await self._publish_call(saved, events.CALL_ACCEPTED, {"session": view})
        await self._tell_citizen(saved, events.CALL_ACCEPTED, {"session": view})
        await self._agent_changed(agent)
        return view

    async def decline(self, principal: Principal, session_id: str) -> dict[str, Any]:
        session = await self._session(session_id)
        access.AGENT_OF.require(principal, access.of_offer(session))
        declined = await self._decline(session, principal.sub, "坐席拒接")
        await self.route()
        return await self.view(declined)

    async def hang_up(self, principal: Principal, session_id: str) -> dict[str, Any]:
        return await self.leave(principal, session_id)

    async def wrap_up(self, principal: Principal, request: WrapUpIn) -> dict[str, Any]:
        session = await self._session(request.session_id)
        access.AGENT_OF.require(principal, access.of_session(session))
        if session.agent_id != principal.sub or session.state is not SessionState.WRAP_UP:
            raise errors.NotInCall(state=session.state.value)
        ended = await self._save(
            session.model_copy(update={"state": SessionState.ENDED, "notes": request.notes})
        )
        agent = await self._agent(principal.sub)
        now = self._now()
        agent = await self._save_agent(
            agent.model_copy(
                update={
                    "status": AgentStatus.AVAILABLE,
                    "status_since": now,
                    "idle_since": now,
                    "session_id": None,
                }
            )
        )
        await self._agent_changed(agent)
        await self.route()
        return await self.view(ended)

    async def transfer(self, principal: Principal, request: TransferIn) -> dict[str, Any]:
        session = await self._session(request.session_id)
        access.AGENT_OF.require(principal, access.of_session(session))
        target = None
        if request.to_agent == principal.sub:
            raise errors.TransferTarget("不能转给自己")
        if request.to_agent:
            target = await self.store.agent(request.to_agent)
            if target is None:
                raise errors.AgentNotFound(agent_id=request.to_agent)
            if not domain.can_take(target, self._now()):
                raise errors.AgentBusy("该坐席当前不能接听")
        if request.to_topic and await self.store.topic(request.to_topic) is None:
            raise errors.TopicNotFound(topic=request.to_topic)
        now = self._now()
        moved = domain.transfer(
            session,
            now,
            from_agent=principal.sub,
            to_agent=target,
            to_topic=request.to_topic,
            note=request.note,
        )
        saved = await self._save(moved)
        await self._stop_recording(saved)
        me = await self._agent(principal.sub)
        me = await self._save_agent(
            me.model_copy(
                update={
                    "status": AgentStatus.AVAILABLE,
                    "status_since": now,
                    "idle_since": now,
                    "session_id": None,
                }
            )
        )
        view = await self.view(saved)
        await self._publish_call(saved, events.CALL_TRANSFERRED, {"session": view})
        await self._tell_citizen(saved, events.CALL_TRANSFERRED, {"session": view})
        if target is not None:
            target = await self._save_agent(target.model_copy(update={"session_id": saved.id}))
            await self._offer_event(saved, target)
        await self._agent_changed(me)
        await self.route()
        return view

    # -- the call ---------------------------------------------------------------------------

    async def signal(self, principal: Principal, request: SignalIn) -> dict[str, Any]:
        session = await self._signal_session(request.session_id, request.link)
        access.SIGNAL.require(principal, access.of_session(session))
        party = domain.party_of(principal, session)
        domain.check_signal(party, session, request.link)
        if request.link == "call":
            if request.kind == "renegotiate":
                await self._came_back(session, party)
            await self._publish_signal(
                session, party, None, request.link, request.kind, request.sdp, request.candidate
            )
            return {"relayed": True}
        # The hub is the other end: the recorder or the monitor relay.
        if request.kind == "candidate":
            await self.recorder.add_candidate(session.id, party, request.candidate)
            return {"relayed": True}
        if request.kind != "offer" or not request.sdp:
            raise errors.NotInCall("与录制端只能由参与方发起 offer")
        if request.link == "recorder":
            if not self.recorder.active(session.id):
                raise errors.RecorderBusy("本次通话未录制")
            answer = await self.recorder.answer(session.id, party, request.sdp)
            await self._publish_signal(session, "hub", party, request.link, "answer", answer, None)
            return {"relayed": True, "sdp": answer}
        # A supervisor's monitor: the answer is theirs alone (in this command's answer), with
        # which media section is whose.
        if request.party is None:
            raise errors.NotInCall("监听时请指明参与方（citizen 或 agent）")
        answer, tracks = await self.recorder.monitor(session.id, request.sdp, request.party)
        return {"relayed": True, "sdp": answer, "tracks": tracks}

    async def _signal_session(self, session_id: str, link: str) -> Session:
        """The session, freshly read for anything but a call's signals (those may use what
        this node read in the last SIGNAL_CACHE seconds: a call ended elsewhere relays a
        candidate or two more, harmlessly)."""
        cached = self._signal_cache.get(session_id)
        if link == "call" and cached is not None and cached[0] > time.monotonic():
            return cached[1]
        session = await self._session(session_id)
        if len(self._signal_cache) > 10_000:
            self._signal_cache.clear()
        self._signal_cache[session_id] = (time.monotonic() + SIGNAL_CACHE, session)
        return session

    async def quality(self, principal: Principal, request: QualityIn) -> dict[str, Any]:
        session = await self._session(request.session_id)
        access.IN_CALL.require(principal, access.of_session(session))
        party = domain.party_of(principal, session)
        if session.state is not SessionState.ACTIVE:
            raise errors.NotInCall(state=session.state.value)
        now = self._now()
        level = domain.quality_level(
            request.rtt_ms, request.loss_pct, request.bitrate_kbps, request.state
        )
        sample = QualitySample(
            at=now,
            party="citizen" if party == domain.Party.CITIZEN else "agent",
            rtt_ms=request.rtt_ms,
            loss_pct=request.loss_pct,
            bitrate_kbps=request.bitrate_kbps,
            level=level,
        )
        dropped = dict(session.dropped)
        if request.state == "connected":
            dropped.pop(party, None)
        else:
            dropped.setdefault(party, now)
        updated = session.model_copy(
            update={
                "quality": [*session.quality, sample][-MAX_QUALITY_SAMPLES:],
                "dropped": dropped,
            }
        )
        await self._save(updated, retry=True)
        await self._publish_call(
            session,
            events.QUALITY_REPORTED,
            {"party": party, "level": level, "state": request.state},
        )
        return {"level": level}

    async def chat(self, principal: Principal, request: ChatIn) -> dict[str, Any]:
        session = await self._session(request.session_id)
        message = await self._post(session, principal, text=request.text.strip())
        return {"message": message.model_dump(mode="json")}

    async def post_image(
        self, principal: Principal, session_id: str, data: bytes, declared: str
    ) -> dict[str, Any]:
        session = await self._session(session_id)
        access.IN_CALL.require(principal, access.of_session(session))
        if len(data) > MAX_IMAGE_BYTES:
            raise errors.ImageTooLarge(limit=MAX_IMAGE_BYTES)
        content_type = await asyncio.to_thread(_image_type, data)
        if content_type is None or declared.split(";")[0].strip() not in IMAGE_TYPES.values():
            raise errors.ImageInvalid()
        image_id = await self.store.put_image(data, content_type, session.id)
        message = await self._post(session, principal, image=(image_id, content_type))
        return {"message": message.model_dump(mode="json")}

    async def image(self, principal: Principal, image_id: str) -> tuple[bytes, str]:
        found = await self.store.image(image_id)
        if found is None:
            raise errors.SessionNotFound("图片不存在")
        data, content_type, session_id = found
        session = await self._session(session_id)
        access.READ_SESSION.require(principal, access.of_session(session))
        return data, content_type

    async def _post(
        self,
        session: Session,
        principal: Principal,
        *,
        text: str = "",
        image: tuple[str, str] | None = None,
    ) -> ChatMessage:
        access.IN_CALL.require(principal, access.of_session(session))
        party = domain.party_of(principal, session)
        if session.state not in (SessionState.ACTIVE, SessionState.WRAP_UP):
            raise errors.NotInCall(state=session.state.value)
        message = ChatMessage(
            id=secrets.token_hex(8),
            at=self._now(),
            sender="citizen" if party == domain.Party.CITIZEN else "agent",
            sender_name=session.citizen_name
            if party == domain.Party.CITIZEN
            else session.agent_name,
            text=text,
            image_id=image[0] if image else None,
            image_type=image[1] if image else None,
        )
        current = session
        for _ in range(5):
            if await self.store.save(current.model_copy(update={"chat": [*current.chat, message]})):
                break
            current = await self._session(session.id)  # someone else saved it first
        else:
            raise errors.NotInCall("会话正忙，请重发")
        await self._publish_call(
            session, events.CHAT_POSTED, {"message": message.model_dump(mode="json")}
        )
        return message

    # -- supervisors ------------------------------------------------------------------------

    async def line(self) -> tuple[list[Session], list[Session], list[Agent]]:
        """The consultations waiting (first come first), those in a call, and the agents."""
        sessions = await self.store.open_sessions()
        waiting = sorted(
            (s for s in sessions if s.state in (SessionState.WAITING, SessionState.OFFERED)),
            key=lambda s: s.queued_at,
        )
        active = [s for s in sessions if s.state is SessionState.ACTIVE]
        return waiting, active, sorted(await self.store.agents(), key=lambda a: a.name)

    async def overview(self) -> dict[str, Any]:
        now = self._now()
        waiting, active, agents = await self.line()
        names = {t.id: t.name for t in await self.store.topics()}
        return {
            "waiting": [await self.view(s, names) for s in waiting],
            "active": [await self.view(s, names) for s in active],
            "agents": [_agent_view(a, now) for a in agents],
        }

    async def view(
        self, session: Session, names: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The session as its parties and supervisors see it; `names` (topic id → name), when
        a list is being shown, spares a read per session."""
        data = session.model_dump(
            mode="json",
            exclude={"quality", "dropped", "declined", "callback_phone", "earlier_recordings"},
        )
        data["earlier_recordings"] = [
            r.model_dump(mode="json", exclude={"file", "node"}) for r in session.earlier_recordings
        ]
        if names is None:
            topic = await self.store.topic(session.topic)
            names = {topic.id: topic.name} if topic else {}
        data["topic_name"] = names.get(session.topic, session.topic)
        if session.recording is not None:
            data["recording"] = session.recording.model_dump(mode="json", exclude={"file", "node"})
        place = self._told.get(session.id)
        if session.state in (SessionState.WAITING, SessionState.OFFERED) and place:
            data["position"], data["estimate_minutes"] = place
        return data

    # -- routing and the clockwork ----------------------------------------------------------

    async def route(self) -> int:
        """Make every offer that can be made now."""
        async with self._routing:
            now = self._now()
            waiting = await self.store.in_state(SessionState.WAITING)
            if not waiting:
                return 0
            made = 0
            for session, agent in domain.route(waiting, await self.store.agents(), now):
                taken = await self.store.save_agent(
                    agent.model_copy(update={"session_id": session.id})
                )
                if taken is None:
                    continue  # another node offered this agent a call just now
                offered = await self.store.save(domain.offer(session, agent, now))
                if offered is None:
                    await self.store.save_agent(taken.model_copy(update={"session_id": None}))
                    continue
                await self._offer_event(offered, taken)
                made += 1
        if made:
            await self._queue_changed()
        return made

    async def tick(self) -> None:
        """Every second or so: offers that ran out, presence, dropped parties, places."""
        now = self._now()
        if self._present and now - self._heartbeat >= HEARTBEAT:
            self._heartbeat = now
            await self.store.seen(list(self._present), now)
        for session in await self.store.in_state(SessionState.OFFERED):
            if domain.offer_expired(session, now) and session.offered_to:
                await self._decline(session, session.offered_to, "超时未接", away=True)
        for agent in await self.store.agents():
            if agent.status is not AgentStatus.OFFLINE and not domain.present(agent, now):
                await self._gone(agent)
        for session in await self.store.in_state(SessionState.ACTIVE):
            party = domain.drop_expired(session, now)
            if party is not None:
                await self._end(session, f"{'市民' if party == 'citizen' else '坐席'}连接中断")
        await self.route()
        sessions = await self.store.open_sessions()
        await self._places(sessions)
        await self._callbacks(sessions, now)
        if now - self._swept >= timedelta(hours=1):
            self._swept = now
            await self.expire_recordings()

    async def expire_recordings(self) -> int:
        """Recordings older than the retention period are deleted (audit keeps the record)."""
        gone = await asyncio.to_thread(self.recorder.expired, self._retention.total_seconds())
        for name in gone:
            session = await self.store.get(name.rsplit("-", 1)[0])
            if session is None:
                continue

            def expire(r: Recording | None, name: str = name) -> Recording | None:
                if r is None or r.file != name:
                    return r
                return r.model_copy(update={"state": "expired", "reason": "超过保存期限，已删除"})

            earlier = [e for r in session.earlier_recordings if (e := expire(r)) is not None]
            await self._save(
                session.model_copy(
                    update={"recording": expire(session.recording), "earlier_recordings": earlier}
                ),
                retry=True,
            )
        if gone:
            log.info("recordings_expired", count=len(gone))
        return len(gone)

    async def _places(self, sessions: list[Session]) -> None:
        """Each waiting citizen told their place and wait when it changed."""
        waiting = {
            s.id: s for s in sessions if s.state in (SessionState.WAITING, SessionState.OFFERED)
        }
        minutes: dict[str, float] = {}
        for topic in {s.topic for s in waiting.values()}:
            spec = await self.store.topic(topic)
            minutes[topic] = domain.handle_minutes(
                await self.store.recent_of_topic(topic), spec.expected_minutes if spec else 6.0
            )
        now = self._now()
        present = [a for a in await self.store.agents() if domain.present(a, now)]
        for session_id, place in domain.places(list(waiting.values()), present, minutes).items():
            told = (place.position, place.estimate_minutes)
            if self._told.get(session_id) == told:
                continue
            self._told[session_id] = told
            session = waiting[session_id]
            await self._bus.publish_untyped(
                events.citizen_topic(session.citizen_id),
                events.POSITION_CHANGED,
                {"session_id": session_id, "position": told[0], "estimate_minutes": told[1]},
            )
        gone = set(self._told) - set(waiting)
        for session_id in gone:
            del self._told[session_id]

    async def _callbacks(self, sessions: list[Session], now: datetime) -> None:
        for session in sessions:
            if domain.callback_due(session, now):  # waiting ones only
                waited = int((now - session.queued_at).total_seconds() // 60)
                await self._bus.publish_untyped(
                    events.citizen_topic(session.citizen_id),
                    events.CALLBACK_OFFERED,
                    {"session_id": session.id, "waited_minutes": waited},
                    event_id=f"rtc:{session.id}:callback-offered",
                )

    async def _gone(self, agent: Agent) -> None:
        now = self._now()
        log.info("agent_offline", agent=agent.id)
        saved = await self.store.save_agent(
            agent.model_copy(update={"status": AgentStatus.OFFLINE, "status_since": now})
        )
        await self.store.reset_consoles(agent.id)
        if saved is None:
            return
        if agent.session_id:
            session = await self.store.get(agent.session_id)
            if session is not None and session.state is SessionState.OFFERED:
                await self._decline(session, agent.id, "坐席离线")
        await self._agent_changed(saved)

    async def _decline(
        self, session: Session, agent_id: str, why: str, *, away: bool = False
    ) -> Session:
        now = self._now()
        declined = await self._save(domain.decline(session, agent_id, now))
        agent = await self.store.agent(agent_id)
        if agent is not None and agent.session_id == session.id:
            update: dict[str, Any] = {"session_id": None}
            if away:  # missed an offer: not offered the next one until back
                update |= {"status": AgentStatus.AWAY, "status_since": now}
            saved = await self._save_agent(agent.model_copy(update=update))
            await self._agent_changed(saved)
        await self._bus.publish_untyped(
            events.agent_topic(agent_id),
            events.OFFER_WITHDRAWN,
            {"session_id": session.id, "reason": why},
        )
        log.info("offer_declined", session=session.id, agent=agent_id, why=why)
        return declined

    async def _withdraw(self, session: Session) -> None:
        if session.offered_to:
            agent = await self.store.agent(session.offered_to)
            if agent is not None and agent.session_id == session.id:
                await self._save_agent(agent.model_copy(update={"session_id": None}))
            await self._bus.publish_untyped(
                events.agent_topic(session.offered_to),
                events.OFFER_WITHDRAWN,
                {"session_id": session.id, "reason": "市民已离开"},
            )

    async def _end(self, session: Session, reason: str) -> dict[str, Any]:
        now = self._now()
        was_offered = session.state is SessionState.OFFERED
        if was_offered:
            await self._withdraw(session)
        ended = await self._save(domain.end(session, reason, now))
        agent = None
        if ended.agent_id and ended.state is SessionState.WRAP_UP:
            agent = await self.store.agent(ended.agent_id)
        if agent is not None:
            agent = await self._save_agent(
                agent.model_copy(update={"status": AgentStatus.WRAP_UP, "status_since": now})
            )
            await self._agent_changed(agent)  # tells the queue too
        else:
            await self._queue_changed()
        view = await self.view(ended)
        await self._publish_call(ended, events.CALL_ENDED, {"session": view})
        await self._tell_citizen(ended, events.CALL_ENDED, {"session": view})
        log.info("consultation_ended", session=ended.id, reason=reason)
        # The parties see the end at once: closing the recording's file can take seconds
        # (the frames still queued are encoded first); its outcome follows as its own event.
        recorded = await self._stop_recording(ended)
        return view if recorded is None else await self.view(recorded)

    async def _came_back(self, session: Session, party: str) -> None:
        if party in session.dropped:
            dropped = {k: v for k, v in session.dropped.items() if k != party}
            await self._save(session.model_copy(update={"dropped": dropped}), retry=True)

    # -- recording --------------------------------------------------------------------------

    def _begin_recording(self, session: Session, now: datetime) -> Session:
        """The session with its recording begun (or refused: the node records as many calls
        at once as it can encode). An earlier agent's part stays listed."""
        earlier = list(session.earlier_recordings)
        if session.recording is not None:
            earlier.append(session.recording)
        try:
            self.recorder.start(session.id, len(earlier))
            recording = Recording(
                state="recording", node=self.recorder.directory.name, started_at=now
            )
        except errors.RecorderBusy:
            recording = Recording(state="refused", reason="录制资源已满（本节点同时录制已达上限）")
            log.warning("recording_refused", session=session.id)
        return session.model_copy(update={"recording": recording, "earlier_recordings": earlier})

    async def _stop_recording(self, session: Session) -> Session | None:
        """The session with its recording's outcome saved; None when none was running."""
        info = await self.recorder.stop(session.id)
        if info is None:
            return None
        recording = Recording(
            state="failed" if info["error"] else "done",
            file=info["file"],
            node=self.recorder.directory.name,
            started_at=session.recording.started_at if session.recording else None,
            ended_at=self._now(),
            duration_s=info["duration_s"],
            size=info["size"],
            reason=info["error"],
        )
        fresh = await self.store.get(session.id)
        if fresh is None:
            return None
        saved = await self._save(fresh.model_copy(update={"recording": recording}), retry=True)
        await self._publish_call(
            saved,
            events.RECORDING_CHANGED,
            {"recording": recording.model_dump(mode="json", exclude={"file", "node"})},
        )
        return saved

    async def recording_file(self, session_id: str, part: int | None = None) -> Any:
        """The file of the call's recording: the last agent's part, or part `part`."""
        session = await self._session(session_id)
        parts = [*session.earlier_recordings, *([session.recording] if session.recording else [])]
        chosen = (
            parts[part]
            if part is not None and 0 <= part < len(parts)
            else (parts[-1] if parts and part is None else None)
        )
        if chosen is None or chosen.file is None:
            raise errors.SessionNotFound("此会话没有录像")
        path = self.recorder.directory / chosen.file
        if not path.exists():
            raise errors.SessionNotFound("录像文件不在本节点")
        return path

    # -- saving and telling -----------------------------------------------------------------

    async def _session(self, session_id: str) -> Session:
        session = await self.store.get(session_id)
        if session is None:
            raise errors.SessionNotFound(session_id=session_id)
        return session

    async def _agent(self, agent_id: str) -> Agent:
        agent = await self.store.agent(agent_id)
        if agent is None:
            raise errors.AgentNotFound(agent_id=agent_id)
        return agent

    async def _save(self, session: Session, *, retry: bool = False) -> Session:
        """A guarded save. With `retry`, a change that commutes with others (a quality sample,
        the recording's state) is applied again on the fresh document."""
        self._signal_cache.pop(session.id, None)
        saved = await self.store.save(session)
        if saved is not None:
            return saved
        if retry:
            for _ in range(5):
                fresh = await self._session(session.id)
                changes = {
                    k: getattr(session, k)
                    for k in ("quality", "dropped", "recording", "earlier_recordings")
                }
                saved = await self.store.save(fresh.model_copy(update=changes))
                if saved is not None:
                    return saved
        raise errors.NotInCall("会话刚被其他操作修改，请重试")

    async def _save_agent(self, agent: Agent) -> Agent:
        saved = await self.store.save_agent(agent)
        if saved is None:
            fresh = await self._agent(agent.id)
            changes = agent.model_dump(exclude={"version", "seen_at", "consoles"})
            saved = await self.store.save_agent(fresh.model_copy(update=changes))
            if saved is None:
                raise errors.AgentBusy("坐席状态刚被修改，请重试")
        return saved

    async def _publish_call(self, session: Session, type: str, data: dict[str, Any]) -> None:
        await self._bus.publish_untyped(events.session_topic(session.id), type, data)

    async def _publish_signal(
        self,
        session: Session,
        sender: str,
        to: str | None,
        link: str,
        kind: str,
        sdp: str | None,
        candidate: dict[str, Any] | None,
    ) -> None:
        await self._bus.publish_untyped(
            events.session_topic(session.id),
            events.SIGNAL_SENT,
            {
                "from": sender,
                "to": to,
                "link": link,
                "kind": kind,
                "sdp": sdp,
                "candidate": candidate,
            },
        )

    async def _tell_citizen(self, session: Session, type: str, data: dict[str, Any]) -> None:
        await self._bus.publish_untyped(events.citizen_topic(session.citizen_id), type, data)

    async def _offer_event(self, session: Session, agent: Agent) -> None:
        await self._bus.publish_untyped(
            events.agent_topic(agent.id),
            events.CALL_OFFERED,
            {"session": await self.view(session), "expires_at": session.offer_expires},
        )

    async def _agent_changed(self, agent: Agent) -> None:
        view = _agent_view(agent, self._now())
        await self._bus.publish_untyped(
            events.agent_topic(agent.id), events.AGENT_UPDATED, {"agent": view}
        )
        await self._queue_changed()

    async def _queue_changed(self) -> None:
        now = self._now()
        waiting, active, agents = await self.line()
        await self._bus.publish_untyped(
            events.QUEUE_TOPIC,
            events.QUEUE_CHANGED,
            {
                "waiting": [
                    {"session_id": s.id}
                    | s.model_dump(mode="json", include={"topic", "queued_at", "state"})
                    for s in waiting
                ],
                "active": [
                    {"session_id": s.id, "topic": s.topic, "agent_id": s.agent_id} for s in active
                ],
                "agents": [_agent_view(a, now) for a in agents],
            },
        )

    async def statistics(self, by: str, days: int) -> list[dict[str, Any]]:
        since = (self._now() - timedelta(days=days)).date().isoformat()
        sessions = await self.store.search({"day": {"$gte": since}}, 100_000, 0)
        from dataclasses import asdict

        return [asdict(r) for r in domain.statistics(sessions, by)]

    async def save_topic(self, topic: Topic) -> Topic:
        await self.store.save_topic(topic)
        return topic


def _agent_view(agent: Agent, now: datetime) -> dict[str, Any]:
    data = agent.model_dump(mode="json", by_alias=False, exclude={"version", "seen_at"})
    data["present"] = domain.present(agent, now)
    return data


def _image_type(data: bytes) -> str | None:
    """The picture's real type (Pillow reads it), or None when it is not one of ours."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return IMAGE_TYPES.get(kind or "")

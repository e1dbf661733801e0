"""Video customer service's orchestration, one concept a module:

- `core`          the store, the bus and the clock; guarded saves; the views; the line's events
- `routing`       offers made and withdrawn, places told, call-backs offered
- `presence`      agents' consoles, status and skills; a citizen's page closing mid-call
- `consultation`  a consultation from request to rating: accept, decline, hang-up, wrap-up,
                  transfer, call-back
- `call`          in the call: signaling, quality, chat and pictures
- `recordings`    begun with the call, closed with it, expired after the retention period
- `reads`         read models: topics, a citizen's consultations, one, search, statistics

`RtcService` is what the adapters (rtc/api.py) and the composition root see; the store stays
behind it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from hub.auth.models import Principal
from hub.clock import Clock, utc_now
from hub.events import EventBus
from rtc import domain
from rtc.models import (
    Agent,
    AgentView,
    CallbackIn,
    ChatIn,
    ChatMessage,
    Hello,
    Overview,
    QualityIn,
    RatingIn,
    RequestIn,
    Session,
    SessionDetail,
    SessionState,
    SessionView,
    SignalIn,
    Topic,
    TopicNow,
    TransferIn,
    WrapUpIn,
)
from rtc.recorder import Recorder
from rtc.service.call import IMAGE_TYPES, MAX_IMAGE_BYTES, Call
from rtc.service.consultation import Consultation
from rtc.service.core import Core
from rtc.service.presence import Presence
from rtc.service.reads import Reads
from rtc.service.recordings import Recordings
from rtc.service.routing import Routing
from rtc.store import RtcStore

__all__ = ["IMAGE_TYPES", "MAX_IMAGE_BYTES", "RtcService"]


class RtcService:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        bus: EventBus,
        recorder: Recorder,
        *,
        clock: Clock = utc_now,
        retention_days: int = 180,
    ) -> None:
        self._now = clock
        self._store = RtcStore(db)
        self.recorder = recorder
        # The parts read the clock through `now` (a test may move `_now`).
        core = Core(self._store, bus, self.now)
        self._routing = Routing(core)
        self._recordings = Recordings(core, recorder, timedelta(days=retention_days))
        self._presence = Presence(core, self._routing)
        self._consultation = Consultation(core, self._routing, self._recordings)
        self._call = Call(core, recorder)
        self._reads = Reads(core)

    def now(self) -> datetime:
        return self._now()

    async def start(self, default_topics: Path) -> None:
        await self._store.ensure_indexes()
        await self._reads.load_topics(default_topics)

    async def tick(self) -> None:
        """Every second or so: offers that ran out, presence, dropped parties, places,
        call-back offers, and once an hour expired recordings. The line (open sessions and
        agents) is read once, and again after each step that changed it: every step sees it as
        a fresh read would."""
        now = self.now()
        await self._presence.heartbeat(now)
        line = await self._line()
        if await self._routing.expire_offers(now, line[0]):
            line = await self._line()
        if await self._presence.sweep(now, line[1]):
            line = await self._line()
        if await self._consultation.end_dropped(now, line[0]):
            line = await self._line()
        if await self._routing.route(line):
            line = await self._line()
        await self._routing.tell_places(*line)
        await self._routing.offer_callbacks(line[0], now)
        await self._recordings.sweep(now)

    async def _line(self) -> tuple[list[Session], list[Agent]]:
        return await self._store.open_sessions(), await self._store.agents()

    async def route(self) -> int:
        """Make every offer that can be made now."""
        return await self._routing.route()

    # -- citizens ---------------------------------------------------------------------------

    async def request(self, principal: Principal, request: RequestIn) -> SessionView:
        return await self._consultation.request(principal, request)

    async def leave(self, principal: Principal, session_id: str) -> SessionView:
        return await self._consultation.leave(principal, session_id)

    async def callback(self, principal: Principal, request: CallbackIn) -> SessionView:
        return await self._consultation.callback(principal, request)

    async def rate(self, principal: Principal, request: RatingIn) -> SessionView:
        return await self._consultation.rate(principal, request)

    def watch(self, principal: Principal, sid: str) -> None:
        self._presence.watch(principal, sid)

    # -- agents -----------------------------------------------------------------------------

    async def hello(self, principal: Principal, sid: str) -> Hello:
        return await self._presence.hello(principal, sid)

    async def goodbye(self, sid: str, principal: Principal) -> None:
        await self._presence.goodbye(sid, principal)

    async def set_status(self, principal: Principal, status: str) -> AgentView:
        return await self._presence.set_status(principal, status)

    async def set_skills(self, agent_id: str, skills: list[str]) -> AgentView:
        return await self._presence.set_skills(agent_id, skills)

    async def accept(self, principal: Principal, session_id: str) -> SessionView:
        return await self._consultation.accept(principal, session_id)

    async def decline(self, principal: Principal, session_id: str) -> SessionView:
        return await self._consultation.decline(principal, session_id)

    async def hang_up(self, principal: Principal, session_id: str) -> SessionView:
        return await self._consultation.leave(principal, session_id)

    async def wrap_up(self, principal: Principal, request: WrapUpIn) -> SessionView:
        return await self._consultation.wrap_up(principal, request)

    async def transfer(self, principal: Principal, request: TransferIn) -> SessionView:
        return await self._consultation.transfer(principal, request)

    # -- the call ---------------------------------------------------------------------------

    async def signal(self, principal: Principal, request: SignalIn) -> dict[str, Any]:
        return await self._call.signal(principal, request)

    async def quality(self, principal: Principal, request: QualityIn) -> int:
        return await self._call.quality(principal, request)

    async def chat(self, principal: Principal, request: ChatIn) -> ChatMessage:
        return await self._call.chat(principal, request)

    async def post_image(
        self, principal: Principal, session_id: str, data: bytes, declared: str
    ) -> ChatMessage:
        return await self._call.post_image(principal, session_id, data, declared)

    async def image(self, principal: Principal, image_id: str) -> tuple[bytes, str]:
        return await self._call.image(principal, image_id)

    async def recording_file(self, session_id: str, part: int | None = None) -> Path:
        return await self._recordings.file(session_id, part)

    async def expire_recordings(self) -> int:
        return await self._recordings.expire()

    # -- read models ------------------------------------------------------------------------

    async def topics(self) -> list[TopicNow]:
        return await self._reads.topics()

    async def find(self, session_id: str) -> Session | None:
        return await self._reads.find(session_id)

    async def mine(self, principal: Principal) -> list[SessionView]:
        return await self._reads.mine(principal)

    async def detail(self, principal: Principal, session_id: str) -> SessionDetail:
        return await self._reads.detail(principal, session_id)

    async def search(
        self,
        *,
        state: SessionState | None = None,
        topic: str | None = None,
        agent_id: str | None = None,
        limit: int = 50,
        skip: int = 0,
    ) -> list[SessionView]:
        return await self._reads.search(
            state=state, topic=topic, agent_id=agent_id, limit=limit, skip=skip
        )

    async def overview(self) -> Overview:
        return await self._reads.overview()

    async def statistics(self, by: str, days: int) -> list[domain.Stats]:
        return await self._reads.statistics(by, days)

    async def save_topic(self, topic: Topic) -> Topic:
        return await self._reads.save_topic(topic)

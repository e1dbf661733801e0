"""Video customer service's collections; nothing else touches them.

`rtc_topics`, `rtc_agents` (presence, one per account), `rtc_sessions` (a consultation from
request to rating, with its chat, transfers, quality samples and recording), and the GridFS
bucket `rtc_images` for pictures sent in a chat. Every change to a session or an agent is
guarded by its `version`: two nodes routing at once cannot both offer one call. A session
stored carries `open` (waiting, offered or in a call), indexed: the line is one query (the
embedded nx-27017 store uses no index for `$in`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from rtc.models import OPEN_STATES, Agent, Session, SessionState, Topic

Document = dict[str, Any]


class RtcStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._topics = db["rtc_topics"]
        self._agents = db["rtc_agents"]
        self._sessions = db["rtc_sessions"]
        self._images = AsyncGridFSBucket(db, bucket_name="rtc_images")

    async def ensure_indexes(self) -> None:
        # Single-field indexes: nx-27017 uses no other kind for a find.
        await self._sessions.create_index([("state", 1)])
        await self._sessions.create_index([("citizen_id", 1)])
        await self._sessions.create_index([("agent_id", 1)])
        await self._sessions.create_index([("day", 1)])
        await self._sessions.create_index([("open", 1)])
        # Sessions stored before they carried `open`.
        for state in OPEN_STATES:
            await self._sessions.update_many(
                {"state": state.value, "open": {"$exists": False}}, {"$set": {"open": True}}
            )

    # -- topics ----------------------------------------------------------------------------

    async def topics(self) -> list[Topic]:
        return [Topic.model_validate(d) async for d in self._topics.find().sort("_id")]

    async def topic(self, topic_id: str) -> Topic | None:
        doc = await self._topics.find_one({"_id": topic_id})
        return Topic.model_validate(doc) if doc else None

    async def save_topic(self, topic: Topic) -> None:
        await self._topics.replace_one(
            {"_id": topic.id}, topic.model_dump(by_alias=True), upsert=True
        )

    # -- agents ----------------------------------------------------------------------------

    async def agents(self) -> list[Agent]:
        return [Agent.model_validate(d) async for d in self._agents.find()]

    async def agent(self, agent_id: str) -> Agent | None:
        doc = await self._agents.find_one({"_id": agent_id})
        return Agent.model_validate(doc) if doc else None

    async def add_agent(self, agent: Agent) -> bool:
        try:
            await self._agents.insert_one(agent.model_dump(by_alias=True))
        except DuplicateKeyError:
            return False
        return True

    async def save_agent(self, agent: Agent) -> Agent | None:
        """A state change, guarded by version. Presence (`consoles`, `seen_at`) is counted by
        its own updates and never written back from a copy read earlier."""
        saved = agent.model_copy(update={"version": agent.version + 1})
        fields = saved.model_dump(exclude={"id", "consoles", "seen_at"})
        result = await self._agents.update_one(
            {"_id": agent.id, "version": agent.version}, {"$set": fields}
        )
        return saved if result.matched_count == 1 else None

    async def consoles(self, agent_id: str, delta: int, now: datetime) -> None:
        """A console opened (+1) or closed (-1) on some node (no version bump)."""
        await self._agents.update_one(
            {"_id": agent_id}, {"$inc": {"consoles": delta}, "$set": {"seen_at": now}}
        )

    async def reset_consoles(self, agent_id: str) -> None:
        """Offline (not seen for the grace period): no console counts any more, even one a
        crashed node never closed."""
        await self._agents.update_one({"_id": agent_id}, {"$set": {"consoles": 0}})

    async def seen(self, agent_ids: list[str], now: datetime) -> None:
        """A node's heartbeat for the agents whose console is connected to it (no version
        bump: presence is not a state change)."""
        if agent_ids:
            await self._agents.update_many({"_id": {"$in": agent_ids}}, {"$set": {"seen_at": now}})

    # -- sessions --------------------------------------------------------------------------

    async def add(self, session: Session) -> None:
        await self._sessions.insert_one(_document(session))

    async def get(self, session_id: str) -> Session | None:
        doc = await self._sessions.find_one({"_id": session_id})
        return _session(doc) if doc else None

    async def save(self, session: Session) -> Session | None:
        saved = session.model_copy(update={"version": session.version + 1})
        result = await self._sessions.replace_one(
            {"_id": session.id, "version": session.version}, _document(saved)
        )
        return saved if result.matched_count == 1 else None

    async def open_sessions(self) -> list[Session]:
        """The sessions waiting, offered or in a call."""
        return [_session(d) async for d in self._sessions.find({"open": True})]

    async def in_state(self, state: SessionState) -> list[Session]:
        return [_session(d) async for d in self._sessions.find({"state": state.value})]

    async def of_citizen(self, citizen_id: str, limit: int = 50) -> list[Session]:
        cursor = self._sessions.find({"citizen_id": citizen_id}).sort("created_at", -1)
        return [_session(d) async for d in cursor.limit(limit)]

    async def search(self, query: Document, limit: int, skip: int) -> list[Session]:
        cursor = self._sessions.find(query).sort("created_at", -1).skip(skip).limit(limit)
        return [_session(d) async for d in cursor]

    async def recent_of_topic(self, topic: str, limit: int = 30) -> list[Session]:
        """The topic's last ended calls for their times, read without their chat and quality
        samples (read every second while someone waits)."""
        cursor = self._sessions.find(
            {"topic": topic, "state": SessionState.ENDED.value}, {"chat": 0, "quality": 0}
        )
        return [_session(d) async for d in cursor.sort("created_at", -1).limit(limit)]

    # -- images ----------------------------------------------------------------------------

    async def put_image(self, data: bytes, content_type: str, session_id: str) -> str:
        file_id = await self._images.upload_from_stream(
            f"{session_id}.img", data, metadata={"session_id": session_id, "type": content_type}
        )
        return str(file_id)

    async def image(self, file_id: str) -> tuple[bytes, str, str] | None:
        """(bytes, content type, session) of a chat picture, or None."""
        from bson import ObjectId
        from bson.errors import InvalidId

        try:
            oid = ObjectId(file_id)
        except InvalidId:
            return None
        try:
            stream = await self._images.open_download_stream(oid)
        except NoFile:
            return None
        data = await stream.read()
        meta = stream.metadata or {}
        return data, str(meta.get("type", "application/octet-stream")), str(meta.get("session_id"))


def _document(session: Session) -> Document:
    doc = session.model_dump(by_alias=True)
    doc["day"] = session.created_at.date().isoformat()
    doc["open"] = session.state in OPEN_STATES
    return doc


def _session(doc: Document) -> Session:
    doc.pop("day", None)
    doc.pop("open", None)
    return Session.model_validate(doc)

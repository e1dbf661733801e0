"""Recordings: begun with the call (or refused when the node records as many calls as it can
encode), closed when the call ends or moves to another agent, kept for the retention period."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.logs import get_logger
from rtc import errors, events
from rtc.models import Recording, RecordingView, Session
from rtc.recorder import Recorder
from rtc.service.core import Core

log = get_logger("rtc")

SWEEP = timedelta(hours=1)


class Recordings:
    def __init__(self, core: Core, recorder: Recorder, retention: timedelta) -> None:
        self._core = core
        self._recorder = recorder
        self._retention = retention
        self._swept = datetime.min.replace(tzinfo=UTC)

    def begin(self, session: Session, now: datetime) -> Session:
        """The session with its recording begun (or refused). An earlier agent's part stays
        listed."""
        earlier = list(session.earlier_recordings)
        if session.recording is not None:
            earlier.append(session.recording)
        try:
            self._recorder.start(session.id, len(earlier))
            recording = Recording(
                state="recording", node=self._recorder.directory.name, started_at=now
            )
        except errors.RecorderBusy:
            recording = Recording(state="refused", reason="录制资源已满（本节点同时录制已达上限）")
            log.warning("recording_refused", session=session.id)
        return session.model_copy(update={"recording": recording, "earlier_recordings": earlier})

    async def stop(self, session: Session) -> Session | None:
        """The session with its recording's outcome saved; None when none was running."""
        info = await self._recorder.stop(session.id)
        if info is None:
            return None
        recording = Recording(
            state="failed" if info["error"] else "done",
            file=info["file"],
            node=self._recorder.directory.name,
            started_at=session.recording.started_at if session.recording else None,
            ended_at=self._core.now(),
            duration_s=info["duration_s"],
            size=info["size"],
            reason=info["error"],
        )
        fresh = await self._core.store.get(session.id)
        if fresh is None:
            return None
        saved = await self._core.save(fresh.model_copy(update={"recording": recording}), retry=True)
        await self._core.tell_call(
            saved, events.RecordingChanged(recording=RecordingView.of(recording))
        )
        return saved

    async def file(self, session_id: str, part: int | None = None) -> Path:
        """The file of the call's recording: the last agent's part, or part `part`."""
        session = await self._core.session(session_id)
        parts = [*session.earlier_recordings, *([session.recording] if session.recording else [])]
        chosen = (
            parts[part]
            if part is not None and 0 <= part < len(parts)
            else (parts[-1] if parts and part is None else None)
        )
        if chosen is None or chosen.file is None:
            raise errors.SessionNotFound("此会话没有录像")
        path = self._recorder.directory / chosen.file
        if not await asyncio.to_thread(path.exists):
            raise errors.SessionNotFound("录像文件不在本节点")
        return path

    async def sweep(self, now: datetime) -> None:
        """Once an hour: expired recordings deleted."""
        if now - self._swept >= SWEEP:
            self._swept = now
            await self.expire()

    async def expire(self) -> int:
        """Recordings older than the retention period are deleted (audit keeps the record)."""
        gone = await asyncio.to_thread(self._recorder.expired, self._retention.total_seconds())
        for name in gone:
            session = await self._core.store.get(name.rsplit("-", 1)[0])
            if session is None:
                continue

            def expire(r: Recording | None, name: str = name) -> Recording | None:
                if r is None or r.file != name:
                    return r
                return r.model_copy(update={"state": "expired", "reason": "超过保存期限，已删除"})

            earlier = [e for r in session.earlier_recordings if (e := expire(r)) is not None]
            await self._core.save(
                session.model_copy(
                    update={"recording": expire(session.recording), "earlier_recordings": earlier}
                ),
                retry=True,
            )
        if gone:
            log.info("recordings_expired", count=len(gone))
        return len(gone)

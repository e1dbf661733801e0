"""In the call: signaling relayed between the parties (or answered by the hub's recorder and
monitor relay), connection quality, the chat's texts and pictures."""

from __future__ import annotations

import asyncio
import io
import secrets
from typing import Any

from hub.auth.models import Principal
from rtc import access, domain, errors, events
from rtc.events import Party
from rtc.models import (
    ChatIn,
    ChatMessage,
    QualityIn,
    QualitySample,
    Session,
    SessionState,
    SignalIn,
)
from rtc.recorder import Recorder
from rtc.service.core import Core

MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_QUALITY_SAMPLES = 720  # an hour of reports every 5 s


def speaker(party: str) -> Party:
    """A party of the call as events name it (the caller of a call's command is one)."""
    return "citizen" if party == domain.Party.CITIZEN else "agent"


class Call:
    def __init__(self, core: Core, recorder: Recorder) -> None:
        self._core = core
        self._store = core.store
        self._recorder = recorder

    async def signal(self, principal: Principal, request: SignalIn) -> dict[str, Any]:
        session = await self._core.signal_session(request.session_id, request.link)
        access.SIGNAL.require(principal, access.of_session(session))
        party = domain.party_of(principal, session)
        domain.check_signal(party, session, request.link)
        if request.link == "call":
            if request.kind == "renegotiate":
                await self._came_back(session, party)
            await self._core.tell_call(
                session,
                events.SignalSent(
                    sender=speaker(party),
                    to=None,
                    link=request.link,
                    kind=request.kind,
                    sdp=request.sdp,
                    candidate=request.candidate,
                ),
            )
            return {"relayed": True}
        # The hub is the other end: the recorder or the monitor relay.
        if request.kind == "candidate":
            await self._recorder.add_candidate(session.id, party, request.candidate)
            return {"relayed": True}
        if request.kind != "offer" or not request.sdp:
            raise errors.NotInCall("与录制端只能由参与方发起 offer")
        if request.link == "recorder":
            if not self._recorder.active(session.id):
                raise errors.RecorderBusy("本次通话未录制")
            answer = await self._recorder.answer(session.id, party, request.sdp)
            await self._core.tell_call(
                session,
                events.SignalSent(
                    sender="hub",
                    to=speaker(party),
                    link="recorder",
                    kind="answer",
                    sdp=answer,
                    candidate=None,
                ),
            )
            return {"relayed": True, "sdp": answer}
        # A supervisor's monitor: the answer is theirs alone (in this command's answer), with
        # which media section is whose.
        if request.party is None:
            raise errors.NotInCall("监听时请指明参与方（citizen 或 agent）")
        answer, tracks = await self._recorder.monitor(session.id, request.sdp, request.party)
        return {"relayed": True, "sdp": answer, "tracks": tracks}

    async def _came_back(self, session: Session, party: str) -> None:
        if party in session.dropped:
            dropped = {k: v for k, v in session.dropped.items() if k != party}
            await self._core.save(session.model_copy(update={"dropped": dropped}), retry=True)

    async def quality(self, principal: Principal, request: QualityIn) -> int:
        """A party's getStats() summary: kept, told to the call, answered with its level."""
        session = await self._core.session(request.session_id)
        access.IN_CALL.require(principal, access.of_session(session))
        party = domain.party_of(principal, session)
        if session.state is not SessionState.ACTIVE:
            raise errors.NotInCall(state=session.state.value)
        now = self._core.now()
        level = domain.quality_level(
            request.rtt_ms, request.loss_pct, request.bitrate_kbps, request.state
        )
        sample = QualitySample(
            at=now,
            party=speaker(party),
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
        await self._core.save(updated, retry=True)
        await self._core.tell_call(
            session, events.QualityReported(party=speaker(party), level=level, state=request.state)
        )
        return level

    # -- the chat ---------------------------------------------------------------------------

    async def chat(self, principal: Principal, request: ChatIn) -> ChatMessage:
        session = await self._core.session(request.session_id)
        return await self._post(session, principal, text=request.text.strip())

    async def post_image(
        self, principal: Principal, session_id: str, data: bytes, declared: str
    ) -> ChatMessage:
        session = await self._core.session(session_id)
        access.IN_CALL.require(principal, access.of_session(session))
        if len(data) > MAX_IMAGE_BYTES:
            raise errors.ImageTooLarge(limit=MAX_IMAGE_BYTES)
        content_type = await asyncio.to_thread(_image_type, data)
        if content_type is None or declared.split(";")[0].strip() not in IMAGE_TYPES.values():
            raise errors.ImageInvalid()
        image_id = await self._store.put_image(data, content_type, session.id)
        return await self._post(session, principal, image=(image_id, content_type))

    async def image(self, principal: Principal, image_id: str) -> tuple[bytes, str]:
        """A chat picture and its type, for the session's parties and supervisors."""
        found = await self._store.image(image_id)
        if found is None:
            raise errors.SessionNotFound("图片不存在")
        data, content_type, session_id = found
        session = await self._core.session(session_id)
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
        citizen = party == domain.Party.CITIZEN
        message = ChatMessage(
            id=secrets.token_hex(8),
            at=self._core.now(),
            sender=speaker(party),
            sender_name=session.citizen_name if citizen else session.agent_name,
            text=text,
            image_id=image[0] if image else None,
            image_type=image[1] if image else None,
        )
        current = session
        for _ in range(5):
            chat = [*current.chat, message]
            if await self._store.save(current.model_copy(update={"chat": chat})):
                break
            current = await self._core.session(session.id)  # someone else saved it first
        else:
            raise errors.NotInCall("会话正忙，请重发")
        await self._core.tell_call(session, events.ChatPosted(message=message))
        return message


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

"""码上取号 without an account: what a walk-in who scanned the hall's QR code sees (the hall's
services and how many wait), the verification code sent to their phone, and the ticket they
take, exactly as a kiosk would print it (its follow code is the kiosk slip's). The rules are in
`queueing/walk_in.py`; every refusal leaves the tickets, the numbers and the codes as they were
(a wrong code counts one try against that code: the guard against guessing)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from hub.events import EventBus
from hub.settings import WalkInSettings
from queueing import events, walk_in
from queueing.errors import PhoneCodeExpired, PhoneCodeInvalid, SmsUnavailable
from queueing.models import Channel, CitizenIn, PhoneCodeIn, Ticket, WalkInTicketIn
from queueing.service import QueueingService
from queueing.store import WalkInStore


def _random_code() -> str:
    return f"{secrets.randbelow(10**walk_in.CODE_DIGITS):0{walk_in.CODE_DIGITS}d}"


class WalkInService:
    def __init__(
        self,
        queue: QueueingService,
        store: WalkInStore,
        bus: EventBus,
        settings: WalkInSettings,
        *,
        pepper: bytes,
        sms: bool,
        codes: Callable[[], str] = _random_code,
    ) -> None:
        self._queue = queue
        self._store = store
        self._bus = bus
        self._settings = settings
        self._pepper = pepper
        self._sms = sms  # an SMS provider is configured: codes can be sent
        self._codes = codes

    async def hall(self, hall_id: str) -> dict[str, Any]:
        """What the walk-in's page shows: the hall, its open services with how many wait, and
        whether a phone can be verified here."""
        board = await self._queue.board(hall_id)
        config = await self._queue.config(hall_id)
        hall = config.hall
        return {
            "hall": {
                "id": hall.id,
                "name": hall.name,
                "address": hall.address,
                "district": hall.district,
                "notice": hall.notice,
            },
            "services": board["services"],
            "sms": self._sms,
            "day": board["day"],
        }

    async def send_code(self, hall_id: str, request: PhoneCodeIn, address: str) -> dict[str, Any]:
        """Send a verification code to the phone (through the message center), within the
        phone's and the address's limits."""
        if not self._sms:
            raise SmsUnavailable()
        config = await self._queue.config(hall_id)  # HALL_NOT_FOUND before anything else
        phone = walk_in.phone_of(request.phone)
        now = self._queue.now()
        settings = self._settings
        phone_key = walk_in.keyed(self._pepper, "phone", phone)
        wait = walk_in.resend_wait(
            await self._store.code(phone_key), now, settings.code_resend_seconds
        )
        if wait:
            raise walk_in.refused(f"验证码已发送，请 {wait} 秒后再获取", "resend", wait)
        windows = [
            walk_in.window(
                "codes_per_address",
                walk_in.keyed(self._pepper, "address", address),
                now,
                walk_in.HOUR,
                settings.codes_per_address_per_hour,
                "获取验证码过于频繁，请稍后再试",
            ),
            walk_in.window(
                "codes_per_phone",
                phone_key,
                now,
                walk_in.DAY,
                settings.codes_per_phone_per_day,
                "该手机号今天获取验证码的次数已达上限，请明天再试或直接取号",
            ),
        ]
        await self._count(windows)
        code = self._codes()
        await self._store.save_code(
            walk_in.new_code(
                phone_key, hall_id, phone, code, self._pepper, now, settings.code_minutes
            )
        )
        await self._bus.publish(
            events.citizen_topic(walk_in.walk_in_citizen(phone_key)),
            events.PhoneCodeIssued(
                hall_id=hall_id,
                hall_name=config.hall.name,
                phone=phone,
                code=code,
                minutes=settings.code_minutes,
            ),
        )
        return {
            "phone": walk_in.masked(phone),
            "expires_in_seconds": settings.code_minutes * 60,
            "resend_in_seconds": settings.code_resend_seconds,
        }

    async def take(self, hall_id: str, request: WalkInTicketIn, address: str) -> Ticket:
        """A ticket for the walk-in (channel `qr`), their phone verified by its code when they
        gave one; refused past the address's limit, the hall's caps and the person's limit.
        With a `request_id`, a repeat answers the ticket first taken (nothing counted again,
        the code not asked for again)."""
        if not request.request_id:
            return await self._take(hall_id, request, address, "")
        content = {"hall_id": hall_id, **request.model_dump(mode="json", exclude={"request_id"})}
        return await self._queue.once(
            f"walk_in:{request.device}",
            request.request_id,
            content,
            lambda claim: self._take(hall_id, request, address, claim),
        )

    async def _take(
        self, hall_id: str, request: WalkInTicketIn, address: str, claim: str
    ) -> Ticket:
        settings = self._settings
        now = self._queue.now()
        await self._queue.config(hall_id)  # HALL_NOT_FOUND before anything is counted
        phone = walk_in.phone_of(request.phone) if request.phone or request.code else ""
        if phone and not request.code.strip():
            raise PhoneCodeInvalid("请输入短信验证码")
        per_address = walk_in.window(
            "tickets_per_address",
            walk_in.keyed(self._pepper, "address", address),
            now,
            walk_in.HOUR,
            settings.tickets_per_address_per_hour,
            "取号过于频繁，请稍后再试或到大厅取号机取号",
        )
        await self._count([per_address])
        used = None
        try:
            if phone:
                phone_key = walk_in.keyed(self._pepper, "phone", phone)
                stored = await self._store.code(phone_key)
                if stored is None:
                    raise PhoneCodeExpired()
                try:
                    walk_in.check_code(
                        stored,
                        hall_id,
                        phone,
                        request.code,
                        self._pepper,
                        now,
                        settings.code_attempts,
                    )
                except PhoneCodeInvalid:
                    await self._store.wrong_code(stored)
                    raise
                if not await self._store.use_code(stored):
                    raise PhoneCodeExpired()
                used = stored
            citizen = CitizenIn(phone=phone, tags=request.tags) if phone or request.tags else None
            return await self._queue.take_ticket(
                hall_id, request.service_id, Channel.QR, citizen, device=request.device, claim=claim
            )
        except Exception:
            await self._store.unbump(per_address.key)
            if used is not None:
                await self._store.restore_code(used)
            raise

    async def _count(self, windows: list[walk_in.Window]) -> None:
        """Count one in each window, or in none: refused by the first that is full."""
        counted: list[walk_in.Window] = []
        for found in windows:
            if not await self._store.bump(found.key, found.limit, found.expires_at):
                for done in counted:
                    await self._store.unbump(done.key)
                raise walk_in.limited(found)
            counted.append(found)


__all__ = ["WalkInService"]

"""The plumbing of bench/city.py's clients: a lean Socket.IO client (bench/_sio.py's
MiniSocket, told when its connection ends) that tracks the seq of every topic it follows and
reconnects and replays as the screens do; commands and REST calls timed; what every actor
shares (`Ctx`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from bench._city_model import CityDay, Visit
from bench._city_probe import BenchClock, CallWatch, Delivery, Seqs, Stats, Tracker
from bench._sio import MiniSocket
from hub.auth.models import Role
from hub.auth.tokens import TokenIssuer

if TYPE_CHECKING:
    from bench._city_actors import Phone
    from bench._city_video import VideoPair

TOKEN_SECONDS = 3 * 24 * 3600
ANSWER_SECONDS = 60.0
CONNECT_SECONDS = 60.0
Handler = Callable[[dict[str, Any], float], None]


class CitySocket(MiniSocket):
    """bench/_sio.py's MiniSocket that says when its connection ends, and lets pings pass
    while it waits for the namespace's answer (a hub that slow still answers)."""

    on_close: Callable[[], None] | None = None

    @classmethod
    async def connect(
        cls,
        http: aiohttp.ClientSession,
        base_url: str,
        token: str,
        on_event: Handler | None = None,
    ) -> CitySocket:
        url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        ws = await http.ws_connect(url, autoping=False, max_msg_size=0)
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                opened = await ws.receive_str()
                if not opened.startswith("0"):
                    raise ConnectionError(f"unexpected open packet {opened[:40]!r}")
                await ws.send_str("40" + json.dumps({"token": token}))
                answer = await ws.receive_str()
                while answer == "2":
                    await ws.send_str("3")
                    answer = await ws.receive_str()
        except BaseException:
            await ws.close()
            raise
        if not answer.startswith("40"):
            await ws.close()
            raise ConnectionError(f"refused: {answer[:200]}")
        return cls(ws, on_event)

    async def _read(self) -> None:
        try:
            await super()._read()
        finally:
            if self.on_close is not None:
                self.on_close()


@dataclass
class HallState:
    """A hall's waiting counts per service as its screens see them (queueing.waiting_changed):
    a clerk presses F1 when one of their services has someone waiting."""

    waiting: dict[str, int] = field(default_factory=dict)
    known: bool = False
    seq: int = 0  # of the hall topic's event that said it (every screen of the hall hears it)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, data: dict[str, Any], seq: int) -> None:
        if seq <= self.seq:
            return
        self.seq = seq
        self.waiting = dict(data.get("waiting") or {})
        self.known = True
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    def has_work(self, services: list[str]) -> bool:
        return not self.known or any(self.waiting.get(s, 0) for s in services)

    async def wait(self, seconds: float) -> bool:
        """Until the counts change (True) or `seconds` pass (False)."""
        changed = self.changed
        try:
            async with asyncio.timeout(seconds):
                await changed.wait()
        except TimeoutError:
            return False
        return True


@dataclass
class Ctx:
    """What every actor shares."""

    http: aiohttp.ClientSession
    url: str
    issuer: TokenIssuer
    clock: BenchClock
    day: CityDay
    rng: random.Random
    stats: Stats = field(default_factory=Stats)
    seqs: Seqs = field(default_factory=Seqs)
    calls: CallWatch = field(default_factory=CallWatch)
    hall_state: dict[str, HallState] = field(default_factory=dict)
    hall_codes: dict[str, str] = field(default_factory=dict)
    appointments: dict[int, str] = field(default_factory=dict)  # visit n -> appointment id
    tickets: dict[str, Visit] = field(default_factory=dict)  # ticket id -> visit
    phones: dict[str, Phone] = field(default_factory=dict)  # ticket id -> its phone
    kiosks: dict[str, list[Client]] = field(default_factory=dict)
    completed: list[float] = field(default_factory=list)  # when tickets ended (finish, no-show)
    messages: Counter[str] = field(default_factory=Counter)  # in-app messages by kind
    signals: dict[str, float] = field(default_factory=dict)  # mark -> sent
    sessions: dict[str, VideoPair] = field(default_factory=dict)
    live: int = 0
    peak: int = 0
    handler_errors: int = 0
    stopping: bool = False
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    marks: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.hall_state = {h.id: HallState() for h in self.day.halls}

    def token(self, sub: str, role: Role, **claims: Any) -> str:
        token, _ = self.issuer.issue(sub, role, ttl_seconds=TOKEN_SECONDS, **claims)
        return token

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.stats.error("actor", type(exc).__name__, str(exc))

    def ended(self, ticket_id: str) -> None:
        """A clerk's finish or no-show was answered: the ticket's phone must hear of it."""
        self.completed.append(time.time())
        phone = self.phones.get(ticket_id)
        if phone is not None:
            self.spawn(phone.expect_end())


async def answer_of(
    ctx: Ctx, sock: MiniSocket | None, name: str, payload: dict[str, Any], label: str = ""
) -> tuple[dict[str, Any] | None, str]:
    """A command's data (None when refused or lost) and error code ("" when done); the
    answer's time is kept for answered ones only, refusals are counted by code."""
    label = label or name
    if sock is None:
        return None, "NOT_CONNECTED"
    sent = time.time()
    try:
        answer = await sock.call(name, payload, ANSWER_SECONDS)
    except (TimeoutError, ConnectionError) as exc:
        ctx.stats.error(label, type(exc).__name__, str(exc))
        return None, type(exc).__name__
    if isinstance(answer, dict) and answer.get("ok"):
        ctx.stats.add(label, sent, time.time())
        data = answer.get("data")
        return (data if isinstance(data, dict) else {"value": data}), ""
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code", "?"))
    ctx.stats.error(label, code, str(error.get("message", "")))
    return None, code


async def command(
    ctx: Ctx, sock: MiniSocket | None, name: str, payload: dict[str, Any], label: str = ""
) -> dict[str, Any] | None:
    return (await answer_of(ctx, sock, name, payload, label))[0]


async def rest(
    ctx: Ctx, method: str, path: str, token: str, body: Any = None, label: str = ""
) -> Any:
    sent = time.time()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with ctx.http.request(
            method, f"{ctx.url}/api/v1{path}", json=body, headers=headers
        ) as response:
            data = await response.json(content_type=None)
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        ctx.stats.error(label or path, type(exc).__name__, str(exc))
        return None
    if status >= 400:
        code = data.get("code", str(status)) if isinstance(data, dict) else str(status)
        detail = data.get("detail", "") if isinstance(data, dict) else ""
        ctx.stats.error(label or path, str(code), str(detail))
        return None
    if label:
        ctx.stats.add(label, sent, time.time())
    return data


class Client:
    """A subscribed screen or phone: a MiniSocket whose events pass its seq tracker first.
    When the hub drops it, it reconnects and asks for what it missed (after_seq), as the
    screens do."""

    def __init__(self, ctx: Ctx, name: str, handler: Handler | None = None) -> None:
        self.ctx = ctx
        self.name = name
        self.tracker = Tracker(ctx.seqs, name)
        self.handler = handler
        self.sock: CitySocket | None = None
        self.token = ""
        self.closing = False

    async def connect(self, token: str, label: str = "connect") -> bool:
        self.token = token
        sent = time.time()
        try:
            sock = await CitySocket.connect(self.ctx.http, self.ctx.url, token, self._event)
        except (aiohttp.ClientError, ConnectionError, OSError, TimeoutError) as exc:
            self.ctx.stats.error(label, type(exc).__name__, str(exc))
            return False
        self.ctx.stats.add(label, sent, time.time())
        sock.on_close = self._dropped
        self.sock = sock
        self.ctx.live += 1
        self.ctx.peak = max(self.ctx.peak, self.ctx.live)
        return True

    def _event(self, envelope: dict[str, Any], received: float) -> None:
        self._hand_on(self.tracker.event(envelope, received))

    def _hand_on(self, deliveries: list[Delivery]) -> None:
        for envelope, received in deliveries:
            if self.handler is None:
                return
            try:
                self.handler(envelope, received)
            except Exception as exc:  # a broken handler must not stop the socket's reader
                self.ctx.handler_errors += 1
                self.ctx.stats.error("event handler", type(exc).__name__, str(exc))

    async def subscribe(self, topic: str, label: str = "subscribe") -> bool:
        answer = await command(self.ctx, self.sock, "subscribe", {"topic": topic}, label)
        if answer is None:
            return False
        self._hand_on(self.tracker.subscribed(topic, answer))
        return True

    def _dropped(self) -> None:
        if self.closing or self.ctx.stopping or self.sock is None:
            return
        self.sock = None
        self.ctx.live -= 1
        self.ctx.seqs.dropped += 1
        self.ctx.seqs.note(f"{self.name}: connection dropped by the hub")
        self.ctx.spawn(self._reconnect())

    async def _reconnect(self) -> None:
        for attempt in range(8):
            await asyncio.sleep(min(0.5 * 2**attempt, 10.0))
            if self.closing or self.ctx.stopping:
                return
            if await self.connect(self.token, "reconnect"):
                break
        else:
            return
        for topic, state in list(self.tracker.topics.items()):
            if state.base is None:
                continue
            payload = {"topic": topic, "after_seq": state.last}
            self.tracker.pause(topic)
            answer, code = await answer_of(self.ctx, self.sock, "subscribe", payload, "resubscribe")
            if answer is not None:
                missed = list(answer.get("missed", []))
                self._hand_on(self.tracker.resumed(topic, missed, time.time()))
            elif code == "RESYNC_REQUIRED":  # the log no longer has the gap: reload
                self.ctx.seqs.resyncs += 1
                await self.subscribe(topic, "resubscribe")
            else:
                self._hand_on(self.tracker.resumed(topic, [], time.time()))

    async def close(self) -> None:
        self.closing = True
        self.tracker.close()
        if self.sock is not None:
            sock, self.sock = self.sock, None
            await sock.close()
            self.ctx.live -= 1

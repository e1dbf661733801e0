"""A scripted hall over real Socket.IO, for fault tests: screens that follow topics and come back
by themselves, counter workstations calling, citizens taking tickets and following them, and
the message center sending.

Every follower is a python-socketio `AsyncClient` (WebSocket only) that reconnects with
randomized exponential backoff (clients/shared/src/backoff.ts), resubscribes each topic with
`{topic, after_seq, epoch}`, and applies events by the screens' rule (tests/faults/sequencer.py).
It records every event pushed to it and every event it applied, for tests/faults/truth.py to
compare with each topic's full log.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp
import socketio

from hub.auth.models import Role
from queueing.models import TakeTicketIn
from tests.faults.harness import token
from tests.faults.sequencer import Envelope, Step, TopicSequencer

# `queueing.take_ticket` takes a `request_id` (a repeat answers the first result): then a take
# whose answer was lost is sent again with the same id. Without it a lost answer stays unknown.
REQUEST_IDS = "request_id" in TakeTicketIn.model_fields
# Codes after which a command may be sent again: nothing was done, or (with a request id) the
# first attempt's result is answered.
RETRYABLE = frozenset(
    {"STORE_UNAVAILABLE", "EVENT_LOG_UNAVAILABLE", "NODE_SHUTTING_DOWN", "REQUEST_IN_PROGRESS"}
)
# A catch-up's answer can be megabytes (aiohttp refuses messages over 4 MB by default; browsers
# take any size).
UNLIMITED = {"max_msg_size": 0}
# The client's own failures: the answer never came (the command may or may not have run).
DISCONNECTED, TIMEOUT = "DISCONNECTED", "TIMEOUT"


@dataclass(frozen=True)
class Backoff:
    """clients/shared/src/backoff.ts: exponential from `delay`, capped, spread by ±`spread`."""

    delay: float = 0.5
    max_delay: float = 10.0
    spread: float = 0.5

    def seconds(self, attempt: int) -> float:
        base = min(self.max_delay, self.delay * 2.0 ** max(0, attempt))
        jitter = base * self.spread * (random.random() * 2 - 1)
        return min(self.max_delay, max(0.0, base + jitter))


DEFAULT_BACKOFF = Backoff()


class CallFailed(Exception):
    def __init__(self, code: str, answer: Any = None) -> None:
        super().__init__(code)
        self.code = code
        self.answer = answer


@dataclass
class TopicRecord:
    """What one client saw of one topic."""

    topic: str
    # Seqs pushed to the client (`event`), in arrival order, and those dropped as seq <= last.
    raw: list[int] = field(default_factory=list)
    raw_dropped: int = 0
    # Events applied in order: (seq, epoch, envelope) and when (monotonic).
    applied: list[tuple[int, str, Envelope]] = field(default_factory=list)
    applied_at: list[float] = field(default_factory=list)
    # Each snapshot loaded: (epoch, seq, seq applied before it or None). The first one is where
    # the client starts; a later one covers the events between the two seqs.
    baselines: list[tuple[str, int, int | None]] = field(default_factory=list)
    catch_ups: int = 0
    resyncs: Counter[str] = field(default_factory=Counter)


@dataclass
class _Connection:
    sio: socketio.AsyncClient
    lost: asyncio.Event


class Follower:
    """One screen or phone: a socket that follows topics and comes back by itself."""

    def __init__(
        self,
        name: str,
        url: str,
        auth: str,
        http: aiohttp.ClientSession,
        *,
        topics: dict[str, str | None] | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        call_seconds: float = 10.0,
    ) -> None:
        self.name = name
        self.url = url
        self.auth = auth
        self.http = http
        self.backoff = backoff
        self.call_seconds = call_seconds
        # topic -> its REST snapshot's path (None: the subscribe ack's seq is the baseline)
        self.snapshots: dict[str, str | None] = {}
        self.records: dict[str, TopicRecord] = {}
        self._sequencers: dict[str, TopicSequencer] = {}
        self._connection: _Connection | None = None
        self.connected = asyncio.Event()
        self.connects: list[float] = []
        self.disconnects: list[float] = []
        self.resumed: list[float] = []  # every topic resubscribed after a connect
        self.failed_connects = 0
        self.errors: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        for topic, snapshot in (topics or {}).items():
            self._add(topic, snapshot)

    # -- life -------------------------------------------------------------------------------

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name=f"follower-{self.name}")

    async def close(self) -> None:
        self._stop.set()
        if self._runner is not None:
            await self._runner
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            sio = socketio.AsyncClient(
                reconnection=False, http_session=self.http, websocket_extra_options=UNLIMITED
            )
            connection = _Connection(sio, asyncio.Event())
            sio.on("event", self._on_event)
            sio.on("resync", self._on_resync)
            sio.on("disconnect", lambda *_, lost=connection.lost: lost.set())
            try:
                await sio.connect(
                    self.url,
                    auth={"token": self.auth},
                    transports=["websocket"],
                    wait_timeout=5,
                )
            except Exception as exc:
                self.failed_connects += 1
                self.errors[f"connect:{type(exc).__name__}"] += 1
                await _quietly(sio.disconnect())
                await self._sleep(self.backoff.seconds(attempt))
                attempt += 1
                continue
            attempt = 0
            self._connection = connection
            self.connects.append(time.monotonic())
            self.connected.set()
            resume = self._spawn(self._resume_all(connection))
            stop = asyncio.create_task(self._stop.wait())
            lost = asyncio.create_task(connection.lost.wait())
            await asyncio.wait({stop, lost}, return_when=asyncio.FIRST_COMPLETED)
            for waiter in (stop, lost, resume):
                waiter.cancel()
            self.connected.clear()
            self._connection = None
            if connection.lost.is_set():
                self.disconnects.append(time.monotonic())
            await _quietly(sio.disconnect())
            if self._stop.is_set():
                break
            await self._sleep(self.backoff.seconds(attempt))
            attempt += 1

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- commands ---------------------------------------------------------------------------

    async def call(self, command: str, payload: Any, seconds: float | None = None) -> Any:
        """Send a command on the current connection; its `data`, or CallFailed with the error's
        code (DISCONNECTED / TIMEOUT when no answer came)."""
        connection = self._connection
        if connection is None:
            raise CallFailed(DISCONNECTED)
        call = asyncio.create_task(
            connection.sio.call(command, payload, timeout=seconds or self.call_seconds)
        )
        lost = asyncio.create_task(connection.lost.wait())
        try:
            await asyncio.wait({call, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not call.done():
                call.cancel()
        if not call.done() or call.cancelled():
            raise CallFailed(DISCONNECTED)
        exc = call.exception()
        if exc is not None:
            code = TIMEOUT if isinstance(exc, socketio.exceptions.TimeoutError) else DISCONNECTED
            raise CallFailed(code)
        answer = call.result()
        if not isinstance(answer, dict) or not answer.get("ok"):
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise CallFailed(str(error.get("code", "MALFORMED")), answer)
        return answer["data"]

    async def wait_connected(self, seconds: float = 30) -> None:
        async with asyncio.timeout(seconds):
            await self.connected.wait()

    # -- topics -----------------------------------------------------------------------------

    def _add(self, topic: str, snapshot: str | None) -> None:
        self.snapshots[topic] = snapshot
        self.records[topic] = TopicRecord(topic)
        self._sequencers[topic] = TopicSequencer()

    def follow(self, topic: str, snapshot: str | None = None) -> None:
        """Follow one more topic (subscribed now if connected, else on the next connect)."""
        if topic in self.records:
            return
        self._add(topic, snapshot)
        connection = self._connection
        if connection is not None:
            self._spawn(self._resume(topic, connection))

    async def _resume_all(self, connection: _Connection) -> None:
        # Hold every topic's events until its resubscription is answered.
        await asyncio.gather(*(self._resume(topic, connection) for topic in list(self.records)))
        if self._connection is connection:
            self.resumed.append(time.monotonic())

    async def _resume(self, topic: str, connection: _Connection) -> None:
        """Resubscribe one topic on this connection: catch up from its seq, or subscribe and
        load the snapshot; a refusal is tried again after a while, on this connection."""
        attempt = 0
        while self._connection is connection:
            try:
                catch_up = self._sequencers[topic].pause()
                if catch_up is None:
                    await self._fresh(topic)
                else:
                    await self._catch_up(topic, catch_up.after_seq, catch_up.epoch)
                return
            except CallFailed as failed:
                self.errors[f"subscribe:{failed.code}"] += 1
                if failed.code in (DISCONNECTED,):
                    return  # the next connection resumes it
                await asyncio.sleep(self.backoff.seconds(attempt))
                attempt += 1

    async def _fresh(self, topic: str) -> None:
        """Subscribe, then load the snapshot (snapshot-then-stream)."""
        sequencer, record = self._sequencers[topic], self.records[topic]
        ack = await self.call("subscribe", {"topic": topic})
        seq, epoch = ack["seq"], ack["epoch"]
        path = self.snapshots[topic]
        if path is not None:
            seq, epoch = await self._snapshot(path)
        before = record.applied[-1][0] if record.applied else None
        record.baselines.append((epoch, seq, before))
        self._do(topic, sequencer.baseline(seq, epoch, ack["seq"]))

    async def _snapshot(self, path: str) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {self.auth}"}
        try:
            async with self.http.get(
                self.url + "/api/v1" + path,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.call_seconds),
            ) as response:
                status, body = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise CallFailed(f"HTTP_{type(exc).__name__}") from None
        answer = _json(body)
        if status != 200:
            raise CallFailed(str(answer.get("code", status)), answer)
        return int(answer["seq"]), str(answer["epoch"])

    async def _catch_up(self, topic: str, after_seq: int, epoch: str) -> None:
        record = self.records[topic]
        record.catch_ups += 1
        try:
            ack = await self.call(
                "subscribe", {"topic": topic, "after_seq": after_seq, "epoch": epoch}
            )
        except CallFailed as failed:
            if failed.code != "RESYNC_REQUIRED":
                raise
            reason = failed.answer["error"].get("details", {}).get("reason", "")
            await self._resync(topic, f"RESYNC_REQUIRED:{reason}")
            return
        self._do(topic, self._sequencers[topic].caught_up(ack["seq"], ack["epoch"], ack["missed"]))

    async def _resync(self, topic: str, why: str) -> None:
        self.records[topic].resyncs[why] += 1
        self._sequencers[topic].reset()
        await self._fresh(topic)

    def _do(self, topic: str, step: Step) -> None:
        record, sequencer = self.records[topic], self._sequencers[topic]
        now = time.monotonic()
        for envelope in step.apply:
            record.applied.append((envelope["seq"], sequencer.epoch or "", envelope))
            record.applied_at.append(now)
        if step.catch_up is not None:
            catch_up = step.catch_up
            self._spawn(self._retrying(topic, self._catch_up, catch_up.after_seq, catch_up.epoch))
        elif step.resync:
            self._spawn(self._retrying(topic, self._resync, "held_too_long"))

    async def _retrying(
        self, topic: str, action: Callable[..., Awaitable[None]], *args: Any
    ) -> None:
        try:
            await action(topic, *args)
        except CallFailed as failed:
            # Lost with the connection (the next one resumes the topic) or refused: resume.
            self.errors[f"catch_up:{failed.code}"] += 1
            connection = self._connection
            if failed.code != DISCONNECTED and connection is not None:
                await asyncio.sleep(self.backoff.seconds(0))
                await self._resume(topic, connection)

    # -- pushed by the hub --------------------------------------------------------------------

    def _on_event(self, envelope: Envelope) -> None:
        topic = envelope.get("topic")
        record = self.records.get(topic) if isinstance(topic, str) else None
        if record is None or not isinstance(topic, str):
            self.errors["event_of_unknown_topic"] += 1
            return
        record.raw.append(envelope["seq"])
        sequencer = self._sequencers[topic]
        if sequencer.is_duplicate(envelope):
            record.raw_dropped += 1
        self._do(topic, sequencer.receive(envelope))

    def _on_resync(self, data: Any) -> None:
        """The hub says a topic's history is gone (Redis restarted): as RESYNC_REQUIRED."""
        topic = data.get("topic") if isinstance(data, dict) else None
        if isinstance(topic, str) and topic in self.records:
            reason = str(data.get("reason", ""))
            self._spawn(self._retrying(topic, self._resync, f"resync_event:{reason}"))


def _json(body: bytes) -> dict[str, Any]:
    """A JSON object answered, or {} (nginx answers an HTML page when no node does)."""
    try:
        answer = json.loads(body)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


async def _quietly(awaitable: Awaitable[Any]) -> None:
    with contextlib.suppress(Exception):
        await awaitable


# -- the hall's people ----------------------------------------------------------------------


class Answer(NamedTuple):
    at: float  # monotonic time it came (or the client gave up)
    code: str  # "ok", the error's code, DISCONNECTED or TIMEOUT
    seconds: float  # since the command was sent


@dataclass
class Outcomes:
    """What a command-sending actor got: answers by code ("ok" for success), and each one."""

    codes: Counter[str] = field(default_factory=Counter)
    history: list[Answer] = field(default_factory=list)

    def note(self, code: str, sent_at: float | None = None) -> None:
        now = time.monotonic()
        self.codes[code] += 1
        self.history.append(Answer(now, code, 0.0 if sent_at is None else now - sent_at))


async def retry_command(
    follower: Follower,
    command: str,
    payload: dict[str, Any],
    outcomes: Outcomes,
    stop: asyncio.Event,
    *,
    safe_unanswered: bool,
    attempts: int = 30,
) -> Any:
    """Send until answered. A coded refusal in RETRYABLE is sent again; an unanswered one
    (DISCONNECTED / TIMEOUT) only if `safe_unanswered` (it carries a request id, or it is
    harmless twice). Answers the data, or raises the last CallFailed."""
    attempt = 0
    while True:
        with contextlib.suppress(TimeoutError):
            await follower.wait_connected(30)
        sent_at = time.monotonic()
        try:
            data = await follower.call(command, payload)
        except CallFailed as failed:
            outcomes.note(failed.code, sent_at)
            unanswered = failed.code in (DISCONNECTED, TIMEOUT)
            again = failed.code in RETRYABLE or (unanswered and safe_unanswered)
            if not again or attempt >= attempts or stop.is_set():
                raise
            await asyncio.sleep(follower.backoff.seconds(min(attempt, 3)))
            attempt += 1
            continue
        outcomes.note("ok", sent_at)
        return data


class Workstation:
    """A clerk at a counter: open it, then call_next -> start -> finish, over and over."""

    def __init__(
        self, hall_id: str, counter_id: str, url: str, http: aiohttp.ClientSession, **kw: Any
    ) -> None:
        self.hall_id = hall_id
        self.counter_id = counter_id
        auth = token(Role.STAFF, f"clerk-{counter_id}", hall=hall_id, name=f"clerk {counter_id}")
        self.follower = Follower(
            f"desk-{counter_id}", url, auth, http, topics={f"counter:{counter_id}": None}, **kw
        )
        self.outcomes = Outcomes()
        self.called: list[str] = []  # ticket ids this counter called (answered)
        self.pause = 0.0  # between actions

    async def run(self, stop: asyncio.Event, until_calls: int | None = None) -> None:
        payload = {"counter_id": self.counter_id}
        action = "open_counter"
        while not stop.is_set() and (until_calls is None or len(self.called) < until_calls):
            try:
                data = await retry_command(
                    self.follower,
                    f"queueing.{action}",
                    payload,
                    self.outcomes,
                    stop,
                    safe_unanswered=True,  # each step is checked by the next one's answer
                )
            except CallFailed as failed:
                action = _after_refusal(action, failed.code)
                if failed.code == "NO_TICKET_WAITING":
                    await asyncio.sleep(0.2)
                continue
            if action == "call_next":
                self.called.append(data["ticket_id"])
            action = {"open_counter": "call_next", "call_next": "start", "start": "finish"}.get(
                action, "call_next"
            )
            if self.pause:
                await asyncio.sleep(self.pause)


def _after_refusal(action: str, code: str) -> str:
    """What a clerk does next when the hub refuses `action` (a step may have been done by an
    attempt whose answer was lost)."""
    if code == "COUNTER_BUSY":
        return "start"
    if code in ("NO_CURRENT_TICKET",):
        return "call_next"
    if code in ("INVALID_TRANSITION", "TICKET_NOT_CALLABLE") and action == "start":
        return "finish"
    if code in ("COUNTER_CLOSED", "NOT_YOUR_COUNTER"):
        return "open_counter"
    if action == "open_counter":
        return "call_next"  # already open (by the attempt whose answer was lost)
    return action


class Phone:
    """A citizen's phone: takes a ticket in the H5 app and follows it (and its messages)."""

    def __init__(
        self, citizen_id: str, hall_id: str, url: str, http: aiohttp.ClientSession, **kw: Any
    ) -> None:
        self.citizen_id = citizen_id
        self.hall_id = hall_id
        auth = token(Role.CITIZEN, citizen_id, name=f"市民{citizen_id}")
        self.follower = Follower(
            f"phone-{citizen_id}", url, auth, http, topics={f"citizen:{citizen_id}": None}, **kw
        )
        self.outcomes = Outcomes()
        self.tickets: list[str] = []
        self.unknown_takes = 0  # answers lost without a request id to ask again with
        self._takes = itertools.count(1)

    async def take(self, service_id: str, stop: asyncio.Event) -> str | None:
        """Take a ticket. With a request id it is asked again until answered, `stop` or not
        (the first attempt's node may have died holding the claim: REQUEST_IN_PROGRESS until
        its lease ends); without one, retried on coded refusals until `stop`."""
        payload: dict[str, Any] = {
            "hall_id": self.hall_id,
            "service_id": service_id,
            "channel": "miniapp",
        }
        if REQUEST_IDS:
            payload["request_id"] = f"take-{self.citizen_id}-{next(self._takes)}"
        try:
            data = await retry_command(
                self.follower,
                "queueing.take_ticket",
                payload,
                self.outcomes,
                asyncio.Event() if REQUEST_IDS else stop,
                safe_unanswered=REQUEST_IDS,
                attempts=60,
            )
        except CallFailed as failed:
            if failed.code in (DISCONNECTED, TIMEOUT):
                self.unknown_takes += 1
            return None
        ticket_id = str(data["ticket_id"])
        self.tickets.append(ticket_id)
        self.follower.follow(f"ticket:{ticket_id}", f"/halls/{self.hall_id}/tickets/{ticket_id}")
        return ticket_id


class Kiosk:
    """The hall's kiosk (a display device): prints tickets to fill the queue."""

    def __init__(self, hall_id: str, url: str, http: aiohttp.ClientSession, **kw: Any) -> None:
        self.hall_id = hall_id
        auth = token(Role.DISPLAY, f"kiosk-{hall_id}", hall=hall_id)
        self.follower = Follower(f"kiosk-{hall_id}", url, auth, http, **kw)
        self.outcomes = Outcomes()
        self.printed = 0

    async def print_tickets(self, count: int, services: int, stop: asyncio.Event) -> None:
        """`count` tickets, one tap each (a tap's request id is sent again until answered, as
        the kiosk screen does; without request ids a lost answer is left alone)."""
        for i in range(count):
            if stop.is_set():
                return
            payload = {
                "hall_id": self.hall_id,
                "service_id": f"s{i % services + 1}",
                "channel": "kiosk",
            }
            if REQUEST_IDS:
                payload["request_id"] = f"kiosk-{self.hall_id}-{secrets.token_hex(8)}"
            with contextlib.suppress(CallFailed):
                await retry_command(
                    self.follower,
                    "queueing.take_ticket",
                    payload,
                    self.outcomes,
                    stop,
                    safe_unanswered=REQUEST_IDS,
                )
                self.printed += 1


class MessageCenter:
    """The back office sending notices (`POST /notifier/messages`, in-app) with an
    Idempotency-Key, sent again with the same key until answered."""

    def __init__(
        self, url: str, http: aiohttp.ClientSession, backoff: Backoff = DEFAULT_BACKOFF
    ) -> None:
        self.url = url
        self.http = http
        self.backoff = backoff
        self.auth = token(Role.ADMIN, "message-center")
        self.sent: dict[str, str] = {}  # title -> recipient, answered 202
        self.outcomes = Outcomes()
        self._numbers = itertools.count(1)

    async def send(self, recipient: str, stop: asyncio.Event) -> bool:
        number = next(self._numbers)
        title = f"通知-{number}-{random.getrandbits(32):08x}"
        body = {
            "kind": "notice",
            "recipients": [recipient],
            "data": {"title": title, "body": "请留意叫号"},
            "channels": ["in_app"],
        }
        headers = {"Authorization": f"Bearer {self.auth}", "Idempotency-Key": f"mc-{title}"}
        for attempt in range(30):
            try:
                async with self.http.post(
                    self.url + "/api/v1/notifier/messages",
                    json=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as response:
                    status, answer = response.status, _json(await response.read())
            except (aiohttp.ClientError, TimeoutError):
                self.outcomes.note(DISCONNECTED)
            else:
                code = "ok" if status in (200, 202) else str(answer.get("code", status))
                self.outcomes.note(code)
                if code == "ok":
                    self.sent[title] = recipient
                    return True
                if code not in RETRYABLE and status < 500:
                    return False
            if stop.is_set():
                return False
            await asyncio.sleep(self.backoff.seconds(min(attempt, 3)))
        return False

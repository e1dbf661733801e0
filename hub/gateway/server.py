"""The Socket.IO server: authenticate at connect, dispatch commands, subscribe to topics."""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from aiohttp import web
from pydantic import Field
from socketio import packet as sio_packet

from hub.auth.models import Principal
from hub.auth.tokens import TokenIssuer
from hub.context import new_ctx
from hub.errors import (
    HubError,
    InvalidNamespace,
    RateLimited,
    ShuttingDown,
    Unauthenticated,
)
from hub.events.bus import EventBus
from hub.events.envelope import Envelope, Replay
from hub.gateway.commands import (
    COMMAND_TIMEOUT_SECONDS,
    Call,
    CommandRegistry,
    Payload,
    dispatch,
)
from hub.gateway.connections import Connections, text_frame
from hub.gateway.engine import HubEngineIO
from hub.gateway.fanout import FastLocalManager, HubRedisManager, encode_event
from hub.gateway.packets import HubPacket, ProtocolError
from hub.gateway.ratelimit import CommandLimiter, Rate
from hub.logs import get_logger
from hub.metrics import HubMetrics
from hub.outages import log_failure
from hub.redis_keys import RedisKeys
from hub.settings import Settings
from hub.topics import TopicPolicy

log = get_logger("hub.gateway")

REPAIR_SECONDS = 2.0
# A stopping node waits this long for the commands it is running before closing the sockets:
# longer than any command may run.
DRAIN_SECONDS = COMMAND_TIMEOUT_SECONDS + 1
_NO_ENVIRON: dict[str, Any] = {}


class SubscribeIn(Payload):
    topic: str = Field(max_length=200)
    after_seq: int | None = Field(default=None, ge=0, le=2**63 - 1)  # a seq is an int64
    epoch: str | None = Field(default=None, max_length=64)


class UnsubscribeIn(Payload):
    topic: str = Field(max_length=200)


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        tokens: TokenIssuer,
        topics: TopicPolicy,
        commands: CommandRegistry,
        bus: EventBus,
        metrics: HubMetrics,
    ) -> None:
        self._tokens = tokens
        self._topics = topics
        self._commands = commands
        self._bus = bus
        self._metrics = metrics
        self._principals: dict[str, Principal] = {}
        self._disconnect_listeners: list[Callable[[str, Principal], Awaitable[None]]] = []
        self._app: web.Application | None = None
        self._running = 0  # commands being handled now
        self._idle = asyncio.Event()
        self._idle.set()
        self._draining = False
        limits = settings.rate_limit
        self._limiter = CommandLimiter(
            per_socket=Rate(limits.socket_per_second, limits.socket_burst),
            per_token=Rate(limits.token_per_second, limits.token_burst),
        )
        self.connections = Connections(settings.max_client_buffer_bytes)
        manager: FastLocalManager
        if settings.redis_url:
            manager = HubRedisManager(
                settings.redis_url, channel=RedisKeys(settings.redis_prefix).socketio_channel
            )
        else:
            manager = FastLocalManager()
        manager.bind(self.connections, metrics, track=bool(settings.redis_url))
        self.manager = manager
        self.sio = _HubServer(
            self.connections,
            async_mode="aiohttp",
            client_manager=manager,
            transports=["websocket"],
            allow_upgrades=False,
            http_compression=False,
            cors_allowed_origins=None,  # same origin only; put a proxy in front for others
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            max_http_buffer_size=1_000_000,
            # One client's commands run in order (F1 pressed twice must not race itself).
            async_handlers=False,
            logger=False,
            engineio_logger=False,
        )
        self.sio.eio.connections = self.connections
        self.sio.eio.connect_timeout = settings.connect_timeout
        self.sio.eio.attachment_timeout = settings.attachment_timeout
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("*", self._on_command)
        commands.add(
            "subscribe",
            SubscribeIn,
            self._subscribe,
            summary="Join a topic; answers {seq, epoch, missed} (events after after_seq)",
        )
        commands.add("unsubscribe", UnsubscribeIn, self._unsubscribe, summary="Leave a topic")
        bus.set_local_delivery(self.deliver)

    def attach(self, app: web.Application) -> None:
        self._app = app
        self.sio.attach(app, socketio_path="socket.io")

    async def start(self) -> None:
        """Start the manager now (python-socketio would on the first connection), so a node
        listens to the other nodes from start-up; with Redis, wait until it is subscribed and
        start the repair loop."""
        if not self.sio.manager_initialized:
            self.sio.manager_initialized = True
            self.manager.initialize()
        self.sio.eio.start_background_task(self.sio.eio.pinger)
        if isinstance(self.manager, HubRedisManager):
            async with asyncio.timeout(10):
                await self._listening()
            self.sio.eio.start_background_task(self._repair_loop)

    async def _listening(self) -> None:
        """Until the pub/sub listener's SUBSCRIBE has reached Redis (polled: python-socketio
        gives no signal)."""
        manager = self.manager
        while True:
            pubsub = getattr(manager, "pubsub", None)
            if pubsub is not None and pubsub.subscribed:
                numsub = await manager.redis.pubsub_numsub(manager.channel)
                if numsub and numsub[0][1] >= 1:
                    return
            await asyncio.sleep(0.01)

    async def _repair_loop(self) -> None:
        """Redis pub/sub is at-most-once: a node whose subscription dropped loses messages.
        Every REPAIR_SECONDS, compare each locally subscribed topic with the log and write
        what this node's sockets missed, in order."""
        while True:
            await asyncio.sleep(REPAIR_SECONDS)
            try:
                await self.repair()
            except Exception:
                log_failure(log, "repair_failed")

    async def repair(self) -> int:
        manager = self.manager
        manager.forget_idle_topics()
        repaired = 0
        for topic, delivered in list(manager.delivered.items()):
            replay = await self._bus.replay(topic, None)
            if self._began_again(topic, replay):
                self._log_began_again(topic, replay.seq, replay.epoch)
                continue
            if replay.seq <= delivered:
                continue
            try:
                missed = await self._bus.replay(topic, delivered)
            except HubError:
                continue  # gone from the log: the clients' own resync handles it
            for envelope in missed.events:
                if manager.broadcast(topic, "event", [envelope.to_wire()]):
                    repaired += 1
        if repaired:
            log.warning("pubsub_gap_repaired", events=repaired)
        return repaired

    async def drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """A graceful stop (SIGTERM): the listening socket is already closed (no new
        connections); commands still arriving are answered NODE_SHUTTING_DOWN, not run; the
        commands running finish and are answered; then every socket is closed with 1001
        going away, and the clients reconnect to another node and resume from the log."""
        self._draining = True
        running_at_stop = self._running
        try:
            async with asyncio.timeout(seconds):
                await self._idle.wait()
        except TimeoutError:
            log.error("drain_timeout", running=self._running)
        log.warning(
            "node_draining",
            commands_running_at_stop=running_at_stop,
            commands_unfinished=self._running,
            sockets=len(self.connections),
        )
        await self.connections.close_all()

    async def event_log_reset(self) -> int:
        """Redis restarted: a topic whose log began again (new epoch, seqs from 1) cannot be
        continued by the clients connected here (they would take the new events for repeats
        of old ones). Each such topic with local subscribers is told to reload (`resync`), and
        the node's record of what it delivered starts at the new log's position. The repair
        loop makes the same check every REPAIR_SECONDS (a reset this missed, keys lost)."""
        manager = self.manager
        told = 0
        for topic in manager.topics():
            replay = await self._bus.replay(topic, None)
            # Redis did restart: a topic whose epoch is unknown here is told to reload too.
            if self._began_again(topic, replay, unknown=True):
                self._log_began_again(topic, replay.seq, replay.epoch)
                told += 1
        log.warning("event_log_reset", topics=told)
        return told

    def _began_again(self, topic: str, position: Replay, *, unknown: bool = False) -> bool:
        """The topic's log is another than the one this node's record counts in: its epoch
        changed (`unknown`: what to think of a topic whose epoch this node never learned).
        Not a seq lower than delivered: a live event may be delivered while the log is read."""
        known = self.manager.epochs.get(topic)
        return unknown if known is None else known != position.epoch

    def _log_began_again(self, topic: str, seq: int, epoch: str) -> None:
        self.manager.restart_record(topic, seq, epoch)
        notice = {"topic": topic, "epoch": epoch, "reason": "event_log_reset"}
        self.manager.broadcast(topic, "resync", [notice])
        self._metrics.resync_notices.inc()

    async def stop(self) -> None:
        await self.connections.close_all()
        await self.sio.shutdown()
        # engineio's per-socket ping tasks and the pub/sub listener would outlive the app.
        await self.sio.eio.cancel_background_tasks()
        redis = getattr(self.manager, "redis", None)
        if redis is not None:
            await redis.aclose()

    def deliver(self, envelope: Envelope) -> None:
        self.manager.broadcast(envelope.topic, "event", [envelope.to_wire()])

    # -- connection life ---------------------------------------------------------------

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            if token is None:
                raise Unauthenticated("缺少令牌：请在 auth.token 中提供")
            principal = self._tokens.verify(token)
        except HubError as exc:
            self._metrics.connect_refused.labels(exc.code).inc()
            # Sent as CONNECT_ERROR {"message": …, "data": {"code": …}} (see refusal()).
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code}
            ) from None
        self._principals[sid] = principal
        self._limiter.open(sid, _token_key(token), time.monotonic())
        self._metrics.connections.inc()
        # The request environ (every header) is only needed to connect; keep nothing of it.
        eio_sid = self.manager.eio_sid_from_sid(sid, "/")
        if eio_sid in self.sio.environ:
            self.sio.environ[eio_sid] = _NO_ENVIRON

    def on_disconnect(self, listener: Callable[[str, Principal], Awaitable[None]]) -> None:
        """Be told when a socket closes (a domain keeping presence, e.g. agents online)."""
        self._disconnect_listeners.append(listener)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._limiter.close(sid, time.monotonic())
        principal = self._principals.pop(sid, None)
        if principal is None:
            return
        self._metrics.connections.dec()
        for listener in self._disconnect_listeners:
            try:
                await listener(sid, principal)
            except Exception:  # a domain's trouble must not break the gateway
                log.exception("disconnect_listener_failed")

    async def _on_command(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        if self._draining:
            label = event if self._commands.get(event) is not None else "unknown"
            self._metrics.commands.labels(label, ShuttingDown.code).inc()
            return {"ok": False, "error": ShuttingDown().to_dict(new_ctx())}
        self._running += 1
        self._idle.clear()
        try:
            return await self._command(event, sid, *args)
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def _command(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        limited = self._limiter.admit(sid, time.monotonic())
        if limited is not None:  # answered, not run
            self._metrics.commands_rate_limited.labels(limited.scope).inc()
            error = RateLimited(
                scope=limited.scope, retry_after_ms=math.ceil(limited.retry_after * 1000)
            )
            return {"ok": False, "error": error.to_dict(new_ctx())}
        return await dispatch(
            self._commands.get(event),
            self._commands.access.get(event),
            event,
            args,
            lambda ctx: self._call(sid, ctx),
            self._observe,
        )

    def _call(self, sid: str, ctx: str) -> Call:
        principal = self._principals.get(sid)
        if principal is None or self._app is None:
            raise Unauthenticated()

        async def join(topic: str) -> None:
            await self.sio.enter_room(sid, topic)

        async def leave(topic: str) -> None:
            await self.sio.leave_room(sid, topic)

        return Call(sid=sid, principal=principal, ctx=ctx, app=self._app, join=join, leave=leave)

    def _observe(self, command: str, outcome: str, seconds: float) -> None:
        self._metrics.commands.labels(command, outcome).inc()
        self._metrics.command_latency.labels(command).observe(seconds)

    # -- built-in commands ---------------------------------------------------------------

    async def _subscribe(self, call: Call, payload: SubscribeIn) -> dict[str, Any]:
        await self._topics.check(call.principal, payload.topic)
        # Join first, then read the log: an event in between arrives twice (same seq), never
        # zero times. Clients drop seq <= what they have.
        await call.join(payload.topic)
        try:
            replay = await self._bus.replay(payload.topic, payload.after_seq, payload.epoch)
        except HubError:
            await call.leave(payload.topic)
            raise
        self.manager.note_subscribed(payload.topic, replay.seq, replay.epoch)
        return {
            "topic": payload.topic,
            "seq": replay.seq,
            "epoch": replay.epoch,
            "missed": [e.to_wire() for e in replay.events],
        }

    async def _unsubscribe(self, call: Call, payload: UnsubscribeIn) -> dict[str, Any]:
        await call.leave(payload.topic)
        return {"topic": payload.topic}


def refusal(exc: HubError) -> dict[str, Any]:
    """A CONNECT_ERROR payload: socket.io clients show err.message and branch on
    err.data.code."""
    return {"message": exc.message, "data": {"code": exc.code}}


def _token_key(token: str) -> str:
    """Names a token's rate-limit bucket without keeping the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class _HubServer(socketio.AsyncServer):  # type: ignore[misc]
    """Acks and other packets to a registered WebSocket are written straight to it, in order
    with broadcasts, instead of through engineio's per-socket queue and writer task.

    Packets from clients are decoded strictly and checked against the session (CONNECT first,
    one namespace, binary attachments in binary frames): a violation raises ProtocolError and
    the engine closes the connection, where python-socketio would log and go on."""

    def __init__(self, connections: Connections, **kwargs: Any) -> None:
        super().__init__(serializer=HubPacket, **kwargs)
        self._connections = connections
        self.eio.sessions = self

    def _engineio_server_class(self) -> type[HubEngineIO]:
        return HubEngineIO

    def attached(self, eio_sid: str) -> bool:
        return self.manager.sid_from_eio_sid(eio_sid, "/") is not None

    def awaiting_attachments(self, eio_sid: str) -> bool:
        return eio_sid in self._binary_packet

    async def receive(self, eio_sid: str, data: str | bytes) -> None:
        pending: HubPacket | None = self._binary_packet.get(eio_sid)
        if pending is None:
            pkt = HubPacket(encoded_packet=data)
            if pkt.attachment_count:
                self._check_connected(eio_sid, pkt)
                self._binary_packet[eio_sid] = pkt
                return
        else:
            if not isinstance(data, bytes):
                raise ProtocolError("text frame where an attachment was due")
            if pending.attachment_bytes + len(data) > self.eio.max_http_buffer_size:
                raise ProtocolError("attachments larger than maxPayload")
            if not pending.add_attachment(data):
                return
            del self._binary_packet[eio_sid]
            pkt = pending
        await self._dispatch(eio_sid, pkt)

    async def _dispatch(self, eio_sid: str, pkt: HubPacket) -> None:
        namespace = pkt.namespace or "/"
        kind = pkt.packet_type
        if kind == sio_packet.CONNECT:
            if self.manager.sid_from_eio_sid(eio_sid, namespace) is not None:
                raise ProtocolError("CONNECT to a namespace already connected")
            await self._handle_connect(eio_sid, namespace, pkt.data)
        elif kind == sio_packet.DISCONNECT:
            if self.manager.sid_from_eio_sid(eio_sid, namespace) is not None:
                await self._handle_disconnect(eio_sid, namespace, self.reason.CLIENT_DISCONNECT)
        else:
            self._check_connected(eio_sid, pkt)
            if kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
                await self._handle_event(eio_sid, namespace, pkt.id, pkt.data)
            else:
                await self._handle_ack(eio_sid, namespace, pkt.id, pkt.data)

    def _check_connected(self, eio_sid: str, pkt: HubPacket) -> None:
        if self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/") is None:
            raise ProtocolError("packet before CONNECT")

    async def _handle_connect(self, eio_sid: str, namespace: str, data: Any) -> None:
        if namespace != "/":  # python-socketio would answer a bare string
            await self._send_packet(
                eio_sid,
                self.packet_class(
                    sio_packet.CONNECT_ERROR, data=refusal(InvalidNamespace()), namespace=namespace
                ),
            )
            return
        await super()._handle_connect(eio_sid, namespace, data)

    async def _send_packet(self, eio_sid: str, pkt: Any) -> None:
        connection = self._connections.get(eio_sid)
        encoded = pkt.encode()
        if connection is None or not isinstance(encoded, str):
            await super()._send_packet(eio_sid, pkt)
            return
        self._connections.write(connection, text_frame(("4" + encoded).encode()))


__all__ = ["Gateway", "encode_event"]

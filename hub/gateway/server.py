"""The Socket.IO server: authenticate at connect, dispatch commands, subscribe to topics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from aiohttp import web
from pydantic import Field

from hub.auth.models import Principal
from hub.auth.tokens import TokenIssuer
from hub.errors import HubError, Unauthenticated
from hub.events.bus import EventBus
from hub.events.envelope import Envelope
from hub.gateway.commands import Call, CommandRegistry, Payload, dispatch
from hub.gateway.connections import Connections, text_frame
from hub.gateway.engine import HubEngineIO
from hub.gateway.fanout import FastLocalManager, HubRedisManager, encode_event
from hub.logs import get_logger
from hub.metrics import HubMetrics
from hub.settings import Settings
from hub.topics import TopicPolicy

log = get_logger("hub.gateway")

REPAIR_SECONDS = 2.0
_NO_ENVIRON: dict[str, Any] = {}


class SubscribeIn(Payload):
    topic: str = Field(max_length=200)
    after_seq: int | None = Field(default=None, ge=0)
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
        self.connections = Connections(settings.max_client_buffer_bytes)
        manager: FastLocalManager
        if settings.redis_url:
            manager = HubRedisManager(
                settings.redis_url, channel=f"{settings.redis_prefix}socketio"
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
                log.exception("repair_failed")

    async def repair(self) -> int:
        manager = self.manager
        manager.forget_idle_topics()
        repaired = 0
        for topic, delivered in list(manager.delivered.items()):
            replay = await self._bus.replay(topic, None)
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
            raise socketio.exceptions.ConnectionRefusedError(
                f"{exc.code}: {exc.message}", {"code": exc.code, "message": exc.message}
            ) from None
        self._principals[sid] = principal
        self._metrics.connections.inc()
        # The request environ (every header) is only needed to connect; keep nothing of it.
        eio_sid = self.manager.eio_sid_from_sid(sid, "/")
        if eio_sid in self.sio.environ:
            self.sio.environ[eio_sid] = _NO_ENVIRON

    def on_disconnect(self, listener: Callable[[str, Principal], Awaitable[None]]) -> None:
        """Be told when a socket closes (a domain keeping presence, e.g. agents online)."""
        self._disconnect_listeners.append(listener)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
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
        self.manager.note_subscribed(payload.topic, replay.seq)
        return {
            "topic": payload.topic,
            "seq": replay.seq,
            "epoch": replay.epoch,
            "missed": [e.to_wire() for e in replay.events],
        }

    async def _unsubscribe(self, call: Call, payload: UnsubscribeIn) -> dict[str, Any]:
        await call.leave(payload.topic)
        return {"topic": payload.topic}


class _HubServer(socketio.AsyncServer):  # type: ignore[misc]
    """Acks and other packets to a registered WebSocket are written straight to it, in order
    with broadcasts, instead of through engineio's per-socket queue and writer task."""

    def __init__(self, connections: Connections, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._connections = connections

    def _engineio_server_class(self) -> type[HubEngineIO]:
        return HubEngineIO

    async def _send_packet(self, eio_sid: str, pkt: Any) -> None:
        connection = self._connections.get(eio_sid)
        encoded = pkt.encode()
        if connection is None or not isinstance(encoded, str):
            await super()._send_packet(eio_sid, pkt)
            return
        self._connections.write(connection, text_frame(("4" + encoded).encode()))


__all__ = ["Gateway", "encode_event"]

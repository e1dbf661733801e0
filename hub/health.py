"""The node's view of the systems it stands on, checked every second.

MongoDB and Redis are pinged; a change of state is one log line (with how long the outage
lasted) and the `hallhub_dependency_up` gauge. Redis is also asked for its run id: a new one
means Redis restarted and its data (the event log) may be gone. Every topic then starts a new
epoch, and clients still connected here would drop the new, smaller seqs as repeats: they are
told to reload (`on_redis_restart`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from hub.logs import get_logger
from hub.metrics import HubMetrics

log = get_logger("hub.health")

CHECK_SECONDS = 1.0
CHECK_TIMEOUT_SECONDS = 1.0


class Health:
    def __init__(
        self,
        metrics: HubMetrics,
        ping_store: Callable[[], Awaitable[Any]],
        redis: Redis | None,
        on_redis_restart: Callable[[], Awaitable[object]],
    ) -> None:
        self._metrics = metrics
        self._ping_store = ping_store
        self._redis = redis
        self._on_redis_restart = on_redis_restart
        self._down_since: dict[str, float | None] = {"mongodb": None}
        if redis is not None:
            self._down_since["redis"] = None
        self._redis_run_id: str | None = None
        for system in self._down_since:
            metrics.dependency_up.labels(system).set(1)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            await self.check()

    async def check(self) -> None:
        self._seen("mongodb", await self._answers(self._ping_store))
        if self._redis is not None:
            run_id = await self._answers(self._redis_id)
            self._seen("redis", run_id is not None)
            if isinstance(run_id, str):
                await self._redis_seen(run_id)

    async def _redis_id(self) -> str:
        assert self._redis is not None
        info = await self._redis.info("server")
        return str(info.get("run_id", ""))  # some managed Redis services hide it

    async def _redis_seen(self, run_id: str) -> None:
        previous, self._redis_run_id = self._redis_run_id, run_id
        if not run_id or previous is None or previous == run_id:
            return  # (the gateway's repair loop finds a log that began again by itself)
        self._metrics.redis_restarts.inc()
        log.warning("redis_restarted", previous_run_id=previous, run_id=run_id)
        try:
            await self._on_redis_restart()
        except Exception:
            log.exception("redis_restart_handling_failed")

    @staticmethod
    async def _answers(probe: Callable[[], Awaitable[Any]]) -> Any:
        """The probe's answer (True for None), or None when it failed or took too long."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                answer = await probe()
        except Exception:
            return None
        return True if answer is None else answer

    def _seen(self, system: str, up: bool) -> None:
        down_since = self._down_since[system]
        now = time.monotonic()
        if not up and down_since is None:
            self._down_since[system] = now
            self._metrics.dependency_up.labels(system).set(0)
            self._metrics.dependency_outages.labels(system).inc()
            log.error("dependency_down", system=system)
        elif up and down_since is not None:
            self._down_since[system] = None
            self._metrics.dependency_up.labels(system).set(1)
            log.warning("dependency_up", system=system, down_seconds=round(now - down_since, 1))

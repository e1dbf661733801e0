"""A value read from the store and kept a short while (a domain's configuration on its hot
paths): one read at a time, the others wait and use it; `forget` after a change made here, and
a read that began before the change is not kept after it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    def __init__(
        self,
        load: Callable[[], Awaitable[T]],
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cached: tuple[float, T] | None = None
        self._generation = 0  # bumped by `forget`
        self._loading = asyncio.Lock()

    async def current(self) -> T:
        cached = self._cached
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        async with self._loading:
            cached = self._cached
            if cached is not None and cached[0] > self._monotonic():
                return cached[1]
            generation = self._generation
            started = self._monotonic()
            value = await self._load()
            if generation == self._generation:
                self._cached = (started + self._ttl, value)
            return value

    def forget(self) -> None:
        """A change was made: the next use reads again."""
        self._generation += 1
        self._cached = None

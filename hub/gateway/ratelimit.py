"""Token buckets for Socket.IO commands: one per socket, and one per token shared by every
socket opened with it (so a client cannot multiply its rate by opening sockets). Pure: the
caller passes the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["socket", "token"]


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: int


@dataclass(slots=True)
class Bucket:
    tokens: float
    stamp: float

    def refill(self, rate: Rate, now: float) -> None:
        elapsed = max(0.0, now - self.stamp)  # a clock that steps back refills nothing
        self.tokens = min(float(rate.burst), self.tokens + elapsed * rate.per_second)
        self.stamp = now

    def wait(self, rate: Rate) -> float:
        """Seconds until a refilled bucket holds one token again."""
        return max(0.0, (1.0 - self.tokens) / rate.per_second)

    def full_at(self, rate: Rate) -> float:
        return self.stamp + (rate.burst - self.tokens) / rate.per_second


@dataclass(frozen=True, slots=True)
class Limited:
    scope: Scope
    retry_after: float  # seconds


@dataclass(slots=True)
class _Shared:
    bucket: Bucket
    users: int = 0


@dataclass(slots=True)
class CommandLimiter:
    per_socket: Rate
    per_token: Rate
    _sockets: dict[str, tuple[Bucket, str]] = field(default_factory=dict)
    _tokens: dict[str, _Shared] = field(default_factory=dict)
    # Token buckets no socket uses, in the order they were left, until they are full again: a
    # client that closes and reopens its sockets must not get a fresh burst each time.
    _idle: dict[str, float] = field(default_factory=dict)

    def open(self, sid: str, token_key: str, now: float) -> None:
        self._sweep(now)
        shared = self._tokens.get(token_key)
        if shared is None:
            shared = self._tokens[token_key] = _Shared(Bucket(self.per_token.burst, now))
        self._idle.pop(token_key, None)
        shared.users += 1
        self._sockets[sid] = (Bucket(self.per_socket.burst, now), token_key)

    def close(self, sid: str, now: float) -> None:
        entry = self._sockets.pop(sid, None)
        if entry is None:
            return
        token_key = entry[1]
        shared = self._tokens[token_key]
        shared.users -= 1
        if shared.users == 0:
            shared.bucket.refill(self.per_token, now)
            self._idle[token_key] = shared.bucket.full_at(self.per_token)
        self._sweep(now)

    def admit(self, sid: str, now: float) -> Limited | None:
        """Take one token from the socket's bucket and its token's bucket, or from neither
        and say which was empty."""
        entry = self._sockets.get(sid)
        if entry is None:
            return None  # not connected: the dispatcher refuses it anyway
        own, token_key = entry
        shared = self._tokens[token_key].bucket
        own.refill(self.per_socket, now)
        shared.refill(self.per_token, now)
        if own.tokens < 1:
            return Limited("socket", own.wait(self.per_socket))
        if shared.tokens < 1:
            return Limited("token", shared.wait(self.per_token))
        own.tokens -= 1
        shared.tokens -= 1
        return None

    def __len__(self) -> int:
        """Buckets kept (sockets and tokens)."""
        return len(self._sockets) + len(self._tokens)

    def _sweep(self, now: float) -> None:
        # Left in order, each full within burst / rate of leaving: stopping at the first one
        # not yet full keeps this O(1) per call and still forgets every one soon enough.
        while self._idle:
            token_key, full_at = next(iter(self._idle.items()))
            if full_at > now:
                return
            del self._idle[token_key]
            del self._tokens[token_key]

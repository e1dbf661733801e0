"""The screens' rule for one topic (clients/shared/src/sequencer.ts), in Python for the fault
driver: apply `seq == last + 1`, drop `seq <= last`, hold what comes after a gap and ask for a
catch-up (`subscribe` with `after_seq`), give up with a resync when the gap cannot be closed.
Pure: no I/O; the caller sends what a `Step` asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Envelope = dict[str, Any]
Phase = Literal["unsynced", "live", "catching-up"]


@dataclass(frozen=True)
class CatchUp:
    after_seq: int
    epoch: str


@dataclass
class Step:
    apply: list[Envelope] = field(default_factory=list)
    catch_up: CatchUp | None = None
    resync: bool = False


class TopicSequencer:
    def __init__(self, max_stalls: int = 3, max_held: int = 5000) -> None:
        self.last_seq: int | None = None
        self.epoch: str | None = None
        self.phase: Phase = "unsynced"
        self.held: dict[int, Envelope] = {}
        self._stalls = 0
        self._max_stalls = max_stalls
        self._max_held = max_held

    def reset(self) -> None:
        self.last_seq = None
        self.epoch = None
        self.phase = "unsynced"
        self.held.clear()
        self._stalls = 0

    def baseline(self, seq: int, epoch: str, server_seq: int | None = None) -> Step:
        """The snapshot matching `seq` is loaded; `server_seq` is the subscribe ack's seq."""
        self.last_seq = seq
        self.epoch = epoch
        self.phase = "live"
        self._stalls = 0
        return self._drain(seq if server_seq is None else server_seq)

    def is_duplicate(self, envelope: Envelope) -> bool:
        return self.last_seq is not None and envelope["seq"] <= self.last_seq

    def receive(self, envelope: Envelope) -> Step:
        if self.is_duplicate(envelope):
            return Step()
        self.held[envelope["seq"]] = envelope
        if self.phase != "live":
            return self._give_up() if self._overflow() else Step()
        return self._drain()

    def pause(self) -> CatchUp | None:
        """Hold events while resubscribing; the catch-up to send, or None without a baseline."""
        if self.last_seq is None or self.epoch is None:
            self.reset()
            return None
        self.phase = "catching-up"
        return CatchUp(self.last_seq, self.epoch)

    def caught_up(self, seq: int, epoch: str, missed: list[Envelope]) -> Step:
        if self.phase != "catching-up" or self.last_seq is None:
            return Step()
        before = self.last_seq
        self.epoch = epoch
        self.phase = "live"
        for envelope in missed:
            if envelope["seq"] > before:
                self.held[envelope["seq"]] = envelope
        step = self._drain(seq)
        if step.catch_up is None:
            self._stalls = 0
            return step
        self._stalls = self._stalls + 1 if self.last_seq == before else 0
        return self._give_up(step.apply) if self._stalls >= self._max_stalls else step

    def _drain(self, server_seq: int | None = None) -> Step:
        last = self.last_seq
        if last is None:
            return Step()
        for seq in [s for s in self.held if s <= last]:
            del self.held[seq]
        apply: list[Envelope] = []
        while (following := self.held.pop(last + 1, None)) is not None:
            apply.append(following)
            last += 1
        self.last_seq = last
        missing = bool(self.held) or (server_seq is not None and server_seq > last)
        if not missing:
            return Step(apply)
        if self._overflow():
            return self._give_up(apply)
        self.phase = "catching-up"
        return Step(apply, CatchUp(last, self.epoch or ""))

    def _overflow(self) -> bool:
        return len(self.held) > self._max_held

    def _give_up(self, apply: list[Envelope] | None = None) -> Step:
        self.reset()
        return Step(apply or [], None, True)

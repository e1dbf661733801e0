"""Event envelope, log and bus: what domains import to publish."""

from hub.events.bus import EventBus
from hub.events.envelope import Envelope, Replay

__all__ = ["Envelope", "EventBus", "Replay"]

"""Events video customer service publishes, and the topics they go to.

On `citizen:<id>` (the caller): position_changed, callback_offered, callback_requested,
call_accepted, call_transferred, call_ended.
On `agent:<id>` (the agent's console): call_offered, offer_withdrawn, agent_updated.
On `rtc:<session>` (the two parties; supervisors): call_accepted, signal_sent, chat_posted,
quality_reported, recording_changed, call_transferred, call_ended.
On `rtc:queue` (agents and supervisors): queue_changed.
"""

from __future__ import annotations

from typing import Final

POSITION_CHANGED: Final = "rtc.position_changed"
CALLBACK_OFFERED: Final = "rtc.callback_offered"
CALLBACK_REQUESTED: Final = "rtc.callback_requested"
CALL_OFFERED: Final = "rtc.call_offered"
OFFER_WITHDRAWN: Final = "rtc.offer_withdrawn"
CALL_ACCEPTED: Final = "rtc.call_accepted"
CALL_TRANSFERRED: Final = "rtc.call_transferred"
CALL_ENDED: Final = "rtc.call_ended"
SIGNAL_SENT: Final = "rtc.signal_sent"
CHAT_POSTED: Final = "rtc.chat_posted"
QUALITY_REPORTED: Final = "rtc.quality_reported"
RECORDING_CHANGED: Final = "rtc.recording_changed"
AGENT_UPDATED: Final = "rtc.agent_updated"
QUEUE_CHANGED: Final = "rtc.queue_changed"

QUEUE_TOPIC: Final = "rtc:queue"


def citizen_topic(citizen_id: str) -> str:
    return f"citizen:{citizen_id}"


def agent_topic(agent_id: str) -> str:
    return f"agent:{agent_id}"


def session_topic(session_id: str) -> str:
    return f"rtc:{session_id}"

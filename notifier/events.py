"""Events the message center publishes."""

from __future__ import annotations

from typing import Final

# On the recipient's own topic (`citizen:<id>` or `user:<account>`).
MESSAGE_RECEIVED: Final = "notifier.message_received"
INBOX_CHANGED: Final = "notifier.inbox_changed"

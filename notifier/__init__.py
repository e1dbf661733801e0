"""Message center (消息中心): templates, rules, in-app inbox, SMS and e-mail delivery through
an outbox with at-least-once delivery."""

from notifier.api import NOTIFIER
from notifier.service import NotifierService

__all__ = ["NOTIFIER", "NotifierService"]

"""Who may do what in the message center.

A person's inbox and preferences are theirs alone. Deliveries, contacts and sending carry
personal data (phone numbers, e-mail addresses, what was said to whom) and are for
administrators (and the systems they give a token to); supervisors read the catalogue (kinds,
templates, rules) and the channels' success rates, which carry none.
"""

from __future__ import annotations

from hub.access import Grant, Reach, Scope, every, grant
from hub.auth.models import BACK_OFFICE, PEOPLE
from notifier.models import InboxItem

ANY, OWN = Reach.ANY, Reach.OWN

INBOX = every(PEOPLE, ANY, note="always the caller's own")
INBOX_ITEM = every(PEOPLE, OWN)
CATALOGUE = every(BACK_OFFICE, ANY)
ADMINISTER = grant(admin=ANY)

TABLE: dict[str, Grant] = {
    "POST /notifier/messages": ADMINISTER,
    "GET /notifier/messages": ADMINISTER,
    "GET /notifier/messages/{message_id}": ADMINISTER,
    "POST /notifier/deliveries/{delivery_id}/resend": ADMINISTER,
    "GET /notifier/dead-letters": ADMINISTER,
    "GET /notifier/stats": CATALOGUE,
    "GET /notifier/inbox": INBOX,
    "notifier.list": INBOX,
    "POST /notifier/inbox/read-all": INBOX,
    "notifier.mark_all_read": INBOX,
    "POST /notifier/inbox/{item_id}/read": INBOX_ITEM,
    "POST /notifier/inbox/{item_id}/archive": INBOX_ITEM,
    "POST /notifier/inbox/{item_id}/unread": INBOX_ITEM,
    "notifier.mark_read": INBOX_ITEM,
    "notifier.archive": INBOX_ITEM,
    "GET /notifier/preferences": INBOX,
    "PUT /notifier/preferences": INBOX,
    "GET /notifier/kinds": CATALOGUE,
    "PUT /notifier/kinds/{kind}": ADMINISTER,
    "GET /notifier/templates": CATALOGUE,
    "GET /notifier/templates/{kind}/{channel}/{locale}": CATALOGUE,
    "POST /notifier/templates": ADMINISTER,
    "POST /notifier/templates/preview": CATALOGUE,
    "GET /notifier/rules": CATALOGUE,
    "PUT /notifier/rules/{rule_id}": ADMINISTER,
    "DELETE /notifier/rules/{rule_id}": ADMINISTER,
    "GET /notifier/contacts": ADMINISTER,
    "GET /notifier/contacts/{recipient}": ADMINISTER,
    "PUT /notifier/contacts/{recipient}": ADMINISTER,
}


def of_item(item: InboxItem) -> Scope:
    return Scope.of(None, item.recipient)

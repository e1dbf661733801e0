"""Access cases of the message center."""

from __future__ import annotations

from datetime import UTC, datetime

from hub import keys
from hub.auth.models import Role
from notifier.models import Channel, Contact, InboxItem, Rule, SendIn
from notifier.store import NotifierStore
from tests.access.world import Act, Builder, Target, Who, World, cmd, rest

CALLED = {"number": "A001", "counter_name": "1号窗口", "counter_number": 1, "service_name": "户籍"}


async def _item(w: World, who: Who) -> tuple[Target, str]:
    """A fresh message in the inbox of the person this role's own caller is."""
    target = Target(citizen=f"c-a{w.n()}")
    owner = w.principal(Who(who.role, "own"), target)
    recipient = owner.key if owner is not None and owner.role is not Role.TICKET else "citizen:x"
    if recipient.startswith("device:"):
        recipient = "citizen:x"
    item_id = f"item-{w.n()}"
    # Put there as the outbox does (a test's seeding: the service offers no such call).
    await NotifierStore(w.app[keys.DB]).add_inbox_item(
        InboxItem.model_validate(
            {
                "_id": item_id,
                "recipient": recipient,
                "message_id": f"m-{item_id}",
                "kind": "ticket_called",
                "title": "请到1号窗口",
                "body": "A001 请到1号窗口办理",
                "created_at": datetime.now(UTC),
            }
        )
    )
    return target, item_id


def item_action(*, path: str = "", command: str = "") -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, item_id = await _item(w, who)
        if path:
            return target, rest("POST", f"/notifier/inbox/{item_id}/{path}")
        return target, cmd(command, {"item_id": item_id})

    return build


async def _message(w: World) -> str:
    answer = await w.notifier.send(
        SendIn(
            kind="ticket_called",
            recipients=["citizen:c-a"],
            channels=[Channel.IN_APP],
            data=CALLED,
        ),
        idempotency_key=None,
    )
    message_id: str = answer["messages"][0]["message_id"]
    return message_id


async def send(w: World, who: Who) -> tuple[Target, Act]:
    body = {
        "kind": "ticket_called",
        "recipients": ["citizen:c-a"],
        "channels": ["in_app"],
        "data": CALLED,
    }
    return Target(), rest("POST", "/notifier/messages", body)


async def search(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/messages?recipient=citizen:c-a")


async def timeline(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", f"/notifier/messages/{await _message(w)}")


async def resend(w: World, who: Who) -> tuple[Target, Act]:
    message_id = await _message(w)
    delivery = (await w.notifier.timeline(message_id))["deliveries"][0]
    return Target(), rest("POST", f"/notifier/deliveries/{delivery['id']}/resend")


async def dead_letters(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/dead-letters")


async def stats(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/stats")


async def inbox(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/inbox")


async def list_inbox(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), cmd("notifier.list", {})


async def read_all_rest(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("POST", "/notifier/inbox/read-all")


async def read_all(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), cmd("notifier.mark_all_read", {})


async def preferences(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/preferences")


async def set_preferences(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("PUT", "/notifier/preferences", {"opted_out": {}})


async def kinds(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/kinds")


async def save_kind(w: World, who: Who) -> tuple[Target, Act]:
    [kind] = [k for k in await w.notifier.kinds() if k.id == "ticket_called"]
    return Target(), rest("PUT", "/notifier/kinds/ticket_called", kind.model_dump(mode="json"))


async def templates(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/templates")


async def versions(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/templates/ticket_called/in_app/zh-CN")


async def save_template(w: World, who: Who) -> tuple[Target, Act]:
    body = {"kind": "ticket_called", "channel": "in_app", "text": "请 {{ number }} 到窗口"}
    return Target(), rest("POST", "/notifier/templates", body)


async def preview(w: World, who: Who) -> tuple[Target, Act]:
    body = {"kind": "ticket_called", "channel": "in_app", "text": "请 {{ number }} 到窗口"}
    return Target(), rest("POST", "/notifier/templates/preview", body)


async def rules(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/rules")


def _rule(rule_id: str) -> Rule:
    return Rule.model_validate(
        {
            "_id": rule_id,
            "event_type": "matrix.never_published",
            "kind": "ticket_called",
            "recipients": ["citizen:{citizen_id}"],
            "channels": ["in_app"],
        }
    )


async def save_rule(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("PUT", "/notifier/rules/matrix", _rule("matrix").model_dump(mode="json"))


async def delete_rule(w: World, who: Who) -> tuple[Target, Act]:
    rule_id = f"matrix-{w.n()}"
    await w.notifier.save_rule(_rule(rule_id))
    return Target(), rest("DELETE", f"/notifier/rules/{rule_id}")


async def find_contacts(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/notifier/contacts?q=%E5%BC%A0")


async def contact(w: World, who: Who) -> tuple[Target, Act]:
    await w.notifier.save_contact(Contact(id="citizen:c-a", name="张三", phone="+8613812340000"))
    return Target(), rest("GET", "/notifier/contacts/citizen:c-a")


async def save_contact(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("PUT", "/notifier/contacts/citizen:c-a", {"phone": "13912340000"})


CASES: dict[str, Builder] = {
    "POST /notifier/messages": send,
    "GET /notifier/messages": search,
    "GET /notifier/messages/{message_id}": timeline,
    "POST /notifier/deliveries/{delivery_id}/resend": resend,
    "GET /notifier/dead-letters": dead_letters,
    "GET /notifier/stats": stats,
    "GET /notifier/inbox": inbox,
    "notifier.list": list_inbox,
    "POST /notifier/inbox/read-all": read_all_rest,
    "notifier.mark_all_read": read_all,
    "POST /notifier/inbox/{item_id}/read": item_action(path="read"),
    "POST /notifier/inbox/{item_id}/archive": item_action(path="archive"),
    "POST /notifier/inbox/{item_id}/unread": item_action(path="unread"),
    "notifier.mark_read": item_action(command="notifier.mark_read"),
    "notifier.archive": item_action(command="notifier.archive"),
    "GET /notifier/preferences": preferences,
    "PUT /notifier/preferences": set_preferences,
    "GET /notifier/kinds": kinds,
    "PUT /notifier/kinds/{kind}": save_kind,
    "GET /notifier/templates": templates,
    "GET /notifier/templates/{kind}/{channel}/{locale}": versions,
    "POST /notifier/templates": save_template,
    "POST /notifier/templates/preview": preview,
    "GET /notifier/rules": rules,
    "PUT /notifier/rules/{rule_id}": save_rule,
    "DELETE /notifier/rules/{rule_id}": delete_rule,
    "GET /notifier/contacts": find_contacts,
    "GET /notifier/contacts/{recipient}": contact,
    "PUT /notifier/contacts/{recipient}": save_contact,
}


async def prepare(w: World) -> None:
    await w.notifier.save_contact(Contact(id="citizen:c-a", name="张三"))

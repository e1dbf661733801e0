"""Who the messages go to: contacts as the back office keeps them, the preferences a person
sets for themselves, and the phone numbers other domains' events carry.

A citizen who books with SMS notices or asks a video agent to call back gives their mobile
number to that domain; the domain publishes it on the citizen's own topic (the message center
is told of every event) and it is kept here as the citizen's SMS address, their preferences
untouched, before the rules make that event's messages: the SMS about it reaches that number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from hub.events import Envelope
from hub.logs import get_logger
from notifier import domain
from notifier.errors import InvalidAddress, UnknownRecipient
from notifier.models import Audience, Contact, ContactIn, PreferencesIn
from notifier.service.core import Core

log = get_logger("notifier")

# Events on `citizen:<id>` that carry the mobile number the citizen gave for SMS, and the
# field that carries it (a booking's `phone` is masked: its `sms_phone` is the number, present
# when the booker asked for SMS).
PHONE_EVENTS: Final[dict[str, str]] = {
    "appointments.appointment_booked": "sms_phone",
    "rtc.callback_requested": "phone",
    # A walk-in verifying their phone (码上取号 without an account): the topic is the phone's
    # own `citizen:walkin-<keyed hash>`, and the code goes to the number it carries.
    "queueing.phone_code_issued": "phone",
}
CITIZEN_TOPIC: Final = "citizen:"


class Contacts:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

    async def contact(self, recipient: str) -> Contact:
        found = await self._store.contact(recipient)
        if found is None:
            raise UnknownRecipient(recipient=recipient)
        return found

    async def find(self, text: str, limit: int) -> list[Contact]:
        """The back office's search: by name, some digits of the phone, or the recipient id."""
        search = domain.contact_search(text)
        return await self._store.find_contacts(
            search.recipient, search.name, search.phone_digits, limit
        )

    async def names(self, recipients: Iterable[str]) -> dict[str, str]:
        """The names people are known by, for recipients with a stored name (the back office
        shows 张三, not citizen:…)."""
        found = await self._store.contacts(sorted(set(recipients)))
        return {rid: c.name for rid, c in found.items() if c.name}

    async def save(self, contact: Contact) -> Contact:
        """A contact as given, its phone and e-mail checked and normalised."""
        contact = contact.model_copy(
            update={
                "phone": domain.normalise_phone(contact.phone) if contact.phone else "",
                "email": domain.check_email(contact.email) if contact.email else "",
            }
        )
        await self._store.save_contact(contact)
        return contact

    async def update(self, recipient: str, change: ContactIn) -> Contact:
        """The back office's change: the fields given, the preferences kept."""
        current = await self._store.contact(recipient)
        updated = Contact.model_validate(
            {
                **(current.model_dump(by_alias=True) if current else {"_id": recipient}),
                **change.model_dump(),
            }
        )
        return await self.save(updated)

    async def preferences(self, recipient: str) -> dict[str, Any]:
        """The person's opt-outs and quiet hours, and the kinds they may get."""
        contact = await self._store.contact(recipient) or Contact(id=recipient)
        audience = Audience.CITIZEN if recipient.startswith(CITIZEN_TOPIC) else Audience.STAFF
        return {
            "opted_out": contact.opted_out,
            "quiet_hours": contact.quiet_hours,
            "kinds": [
                k.model_dump(by_alias=False)
                for k in await self._core.config.kinds()
                if k.audience in (audience, Audience.ALL)
            ],
        }

    async def set_preferences(self, recipient: str, change: PreferencesIn) -> dict[str, Any]:
        contact = Contact(id=recipient, opted_out=change.opted_out, quiet_hours=change.quiet_hours)
        await self._store.set_preferences(contact)
        return {"opted_out": contact.opted_out, "quiet_hours": contact.quiet_hours}

    async def from_event(self, envelope: Envelope) -> None:
        """Keep the phone a citizen gave with a booking or a call-back request as their SMS
        address (normalised to E.164). A number that cannot take an SMS is left out."""
        field = PHONE_EVENTS.get(envelope.type)
        if field is None or not envelope.topic.startswith(CITIZEN_TOPIC):
            return
        phone = envelope.data.get(field)
        if not isinstance(phone, str) or not phone:
            return
        try:
            phone = domain.normalise_phone(phone)
        except InvalidAddress as exc:
            log.warning("event_phone_refused", type=envelope.type, error=exc.message)
            return
        await self._store.set_phone(envelope.topic, phone)

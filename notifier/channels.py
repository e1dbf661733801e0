"""The providers behind the SMS and e-mail channels, each `async send(delivery) -> result`.

Retries are never the provider client's own (twilio's would repeat a POST and could send an
SMS twice): a provider sends once and says how it went; the outbox decides what comes next.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import aiohttp
import aiosmtplib
from jinja2.sandbox import SandboxedEnvironment

from hub.logs import get_logger
from hub.settings import EmailProvider, SmsProvider
from notifier.models import Delivery, Outcome

log = get_logger("notifier.channels")

# Twilio error codes for an address that will never work: retrying or failing over is useless.
TWILIO_PERMANENT = {
    21211,
    21214,
    21217,
    21219,
    21401,
    21407,
    21408,
    21421,
    21601,
    21604,
    21606,
    21610,
    21612,
    21614,
    30003,
    30004,
    30005,
    30006,
    30007,
}
SEND_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    code: str = ""
    detail: str = ""
    provider_message_id: str = ""


class Provider(Protocol):
    name: str

    async def send(self, delivery: Delivery) -> SendResult: ...

    async def find_sent(self, delivery: Delivery, since: datetime) -> str | None:
        """After a crash between sending and recording: the provider's id of this delivery
        if it did go out, else None (then it is sent again)."""
        ...

    async def close(self) -> None: ...


class TwilioSms:
    """SMS through twilio's own client, async (`create_async`), its HTTP client made inside
    the running loop, without retries."""

    def __init__(self, config: SmsProvider, status_callback: str | None) -> None:
        self.name = config.name
        self._config = config
        self._status_callback = status_callback
        self._client: object | None = None

    def _twilio(self) -> object:
        if self._client is None:
            from twilio.http.async_http_client import AsyncTwilioHttpClient
            from twilio.rest import Client

            client = Client(
                self._config.account_sid,
                self._config.auth_token.get_secret_value(),
                http_client=AsyncTwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS, max_retries=None),
            )
            if self._config.base_url:
                client.api.base_url = self._config.base_url.rstrip("/")
            self._client = client
        return self._client

    async def send(self, delivery: Delivery) -> SendResult:
        from twilio.base.exceptions import TwilioRestException

        assert delivery.rendered is not None
        client = self._twilio()
        options: dict[str, object] = {
            "to": delivery.address,
            "from_": self._config.from_number,
            "body": delivery.rendered.text,
        }
        if self._status_callback:
            options["status_callback"] = self._status_callback
        try:
            message = await client.messages.create_async(**options)  # type: ignore[attr-defined]
        except TwilioRestException as exc:
            code = int(exc.code or 0)
            # Only an address that can never work is permanent; anything else (a rate
            # limit, a suspended account, a bad credential) is this provider's trouble, and
            # the next attempt goes to the next provider.
            outcome = Outcome.PERMANENT if code in TWILIO_PERMANENT else Outcome.TEMPORARY
            return SendResult(outcome, str(code or exc.status), str(exc.msg)[:300])
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return SendResult(Outcome.TEMPORARY, "network", str(exc)[:300])
        return SendResult(Outcome.SENT, provider_message_id=str(message.sid))

    async def find_sent(self, delivery: Delivery, since: datetime) -> str | None:
        assert delivery.rendered is not None
        client = self._twilio()
        try:
            sent = await client.messages.list_async(  # type: ignore[attr-defined]
                to=delivery.address, date_sent_after=since, limit=100
            )
        except Exception:
            log.warning("twilio_lookup_failed", delivery=delivery.id)
            raise
        for message in sent:
            if message.body == delivery.rendered.text:
                return str(message.sid)
        return None

    async def close(self) -> None:
        if self._client is not None:
            http = self._client.http_client  # type: ignore[attr-defined]
            await http.close()


_gateway_env = SandboxedEnvironment(autoescape=False)


def _message_id(answer: str) -> str:
    """The gateway's id of the message, from a JSON answer like {"messageId": "…"}."""
    try:
        body = json.loads(answer)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    return str(body.get("messageId") or body.get("id") or "")


class HttpSms:
    """A domestic SMS gateway: a JSON POST. The delivery id goes as the request id, so a
    gateway drops a repeat after a crash; a repeat is therefore safe to send."""

    def __init__(self, config: SmsProvider) -> None:
        self.name = config.name
        self._config = config
        self._body = _gateway_env.from_string(config.body_template)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, delivery: Delivery) -> SendResult:
        assert delivery.rendered is not None
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)
            )
        body = self._body.render(
            to=delivery.address, text=delivery.rendered.text, request_id=delivery.id
        )
        headers = {"Content-Type": "application/json", "Idempotency-Key": delivery.id}
        auth = self._config.auth_header.get_secret_value()
        if auth:
            headers["Authorization"] = auth
        try:
            async with self._session.post(
                self._config.url, data=body.encode(), headers=headers
            ) as response:
                text = await response.text()
                if response.status < 300:
                    return SendResult(Outcome.SENT, provider_message_id=_message_id(text))
                # 401/403: our credential, 429: their limit, 5xx: their trouble. Other 4xx:
                # the gateway refuses the number or text, and would again.
                temporary = response.status in (401, 403, 429) or response.status >= 500
                outcome = Outcome.TEMPORARY if temporary else Outcome.PERMANENT
                return SendResult(outcome, str(response.status), text[:300])
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return SendResult(Outcome.TEMPORARY, "network", str(exc)[:300])

    async def find_sent(self, delivery: Delivery, since: datetime) -> str | None:
        return None  # the gateway drops a repeated request id: sending again is safe

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class SmtpEmail:
    """E-mail through aiosmtplib: STARTTLS or implicit TLS, login, text and HTML parts."""

    def __init__(self, config: EmailProvider) -> None:
        self.name = config.name
        self._config = config
        self._tls: ssl.SSLContext | None = None

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=self._config.ca_file)
        return self._tls

    async def send(self, delivery: Delivery) -> SendResult:
        rendered = delivery.rendered
        assert rendered is not None
        config = self._config
        message = EmailMessage()
        message["From"] = config.sender
        message["To"] = delivery.address
        message["Subject"] = rendered.subject
        # One Message-ID per delivery: a receiving system can drop a repeat.
        message["Message-ID"] = make_msgid(idstring=delivery.id, domain="hallhub")
        message.set_content(rendered.text)
        if rendered.html:
            message.add_alternative(rendered.html, subtype="html")
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username or None,
                password=config.password.get_secret_value() or None,
                start_tls=config.tls == "starttls",
                use_tls=config.tls == "implicit",
                tls_context=self._context() if config.tls != "none" else None,
                timeout=SEND_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return SendResult(Outcome.PERMANENT, "recipient_refused", str(exc)[:300])
        except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused) as exc:
            return SendResult(Outcome.TEMPORARY, str(exc.code), exc.message[:300])
        except aiosmtplib.SMTPResponseException as exc:
            outcome = Outcome.PERMANENT if 500 <= exc.code < 600 else Outcome.TEMPORARY
            return SendResult(outcome, str(exc.code), exc.message[:300])
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return SendResult(Outcome.TEMPORARY, "network", str(exc)[:300])
        return SendResult(Outcome.SENT, provider_message_id=str(message["Message-ID"]))

    async def find_sent(self, delivery: Delivery, since: datetime) -> str | None:
        return None  # SMTP cannot tell; the Message-ID lets the receiver drop a repeat

    async def close(self) -> None:
        return None


def sms_providers(configs: list[SmsProvider], status_callback: str | None) -> list[Provider]:
    providers: list[Provider] = []
    for config in configs:
        if config.type == "twilio":
            providers.append(TwilioSms(config, status_callback))
        else:
            providers.append(HttpSms(config))
    return providers


def email_providers(configs: list[EmailProvider]) -> list[Provider]:
    return [SmtpEmail(config) for config in configs]

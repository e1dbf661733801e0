"""Real servers speaking the providers' protocols, for tests and benchmarks:

- `FakeTwilio`: an aiohttp server speaking Twilio's Messages API (POST and list
  `/2010-04-01/Accounts/{sid}/Messages.json`, JSON answers, error 21211 for an invalid number,
  429/20429 when told to rate-limit) and sending status callbacks signed as Twilio signs them.
- `FakeGateway`: a domestic HTTP SMS gateway that drops a repeated request id.
- `SmtpServer`: aiosmtpd's Controller with STARTTLS (a trustme CA) and AUTH LOGIN/PLAIN.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from hub.embedded import free_port

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-" + "0" * 16


@dataclass
class SentSms:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str
    date_sent: datetime


@dataclass
class FakeTwilio:
    """Twilio's Messages API on a local port. Numbers in `invalid` answer error 21211;
    `rate_limited` answers 429/20429 that many times before accepting again."""

    invalid: set[str] = field(default_factory=set)
    rate_limited: int = 0
    down: bool = False  # answer 503
    # Seconds between taking a message and answering: a worker killed in that gap has sent it
    # without knowing.
    delay: float = 0.0
    sent: list[SentSms] = field(default_factory=list)
    requests: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_sent(self, count: int) -> None:
        while len(self.sent) < count:
            self._arrived.clear()
            await self._arrived.wait()

    async def start(self) -> FakeTwilio:
        app = web.Application()
        base = "/2010-04-01/Accounts/{sid}/Messages.json"
        app.router.add_post(base, self._create)
        app.router.add_get(base, self._list)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {
                "code": code,
                "message": message,
                "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
            },
            status=status,
        )

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        if self.down:
            return self._error(503, 20500, "Service Unavailable")
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return self._error(429, 20429, "Too Many Requests")
        form = await request.post()
        to = str(form.get("To", ""))
        if to in self.invalid:
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        message = SentSms(
            sid="SM" + secrets.token_hex(16),
            to=to,
            from_=str(form.get("From", "")),
            body=str(form.get("Body", "")),
            status_callback=str(form.get("StatusCallback", "")),
            date_sent=datetime.now(UTC),
        )
        self.sent.append(message)
        self._arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response(self._resource(message, "queued"), status=201)

    def _resource(self, message: SentSms, status: str) -> dict[str, Any]:
        stamp = format_datetime(message.date_sent, usegmt=True)
        return {
            "sid": message.sid,
            "account_sid": ACCOUNT_SID,
            "to": message.to,
            "from": message.from_,
            "body": message.body,
            "status": status,
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": stamp,
            "price": None,
            "error_code": None,
            "error_message": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json",
        }

    async def _list(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        to = request.query.get("To")
        after = request.query.get("DateSent>")
        since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        found = [
            m
            for m in self.sent
            if (to is None or m.to == to) and (since is None or m.date_sent >= since)
        ]
        uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        return web.json_response(
            {
                "messages": [self._resource(m, "sent") for m in found],
                "end": max(len(found) - 1, 0),
                "first_page_uri": uri,
                "next_page_uri": None,
                "page": 0,
                "page_size": 100,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            }
        )

    async def callback(self, message: SentSms, status: str, *, token: str = AUTH_TOKEN) -> int:
        """Post a status callback to the URL the message named, signed like Twilio's."""
        from twilio.request_validator import RequestValidator

        params = {
            "MessageSid": message.sid,
            "MessageStatus": status,
            "AccountSid": ACCOUNT_SID,
            "To": message.to,
            "From": message.from_,
            "ApiVersion": "2010-04-01",
        }
        signature = RequestValidator(token).compute_signature(message.status_callback, params)
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                message.status_callback, data=params, headers={"X-Twilio-Signature": signature}
            ) as response,
        ):
            return response.status

    def bodies(self) -> list[str]:
        return [m.body for m in self.sent]


@dataclass
class FakeGateway:
    """A domestic SMS gateway: JSON POST, a repeated request id is accepted and dropped."""

    failing: int = 0  # answer 500 that many times
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeGateway:
        app = web.Application()
        app.router.add_post("/sms/send", self._send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/sms/send"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _send(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.failing > 0:
            self.failing -= 1
            return web.json_response({"error": "busy"}, status=500)
        body = json.loads(await request.text())
        self.received.setdefault(body["requestId"], body)
        return web.json_response({"messageId": "GW" + body["requestId"][:12]})


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.received_at: list[float] = []  # time.time() of each, for benchmarks

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.received_at.append(time.time())
        return "250 OK"


@dataclass
class SmtpServer:
    """A real SMTP server (aiosmtpd) requiring STARTTLS and a login."""

    username: str = "hallhub"
    password: str = "smtp-secret"
    ca_file: str = ""
    port: int = 0
    _controller: Controller | None = None
    _collector: _Collector = field(default_factory=_Collector)

    def start(self, directory: Path) -> SmtpServer:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(server_context)
        self.ca_file = str(directory / "smtp-ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)

        def authenticate(
            server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            ) == (self.username, self.password)
            return AuthResult(success=ok, handled=False)

        self.port = free_port()
        self._controller = Controller(
            self._collector,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=server_context,
            require_starttls=True,
            auth_require_tls=True,
            authenticator=authenticate,
            auth_required=True,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self._collector.messages

    @property
    def received_at(self) -> list[float]:
        return self._collector.received_at

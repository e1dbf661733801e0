"""The benchmark's providers in their own process (pinned to a core): Twilio's Messages API
and an SMTP server with STARTTLS and login (the test suite's own, tests/notifier/fakes.py),
and a control endpoint telling when each message arrived.

Prints `PROVIDERS_READY {json}` with the ports; `GET /received` answers
{"sms": [[body, t]], "email": [[subject, t]]} (t: time.time() on arrival)."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

import uvloop
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._node_common import prepare_process
from hub.embedded import free_port
from tests.notifier.fakes import FakeTwilio, SmtpServer


async def main() -> None:
    twilio = await FakeTwilio().start()
    smtp = SmtpServer().start(Path(tempfile.mkdtemp(prefix="hallhub-bench-smtp-")))

    async def received(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "sms": [[m.body, m.date_sent.timestamp()] for m in twilio.sent],
                "email": [
                    [str(m["Subject"]), t]
                    for m, t in zip(smtp.messages, smtp.received_at, strict=True)
                ],
            }
        )

    app = web.Application()
    app.router.add_get("/received", received)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ready = {
        "twilio": twilio.url,
        "smtp_port": smtp.port,
        "ca_file": smtp.ca_file,
        "username": smtp.username,
        "password": smtp.password,
        "control": f"http://127.0.0.1:{port}",
    }
    print("PROVIDERS_READY " + json.dumps(ready), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
    smtp.stop()
    await twilio.stop()
    await runner.cleanup()


if __name__ == "__main__":
    prepare_process(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    uvloop.run(main())

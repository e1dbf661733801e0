"""The appointment center's clockwork, run every JOB_SECONDS on every node: days opened when
their time comes (放号), backup places and unbooked places released, no-shows recorded,
reminders sent, interrupted bookings settled, outboxes swept. Each step is a guarded update
that succeeds once, so any number of nodes may run them; the steps are the service's."""

from __future__ import annotations

import asyncio
import contextlib

from appointments.service import AppointmentService
from hub.logs import get_logger
from hub.outages import log_failure

log = get_logger("appointments.jobs")

JOB_SECONDS = 15.0


class AppointmentJobs:
    def __init__(self, service: AppointmentService) -> None:
        self._service = service

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log_failure(log, "appointment_jobs_failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(JOB_SECONDS):
                    await stop.wait()

    async def run_once(self) -> dict[str, int]:
        """One round of every step, in order; how much each did."""
        service = self._service
        done = {
            "opened": await service.open_days(),
            "released": await service.release_places(),
            "no_shows": await service.record_no_shows(),
            "reminders": await service.send_reminders(),
            "settled": await service.settle_pending(),
            "swept": await service.sweep_outboxes(),
        }
        if done["swept"]:
            log.warning("outbox_swept", events=done["swept"])
        return done

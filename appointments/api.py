"""The appointment center's adapters: REST under /api/v1/appointments, Socket.IO commands,
and the service's lifetime (its clockwork, and the walk-in places it gives the queue)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from appointments import access, domain
from appointments.jobs import AppointmentJobs
from appointments.models import (
    AbuseRules,
    AppointmentQuery,
    AppointmentRef,
    Blacklisting,
    BookIn,
    BookingPlan,
    ChangeIn,
    CheckInIn,
    LiftIn,
    SlotChoice,
    SlotsQuery,
    Slug,
)
from appointments.service import AppointmentService
from hub import export, keys
from hub.auth import Principal, Role
from hub.errors import InvalidPayload
from hub.gateway.commands import Call, CommandRegistry
from hub.inputs import Day
from hub.rest import JSON, NoBody, Request, RestApi, compose
from queueing import QUEUE

APPOINTMENTS = web.AppKey("appointments", AppointmentService)
TAG = "appointments"


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hall_id: Slug
    day_from: Day
    day_to: Day
    format: str = Field("json", pattern="^(json|csv|xlsx)$")


class BlacklistQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_lifted: bool = False


def install(app: web.Application) -> None:
    app[keys.ACCESS].add("appointments", access.TABLE)
    rest = app[keys.REST]
    _choosing_routes(rest)
    _booking_routes(rest)
    _plan_routes(rest)
    _report_routes(rest)
    _blacklist_routes(rest)
    _commands(app[keys.COMMANDS])
    app.cleanup_ctx.append(_service)


# -- citizens: choosing a slot ----------------------------------------------------------------


def _choosing_routes(rest: RestApi) -> None:
    @rest.route(
        "GET",
        "/appointments/halls/{hall_id}/services",
        tag=TAG,
        summary="The services of a hall that take bookings",
    )
    async def services(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        return await req.app[APPOINTMENTS].offered(req.path("hall_id"))

    @rest.route(
        "GET",
        "/appointments/halls/{hall_id}/services/{service_id}/calendar",
        tag=TAG,
        summary="The days that can be booked now, when the next opens, the plan's rules",
    )
    async def calendar(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[APPOINTMENTS].calendar(req.path("hall_id"), req.path("service_id"))

    @rest.route(
        "GET",
        "/appointments/halls/{hall_id}/services/{service_id}/slots",
        query=SlotsQuery,
        tag=TAG,
        summary="A day's slots: {id, start, end, free, capacity, state: open|full|not_open|"
        "closed, opens_at}; live changes come as appointments.* events on hall:<id>",
    )
    async def slots(req: Request[NoBody, SlotsQuery]) -> dict[str, Any]:
        return await req.app[APPOINTMENTS].slots(
            req.path("hall_id"), req.path("service_id"), req.query.day
        )

    @rest.route(
        "GET",
        "/appointments/halls/{hall_id}/check-in-code",
        tag=TAG,
        summary="What the hall's check-in QR code carries, and the H5 link it opens",
    )
    async def check_in_code(req: Request[NoBody, NoBody]) -> dict[str, str]:
        hall_id = req.path("hall_id")
        access.CHECK_IN_CODE.require(req.require_principal(), access.of_hall(hall_id))
        code = await req.app[APPOINTMENTS].check_in_code(hall_id)
        base_url = req.app[keys.SETTINGS].base_url
        return {"hall_id": hall_id, "code": code, "url": f"{base_url}/m/checkin.html?code={code}"}


# -- a booking's life -------------------------------------------------------------------------


def _booking_routes(rest: RestApi) -> None:
    @rest.route(
        "POST",
        "/appointments",
        body=BookIn,
        status=201,
        tag=TAG,
        summary="Book a slot (real name: name, ID number, phone)",
    )
    async def book(req: Request[BookIn, NoBody]) -> dict[str, Any]:
        service = req.app[APPOINTMENTS]
        return await service.public(await service.book(req.require_principal(), req.body))

    @rest.route(
        "GET", "/appointments/mine", tag=TAG, summary="The caller's bookings, newest slot first"
    )
    async def mine(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        return await req.app[APPOINTMENTS].mine(req.require_principal().sub)

    @rest.route(
        "GET",
        "/appointments/{appointment_id}",
        tag=TAG,
        summary="One booking (a citizen: only their own)",
    )
    async def one(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[APPOINTMENTS].get(req.require_principal(), req.path("appointment_id"))

    @rest.route(
        "POST",
        "/appointments/{appointment_id}/change",
        body=SlotChoice,
        tag=TAG,
        summary="Move a booking to another slot of the same service {slot_start}",
    )
    async def change(req: Request[SlotChoice, NoBody]) -> dict[str, Any]:
        body = compose(
            ChangeIn, appointment_id=req.path("appointment_id"), slot_start=req.body.slot_start
        )
        service = req.app[APPOINTMENTS]
        return await service.public(await service.change(req.require_principal(), body))

    @rest.route(
        "POST",
        "/appointments/{appointment_id}/cancel",
        tag=TAG,
        summary="Cancel a booking (before the plan's deadline)",
    )
    async def cancel(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        service = req.app[APPOINTMENTS]
        ref = compose(AppointmentRef, appointment_id=req.path("appointment_id"))
        return await service.public(await service.cancel(req.require_principal(), ref))

    @rest.route(
        "POST",
        "/appointments/check-in",
        body=CheckInIn,
        tag=TAG,
        summary="Check in at the hall: a citizen with the booking and the hall's QR code, "
        "staff with the booking or the ID number → {appointment, ticket_id, ticket_code, late}",
    )
    async def check_in(req: Request[CheckInIn, NoBody]) -> dict[str, Any]:
        return await req.app[APPOINTMENTS].check_in(req.require_principal(), req.body)


# -- the back office --------------------------------------------------------------------------


def _plan_routes(rest: RestApi) -> None:
    @rest.route(
        "GET",
        "/appointments/plans",
        response=list[BookingPlan],
        tag=TAG,
        summary="Booking plans (slots, quotas, release rules, backup pool) of every hall",
    )
    async def plans(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        found = await req.app[APPOINTMENTS].plans(_own_hall(req.require_principal()))
        return [p.model_dump(by_alias=False, mode="json") for p in found]

    @rest.route(
        "PUT",
        "/appointments/plans/{hall_id}/{service_id}",
        body=BookingPlan,
        response=BookingPlan,
        tag=TAG,
        summary="Create or change a service's booking plan (every field)",
    )
    async def save_plan(req: Request[BookingPlan, NoBody]) -> dict[str, Any]:
        plan = req.body
        if (plan.hall_id, plan.service_id) != (req.path("hall_id"), req.path("service_id")):
            raise InvalidPayload("路径与请求体中的大厅、事项不一致")
        saved = await req.app[APPOINTMENTS].save_plan(plan)
        return saved.model_dump(by_alias=False, mode="json")

    @rest.route(
        "GET",
        "/appointments/rules",
        response=AbuseRules,
        tag=TAG,
        summary="No-show and abuse rules",
    )
    async def rules(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return (await req.app[APPOINTMENTS].abuse_rules()).model_dump(by_alias=False)

    @rest.route(
        "PUT",
        "/appointments/rules",
        body=AbuseRules,
        response=AbuseRules,
        tag=TAG,
        summary="Change the no-show and abuse rules",
    )
    async def save_rules(req: Request[AbuseRules, NoBody]) -> dict[str, Any]:
        saved = await req.app[APPOINTMENTS].save_abuse_rules(req.body)
        return saved.model_dump(by_alias=False)


def _report_routes(rest: RestApi) -> None:
    @rest.route(
        "GET",
        "/appointments",
        query=AppointmentQuery,
        tag=TAG,
        summary="Bookings by hall, service, days and state, by slot time",
    )
    async def search(req: Request[NoBody, AppointmentQuery]) -> dict[str, Any]:
        service = req.app[APPOINTMENTS]
        principal = req.require_principal()
        hall_id = req.query.hall_id or principal.hall  # a hall's own people search their own hall
        access.SEARCH.require_hall(principal, hall_id)
        found = await service.search(req.query.model_copy(update={"hall_id": hall_id}))
        return {"appointments": [await service.public(a) for a in found]}

    @rest.route(
        "GET",
        "/appointments/stats",
        query=StatsQuery,
        media_types=(JSON, *export.MEDIA_TYPES),
        tag=TAG,
        summary="Per day and service: booked, checked in, late, no-shows, cancelled, "
        "fulfilment and no-show rates (format=csv|xlsx to download)",
    )
    async def stats(req: Request[NoBody, StatsQuery]) -> Any:
        q = req.query
        access.STATISTICS.require(req.require_principal(), access.of_hall(q.hall_id))
        if (q.day_to - q.day_from).days > 366 or q.day_to < q.day_from:
            raise InvalidPayload("日期范围应在一年以内")
        found = await req.app[APPOINTMENTS].statistics(q.hall_id, q.day_from, q.day_to)
        rows = [asdict(r) for r in found]
        name = f"appointments-{q.hall_id}-{q.day_from}-{q.day_to}"
        file = export.download(q.format, name, domain.STATS_COLUMNS, rows, "预约统计")
        return file if file is not None else {"rows": rows}


def _blacklist_routes(rest: RestApi) -> None:
    @rest.route(
        "GET",
        "/appointments/blacklist",
        query=BlacklistQuery,
        response=list[Blacklisting],
        tag=TAG,
        summary="People whose booking is suspended (names masked), with the audit trail",
    )
    async def blacklist(req: Request[NoBody, BlacklistQuery]) -> list[dict[str, Any]]:
        entries = await req.app[APPOINTMENTS].blacklist(req.query.include_lifted)
        return [e.model_dump(by_alias=False, mode="json") for e in entries]

    @rest.route(
        "POST",
        "/appointments/blacklist/{person}/lift",
        body=LiftIn,
        response=Blacklisting,
        tag=TAG,
        summary="Lift a suspension, with the reason (audited)",
    )
    async def lift(req: Request[LiftIn, NoBody]) -> dict[str, Any]:
        principal = req.require_principal()
        lifted = await req.app[APPOINTMENTS].lift(
            req.path("person"), principal.name or principal.sub, req.body.reason
        )
        return lifted.model_dump(by_alias=False, mode="json")


def _own_hall(principal: Principal) -> str | None:
    """A hall's supervisor sees their own hall only (an admin, or a supervisor of no hall,
    sees all)."""
    return principal.hall if principal.role is Role.SUPERVISOR else None


# -- Socket.IO --------------------------------------------------------------------------------


def _commands(c: CommandRegistry) -> None:
    @c.command("appointments.book", BookIn, summary="Book a slot")
    async def book(call: Call, payload: BookIn) -> dict[str, Any]:
        service = call.app[APPOINTMENTS]
        return await service.public(await service.book(call.principal, payload))

    @c.command("appointments.change", ChangeIn, summary="Move a booking")
    async def change(call: Call, payload: ChangeIn) -> dict[str, Any]:
        service = call.app[APPOINTMENTS]
        return await service.public(await service.change(call.principal, payload))

    @c.command("appointments.cancel", AppointmentRef, summary="Cancel a booking")
    async def cancel(call: Call, payload: AppointmentRef) -> dict[str, Any]:
        service = call.app[APPOINTMENTS]
        return await service.public(await service.cancel(call.principal, payload))

    @c.command("appointments.check_in", CheckInIn, summary="Check in at the hall")
    async def check_in(call: Call, payload: CheckInIn) -> dict[str, Any]:
        return await call.app[APPOINTMENTS].check_in(call.principal, payload)


# -- lifetime ---------------------------------------------------------------------------------


async def _service(app: web.Application) -> AsyncIterator[None]:
    secret = app[keys.SETTINGS].signing_secret().encode()
    queue = app[QUEUE]
    service = AppointmentService(
        app[keys.DB],
        app[keys.BUS],
        queue,
        pepper=hashlib.sha256(b"appointments-person-key:" + secret).digest(),
        checkin_secret=hashlib.sha256(b"appointments-check-in:" + secret).digest(),
    )
    await service.start()
    app[APPOINTMENTS] = service
    queue.add_capacity_source(service.walkin_places)
    stop = asyncio.Event()
    jobs = asyncio.create_task(AppointmentJobs(service).run(stop), name="appointment-jobs")
    yield
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await jobs

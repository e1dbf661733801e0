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
from appointments.store import AppointmentStore
from hub import export, keys
from hub.auth import Principal, Role
from hub.errors import InvalidPayload
from hub.gateway.commands import Call
from hub.inputs import Day
from hub.rest import JSON, NoBody, Request, compose
from notifier import NOTIFIER
from queueing import QUEUE

APPOINTMENTS = web.AppKey("appointments", AppointmentService)


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
    _install_citizen(app)
    _install_back_office(app)
    _install_commands(app)
    app.cleanup_ctx.append(_service)


def _install_citizen(app: web.Application) -> None:
    rest = app[keys.REST]

    @rest.route(
        "GET",
        "/appointments/halls/{hall_id}/services",
        tag="appointments",
        summary="The services of a hall that take bookings",
    )
    async def services(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        service = req.app[APPOINTMENTS]
        hall_id = req.path("hall_id")
        config = await req.app[QUEUE].config(hall_id)
        return [
            {
                "service_id": p.service_id,
                "name": config.services[p.service_id].name,
                "expected_minutes": config.services[p.service_id].expected_minutes,
                "slot_minutes": p.slot_minutes,
            }
            for p in await service.store.plans(hall_id)
            if p.enabled and p.service_id in config.services
        ]

    @rest.route(
        "GET",
        "/appointments/halls/{hall_id}/services/{service_id}/calendar",
        tag="appointments",
        summary="The days that can be booked now, when the next opens, the plan's rules",
    )
    async def calendar(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[APPOINTMENTS].calendar(req.path("hall_id"), req.path("service_id"))

    @rest.route(
        "GET",
        "/appointments/halls/{hall_id}/services/{service_id}/slots",
        query=SlotsQuery,
        tag="appointments",
        summary="A day's slots: {id, start, end, free, capacity, state: open|full|not_open|"
        "closed, opens_at}; live changes come as appointments.* events on hall:<id>",
    )
    async def slots(req: Request[NoBody, SlotsQuery]) -> dict[str, Any]:
        return await req.app[APPOINTMENTS].slots(
            req.path("hall_id"), req.path("service_id"), req.query.day
        )

    @rest.route(
        "POST",
        "/appointments",
        body=BookIn,
        status=201,
        tag="appointments",
        summary="Book a slot (real name: name, ID number, phone)",
    )
    async def book(req: Request[BookIn, NoBody]) -> dict[str, Any]:
        service = req.app[APPOINTMENTS]
        return service.public(await service.book(req.require_principal(), req.body))

    @rest.route(
        "GET",
        "/appointments/mine",
        tag="appointments",
        summary="The caller's bookings, newest slot first",
    )
    async def mine(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        return await req.app[APPOINTMENTS].mine(req.require_principal().sub)

    @rest.route(
        "GET",
        "/appointments/{appointment_id}",
        tag="appointments",
        summary="One booking (a citizen: only their own)",
    )
    async def one(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return await req.app[APPOINTMENTS].get(req.require_principal(), req.path("appointment_id"))

    @rest.route(
        "POST",
        "/appointments/{appointment_id}/change",
        body=SlotChoice,
        tag="appointments",
        summary="Move a booking to another slot of the same service {slot_start}",
    )
    async def change(req: Request[SlotChoice, NoBody]) -> dict[str, Any]:
        body = compose(
            ChangeIn, appointment_id=req.path("appointment_id"), slot_start=req.body.slot_start
        )
        service = req.app[APPOINTMENTS]
        return service.public(await service.change(req.require_principal(), body))

    @rest.route(
        "POST",
        "/appointments/{appointment_id}/cancel",
        tag="appointments",
        summary="Cancel a booking (before the plan's deadline)",
    )
    async def cancel(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        service = req.app[APPOINTMENTS]
        ref = compose(AppointmentRef, appointment_id=req.path("appointment_id"))
        return service.public(await service.cancel(req.require_principal(), ref))

    @rest.route(
        "POST",
        "/appointments/check-in",
        body=CheckInIn,
        tag="appointments",
        summary="Check in at the hall: a citizen with the booking and the hall's QR code, "
        "staff with the booking or the ID number → {appointment, ticket_id, ticket_code, late}",
    )
    async def check_in(req: Request[CheckInIn, NoBody]) -> dict[str, Any]:
        return await req.app[APPOINTMENTS].check_in(req.require_principal(), req.body)

    @rest.route(
        "GET",
        "/appointments/halls/{hall_id}/check-in-code",
        tag="appointments",
        summary="What the hall's check-in QR code carries, and the H5 link it opens",
    )
    async def check_in_code(req: Request[NoBody, NoBody]) -> dict[str, str]:
        hall_id = req.path("hall_id")
        access.CHECK_IN_CODE.require(req.require_principal(), access.of_hall(hall_id))
        await req.app[QUEUE].config(hall_id)  # HALL_NOT_FOUND for a made-up hall
        code = req.app[APPOINTMENTS].hall_code(hall_id)
        base = req.app[keys.SETTINGS].base_url
        return {"hall_id": hall_id, "code": code, "url": f"{base}/m/checkin.html?code={code}"}


def _install_back_office(app: web.Application) -> None:
    rest = app[keys.REST]

    @rest.route(
        "GET",
        "/appointments/plans",
        response=list[BookingPlan],
        tag="appointments",
        summary="Booking plans (slots, quotas, release rules, backup pool) of every hall",
    )
    async def plans(req: Request[NoBody, NoBody]) -> list[dict[str, Any]]:
        return [
            p.model_dump(by_alias=False, mode="json")
            for p in await req.app[APPOINTMENTS].store.plans(_own_hall(req.require_principal()))
        ]

    @rest.route(
        "PUT",
        "/appointments/plans/{hall_id}/{service_id}",
        body=BookingPlan,
        response=BookingPlan,
        tag="appointments",
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
        tag="appointments",
        summary="No-show and abuse rules",
    )
    async def rules(req: Request[NoBody, NoBody]) -> dict[str, Any]:
        return (await req.app[APPOINTMENTS].abuse_rules()).model_dump(by_alias=False)

    @rest.route(
        "PUT",
        "/appointments/rules",
        body=AbuseRules,
        response=AbuseRules,
        tag="appointments",
        summary="Change the no-show and abuse rules",
    )
    async def save_rules(req: Request[AbuseRules, NoBody]) -> dict[str, Any]:
        await req.app[APPOINTMENTS].store.save_abuse_rules(req.body)
        return req.body.model_dump(by_alias=False)

    @rest.route(
        "GET",
        "/appointments",
        query=AppointmentQuery,
        tag="appointments",
        summary="Bookings by hall, service, days and state, by slot time",
    )
    async def search(req: Request[NoBody, AppointmentQuery]) -> dict[str, Any]:
        service = req.app[APPOINTMENTS]
        q = req.query
        principal = req.require_principal()
        hall_id = q.hall_id or principal.hall  # a hall's own people search their own hall
        access.SEARCH.require_hall(principal, hall_id)
        found = await service.store.search(_query(hall_id, q), q.limit, q.skip)
        return {"appointments": [service.public(a) for a in found]}

    @rest.route(
        "GET",
        "/appointments/stats",
        query=StatsQuery,
        media_types=(JSON, *export.MEDIA_TYPES),
        tag="appointments",
        summary="Per day and service: booked, checked in, late, no-shows, cancelled, "
        "fulfilment and no-show rates (format=csv|xlsx to download)",
    )
    async def stats(req: Request[NoBody, StatsQuery]) -> Any:
        q = req.query
        access.STATISTICS.require(req.require_principal(), access.of_hall(q.hall_id))
        if (q.day_to - q.day_from).days > 366 or q.day_to < q.day_from:
            raise InvalidPayload("日期范围应在一年以内")
        service = req.app[APPOINTMENTS]
        query = _query(q.hall_id, AppointmentQuery(day_from=q.day_from, day_to=q.day_to))
        rows = [asdict(r) for r in domain.statistics(await service.store.search(query, 100_000, 0))]
        name = f"appointments-{q.hall_id}-{q.day_from}-{q.day_to}"
        file = export.download(q.format, name, domain.STATS_COLUMNS, rows, "预约统计")
        if file is not None:
            return file
        return {"rows": rows}

    @rest.route(
        "GET",
        "/appointments/blacklist",
        query=BlacklistQuery,
        response=list[Blacklisting],
        tag="appointments",
        summary="People whose booking is suspended (names masked), with the audit trail",
    )
    async def blacklist(req: Request[NoBody, BlacklistQuery]) -> list[dict[str, Any]]:
        entries = await req.app[APPOINTMENTS].store.blacklist(req.query.include_lifted)
        return [e.model_dump(by_alias=False, mode="json") for e in entries]

    @rest.route(
        "POST",
        "/appointments/blacklist/{person}/lift",
        body=LiftIn,
        response=Blacklisting,
        tag="appointments",
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


def _query(hall_id: str | None, q: AppointmentQuery) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if hall_id:
        query["hall_id"] = hall_id
    if q.service_id:
        query["service_id"] = q.service_id
    if q.state:
        query["state"] = q.state.value
    if q.day_from or q.day_to:
        query["day"] = {
            **({"$gte": q.day_from.isoformat()} if q.day_from else {}),
            **({"$lte": q.day_to.isoformat()} if q.day_to else {}),
        }
    return query


def _install_commands(app: web.Application) -> None:
    commands = app[keys.COMMANDS]

    @commands.command("appointments.book", BookIn, summary="Book a slot")
    async def book(call: Call, payload: BookIn) -> dict[str, Any]:
        service = call.app[APPOINTMENTS]
        return service.public(await service.book(call.principal, payload))

    @commands.command("appointments.change", ChangeIn, summary="Move a booking")
    async def change(call: Call, payload: ChangeIn) -> dict[str, Any]:
        service = call.app[APPOINTMENTS]
        return service.public(await service.change(call.principal, payload))

    @commands.command("appointments.cancel", AppointmentRef, summary="Cancel a booking")
    async def cancel(call: Call, payload: AppointmentRef) -> dict[str, Any]:
        service = call.app[APPOINTMENTS]
        return service.public(await service.cancel(call.principal, payload))

    @commands.command(
        "appointments.check_in",
        CheckInIn,
        summary="Check in at the hall",
    )
    async def check_in(call: Call, payload: CheckInIn) -> dict[str, Any]:
        return await call.app[APPOINTMENTS].check_in(call.principal, payload)


async def _service(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    store = AppointmentStore(app[keys.DB])
    await store.ensure_indexes()
    secret = settings.signing_secret().encode()
    queue = app[QUEUE]

    async def remember_phone(recipient: str, phone: str) -> None:
        if NOTIFIER in app:
            await app[NOTIFIER].remember_phone(recipient, phone)

    service = AppointmentService(
        store,
        app[keys.BUS],
        queue,
        pepper=hashlib.sha256(b"appointments-person-key:" + secret).digest(),
        checkin_secret=hashlib.sha256(b"appointments-check-in:" + secret).digest(),
        remember_phone=remember_phone,
    )
    app[APPOINTMENTS] = service
    queue.add_capacity_source(store.walkin_places)
    stop = asyncio.Event()
    jobs = asyncio.create_task(AppointmentJobs(service).run(stop), name="appointment-jobs")
    yield
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await jobs

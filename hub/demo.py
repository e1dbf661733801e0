"""Demo data: load config/demo.yaml into a running app and list every screen's URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from aiohttp import web
from pydantic import BaseModel, Field

from hub import keys
from hub.auth.models import Role
from hub.settings import ROOT

DEMO_FILE = ROOT / "config" / "demo.yaml"
DEVICE_TTL = 30 * 24 * 3600


class DemoAccount(BaseModel):
    username: str
    password: str
    role: Role
    name: str = ""
    hall: str | None = None


class DemoCitizen(BaseModel):
    id: str
    name: str


class DemoBooking(BaseModel):
    """A booking for today, made when the demo starts (a slot whose check-in window is open)."""

    citizen: str
    hall: str
    service: str
    name: str
    id_number: str
    phone: str


class TodaysBooking(BaseModel):
    """A booking `seed` made (or found) for today: what the screen list says of it."""

    citizen: str
    hall: str
    text: str  # "预约号 12月4日 Y0001，10:30 综合咨询，签到时间 10:00–11:00"


class DemoData(BaseModel):
    halls: list[dict[str, Any]]
    accounts: list[DemoAccount] = Field(default_factory=list)
    citizens: list[DemoCitizen] = Field(default_factory=list)
    contacts: list[dict[str, Any]] = Field(default_factory=list)
    booking_plans: list[dict[str, Any]] = Field(default_factory=list)
    today_bookings: list[DemoBooking] = Field(default_factory=list)
    # Filled by `seed`, listed by `screens`.
    seeded: list[TodaysBooking] = Field(default_factory=list, exclude=True)


def load(path: Path = DEMO_FILE) -> DemoData:
    return DemoData.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


async def seed(app: web.Application, data: DemoData) -> None:
    from queueing.api import HALLS
    from queueing.models import HallSetup

    for raw in data.halls:
        await app[HALLS].apply_setup(HallSetup.model_validate(raw))
    for account in data.accounts:
        await app[keys.AUTH].create_account(
            account.username,
            account.password,
            account.role,
            name=account.name,
            hall_id=account.hall,
        )
    from notifier.api import NOTIFIER
    from notifier.models import Contact

    for contact in data.contacts:
        await app[NOTIFIER].save_contact(Contact.model_validate(contact))
    from appointments.api import APPOINTMENTS
    from appointments.models import BookingPlan

    for plan in data.booking_plans:
        ident = f"{plan['hall_id']}:{plan['service_id']}"
        await app[APPOINTMENTS].save_plan(BookingPlan.model_validate({"_id": ident, **plan}))
    data.seeded = [t for b in data.today_bookings if (t := await _book_today(app, data, b))]


async def _book_today(
    app: web.Application, data: DemoData, wanted: DemoBooking
) -> TodaysBooking | None:
    from appointments.api import APPOINTMENTS

    service = app[APPOINTMENTS]
    booked = await service.seed_today(
        wanted.citizen,
        wanted.hall,
        wanted.service,
        name=wanted.name,
        id_number=wanted.id_number,
        phone=wanted.phone,
    )
    if booked is None:
        return None
    view = await service.public(booked)
    raw = next(h for h in data.halls if h["hall"]["id"] == wanted.hall)
    zone = ZoneInfo(raw["hall"].get("timezone", "Asia/Shanghai"))
    names = {s["id"]: s["name"] for s in raw.get("services", [])}
    slot = booked.slot_start.astimezone(zone)
    opens, closes = view["checkin_from"].astimezone(zone), view["checkin_until"].astimezone(zone)
    text = (
        f"预约号 {view['code_text']}，{slot:%H:%M} {names.get(booked.service_id, '')}，"
        f"签到时间 {opens:%H:%M}–{closes:%H:%M}"
    )
    return TodaysBooking(citizen=wanted.citizen, hall=wanted.hall, text=text)


def screens(app: web.Application, data: DemoData, base_url: str) -> list[tuple[str, str, str]]:
    """(screen, who, URL with a working token) for every screen of the demo."""
    tokens = app[keys.TOKENS]
    rows: list[tuple[str, str, str]] = [
        ("后台登录 Back office sign-in", "见下方账号", f"{base_url}/web/"),
        ("后台管理 Back office", "admin / supervisor", f"{base_url}/web/admin.html"),
        ("窗口工作台 Counter workstation", "clerk01 / clerk02", f"{base_url}/web/workstation.html"),
        ("视频客服坐席 Video agent console", "agent01", f"{base_url}/web/agent.html"),
        ("视频客服监控 Video monitor", "admin / supervisor", f"{base_url}/web/monitor.html"),
    ]
    for raw in data.halls:
        hall_id = raw["hall"]["id"]
        hall_name = raw["hall"]["name"]
        token, _ = tokens.issue(
            f"display-{hall_id}",
            Role.DISPLAY,
            hall=hall_id,
            name=f"{hall_name}大屏",
            ttl_seconds=DEVICE_TTL,
        )
        rows.append(
            (
                "大厅显示屏 Hall display",
                hall_name,
                f"{base_url}/web/display.html?hall={hall_id}&token={token}",
            )
        )
        rows.append(
            ("取号机 Kiosk", hall_name, f"{base_url}/web/kiosk.html?hall={hall_id}&token={token}")
        )
        first_counter = raw["counters"][0]
        rows.append(
            (
                "窗口屏 Counter display",
                first_counter["name"],
                f"{base_url}/web/counter.html?counter={first_counter['id']}&token={token}",
            )
        )
        # What the hall's 码上取号 QR code opens: no account needed.
        rows.append(
            (
                "码上取号 QR ticket, walk-in (H5)",
                hall_name,
                f"{base_url}/m/take.html?hall={hall_id}",
            )
        )
        for citizen in data.citizens:
            citizen_token, _ = tokens.issue(
                citizen.id, Role.CITIZEN, name=citizen.name, ttl_seconds=DEVICE_TTL
            )
            rows.append(
                (
                    "码上取号 QR ticket (H5)",
                    f"{hall_name} · {citizen.name}",
                    f"{base_url}/m/take.html?hall={hall_id}&token={citizen_token}",
                )
            )
    from appointments.api import APPOINTMENTS

    for citizen in data.citizens:
        token, _ = tokens.issue(citizen.id, Role.CITIZEN, name=citizen.name, ttl_seconds=DEVICE_TTL)
        rows.append(("市民H5 Citizen mini-app", citizen.name, f"{base_url}/m/?token={token}"))
        rows.append(("预约办事 Book (H5)", citizen.name, f"{base_url}/m/book.html?token={token}"))
        rows.append(("视频客服 Video (H5)", citizen.name, f"{base_url}/m/video.html?token={token}"))
        for raw in data.halls:
            code = app[APPOINTMENTS].hall_code(raw["hall"]["id"])
            today = [
                b.text
                for b in data.seeded
                if (b.citizen, b.hall) == (citizen.id, raw["hall"]["id"])
            ]
            rows.append(
                (
                    "预约签到 Check-in (H5, the hall's QR code"
                    + (f"; today's booking: {'; '.join(today)})" if today else ")"),
                    f"{raw['hall']['name']} · {citizen.name}",
                    f"{base_url}/m/checkin.html?code={code}&token={token}",
                )
            )
    rows.append(("健康检查 Health", "", f"{base_url}/readyz"))
    rows.append(("指标 Metrics", "", f"{base_url}/metrics"))
    rows.append(("接口文档 OpenAPI", "", f"{base_url}/api/v1/openapi.json"))
    return rows

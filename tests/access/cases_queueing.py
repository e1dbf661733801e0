"""Access cases of queueing: halls, counters, tickets, screens."""

from __future__ import annotations

from typing import Any

from hub.auth.models import Principal, Role
from queueing import HALLS, QUEUE
from queueing.access import COUNTER_ACTIONS
from queueing.api import follow_code
from queueing.models import Counter, Service
from tests.access.world import (
    OWN_HALL,
    Act,
    Builder,
    Target,
    Who,
    World,
    cmd,
    hall_setup,
    id_number,
    rest,
    topic,
)

H = f"/halls/{OWN_HALL}"


def _clerk(w: World, target: Target) -> Principal:
    return Principal(target.clerk, Role.STAFF, hall=OWN_HALL, name="办事员")


async def _counter(w: World, *, open_it: bool = True) -> tuple[Target, str]:
    """A fresh counter of the own hall serving s1 and s2, its own clerk signed in there."""
    n = w.n()
    counter_id = f"{OWN_HALL}-m{n}"
    await w.app[HALLS].save_counter(
        Counter.model_validate(
            {
                "_id": counter_id,
                "hall_id": OWN_HALL,
                "number": 100 + n,
                "name": f"{100 + n}号窗口",
                "services": [{"service_id": "s1"}, {"service_id": "s2"}],
            }
        )
    )
    target = Target(clerk=f"clerk-a{n}")
    if open_it:
        await w.app[QUEUE].open_counter(counter_id, _clerk(w, target))
    return target, counter_id


async def _serving(w: World) -> tuple[Target, str, str]:
    """A counter whose clerk has called a ticket (the current one)."""
    target, counter_id = await _counter(w)
    ticket = await w.take()
    await w.app[QUEUE].call_ticket(counter_id, ticket.id, _clerk(w, target))
    return target, counter_id, ticket.id


def _counter_act(name: str, counter_id: str, body: dict[str, Any] | None, rest_call: bool) -> Act:
    if rest_call:
        return rest("POST", f"{H}/counters/{counter_id}/{name.replace('_', '-')}", body)
    return cmd(f"queueing.{name}", {"counter_id": counter_id, **(body or {})})


def counter_action(name: str, *, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        queue = w.app[QUEUE]
        body: dict[str, Any] | None = None
        if name in ("call_next", "call_ticket", "close_counter", "pause"):
            target, counter_id = await _counter(w)
            ticket = await w.take()
            if name == "call_ticket":
                body = {"ticket_id": ticket.id}
            if name == "pause":
                body = {"reason": "午休"}
        elif name == "resume":
            target, counter_id = await _counter(w)
            await queue.pause(counter_id, "午休", _clerk(w, target))
        elif name == "unpark":
            target, counter_id, ticket_id = await _serving(w)
            await queue.park(counter_id, _clerk(w, target))
            body = {"ticket_id": ticket_id}
        elif name == "requeue":
            target, counter_id, ticket_id = await _serving(w)
            await queue.no_show(counter_id, _clerk(w, target))
            body = {"ticket_id": ticket_id}
        else:
            target, counter_id, _ = await _serving(w)
            if name == "transfer":
                body = {"service_id": "s2"}
            if name == "finish":
                body = {"case_id": None}
        return target, _counter_act(name, counter_id, body, rest_call)

    return build


def open_counter(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, counter_id = await _counter(w, open_it=False)
        return target, _counter_act("open_counter", counter_id, None, rest_call)

    return build


async def list_halls(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", "/halls")


async def get_hall(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", H)


async def put_setup(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("PUT", f"{H}/setup", hall_setup(OWN_HALL).model_dump(mode="json"))


async def put_policy(w: World, who: Who) -> tuple[Target, Act]:
    policy = (await w.app[HALLS].hall(OWN_HALL)).hall.policy
    return Target(), rest("PUT", f"{H}/policy", policy.model_dump(mode="json"))


def _service(service_id: str) -> dict[str, Any]:
    return Service.model_validate(
        {"_id": service_id, "hall_id": OWN_HALL, "name": "临时事项", "prefix": "T"}
    ).model_dump(mode="json")


async def put_service(w: World, who: Who) -> tuple[Target, Act]:
    body = _service("s2") | {"name": "社保", "prefix": "B"}
    return Target(), rest("PUT", f"{H}/services/s2", body)


async def delete_service(w: World, who: Who) -> tuple[Target, Act]:
    service_id = f"tmp{w.n()}"
    for service in (await w.app[HALLS].hall(OWN_HALL)).services:  # prefixes are one letter
        if service.id.startswith("tmp"):
            await w.app[HALLS].delete_service(OWN_HALL, service.id)
    await w.app[HALLS].save_service(Service.model_validate(_service(service_id)))
    return Target(), rest("DELETE", f"{H}/services/{service_id}")


async def put_counter(w: World, who: Who) -> tuple[Target, Act]:
    _, counter_id = await _counter(w, open_it=False)
    counter = (await w.app[HALLS].counter(counter_id)).model_dump(mode="json")  # type: ignore[union-attr]
    return Target(), rest("PUT", f"{H}/counters/{counter_id}", counter | {"name": "改名窗口"})


async def delete_counter(w: World, who: Who) -> tuple[Target, Act]:
    _, counter_id = await _counter(w, open_it=False)
    return Target(), rest("DELETE", f"{H}/counters/{counter_id}")


async def put_notice(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("PUT", f"{H}/notice", {"notice": "请带身份证"})


async def set_notice(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), cmd("queueing.set_notice", {"hall_id": OWN_HALL, "notice": "请带身份证"})


async def stats(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", f"{H}/stats?day=2026-11-26")


def _channel(role: Role | None) -> str:
    return {Role.CITIZEN: "miniapp", Role.DISPLAY: "kiosk"}.get(role, "staff")  # type: ignore[arg-type]


def take_ticket(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        citizen = {"name": "市民", "id_number": id_number(w.n())}
        body = {"service_id": "s1", "channel": _channel(who.role), "citizen": citizen}
        if rest_call:
            return Target(), rest("POST", f"{H}/tickets", body)
        return Target(), cmd("queueing.take_ticket", {"hall_id": OWN_HALL, **body})

    return build


async def follow(w: World, who: Who) -> tuple[Target, Act]:
    ticket = await w.take()
    code = follow_code(w.app, ticket.id)
    return Target(ticket=ticket.id), rest("POST", f"{H}/tickets/{ticket.id}/follow", {"code": code})


async def walk_in_hall(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", f"{H}/walk-in")


async def walk_in_code(w: World, who: Who) -> tuple[Target, Act]:
    # The world has no SMS provider: the caller got past access, the hub says it cannot send.
    body = {"phone": f"1380013{w.n():04d}", "device": f"device-{w.n():04d}"}
    return Target(), rest(
        "POST", f"{H}/walk-in/codes", body, ok_codes=frozenset({"SMS_UNAVAILABLE"})
    )


async def walk_in_ticket(w: World, who: Who) -> tuple[Target, Act]:
    body = {"service_id": "s1", "device": f"device-{w.n():04d}"}
    return Target(), rest("POST", f"{H}/walk-in/tickets", body)


def cancel_ticket(*, rest_call: bool) -> Builder:
    async def build(w: World, who: Who) -> tuple[Target, Act]:
        target, ticket_id = await _held(w)
        if rest_call:
            return target, rest("DELETE", f"{H}/tickets/{ticket_id}")
        return target, cmd("queueing.cancel_ticket", {"ticket_id": ticket_id})

    return build


async def _held(w: World) -> tuple[Target, str]:
    """A fresh ticket, its holder the own citizen (and its slip the own ticket token)."""
    citizen = f"c-a{w.n()}"
    ticket = await w.take(citizen=citizen)
    return Target(citizen=citizen, ticket=ticket.id), ticket.id


async def get_ticket(w: World, who: Who) -> tuple[Target, Act]:
    target, ticket_id = await _held(w)
    return target, rest("GET", f"{H}/tickets/{ticket_id}")


async def my_tickets(w: World, who: Who) -> tuple[Target, Act]:
    target, _ = await _held(w)
    return target, rest("GET", "/queueing/my-tickets")


async def board(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), rest("GET", f"{H}/board")


async def workstation(w: World, who: Who) -> tuple[Target, Act]:
    target, counter_id = await _counter(w)
    return target, rest("GET", f"{H}/counters/{counter_id}/workstation")


async def hall_topic(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), topic(f"hall:{OWN_HALL}")


async def counter_topic(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), topic(f"counter:{OWN_HALL}-w1")


async def desk_topic(w: World, who: Who) -> tuple[Target, Act]:
    return Target(), topic(f"desk:{OWN_HALL}")


async def ticket_topic(w: World, who: Who) -> tuple[Target, Act]:
    target, ticket_id = await _held(w)
    return target, topic(f"ticket:{ticket_id}")


_COUNTER = "POST /halls/{hall_id}/counters/{counter_id}/"

CASES: dict[str, Builder] = {
    "GET /halls": list_halls,
    "GET /halls/{hall_id}": get_hall,
    "PUT /halls/{hall_id}/setup": put_setup,
    "PUT /halls/{hall_id}/policy": put_policy,
    "PUT /halls/{hall_id}/services/{service_id}": put_service,
    "DELETE /halls/{hall_id}/services/{service_id}": delete_service,
    "PUT /halls/{hall_id}/counters/{counter_id}": put_counter,
    "DELETE /halls/{hall_id}/counters/{counter_id}": delete_counter,
    "PUT /halls/{hall_id}/notice": put_notice,
    "queueing.set_notice": set_notice,
    "GET /halls/{hall_id}/stats": stats,
    "queueing.open_counter": open_counter(rest_call=False),
    _COUNTER + "open-counter": open_counter(rest_call=True),
    **{f"queueing.{a}": counter_action(a, rest_call=False) for a in COUNTER_ACTIONS},
    **{_COUNTER + a.replace("_", "-"): counter_action(a, rest_call=True) for a in COUNTER_ACTIONS},
    "GET /halls/{hall_id}/counters/{counter_id}/workstation": workstation,
    "queueing.take_ticket": take_ticket(rest_call=False),
    "POST /halls/{hall_id}/tickets": take_ticket(rest_call=True),
    "POST /halls/{hall_id}/tickets/{ticket_id}/follow": follow,
    "GET /halls/{hall_id}/walk-in": walk_in_hall,
    "POST /halls/{hall_id}/walk-in/codes": walk_in_code,
    "POST /halls/{hall_id}/walk-in/tickets": walk_in_ticket,
    "queueing.cancel_ticket": cancel_ticket(rest_call=False),
    "DELETE /halls/{hall_id}/tickets/{ticket_id}": cancel_ticket(rest_call=True),
    "GET /halls/{hall_id}/tickets/{ticket_id}": get_ticket,
    "GET /queueing/my-tickets": my_tickets,
    "GET /halls/{hall_id}/board": board,
    "topic hall:{id}": hall_topic,
    "topic counter:{id}": counter_topic,
    "topic desk:{id}": desk_topic,
    "topic ticket:{id}": ticket_topic,
}

"""People and the abuse rules: strikes (no-shows, cancellations, too many bookings of one
matter) recorded against a person, booking suspended at a limit (the blacklist) and lifted by
a supervisor, no-shows recorded when a booking's check-in window closes."""

from __future__ import annotations

from datetime import datetime, timedelta

from appointments import domain, errors, events
from appointments.models import (
    AbuseRules,
    Appointment,
    AppointmentState,
    Blacklisting,
    Change,
    Strike,
    StrikeKind,
)
from appointments.service.core import Core
from hub.errors import HubError
from hub.logs import get_logger
from hub.privacy import mask_name

log = get_logger("appointments")


class People:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store

    # -- the rules and the blacklist --------------------------------------------------------

    async def abuse_rules(self) -> AbuseRules:
        return await self._store.abuse_rules()

    async def save_abuse_rules(self, rules: AbuseRules) -> AbuseRules:
        await self._store.save_abuse_rules(rules)
        self._core.cached.forget()
        return rules

    async def blacklist(self, include_lifted: bool) -> list[Blacklisting]:
        return await self._store.blacklist(include_lifted)

    async def refuse_blacklisted(self, person: str, now: datetime, zone: str) -> None:
        entry = await self._store.blacklisting(person)
        if entry is not None and entry.lifted_at is None and entry.until > now:
            until = domain.local_text(entry.until, zone)
            raise errors.Blacklisted(
                f"{entry.reason}，预约资格暂停至 {until}", until=entry.until.isoformat()
            )

    async def lift(self, person: str, by: str, reason: str) -> Blacklisting:
        entry = await self._store.blacklisting(person)
        now = self._core.now()
        if entry is None or entry.lifted_at is not None or entry.until <= now:
            raise errors.NotBlacklisted(person=person)
        lifted = entry.model_copy(
            update={
                "lifted_at": now,
                "lifted_by": by,
                "lift_reason": reason,
                "audit": [*entry.audit, Change(at=now, by=by, what=f"解除：{reason}")],
            }
        )
        await self._store.save_blacklisting(lifted)
        log.info("blacklist_lifted", by=by)
        return lifted

    # -- strikes ----------------------------------------------------------------------------

    async def strike(
        self,
        kind: StrikeKind,
        strike_id: str,
        appointment: Appointment,
        now: datetime,
        rules: AbuseRules | None = None,
        *,
        name: str | None = None,
    ) -> None:
        """Record a strike against the booking's person; suspend booking when it brings them
        to a limit. `rules`: the abuse rules when the caller has already read them; `name`: the
        name typed with a refused attempt (else the booking's)."""
        person = appointment.person
        await self._store.add_strike(
            Strike(id=strike_id, person=person, kind=kind, appointment_id=appointment.id, at=now)
        )
        if rules is None:
            rules = await self._core.abuse_rules()
        strikes = await self._store.strikes(person)
        verdict = domain.abuse_verdict(rules, strikes, now)
        if verdict is None:
            return
        current = await self._store.blacklisting(person)
        if current is not None and current.lifted_at is None and current.until > now:
            return
        since_lift = current.lifted_at if current is not None else None
        if since_lift is not None and not any(s.at > since_lift for s in strikes):
            return  # lifted after these strikes: only new ones count
        entry = Blacklisting(
            id=person,
            name=mask_name(name or appointment.name),
            since=now,
            until=now + timedelta(days=rules.blacklist_days),
            reason=verdict[1],
            audit=[
                *(current.audit if current else []),
                Change(at=now, by="system", what=verdict[1]),
            ],
        )
        await self._store.save_blacklisting(entry)
        log.info("person_blacklisted", reason=verdict[0].value)
        await self._core.tell_booker(
            appointment.citizen_id,
            events.PersonBlacklisted(
                until=entry.until, reason=entry.reason, days=rules.blacklist_days
            ),
            event_id=f"blacklist:{person}:{now.timestamp():.0f}",
        )

    # -- no-shows ---------------------------------------------------------------------------

    async def record_no_shows(self) -> int:
        """Bookings not checked in by the end of their window: a strike, a warning after the
        first, a suspension at the limit."""
        now = self._core.now()
        recorded = 0
        plans = await self._core.plans()
        # Only bookings whose window may have closed for some plan are read (plans differ:
        # each booking is checked below).
        late = min((p.checkin_late_minutes for p in plans.values()), default=0)
        latest = now - timedelta(minutes=max(late, 1))
        booked = await self._store.in_state(AppointmentState.BOOKED, latest)
        if not booked:
            return 0
        rules = await self._core.abuse_rules()
        for appointment in booked:
            plan = plans.get(f"{appointment.hall_id}:{appointment.service_id}")
            if plan is None:
                plan = await self._core.cached.plan(appointment.hall_id, appointment.service_id)
            if plan is None or not domain.no_show_due(plan, appointment, now):
                continue
            strikes = await self._store.strikes(appointment.person)
            this = Strike(
                id="new",
                person=appointment.person,
                kind=StrikeKind.NO_SHOW,
                appointment_id=appointment.id,
                at=now,
            )
            warning = domain.warning_due(rules, [*strikes, this], now)
            missed = appointment.model_copy(
                update={
                    "state": AppointmentState.NO_SHOW,
                    "updated_at": now,
                    "reason": "未在签到时间内到场",
                }
            )
            told = events.NoShowRecorded(**await self._core.booker_change(missed), warning=warning)
            try:
                await self._core.save(missed, "system", "爽约", told)
            except HubError:
                continue  # changed meanwhile (checked in at the last second)
            await self._store.unhold(appointment.hold, appointment.id)
            await self.strike(
                StrikeKind.NO_SHOW, f"{appointment.id}:no_show", appointment, now, rules
            )
            await self._core.tell_hall(
                events.NoShowRecorded, plan, appointment.day, [appointment.slot_id]
            )
            recorded += 1
        return recorded

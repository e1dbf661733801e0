/** How the appointment screens write days, times and errors (zh-CN catalog). */
import {
  HALL_TIME_ZONE,
  checkInWindowParts,
  formatShortClock,
  localDay,
  type Appointment,
  type HubError,
} from "@hallhub/client";
import { fmt, t } from "../i18n";
import { slotState, type PlanRules, type Slot } from "./model";

const a = t.appointments;

/** "周五" of a "YYYY-MM-DD" day (a calendar day: no time zone involved). */
export function weekdayOf(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  const index = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)).getUTCDay();
  return a.weekdays[index] ?? "";
}

/** "11月27日" of a "YYYY-MM-DD" day. */
export function monthDay(day: string): string {
  const [, m, d] = day.split("-").map(Number);
  return fmt(a.monthDay, { m: m ?? "", d: d ?? "" });
}

/** "11月27日 08:00" of a moment in the hall's time zone. */
export function dateTimeOf(moment: string | Date, timeZone: string = HALL_TIME_ZONE): string {
  const date = typeof moment === "string" ? new Date(moment) : moment;
  if (Number.isNaN(date.getTime())) return "";
  return fmt(a.dateTime, { date: monthDay(localDay(date, timeZone)), time: formatShortClock(date, timeZone) });
}

/** "09:00–09:30". */
export function slotRange(start: string, end: string, timeZone: string = HALL_TIME_ZONE): string {
  return fmt(a.slotRange, { start: formatShortClock(start, timeZone), end: formatShortClock(end, timeZone) });
}

/** "11月27日（周五）09:00–09:30" of a booking or a slot. */
export function slotText(
  slot: { start: string; end: string } | Pick<Appointment, "slot_start" | "slot_end">,
  timeZone: string = HALL_TIME_ZONE,
): string {
  const start = "start" in slot ? slot.start : slot.slot_start;
  const end = "end" in slot ? slot.end : slot.slot_end;
  const day = localDay(new Date(start), timeZone);
  return fmt(a.slotText, { date: monthDay(day), weekday: weekdayOf(day), range: slotRange(start, end, timeZone) });
}

/** What a slot button says under its time: "余 3 个", "约满", "11月27日 08:00 放号", "已截止". */
export function slotStatusText(slot: Slot, timeZone: string = HALL_TIME_ZONE): string {
  switch (slotState(slot)) {
    case "open":
      return fmt(a.slot.free, { n: slot.free });
    case "full":
      return slot.capacity > 0 ? a.slot.full : a.slot.none;
    case "not_open":
      return slot.opens_at ? fmt(a.slot.opensAt, { time: dateTimeOf(slot.opens_at, timeZone) }) : a.slot.notOpen;
    default:
      return a.slot.closed;
  }
}

/** The plan's rules for one slot, as sentences. */
export function ruleLines(rules: PlanRules, slot: { start: string }, timeZone: string = HALL_TIME_ZONE): string[] {
  const start = Date.parse(slot.start);
  const deadline = new Date(start - rules.cancel_deadline_minutes * 60_000);
  return [
    fmt(a.confirm.cancelRule, { time: dateTimeOf(deadline, timeZone) }),
    fmt(a.confirm.checkinRule, checkinWindow(rules, slot, timeZone)),
    rules.late_becomes_walkin ? a.confirm.lateWalkin : a.confirm.lateRefused,
    a.confirm.noShowRule,
  ];
}

/** {from: "11月27日 08:30", to: "09:15"}: when to check in at the hall. */
export function checkinWindow(
  rules: Pick<PlanRules, "checkin_early_minutes" | "checkin_late_minutes">,
  slot: { start: string },
  timeZone: string = HALL_TIME_ZONE,
): { from: string; to: string } {
  const start = Date.parse(slot.start);
  return {
    from: dateTimeOf(new Date(start - rules.checkin_early_minutes * 60_000), timeZone),
    to: formatShortClock(new Date(start + rules.checkin_late_minutes * 60_000), timeZone),
  };
}

/** {from: "11月27日 08:30", to: "09:15"} of a booking's check-in window as the hub gives it
 * (its plan's setting now): the booking's own pages say it from this, not from a rule of
 * thumb. */
export function bookingCheckinWindow(
  appointment: Pick<Appointment, "checkin_from" | "checkin_until">,
  timeZone: string = HALL_TIME_ZONE,
): { from: string; to: string } {
  const parts = checkInWindowParts(appointment, timeZone);
  return {
    from: fmt(a.dateTime, { date: monthDay(parts.day), time: parts.from }),
    to: parts.untilDay === parts.day ? parts.until : dateTimeOf(appointment.checkin_until, timeZone),
  };
}

/** "12月4日 Y0003": a code is unique within its hall's day only, so it is told with the day. */
export function codeText(appointment: Pick<Appointment, "code" | "day"> & { code_text?: string }): string {
  if (appointment.code_text) return appointment.code_text;
  return appointment.code ? fmt(a.codeWithDay, { date: monthDay(appointment.day), code: appointment.code }) : "";
}

function detail(error: HubError, key: string): string | null {
  const value = error.details?.[key];
  return typeof value === "string" ? value : null;
}

const HAN = /[\u4e00-\u9fff]/;

/**
 * What to tell a person about a refused appointment request: the hub's own message (already
 * Chinese, and specific: a suspension says why and until when), made more precise for a few
 * codes; the catalog's text for the codes it has (network, timeout, sign-in, bad input).
 */
export function appointmentErrorText(error: HubError, timeZone: string = HALL_TIME_ZONE): string {
  switch (error.code) {
    case "SLOT_FULL":
      return a.errors.slotFull;
    case "CHECK_IN_TOO_EARLY": {
      const from = detail(error, "check_in_from");
      if (from) return fmt(a.checkin.tooEarly, { time: formatShortClock(from, timeZone) });
      break;
    }
    case "HALL_CODE_INVALID":
      return a.checkin.hallCode;
    case "CANCEL_TOO_LATE": {
      const deadline = detail(error, "deadline");
      if (deadline) return fmt(a.errors.cancelTooLate, { time: dateTimeOf(deadline, timeZone) });
      break;
    }
    case "NOT_TODAY": {
      const day = detail(error, "day");
      if (day) return fmt(a.checkin.notToday, { day: fmt(a.dayWithWeekday, { date: monthDay(day), weekday: weekdayOf(day) }) });
      break;
    }
    case "NOT_OPEN_YET": {
      const opens = detail(error, "opens_at");
      if (opens) return fmt(a.errors.notOpenYet, { time: dateTimeOf(opens, timeZone) });
      break;
    }
    default:
      break;
  }
  const known = t.errors[error.code];
  if (known !== undefined) return known;
  if (error.message && HAN.test(error.message)) return error.message;
  return a.errors.generic;
}

/** Bookings and suspensions as the back office lists them. Pure. */
import { fmt, formatDateTime, type Appointment, type AppointmentState } from "@hallhub/client";
import { t } from "../../i18n";
import { hallTime } from "../../staff/format";
import type { BlacklistEntry, BookingFilters } from "./types";

/** "2026-11-27" plus `n` days. */
export function addDays(day: string, n: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

/** From today to four weeks ahead: the bookings people ask about. */
export function blankBookingFilters(today: string): BookingFilters {
  return { service_id: "", range: [today, addDays(today, 28)], state: "" };
}

/** "2026-11-27 09:30–10:00" in the hall's time zone. */
export function slotText(appointment: Pick<Appointment, "day" | "slot_start" | "slot_end">, timeZone?: string): string {
  return `${appointment.day} ${hallTime(appointment.slot_start, timeZone)}–${hallTime(appointment.slot_end, timeZone)}`;
}

export type TagType = "primary" | "success" | "info" | "warning" | "danger";

const STATE_TAGS: Readonly<Record<AppointmentState, TagType>> = {
  booked: "primary",
  checked_in: "success",
  cancelled: "info",
  no_show: "danger",
  pending: "warning",
  failed: "info",
};

export function stateTag(state: string): TagType {
  return STATE_TAGS[state as AppointmentState] ?? "info";
}

export function stateText(state: string): string {
  return t.admin.appointments.states[state] ?? state;
}

/** "2026-11-26 13:05" in the hall's time zone; "—" without a time. */
export function stampText(moment: string | null | undefined, timeZone?: string): string {
  if (!moment) return t.staffUi.empty;
  return formatDateTime(moment, timeZone) || t.staffUi.empty;
}

export type EntryState = "active" | "lifted" | "expired";

export function entryState(entry: Pick<BlacklistEntry, "lifted_at" | "until">, now: Date): EntryState {
  if (entry.lifted_at) return "lifted";
  return new Date(entry.until).getTime() <= now.getTime() ? "expired" : "active";
}

/** Who made an audited change ("system": the hub's own rules). */
export function actorText(by: string): string {
  return by === "system" ? t.admin.appointments.blacklist.system : by || t.staffUi.empty;
}

export function liftedText(entry: BlacklistEntry, timeZone?: string): string {
  if (!entry.lifted_at) return "";
  return fmt(t.admin.appointments.blacklist.liftedText, {
    by: actorText(entry.lifted_by),
    at: stampText(entry.lifted_at, timeZone),
    reason: entry.lift_reason || t.staffUi.empty,
  });
}

/** Why a lift's reason cannot be sent, or "" (the hub takes 2–200 characters). */
export function liftProblem(reason: string): string {
  const b = t.admin.appointments.blacklist;
  const text = reason.trim();
  if (text.length < 2) return b.liftRequired;
  if (text.length > 200) return b.liftTooLong;
  return "";
}

/** The appointment center's (预约中心) bookings as the hub answers them (docs/appointments.md):
 * the same document for citizens (their own) and staff (personal data masked by the hub). */
import { HALL_TIME_ZONE, formatShortClock, localDay } from "./format";

/** The states of a booking, in the order the back office lists them. */
export const APPOINTMENT_STATES = ["booked", "checked_in", "cancelled", "no_show", "pending", "failed"] as const;
export type AppointmentState = (typeof APPOINTMENT_STATES)[number];

export interface Appointment {
  id: string;
  /** "Y0003": unique within the hall's day (across its services), so told with its day. */
  code: string;
  /** The code with its day, as the citizen is told to remember it: "12月4日 Y0003". */
  code_text: string;
  hall_id: string;
  service_id: string;
  day: string;
  slot_start: string;
  slot_end: string;
  /** The check-in window, from the plan's setting as it is now: every text that states the
   * window is made from these two (never written out). */
  checkin_from: string;
  checkin_until: string;
  name: string;
  id_number: string;
  phone: string;
  state: AppointmentState;
  ticket_id: string | null;
  ticket_code: string | null;
  checked_in_at: string | null;
  created_at: string;
  reason: string;
  notify_sms: boolean;
}

/** `POST /api/v1/appointments/check-in` (or the `appointments.check_in` command). */
export interface CheckInResult {
  appointment: Appointment;
  ticket_id: string;
  ticket_code: string;
  /** Checked in after the window: an ordinary walk-in ticket. */
  late: boolean;
  /** Checked in before: the same ticket again. */
  repeat: boolean;
}

/** Where a booking's check-in stands at a moment: not yet open, open, or past (a late arrival
 * is queued as a walk-in, or refused, as the plan says). */
export type CheckInPhase = "early" | "open" | "late";

export function checkInPhase(
  appointment: Pick<Appointment, "checkin_from" | "checkin_until">,
  now: Date = new Date(),
): CheckInPhase {
  const time = now.getTime();
  if (time < Date.parse(appointment.checkin_from)) return "early";
  if (time > Date.parse(appointment.checkin_until)) return "late";
  return "open";
}

/** A booking's check-in window in the hall's time zone, for a catalog string to put in words
 * ("签到时间：{date} {from}–{until}"): `day` ("YYYY-MM-DD") and the clock times ("09:00"),
 * `untilDay` when the window ends on another day. The workstation's check-in dialog and the
 * citizen's pages say the same thing from these. */
export function checkInWindowParts(
  appointment: Pick<Appointment, "checkin_from" | "checkin_until">,
  timeZone: string = HALL_TIME_ZONE,
): { day: string; from: string; until: string; untilDay: string } {
  const from = new Date(appointment.checkin_from);
  const until = new Date(appointment.checkin_until);
  return {
    day: localDay(from, timeZone),
    from: formatShortClock(from, timeZone),
    until: formatShortClock(until, timeZone),
    untilDay: localDay(until, timeZone),
  };
}

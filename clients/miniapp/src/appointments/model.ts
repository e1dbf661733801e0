/** The appointment center (预约中心) as the citizen app sees it (docs/appointments.md): the
 * resources the hub answers and the pure rules the screens apply to them. No I/O, no i18n. */
import { HALL_TIME_ZONE, localDay, type Appointment, type Envelope } from "@hallhub/client";

export type SlotStateName = "open" | "full" | "not_open" | "closed";

/** `GET /api/v1/halls` (one row), or the `hall` of `GET /api/v1/halls/{id}`. */
export interface HallOption {
  id: string;
  name: string;
  address: string;
  timezone: string;
}

/** `GET /api/v1/appointments/halls/{hall}/services` (one row). */
export interface BookableService {
  service_id: string;
  name: string;
  expected_minutes: number;
  slot_minutes: number;
}

/** The plan's rules a citizen is told before booking. */
export interface PlanRules {
  slot_minutes: number;
  horizon_days: number;
  /** Local time of day, "08:00:00". */
  opens_at: string;
  cancel_deadline_minutes: number;
  checkin_early_minutes: number;
  checkin_late_minutes: number;
  late_becomes_walkin: boolean;
}

/** `GET …/services/{service}/calendar`. */
export interface BookingCalendar {
  /** Bookable now, "YYYY-MM-DD" in the hall's time zone. */
  days: string[];
  next_opening: { day: string; opens_at: string } | null;
  plan: PlanRules;
}

export interface Slot {
  id: string;
  start: string;
  end: string;
  free: number;
  capacity: number;
  state: SlotStateName;
  /** When a `not_open` slot opens (放号). */
  opens_at: string | null;
}

/** `GET …/services/{service}/slots?day=`. */
export interface DaySlots {
  hall_id: string;
  service_id: string;
  day: string;
  working_day: boolean;
  opens_at: string;
  slots: Slot[];
}

/** One slot's places in an `appointments.*` event on `hall:<id>`. */
export interface SlotAvailability {
  id: string;
  free: number;
  /** Places handed to walk-ins; non-null: the slot takes no more bookings. */
  walkin_released: number | null;
}

export interface BookRequest {
  hall_id: string;
  service_id: string;
  slot_start: string;
  name: string;
  id_number: string;
  phone: string;
  notify_sms: boolean;
}

/** What the person books with (real name). */
export type RealName = Pick<BookRequest, "name" | "id_number" | "phone" | "notify_sms">;

// -- real name ---------------------------------------------------------------------------------

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

/** What is wrong with a mainland resident ID number (GB 11643-1999), or null when it is right:
 * `empty`, `length` (not 18 characters), `format` (17 digits then a digit or X), `birth` (no
 * such birth date), `check` (the check digit does not match: a typo). The same rules as the
 * hub's. */
export type IdNumberProblem = "empty" | "length" | "format" | "birth" | "check";

export function idNumberProblem(raw: string): IdNumberProblem | null {
  const value = normalizeIdNumber(raw);
  if (value === "") return "empty";
  if (value.length !== 18) return "length";
  if (!/^\d{17}[\dX]$/.test(value)) return "format";
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  const born = new Date(Date.UTC(year, month - 1, day));
  if (
    year < 1900 ||
    born.getUTCFullYear() !== year ||
    born.getUTCMonth() !== month - 1 ||
    born.getUTCDate() !== day
  ) {
    return "birth";
  }
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += Number(value[i]) * (ID_WEIGHTS[i] ?? 0);
  return ID_CHECK[total % 11] === value[17] ? null : "check";
}

export function validIdNumber(raw: string): boolean {
  return idNumberProblem(raw) === null;
}

/** As the hub keeps it: no spaces, an upper-case X. */
export function normalizeIdNumber(raw: string): string {
  return raw.replace(/\s+/g, "").toUpperCase();
}

/** A mainland mobile number (11 digits from 13x to 19x). */
export function validPhone(raw: string): boolean {
  return /^1[3-9]\d{9}$/.test(raw.replace(/\s+/g, ""));
}

// -- slots -------------------------------------------------------------------------------------

/** The state a slot shows: the hub's, made consistent with its free places (an open slot with
 * no place left is full; a full one that got places back is open). */
export function slotState(slot: Pick<Slot, "state" | "free">): SlotStateName {
  if (slot.state === "open" && slot.free <= 0) return "full";
  if (slot.state === "full" && slot.free > 0) return "open";
  return slot.state;
}

export function bookable(slot: Pick<Slot, "state" | "free">): boolean {
  return slotState(slot) === "open";
}

/** The `{service_id, day, slots}` of an `appointments.*` event on `hall:<id>`, or null when
 * the event carries no slot availability. */
export function availabilityOf(
  event: Envelope,
): { serviceId: string; day: string; slots: SlotAvailability[] } | null {
  if (!event.type.startsWith("appointments.")) return null;
  const data = event.data;
  if (typeof data !== "object" || data === null) return null;
  const { service_id: serviceId, day, slots } = data;
  if (typeof serviceId !== "string" || typeof day !== "string" || !Array.isArray(slots)) return null;
  const parsed: SlotAvailability[] = [];
  for (const raw of slots as unknown[]) {
    if (typeof raw !== "object" || raw === null) continue;
    const row = raw as Record<string, unknown>;
    if (typeof row.id !== "string" || typeof row.free !== "number") continue;
    const released = row.walkin_released;
    parsed.push({
      id: row.id,
      free: row.free,
      walkin_released: typeof released === "number" ? released : null,
    });
  }
  return { serviceId, day, slots: parsed };
}

/** One slot after a live availability change. */
export function applySlotAvailability(slot: Slot, change: SlotAvailability): Slot {
  if (change.walkin_released !== null) {
    // Its free places went to walk-ins: no more bookings.
    return { ...slot, free: 0, state: "closed", opens_at: null };
  }
  if (slot.state === "closed") return slot; // past its booking time: places do not reopen it
  const free = Math.max(0, change.free);
  return {
    ...slot,
    free,
    capacity: Math.max(slot.capacity, free),
    state: free > 0 ? "open" : "full",
    opens_at: null,
  };
}

/**
 * A day's slots after an `appointments.*` event of `hall:<id>`: the places of the slots it
 * names, when it is about the same service and day (else the same object, unchanged). Events
 * carry absolute numbers, so applying one twice changes nothing.
 */
export function applyAvailabilityEvent(view: DaySlots, event: Envelope): DaySlots {
  const change = availabilityOf(event);
  if (change === null || change.serviceId !== view.service_id || change.day !== view.day) return view;
  const byId = new Map(change.slots.map((row) => [row.id, row]));
  let touched = false;
  const slots = view.slots.map((slot) => {
    const row = byId.get(slot.id);
    if (row === undefined) return slot;
    const next = applySlotAvailability(slot, row);
    if (next.free !== slot.free || next.state !== slot.state || next.capacity !== slot.capacity) touched = true;
    return next;
  });
  return touched ? { ...view, slots } : view;
}

/** Where this page's own booking stands: none under way, sent and not yet answered, made. */
export type BookingPhase = "idle" | "sending" | "done";

/**
 * What becomes of the chosen slot when the day's places change live (`fresh`: the slot as
 * the day shows it now): `keep` it (still bookable: the fresh copy, with its places now), it
 * is `gone` (booked out by others: choose again), or `ignore` the change. While this page's
 * own booking is under way or made, a slot that fills up is that booking's own doing (the
 * hall's event of it may come before the answer): never "gone" then; a SLOT_FULL answer says
 * so when someone else was faster.
 */
export function chosenAfterChange(
  fresh: Slot | undefined,
  phase: BookingPhase,
): { outcome: "keep"; slot: Slot } | { outcome: "gone" | "ignore" } {
  if (fresh === undefined || phase !== "idle") return { outcome: "ignore" };
  return bookable(fresh) ? { outcome: "keep", slot: fresh } : { outcome: "gone" };
}

// -- days and check-in ---------------------------------------------------------------------------

/** Appointments that can still be checked in or followed (`booked`, `checked_in`). */
export function isOpenAppointment(appointment: Pick<Appointment, "state">): boolean {
  return appointment.state === "booked" || appointment.state === "checked_in";
}

/** The caller's bookings to check in at a hall now: today's (in the hall's time zone), booked
 * or checked in, earliest slot first. */
export function todaysBookings(
  appointments: readonly Appointment[],
  hallId: string,
  now: Date = new Date(),
  timeZone: string = HALL_TIME_ZONE,
): Appointment[] {
  const today = localDay(now, timeZone);
  return appointments
    .filter((a) => a.hall_id === hallId && a.day === today && isOpenAppointment(a))
    .sort((a, b) => Date.parse(a.slot_start) - Date.parse(b.slot_start));
}

/** The caller's later bookings at a hall (to say when to come back), earliest first. */
export function laterBookings(
  appointments: readonly Appointment[],
  hallId: string,
  now: Date = new Date(),
  timeZone: string = HALL_TIME_ZONE,
): Appointment[] {
  const today = localDay(now, timeZone);
  return appointments
    .filter((a) => a.hall_id === hallId && a.day > today && a.state === "booked")
    .sort((a, b) => Date.parse(a.slot_start) - Date.parse(b.slot_start));
}

/** The hall of a check-in QR code `<hall_id>.<tag>` (the part before the first "."), or null
 * when the code cannot be one. */
export function hallOfCode(code: string | null | undefined): string | null {
  if (!code) return null;
  const dot = code.indexOf(".");
  const hallId = (dot < 0 ? code : code.slice(0, dot)).trim();
  return /^[a-z0-9][a-z0-9-]{0,39}$/.test(hallId) && dot > 0 ? hallId : null;
}

/** The list `GET /api/v1/appointments/mine` answers, as the 我的预约 tab shows it: bookings
 * that did not complete are left out; upcoming ones first (earliest slot first), then the rest
 * (newest first). */
export function mineForList(appointments: readonly Appointment[]): Appointment[] {
  const shown = appointments.filter((a) => a.state !== "failed" && a.state !== "pending");
  const active = shown
    .filter((a) => isOpenAppointment(a))
    .sort((a, b) => Date.parse(a.slot_start) - Date.parse(b.slot_start));
  const done = shown
    .filter((a) => !isOpenAppointment(a))
    .sort((a, b) => Date.parse(b.slot_start) - Date.parse(a.slot_start));
  return [...active, ...done];
}

/** Whether a booking may still be cancelled or moved (the hub decides; this only hides the
 * buttons once the plan's deadline passed, when the deadline is known). */
export function changeable(
  appointment: Pick<Appointment, "state" | "slot_start">,
  now: Date = new Date(),
  deadlineMinutes?: number,
): boolean {
  if (appointment.state !== "booked") return false;
  if (deadlineMinutes === undefined) return Date.parse(appointment.slot_start) > now.getTime();
  return Date.parse(appointment.slot_start) - deadlineMinutes * 60_000 >= now.getTime();
}

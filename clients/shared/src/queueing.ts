/** The queueing (排队叫号) resources the screens read, as the hub answers them
 * (docs/queueing.md), and the small readers that take event data apart safely. */
import { isRecord } from "./errors";

export type CounterStatus = "closed" | "open" | "paused";
export type TicketStatus =
  | "waiting"
  | "called"
  | "serving"
  | "finished"
  | "no_show"
  | "cancelled"
  | "parked";
/** Tags that give a citizen priority. */
export type CitizenTag = "elderly" | "disabled" | "pregnant" | "military" | "green_channel";
export type Channel = "kiosk" | "miniapp" | "qr" | "staff";

export const TICKET_STATUSES: readonly TicketStatus[] = [
  "waiting",
  "called",
  "serving",
  "finished",
  "no_show",
  "cancelled",
  "parked",
];
export const COUNTER_STATUSES: readonly CounterStatus[] = ["closed", "open", "paused"];

/** A call on the hall board (and a counter's current ticket). */
export interface CallRow {
  ticket_id: string;
  number: string;
  service_id?: string;
  service_name: string;
  counter_id?: string | null;
  counter_number: number | null;
  counter_name: string;
  call_count: number;
  /** The ticket's status now. */
  status: TicketStatus;
  at: string | null;
  /** A checked-in booking's ticket (`appointment` of the hall's call events: true; of a
   * ticket view: its slot). Absent or null/false: a walk-in. */
  appointment?: boolean | { slot_start: string; slot_end: string } | null;
}

/** Whether a call is of a booking's ticket (预约). */
export function isAppointmentCall(row: Pick<CallRow, "appointment">): boolean {
  const value = row.appointment;
  return value === true || (isRecord(value) && typeof value.slot_start === "string");
}

export interface BoardCounter {
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  status: CounterStatus;
  pause_reason: string;
  /** The clerk signed in there ("" when closed). */
  staff_name: string;
  current: CallRow | null;
}

export interface BoardService {
  id: string;
  name: string;
  prefix: string;
  waiting: number;
}

/** `GET /api/v1/halls/{hall_id}/board`: the hall display's snapshot. */
export interface Board {
  hall: {
    id: string;
    name: string;
    notice: string;
    timezone: string;
    show_take_qr?: boolean;
    /** The hall's 码上取号 address, when the display shows its QR code. */
    take_url?: string | null;
  };
  announce_repeat: number;
  day: string;
  services: BoardService[];
  counters: BoardCounter[];
  /** Newest first. */
  calls: CallRow[];
  seq: number;
  epoch: string;
}

/** `GET /api/v1/halls/{hall_id}/tickets/{ticket_id}`: a ticket as its holder sees it. */
export interface TicketView {
  ticket_id: string;
  number: string;
  hall: { id: string; name: string; address: string };
  service_id: string;
  service_name: string;
  status: TicketStatus;
  issued_at: string;
  ahead: number;
  estimate_minutes: number;
  counter: { number: number; name: string } | null;
  call_count: number;
  tags: string[];
  seq: number;
  epoch: string;
}

/** The answer to taking a ticket. */
export interface TakenTicket extends TicketView {
  /** A token that follows this one ticket (kiosk tickets), else null. */
  follow_token: string | null;
  /** `/m/ticket.html?id=…&token=…`: what the printed QR code opens. */
  follow_url: string;
}

export interface CitizenInput {
  name?: string;
  id_number?: string;
  phone?: string;
  tags?: CitizenTag[];
}

const TICKET_ID = /^(.+)-(\d{8})-([A-Z]\d+)$/;

/** The hall of a ticket id ("xc-01-20261126-A003" → "xc-01"), or null. */
export function hallOfTicket(ticketId: string): string | null {
  return TICKET_ID.exec(ticketId)?.[1] ?? null;
}

export function isTicketStatus(value: unknown): value is TicketStatus {
  return typeof value === "string" && (TICKET_STATUSES as readonly string[]).includes(value);
}

export function isCounterStatus(value: unknown): value is CounterStatus {
  return typeof value === "string" && (COUNTER_STATUSES as readonly string[]).includes(value);
}

/** A string field of event data, or `fallback`. */
export function str(data: Record<string, unknown>, key: string, fallback = ""): string {
  const value = data[key];
  return typeof value === "string" ? value : fallback;
}

/** A finite number field of event data, or null. */
export function num(data: Record<string, unknown>, key: string): number | null {
  const value = data[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A record field of event data, or null. */
export function rec(data: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const value = data[key];
  return isRecord(value) ? value : null;
}

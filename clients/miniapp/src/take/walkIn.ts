/** 码上取号 without an account (a walk-in who scanned the hall's QR code): the hall's services,
 * the SMS code for an optional phone check, the ticket (with the kiosk slip's follow link), and
 * the tickets this phone took today, kept on the phone so the page can lead back to them. */
import { localDay, sendOnce, type BoardService, type CitizenTag, type TicketView } from "@hallhub/client";
import { publicApi as api } from "../hub";

export interface WalkInHall {
  hall: { id: string; name: string; address: string; district: string; notice: string };
  services: BoardService[];
  /** The hub can send SMS codes: the phone check is offered. */
  sms: boolean;
  day: string;
}

export interface WalkInTicket extends TicketView {
  follow_code: string;
  /** `/m/ticket.html?id=…&k=…`: the ticket's own page, to reopen or bookmark. */
  follow_path: string;
  follow_url: string;
}

export interface CodeSent {
  phone: string;
  expires_in_seconds: number;
  resend_in_seconds: number;
}

/** What this phone remembers of a ticket it took. */
export interface KeptTicket {
  ticket_id: string;
  hall_id: string;
  number: string;
  service_name: string;
  day: string;
  path: string;
}

const DEVICE_KEY = "hallhub.walkin.device";
const TICKETS_KEY = "hallhub.walkin.tickets";
const KEPT_MAX = 20;

function hallPath(hallId: string): string {
  return `/api/v1/halls/${encodeURIComponent(hallId)}/walk-in`;
}

export function loadWalkIn(hallId: string): Promise<WalkInHall> {
  return api<WalkInHall>("GET", hallPath(hallId));
}

export function sendCode(hallId: string, phone: string): Promise<CodeSent> {
  return api<CodeSent>("POST", `${hallPath(hallId)}/codes`, { phone, device: deviceId() });
}

export function takeWalkIn(
  hallId: string,
  serviceId: string,
  tags: CitizenTag[],
  phone?: { phone: string; code: string },
): Promise<WalkInTicket> {
  // One request id for the tap: a retry after a lost answer gets the same ticket.
  return sendOnce((requestId) =>
    api<WalkInTicket>("POST", `${hallPath(hallId)}/tickets`, {
      service_id: serviceId,
      device: deviceId(),
      tags,
      request_id: requestId,
      ...(phone ?? {}),
    }),
  );
}

/** A mainland mobile number as typed (spaces and dashes dropped), or null. */
export function mobileOf(raw: string): string | null {
  const phone = raw.replace(/[\s-]/g, "");
  return /^1[3-9]\d{9}$/.test(phone) ? phone : null;
}

function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes); // available on plain http too, unlike randomUUID
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let sessionDevice: string | null = null;

/** This phone's random id (kept in its storage): the hall's per-person limit counts it. */
export function deviceId(): string {
  try {
    const stored = window.localStorage.getItem(DEVICE_KEY);
    if (stored && /^[A-Za-z0-9_-]{8,64}$/.test(stored)) return stored;
    const made = randomId();
    window.localStorage.setItem(DEVICE_KEY, made);
    return made;
  } catch {
    sessionDevice ??= randomId(); // storage disabled: one id for the page's life
    return sessionDevice;
  }
}

function keptAll(): KeptTicket[] {
  try {
    const parsed: unknown = JSON.parse(window.localStorage.getItem(TICKETS_KEY) ?? "[]");
    return Array.isArray(parsed) ? (parsed as KeptTicket[]).filter((k) => typeof k?.ticket_id === "string") : [];
  } catch {
    return [];
  }
}

/** This phone's tickets of today in a hall, newest first. */
export function keptTickets(hallId: string, now: Date = new Date()): KeptTicket[] {
  const today = localDay(now);
  return keptAll().filter((k) => k.hall_id === hallId && k.day === today);
}

export function keepTicket(ticket: WalkInTicket, now: Date = new Date()): void {
  const kept: KeptTicket = {
    ticket_id: ticket.ticket_id,
    hall_id: ticket.hall.id,
    number: ticket.number,
    service_name: ticket.service_name,
    day: localDay(now),
    path: ticket.follow_path,
  };
  try {
    const rest = keptAll().filter((k) => k.ticket_id !== kept.ticket_id);
    window.localStorage.setItem(TICKETS_KEY, JSON.stringify([kept, ...rest].slice(0, KEPT_MAX)));
  } catch {
    // storage disabled: the ticket page's address is the way back
  }
}

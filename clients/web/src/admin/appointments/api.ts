/** The appointment center's back-office requests (docs/appointments.md). */
import type { Appointment } from "@hallhub/client";
import { api } from "../../hub";
import { fetchFile } from "../api";
import type {
  AbuseRules,
  BlacklistEntry,
  BookingFilters,
  BookingPlan,
  BookingStatsQuery,
  BookingStatsRow,
  CheckInCode,
} from "./types";

const BASE = "/api/v1/appointments";
const part = encodeURIComponent;

export function listPlans(): Promise<BookingPlan[]> {
  return api<BookingPlan[]>("GET", `${BASE}/plans`);
}

/** Admin: create or change a plan (every field). */
export function savePlan(plan: BookingPlan): Promise<BookingPlan> {
  return api<BookingPlan>("PUT", `${BASE}/plans/${part(plan.hall_id)}/${part(plan.service_id)}`, plan);
}

export function loadAbuseRules(): Promise<AbuseRules> {
  return api<AbuseRules>("GET", `${BASE}/rules`);
}

export function saveAbuseRules(rules: AbuseRules): Promise<AbuseRules> {
  return api<AbuseRules>("PUT", `${BASE}/rules`, rules);
}

/** The search's query string: the hall, the filters that are set, one page. */
export function bookingParams(hallId: string, filters: BookingFilters, page: number, size: number): string {
  const params = new URLSearchParams({ hall_id: hallId });
  if (filters.service_id) params.set("service_id", filters.service_id);
  if (filters.range !== null) {
    params.set("day_from", filters.range[0]);
    params.set("day_to", filters.range[1]);
  }
  if (filters.state) params.set("state", filters.state);
  params.set("limit", String(size));
  if (page > 1) params.set("skip", String((page - 1) * size));
  return params.toString();
}

export async function searchBookings(
  hallId: string,
  filters: BookingFilters,
  page: number,
  size: number,
): Promise<Appointment[]> {
  const answer = await api<{ appointments: Appointment[] }>("GET", `${BASE}?${bookingParams(hallId, filters, page, size)}`);
  return answer.appointments;
}

export function listBlacklist(includeLifted: boolean): Promise<BlacklistEntry[]> {
  return api<BlacklistEntry[]>("GET", `${BASE}/blacklist?include_lifted=${includeLifted ? "true" : "false"}`);
}

export function liftBlacklist(person: string, reason: string): Promise<BlacklistEntry> {
  return api<BlacklistEntry>("POST", `${BASE}/blacklist/${part(person)}/lift`, { reason });
}

export function bookingStatsPath(query: BookingStatsQuery, format: "json" | "csv" | "xlsx"): string {
  const params = new URLSearchParams({ hall_id: query.hall_id, day_from: query.day_from, day_to: query.day_to });
  if (format !== "json") params.set("format", format);
  return `${BASE}/stats?${params.toString()}`;
}

export async function loadBookingStats(query: BookingStatsQuery): Promise<BookingStatsRow[]> {
  const answer = await api<{ rows: BookingStatsRow[] }>("GET", bookingStatsPath(query, "json"));
  return answer.rows;
}

/** The statistics as a file, with the bearer token (as the queueing statistics' export). */
export function fetchBookingExport(
  query: BookingStatsQuery,
  format: "csv" | "xlsx",
): Promise<{ blob: Blob; disposition: string | null }> {
  return fetchFile(bookingStatsPath(query, format));
}

export function loadCheckInCode(hallId: string): Promise<CheckInCode> {
  return api<CheckInCode>("GET", `${BASE}/halls/${part(hallId)}/check-in-code`);
}

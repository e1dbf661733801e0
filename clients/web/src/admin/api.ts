/** The back office's requests. Every change answers the hall as it is now. */
import { bearerHeaders, problemError } from "@hallhub/client";
import { api, getToken } from "../hub";
import type { CallingPolicy, Counter, Hall, HallDetail, Service, StatsQuery, StatsReport } from "./types";

const hallPath = (hallId: string): string => `/api/v1/halls/${encodeURIComponent(hallId)}`;

export function listHalls(): Promise<{ id: string; name: string }[]> {
  return api<{ id: string; name: string }[]>("GET", "/api/v1/halls");
}

export function getHall(hallId: string): Promise<HallDetail> {
  return api<HallDetail>("GET", hallPath(hallId));
}

/** Admin: the hall's own fields, with its services and counters as they are. */
export function saveHall(detail: HallDetail, hall: Hall): Promise<HallDetail> {
  return api<HallDetail>("PUT", `${hallPath(hall.id)}/setup`, {
    hall,
    services: detail.services,
    counters: detail.counters,
  });
}

export function saveNotice(hallId: string, notice: string): Promise<HallDetail> {
  return api<HallDetail>("PUT", `${hallPath(hallId)}/notice`, { notice });
}

export function savePolicy(hallId: string, policy: CallingPolicy): Promise<HallDetail> {
  return api<HallDetail>("PUT", `${hallPath(hallId)}/policy`, policy);
}

export function saveService(service: Service): Promise<HallDetail> {
  return api<HallDetail>("PUT", `${hallPath(service.hall_id)}/services/${encodeURIComponent(service.id)}`, service);
}

export function deleteService(hallId: string, serviceId: string): Promise<HallDetail> {
  return api<HallDetail>("DELETE", `${hallPath(hallId)}/services/${encodeURIComponent(serviceId)}`);
}

export function saveCounter(counter: Counter): Promise<HallDetail> {
  return api<HallDetail>("PUT", `${hallPath(counter.hall_id)}/counters/${encodeURIComponent(counter.id)}`, counter);
}

export function deleteCounter(hallId: string, counterId: string): Promise<HallDetail> {
  return api<HallDetail>("DELETE", `${hallPath(hallId)}/counters/${encodeURIComponent(counterId)}`);
}

export function statsPath(hallId: string, query: StatsQuery, format: "json" | "csv" | "xlsx"): string {
  const params = new URLSearchParams({ day: query.day, by: query.by });
  if (query.to !== null && query.to !== query.day) params.set("to", query.to);
  if (format !== "json") params.set("format", format);
  return `${hallPath(hallId)}/stats?${params.toString()}`;
}

export function loadStats(hallId: string, query: StatsQuery): Promise<StatsReport> {
  return api<StatsReport>("GET", statsPath(hallId, query, "json"));
}

/** A statistics export as a file: fetched with the bearer token (a plain link has none). */
export function fetchExport(
  hallId: string,
  query: StatsQuery,
  format: "csv" | "xlsx",
): Promise<{ blob: Blob; disposition: string | null }> {
  return fetchFile(statsPath(hallId, query, format));
}

/** A file the hub answers at `path`, fetched with the bearer token (a plain link has none). */
export async function fetchFile(path: string): Promise<{ blob: Blob; disposition: string | null }> {
  const response = await fetch(path, { headers: bearerHeaders(getToken()) });
  if (!response.ok) throw await problemError(response, { httpMessage: (status) => `HTTP ${status}` });
  return { blob: await response.blob(), disposition: response.headers.get("Content-Disposition") };
}

/** The back office's requests. Every change answers the hall as it is now. */
import { HubError } from "@hallhub/client";
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
  const token = getToken();
  const response = await fetch(path, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok) throw await problem(response);
  return { blob: await response.blob(), disposition: response.headers.get("Content-Disposition") };
}

/** Hand a downloaded file to the browser to save as `name`. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A failed download's problem+json `{code, detail, details?}` as a HubError. */
async function problem(response: Response): Promise<HubError> {
  const body: unknown = await response.json().catch(() => null);
  if (typeof body === "object" && body !== null && "code" in body && typeof body.code === "string") {
    const detail = "detail" in body && typeof body.detail === "string" ? body.detail : body.code;
    return new HubError(body.code, detail, { status: response.status });
  }
  return new HubError(`HTTP_${response.status}`, `HTTP ${response.status}`, { status: response.status });
}

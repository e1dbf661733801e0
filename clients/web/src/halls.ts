/** The hall REST resources the web app reads. */
import type { Principal } from "@hallhub/client";
import { api } from "./hub";

/** `GET /api/v1/halls` rows. */
export interface HallSummary {
  id: string;
  name: string;
  address: string;
  timezone: string;
  services: number;
  counters: number;
}

/** `GET /api/v1/halls/{id}`. */
export interface HallDetail {
  hall: {
    id: string;
    name: string;
    address: string;
    timezone: string;
    notice: string;
  };
  services: unknown[];
  counters: unknown[];
}

const BACK_OFFICE: ReadonlySet<Principal["role"]> = new Set(["admin", "supervisor"]);

export function getHall(id: string): Promise<HallDetail> {
  return api<HallDetail>("GET", `/api/v1/halls/${encodeURIComponent(id)}`);
}

/** The halls a signed-in user may see: all for the back office, else the one they belong to. */
export async function visibleHalls(me: Principal): Promise<HallSummary[]> {
  if (BACK_OFFICE.has(me.role)) return api<HallSummary[]>("GET", "/api/v1/halls");
  if (!me.hall) return [];
  const detail = await getHall(me.hall);
  return [
    {
      id: me.hall,
      name: detail.hall.name,
      address: detail.hall.address,
      timezone: detail.hall.timezone,
      services: detail.services.length,
      counters: detail.counters.length,
    },
  ];
}

export function displayUrl(hallId: string): string {
  return `display.html?hall=${encodeURIComponent(hallId)}`;
}

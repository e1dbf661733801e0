/** The halls a citizen can book at: every hall when the hub lists them to the caller
 * (`GET /api/v1/halls`), else the ones the citizen is known to use (the address's `?hall=`,
 * halls booked or visited before), each looked up by id; more can be added by their code. */
import type { HubError } from "@hallhub/client";
import { toHubError } from "@hallhub/client";
import { myTickets } from "../tickets";
import { listHalls, loadHall, loadMine } from "./api";
import type { HallOption } from "./model";

const RECENT_KEY = "hallhub.book.halls";
const RECENT_MAX = 8;

export interface HallChoice {
  halls: HallOption[];
  /** True: the hub listed every hall; false: only the ones known here (a code adds more). */
  complete: boolean;
}

export function recentHalls(): string[] {
  try {
    const raw = window.localStorage.getItem(RECENT_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

export function rememberHall(hallId: string): void {
  try {
    const next = [hallId, ...recentHalls().filter((id) => id !== hallId)].slice(0, RECENT_MAX);
    window.localStorage.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // storage disabled: nothing remembered
  }
}

export function validHallId(value: string): boolean {
  return /^[a-z0-9][a-z0-9-]{0,39}$/.test(value);
}

export async function discoverHalls(preferred: string | null): Promise<HallChoice> {
  try {
    return { halls: await listHalls(), complete: true };
  } catch (thrown) {
    const error: HubError = toHubError(thrown);
    if (error.code !== "FORBIDDEN" && error.status !== 403 && error.status !== 404) throw error;
  }
  const [booked, visited] = await Promise.all([
    loadMine().catch(() => []),
    myTickets().catch(() => []),
  ]);
  const ids = [
    ...(preferred ? [preferred] : []),
    ...recentHalls(),
    ...booked.map((a) => a.hall_id),
    ...visited.map((ticket) => ticket.hall.id),
  ].filter((id, index, all) => validHallId(id) && all.indexOf(id) === index);
  const found = await Promise.all(ids.map((id) => loadHall(id).catch(() => null)));
  return { halls: found.filter((hall): hall is HallOption => hall !== null), complete: false };
}

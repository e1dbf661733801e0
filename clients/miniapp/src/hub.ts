/** The citizen app's link to the hub: its token, the REST helper, and how events read. */
import { createApi, formatClock, summarizeData, type Envelope, type TokenPlace } from "@hallhub/client";
import { t } from "./i18n";

export const TOKEN_PLACE: TokenPlace = { key: "hallhub.citizen.token" };

let current: string | null = null;

export function setToken(token: string | null): void {
  current = token;
}

export const api = createApi({ token: () => current });

export function eventTitle(event: Envelope): string {
  return t.events.types[event.type] ?? event.type;
}

export function eventSummary(event: Envelope): string {
  return summarizeData(event.data, t.events);
}

export function eventTime(event: Envelope): string {
  return formatClock(event.ts);
}

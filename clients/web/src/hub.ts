/** The web app's link to the hub: its token, the REST helper, and how events read. */
import { createApi, formatClock, summarizeData, type Envelope, type TokenPlace } from "@hallhub/client";
import { t } from "./i18n";

/** Staff sign-in and display devices share one stored token on this origin's /web/ pages. */
export const TOKEN_PLACE: TokenPlace = { key: "hallhub.web.token" };

let current: string | null = null;

export function setToken(token: string | null): void {
  current = token;
}

export function getToken(): string | null {
  return current;
}

export const api = createApi({ token: getToken });

export function eventTitle(event: Envelope): string {
  return t.events.types[event.type] ?? event.type;
}

export function eventSummary(event: Envelope): string {
  return summarizeData(event.data, t.events);
}

export function eventTime(event: Envelope, timeZone?: string): string {
  return formatClock(event.ts, timeZone);
}

import { HubError, isRecord } from "./errors";
import { MESSAGES, fill } from "./messages";
import type { RecentEvents } from "./types";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** `api<T>(method, path, body?)`: a JSON request to the hub; path from the origin
 * (e.g. "/api/v1/halls"). Resolves with the parsed body; rejects with a HubError. */
export type Api = <T>(method: HttpMethod, path: string, body?: unknown) => Promise<T>;

export interface ApiOptions {
  /** The bearer token, read on every request (it may change after sign-in). */
  token: () => string | null;
  /** The hub's origin; default: the page's own. */
  baseUrl?: string;
  fetch?: typeof fetch;
}

export function createApi(options: ApiOptions): Api {
  const baseUrl = options.baseUrl ?? "";
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return async <T>(method: HttpMethod, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = options.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await doFetch(baseUrl + path, init);
    } catch {
      throw new HubError("NETWORK", MESSAGES.NETWORK);
    }
    if (!response.ok) throw await problemError(response);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new HubError("BAD_RESPONSE", MESSAGES.BAD_RESPONSE, { status: response.status });
    }
  };
}

/** A problem+json body `{code, detail, ctx, details?}` as a HubError. */
async function problemError(response: Response): Promise<HubError> {
  const status = response.status;
  let body: unknown = null;
  if (/json/i.test(response.headers.get("Content-Type") ?? "")) {
    try {
      body = await response.json();
    } catch {
      body = null;
    }
  }
  if (isRecord(body) && typeof body.code === "string") {
    const detail = typeof body.detail === "string" ? body.detail : body.code;
    return new HubError(body.code, detail, {
      status,
      ctx: typeof body.ctx === "string" ? body.ctx : (response.headers.get("X-Request-Id") ?? ""),
      details: isRecord(body.details) ? body.details : undefined,
    });
  }
  return new HubError(`HTTP_${status}`, fill(MESSAGES.HTTP_ERROR, { status }), { status });
}

/** The snapshot of an event-list screen: the most recent kept events of a topic. */
export function loadRecentEvents(api: Api, topic: string, limit = 50): Promise<RecentEvents> {
  return api<RecentEvents>("GET", `/api/v1/events/${encodeURIComponent(topic)}?limit=${limit}`);
}

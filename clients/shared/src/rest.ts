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

export interface ProblemOptions {
  /** The message of an `HTTP_<status>` error (an answer that is not a problem); default the
   * library's own. */
  httpMessage?: (status: number) => string;
}

/** A failed answer as a HubError: its problem+json body `{code, detail, ctx, details?}`, else
 * `HTTP_<status>`. */
export async function problemError(response: Response, options: ProblemOptions = {}): Promise<HubError> {
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
  const message = options.httpMessage?.(status) ?? fill(MESSAGES.HTTP_ERROR, { status });
  return new HubError(`HTTP_${status}`, message, { status });
}

/** `{Authorization: "Bearer <token>"}`, or no header without a token. */
export function bearerHeaders(token: string | null): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export interface RawRequestOptions extends ProblemOptions {
  /** The bearer token, if any. */
  token: string | null;
  method?: HttpMethod;
  headers?: Record<string, string>;
  body?: BodyInit;
  /** The message of a `NETWORK` error; default the library's own. */
  networkMessage?: string;
  fetch?: typeof fetch;
}

/** A request whose body or answer is not JSON (a picture sent, a file fetched), with the bearer
 * token: resolves with the successful response; rejects with a HubError (`NETWORK` when the
 * request could not be made, else as `problemError`). */
export async function fetchRaw(path: string, options: RawRequestOptions): Promise<Response> {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const init: RequestInit = { headers: { ...bearerHeaders(options.token), ...options.headers } };
  if (options.method !== undefined) init.method = options.method;
  if (options.body !== undefined) init.body = options.body;
  let response: Response;
  try {
    response = await doFetch(path, init);
  } catch {
    throw new HubError("NETWORK", options.networkMessage ?? MESSAGES.NETWORK);
  }
  if (!response.ok) throw await problemError(response, options);
  return response;
}

/** The snapshot of an event-list screen: the most recent kept events of a topic. */
export function loadRecentEvents(api: Api, topic: string, limit = 50): Promise<RecentEvents> {
  return api<RecentEvents>("GET", `/api/v1/events/${encodeURIComponent(topic)}?limit=${limit}`);
}

import { MESSAGES } from "./messages";

/** Codes with which the hub refuses a token at connect; retrying will not help. */
export const AUTH_REFUSAL_CODES: ReadonlySet<string> = new Set([
  "UNAUTHENTICATED",
  "TOKEN_INVALID",
  "TOKEN_EXPIRED",
]);

/** Codes worth retrying: the same request may succeed later. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "OFFLINE",
  "TIMEOUT",
  "NETWORK",
  "INTERNAL",
  "UNAVAILABLE",
  "STORE_UNAVAILABLE", // the database is restarting: nothing was done, send it again
  "EVENT_LOG_UNAVAILABLE",
  "NODE_SHUTTING_DOWN", // the node is stopping: not run; it reaches another node after the reconnect
  "REQUEST_IN_PROGRESS", // the same request (idempotency key) is still being handled
  "BAD_RESPONSE",
  "RATE_LIMITED", // too many commands at once (e.g. every topic resubscribed after a reconnect)
]);

export interface HubErrorOptions {
  ctx?: string;
  status?: number;
  details?: Record<string, unknown>;
}

/** An error answered by the hub (command ack or REST problem) or made by the client
 * (`OFFLINE`, `TIMEOUT`, `NETWORK`, `BAD_RESPONSE`, `HTTP_<status>`). */
export class HubError extends Error {
  override readonly name = "HubError";
  readonly code: string;
  /** The correlation id of the failed request ("" when the client made the error). */
  readonly ctx: string;
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: HubErrorOptions = {}) {
    super(message);
    this.code = code;
    this.ctx = options.ctx ?? "";
    this.status = options.status;
    this.details = options.details;
  }

  /** True when retrying the same request later may succeed. */
  get transient(): boolean {
    return TRANSIENT_CODES.has(this.code) || (this.status !== undefined && this.status >= 500);
  }
}

/** Any thrown value as a HubError (a bug in a callback becomes `INTERNAL`). */
export function toHubError(error: unknown): HubError {
  if (error instanceof HubError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HubError("INTERNAL", message || MESSAGES.BAD_RESPONSE);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{code, message, ctx, details?}` as the hub sends it in a failed ack. */
export function fromAckError(error: unknown): HubError {
  if (!isRecord(error) || typeof error.code !== "string") {
    return new HubError("BAD_RESPONSE", MESSAGES.BAD_RESPONSE);
  }
  return new HubError(error.code, typeof error.message === "string" ? error.message : error.code, {
    ctx: typeof error.ctx === "string" ? error.ctx : "",
    details: isRecord(error.details) ? error.details : undefined,
  });
}

/** Commands that create something (take a ticket, book a slot) sent so that a retry can never
 * make it twice: one request id for the user's action, sent again unchanged while the answer
 * did not come (offline, timeout, the hub's node stopping or its store restarting). The hub
 * answers a repeat with what the first made. */
import { backoffDelay } from "./backoff";
import { toHubError } from "./errors";

/** Failures after which the same request, sent again with its id, is safe and may succeed. */
export const RETRY_SAFE_CODES: ReadonlySet<string> = new Set([
  "OFFLINE",
  "TIMEOUT",
  "NETWORK",
  "BAD_RESPONSE",
  "UNAVAILABLE",
  "STORE_UNAVAILABLE",
  "EVENT_LOG_UNAVAILABLE",
  "NODE_SHUTTING_DOWN",
  "REQUEST_IN_PROGRESS",
  "HTTP_502",
  "HTTP_503",
  "HTTP_504",
]);

/** Tries in all: with the backoff (0.5 s doubling to 10 s) about 35 s, far longer than the hub
 * holds a request of a node that died (its claim's lease: 6 s). */
export const SEND_ATTEMPTS = 8;

export interface SendOptions {
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** A request id: 32 hex digits (crypto.getRandomValues works on plain http too). */
export function newRequestId(random: () => number = Math.random): string {
  const bytes = new Uint8Array(16);
  if (typeof crypto !== "undefined" && "getRandomValues" in crypto) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `send(requestId)` until it answers, or fails in a way a retry will not mend. */
export async function sendOnce<T>(send: (requestId: string) => Promise<T>, options: SendOptions = {}): Promise<T> {
  const attempts = options.attempts ?? SEND_ATTEMPTS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const requestId = newRequestId(options.random);
  for (let attempt = 0; ; attempt++) {
    try {
      return await send(requestId);
    } catch (thrown) {
      const error = toHubError(thrown);
      if (!RETRY_SAFE_CODES.has(error.code) || attempt + 1 >= attempts) throw error;
      await sleep(backoffDelay(attempt, options.random));
    }
  }
}

/** Reconnection timing: the same numbers for socket.io's built-in reconnection and for the
 * reconnects and retries the client schedules itself. */
export const RECONNECT = {
  delayMs: 500,
  maxDelayMs: 10_000,
  randomizationFactor: 0.5,
} as const;

/**
 * Delay before retry number `attempt` (0 for the first): exponential from `delayMs`, capped at
 * `maxDelayMs`, spread by ±randomizationFactor so clients do not come back all at once.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RECONNECT.maxDelayMs, RECONNECT.delayMs * 2 ** Math.max(0, attempt));
  const spread = base * RECONNECT.randomizationFactor * (random() * 2 - 1);
  return Math.round(Math.min(RECONNECT.maxDelayMs, Math.max(0, base + spread)));
}

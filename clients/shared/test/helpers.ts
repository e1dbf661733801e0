import type { Envelope } from "../src/types";

/** An envelope on `topic` with `seq`. */
export function ev(seq: number, topic = "hall:xc-01", type = "queueing.ticket_called"): Envelope {
  return { type, topic, seq, ts: "2026-11-26T03:40:00.123Z", data: { n: seq }, ctx: `c${seq}` };
}

export function seqs(events: readonly { seq: number }[]): number[] {
  return events.map((e) => e.seq);
}

/** A promise resolved or rejected from outside. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

/** Timers run by hand. */
export class ManualTimers {
  #next = 1;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();

  set = (callback: () => void, ms: number): unknown => {
    const id = this.#next++;
    this.pending.set(id, { callback, ms });
    return id;
  };

  clear = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };

  runAll(): void {
    const due = [...this.pending.entries()];
    this.pending.clear();
    for (const [, timer] of due) timer.callback();
  }
}

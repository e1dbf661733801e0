import { backoffDelay } from "./backoff";
import { HubError, toHubError } from "./errors";
import { TopicSequencer, type CatchUp, type Step } from "./sequencer";
import {
  isSubscribeAck,
  type Envelope,
  type SnapshotPosition,
  type SubscribeAck,
} from "./types";

/** How an event reached the screen. */
export interface EventMeta {
  /** True when it came in a catch-up's `missed` list (published while this client was away or
   * behind), false when it was pushed live. */
  replayed: boolean;
}

export interface TopicHandlers {
  /** Called once per event, in seq order, after the snapshot it follows. */
  onEvent(event: Envelope, meta: EventMeta): void;
  /** (Re)build the screen's state from REST; answer the seq (and epoch) it matches. */
  loadSnapshot(): Promise<SnapshotPosition>;
  /** A subscribe or snapshot failure. Transient ones are retried; others end the topic. */
  onError?(error: HubError): void;
  /** The topic is live: snapshot loaded (or caught up) and events flowing. */
  onLive?(): void;
}

/** What a topic needs from the connection. */
export interface Commander {
  command<T>(name: string, payload: Record<string, unknown>): Promise<T>;
}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const browserTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * One subscribed topic: drives a TopicSequencer with the hub. Subscribe first, then load the
 * snapshot; catch up gaps and reconnects with `after_seq`; reload the snapshot on
 * RESYNC_REQUIRED. Every async step belongs to a run; a newer run (or a disconnect) makes the
 * older one's answers stale, and they are ignored.
 */
export class TopicSubscription {
  readonly topic: string;
  readonly #handlers: TopicHandlers;
  readonly #hub: Commander;
  readonly #timers: Timers;
  readonly #sequencer = new TopicSequencer<Envelope>();
  #run = 0;
  #retries = 0;
  #retryTimer: unknown = null;
  #closed = false;
  /** A failure retrying will not mend (forbidden topic, bad token): the topic is left alone. */
  #stopped = false;

  constructor(topic: string, handlers: TopicHandlers, hub: Commander, timers = browserTimers) {
    this.topic = topic;
    this.#handlers = handlers;
    this.#hub = hub;
    this.#timers = timers;
  }

  get lastSeq(): number | null {
    return this.#sequencer.lastSeq;
  }

  /** The socket is connected (first time or again): subscribe, catching up if we can. */
  connected(): void {
    if (this.#closed || this.#stopped) return;
    this.#cancelRetry();
    const catchUp = this.#sequencer.pause();
    if (catchUp === null) void this.#start();
    else void this.#catchUp(catchUp);
  }

  /** The socket dropped: outstanding acks will not come. */
  disconnected(): void {
    this.#run += 1;
    this.#cancelRetry();
  }

  /** The hub reset the topic's log (new epoch, seqs from 1 again): what this screen holds
   * cannot be continued from; subscribe afresh and reload the snapshot. */
  resync(): void {
    if (this.#closed || this.#stopped) return;
    this.#cancelRetry();
    void this.#start();
  }

  receive(event: Envelope): void {
    if (!this.#closed && !this.#stopped) this.#handle(this.#sequencer.receive(event));
  }

  close(): void {
    this.#closed = true;
    this.disconnected();
  }

  async #start(): Promise<void> {
    const run = ++this.#run;
    this.#sequencer.reset();
    try {
      const ack = await this.#subscribe({ topic: this.topic });
      if (run !== this.#run) return;
      const snapshot = await this.#handlers.loadSnapshot();
      if (run !== this.#run) return;
      if (snapshot.epoch !== undefined && snapshot.epoch !== ack.epoch) {
        // The log was reset between the two answers: neither can be trusted together.
        throw new HubError("RESYNC_REQUIRED", "epoch changed during snapshot");
      }
      this.#succeeded();
      this.#handle(this.#sequencer.baseline(snapshot.seq, ack.epoch, ack.seq), true);
    } catch (error) {
      this.#failed(run, error);
    }
  }

  async #catchUp(catchUp: CatchUp): Promise<void> {
    const run = ++this.#run;
    try {
      const ack = await this.#subscribe({
        topic: this.topic,
        after_seq: catchUp.afterSeq,
        epoch: catchUp.epoch,
      });
      if (run !== this.#run) return;
      this.#succeeded();
      const missed = new Set(ack.missed.map((event) => event.seq));
      this.#handle(this.#sequencer.caughtUp(ack), true, missed);
    } catch (error) {
      this.#failed(run, error);
    }
  }

  async #subscribe(payload: Record<string, unknown>): Promise<SubscribeAck> {
    const ack = await this.#hub.command<unknown>("subscribe", payload);
    if (!isSubscribeAck(ack)) throw new HubError("BAD_RESPONSE", "bad subscribe ack");
    return ack;
  }

  /** Apply a step; `settled`: it answers a baseline or catch-up (the topic may be live now);
   * `missed`: the seqs a catch-up brought (replayed events). */
  #handle(step: Step<Envelope>, settled = false, missed?: ReadonlySet<number>): void {
    for (const event of step.apply) this.#deliver(event, missed?.has(event.seq) ?? false);
    if (step.resync) void this.#start();
    else if (step.catchUp !== null) void this.#catchUp(step.catchUp);
    else if (settled) this.#handlers.onLive?.();
  }

  #deliver(event: Envelope, replayed: boolean): void {
    try {
      this.#handlers.onEvent(event, { replayed });
    } catch (error) {
      // A screen's bug must not stop the topic: the next events still come in order.
      this.#handlers.onError?.(toHubError(error));
    }
  }

  #succeeded(): void {
    this.#retries = 0;
  }

  #failed(run: number, thrown: unknown): void {
    if (run !== this.#run || this.#closed) return;
    const error = toHubError(thrown);
    if (error.code === "OFFLINE") return; // connected() starts over when the socket is back
    if (error.code === "RESYNC_REQUIRED") {
      // Reload the snapshot: at once the first time, with backoff if it keeps happening.
      this.#sequencer.reset();
      if (this.#retries === 0) void this.#start();
      else this.#retry(run, backoffDelay(this.#retries));
      this.#retries += 1;
      return;
    }
    this.#handlers.onError?.(error);
    if (error.transient) {
      // Keep the position: the retry catches up from lastSeq when there is one.
      this.#retry(run, backoffDelay(this.#retries));
      this.#retries += 1;
    } else {
      this.#stopped = true;
    }
  }

  #retry(run: number, delayMs: number): void {
    this.#cancelRetry();
    this.#retryTimer = this.#timers.set(() => {
      this.#retryTimer = null;
      if (run === this.#run) this.connected();
    }, delayMs);
  }

  #cancelRetry(): void {
    if (this.#retryTimer !== null) this.#timers.clear(this.#retryTimer);
    this.#retryTimer = null;
  }
}

/**
 * The client rules of the protocol for one topic, as a pure state machine (no I/O, no timers).
 *
 * - `lastSeq` and `epoch` are remembered; an event with `seq <= lastSeq` is a duplicate.
 * - `seq == lastSeq + 1` is applied; held events that now follow are applied after it.
 * - On a gap the event is held and a catch-up is asked for (`subscribe` with `after_seq`);
 *   its `missed` events are applied, then the held ones, in seq order.
 * - Until a baseline (the snapshot's seq) is known, every event is held.
 *
 * The caller does the I/O a `Step` asks for and reports back with `baseline()` or `caughtUp()`.
 */

export interface Sequenced {
  readonly seq: number;
}

/** Ask the hub for what was missed: `subscribe {topic, after_seq, epoch}`. */
export interface CatchUp {
  afterSeq: number;
  epoch: string;
}

export interface Step<E> {
  /** Events to apply now, in seq order. */
  apply: E[];
  /** Non-null: send this catch-up (events are held until `caughtUp()`). */
  catchUp: CatchUp | null;
  /** True: the gap cannot be closed; reload the snapshot (`reset()`, then `baseline()`). */
  resync: boolean;
}

/** `unsynced`: no baseline yet; `live`: applying as events come; `catching-up`: a catch-up is
 * outstanding and events are held. */
export type SequencerPhase = "unsynced" | "live" | "catching-up";

export interface SequencerLimits {
  /** Catch-ups in a row that bring nothing new before giving up with `resync`. */
  maxStalls: number;
  /** Held events beyond this: give up with `resync` (the snapshot is cheaper). */
  maxHeld: number;
}

const DEFAULT_LIMITS: SequencerLimits = { maxStalls: 3, maxHeld: 5000 };

export class TopicSequencer<E extends Sequenced> {
  #lastSeq: number | null = null;
  #epoch: string | null = null;
  #phase: SequencerPhase = "unsynced";
  #held = new Map<number, E>();
  #stalls = 0;
  readonly #limits: SequencerLimits;

  constructor(limits: Partial<SequencerLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get lastSeq(): number | null {
    return this.#lastSeq;
  }

  get epoch(): string | null {
    return this.#epoch;
  }

  get phase(): SequencerPhase {
    return this.#phase;
  }

  /** Events received and not applied yet. */
  get held(): number {
    return this.#held.size;
  }

  /** Forget the topic's position: a fresh subscription. Events are held until `baseline()`. */
  reset(): void {
    this.#lastSeq = null;
    this.#epoch = null;
    this.#phase = "unsynced";
    this.#held.clear();
    this.#stalls = 0;
  }

  /**
   * The snapshot matching `seq` is loaded. `serverSeq` is the topic's position the subscribe
   * ack reported: events up to it were published before the subscription and are not pushed,
   * so a snapshot older than it is caught up at once.
   */
  baseline(seq: number, epoch: string, serverSeq: number = seq): Step<E> {
    this.#lastSeq = seq;
    this.#epoch = epoch;
    this.#phase = "live";
    this.#stalls = 0;
    return this.#drain(serverSeq);
  }

  /** An event pushed by the hub. */
  receive(event: E): Step<E> {
    if (this.#lastSeq !== null && event.seq <= this.#lastSeq) return nothing();
    this.#held.set(event.seq, event);
    if (this.#phase !== "live") return this.#overflow() ? this.#giveUp() : nothing();
    return this.#drain();
  }

  /**
   * Hold events while the topic is resubscribed after a reconnect. Answers the catch-up to send,
   * or null when there is no baseline yet (start over: subscribe, then load the snapshot).
   */
  pause(): CatchUp | null {
    if (this.#lastSeq === null || this.#epoch === null) {
      this.reset();
      return null;
    }
    this.#phase = "catching-up";
    return { afterSeq: this.#lastSeq, epoch: this.#epoch };
  }

  /** The ack of a catch-up: apply `missed`, then the held events, in seq order. */
  caughtUp(ack: { seq: number; epoch: string; missed: readonly E[] }): Step<E> {
    if (this.#phase !== "catching-up" || this.#lastSeq === null) return nothing();
    const before = this.#lastSeq;
    this.#epoch = ack.epoch;
    this.#phase = "live";
    for (const event of ack.missed) {
      if (event.seq > before) this.#held.set(event.seq, event);
    }
    const step = this.#drain(ack.seq);
    if (step.catchUp === null) {
      this.#stalls = 0;
      return step;
    }
    this.#stalls = this.#lastSeq === before ? this.#stalls + 1 : 0;
    return this.#stalls >= this.#limits.maxStalls ? this.#giveUp(step.apply) : step;
  }

  /** Apply what follows lastSeq; ask for a catch-up if anything is still missing. */
  #drain(serverSeq?: number): Step<E> {
    let last = this.#lastSeq;
    if (last === null) return nothing();
    for (const seq of this.#held.keys()) {
      if (seq <= last) this.#held.delete(seq);
    }
    const apply: E[] = [];
    for (let next = this.#held.get(last + 1); next !== undefined; next = this.#held.get(last + 1)) {
      this.#held.delete(next.seq);
      apply.push(next);
      last = next.seq;
    }
    this.#lastSeq = last;
    const missing = this.#held.size > 0 || (serverSeq !== undefined && serverSeq > last);
    if (!missing) return { apply, catchUp: null, resync: false };
    if (this.#overflow()) return this.#giveUp(apply);
    this.#phase = "catching-up";
    return { apply, catchUp: { afterSeq: last, epoch: this.#epoch ?? "" }, resync: false };
  }

  #overflow(): boolean {
    return this.#held.size > this.#limits.maxHeld;
  }

  #giveUp(apply: E[] = []): Step<E> {
    this.reset();
    return { apply, catchUp: null, resync: true };
  }
}

function nothing<E>(): Step<E> {
  return { apply: [], catchUp: null, resync: false };
}

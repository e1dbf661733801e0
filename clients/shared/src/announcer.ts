/**
 * Voice announcements of a calling screen (「请A003号到5号窗口办理」), as a queue:
 *
 * - each announcement is logged once when it is queued, then played: a chime, then the text
 *   spoken `repeat` times with a pause in between;
 * - announcements never cut each other off: a new one waits until the current one and all its
 *   repeats have ended;
 * - a call that no longer stands (its ticket finished, parked, transferred, its window paused:
 *   `withdraw`) is taken out of the queue, and cut short when it is the one playing, so the
 *   screen never keeps sending people to a call that is over;
 * - when the text cannot be spoken (no voice, speech failed or blocked), the chime sounds
 *   instead and the text stays shown for a while.
 *
 * The sound itself is the caller's (`AnnouncementOutput`); this class only orders it.
 */
import type { EventMeta } from "./topic";
import type { Envelope } from "./types";

export interface AnnouncementOutput {
  /** Play the chime once; resolve when it has ended (at once when there is no sound). */
  chime(): Promise<void>;
  /** Say `text` once; resolve true when it was spoken to the end, false when there is no voice
   * or speech failed. */
  speak(text: string): Promise<boolean>;
  /** Resolve after `ms`. */
  wait(ms: number): Promise<void>;
  /** Silence what is being said now (an announcement was withdrawn). */
  stop?(): void;
}

export interface AnnouncerOptions {
  /** Pause between two repeats of a text. */
  gapMs?: number;
  /** How long a text that could not be spoken stays the current one, per repeat. */
  silentHoldMs?: number;
  /** Most repeats of one announcement, whatever the event asks. */
  maxRepeat?: number;
}

/** One announcement: its text and what it announces (`key`: the called ticket's id). */
export interface Announcement {
  /** Numbers the announcements of this queue in the order they were queued. */
  id: number;
  text: string;
  key: string | null;
}

export type AnnouncerListener = (current: string | null, announcement: Announcement | null) => void;

interface Queued extends Announcement {
  repeat: number;
  withdrawn: boolean;
  /** Settles when the announcement is withdrawn: whatever it waits for is given up. */
  cut: Promise<void>;
  cutNow: () => void;
}

export class AnnouncementQueue {
  /** Every text queued, in order (a test hook: pushed when queued, before it is played). */
  readonly log: string[] = [];
  readonly #out: AnnouncementOutput;
  readonly #gapMs: number;
  readonly #silentHoldMs: number;
  readonly #maxRepeat: number;
  readonly #queue: Queued[] = [];
  readonly #listeners = new Set<AnnouncerListener>();
  #current: Queued | null = null;
  #nextId = 1;
  #running = false;
  #closed = false;

  constructor(out: AnnouncementOutput, options: AnnouncerOptions = {}) {
    this.#out = out;
    this.#gapMs = options.gapMs ?? 800;
    this.#silentHoldMs = options.silentHoldMs ?? 3000;
    this.#maxRepeat = options.maxRepeat ?? 5;
  }

  /** The text being played now, or null. */
  get current(): string | null {
    return this.#current?.text ?? null;
  }

  /** The announcement being played now, or null. */
  get announcement(): Announcement | null {
    const now = this.#current;
    return now === null ? null : { id: now.id, text: now.text, key: now.key };
  }

  /** Announcements waiting behind the current one. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Call `listener` whenever the current announcement changes; answers a function that stops it. */
  onChange(listener: AnnouncerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Queue `text`, to be said `repeat` times after everything queued before it. `key` names
   * what it announces, for `withdraw`. */
  enqueue(text: string, repeat: number, key: string | null = null): void {
    if (this.#closed) return;
    const times = Number.isFinite(repeat) ? Math.round(repeat) : 1;
    this.log.push(text);
    let cutNow = (): void => undefined;
    const cut = new Promise<void>((resolve) => {
      cutNow = resolve;
    });
    this.#queue.push({
      id: this.#nextId++,
      text,
      key,
      repeat: Math.min(this.#maxRepeat, Math.max(1, times)),
      withdrawn: false,
      cut,
      cutNow,
    });
    if (!this.#running) void this.#run();
  }

  /** Take out every announcement whose key no longer `stands`; the one playing is cut short
   * (its speech silenced) and the next one starts. Announcements without a key stay. */
  withdraw(stands: (key: string) => boolean): void {
    const over = (item: Queued): boolean => item.key !== null && !stands(item.key);
    for (let i = this.#queue.length - 1; i >= 0; i -= 1) {
      const item = this.#queue[i];
      if (item !== undefined && over(item)) this.#queue.splice(i, 1);
    }
    const current = this.#current;
    if (current !== null && !current.withdrawn && over(current)) {
      current.withdrawn = true;
      current.cutNow();
      try {
        this.#out.stop?.();
      } catch {
        // nothing was being said
      }
    }
  }

  /** Stop after the current play (the screen goes away); nothing more is queued. */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#listeners.clear();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        this.#setCurrent(next);
        await this.#play(next);
        if (this.#closed) return;
      }
    } finally {
      this.#running = false;
      this.#setCurrent(null);
    }
  }

  async #play(item: Queued): Promise<void> {
    await this.#until(item, this.#chime());
    for (let i = 0; i < item.repeat; i += 1) {
      if (i > 0) await this.#until(item, this.#out.wait(this.#gapMs));
      if (this.#over(item)) return;
      if (await this.#until(item, this.#speak(item.text), false)) continue;
      if (this.#over(item)) return;
      await this.#until(item, this.#out.wait(this.#silentHoldMs));
      if (i + 1 < item.repeat && !this.#over(item)) await this.#until(item, this.#chime());
    }
  }

  #over(item: Queued): boolean {
    return this.#closed || item.withdrawn;
  }

  /** `step`, or the moment `item` is withdrawn, whichever comes first. */
  #until<T>(item: Queued, step: Promise<T>, cutValue?: T): Promise<T | undefined> {
    return Promise.race([step, item.cut.then(() => cutValue)]);
  }

  async #chime(): Promise<void> {
    try {
      await this.#out.chime();
    } catch {
      // no sound: the text is still shown
    }
  }

  async #speak(text: string): Promise<boolean> {
    try {
      return await this.#out.speak(text);
    } catch {
      return false;
    }
  }

  #setCurrent(item: Queued | null): void {
    if (item === this.#current) return;
    this.#current = item;
    const announcement = this.announcement;
    for (const listener of this.#listeners) listener(item?.text ?? null, announcement);
  }
}

/** Events replayed after a reconnect are announced only when younger than this. */
export const REPLAY_ANNOUNCE_MS = 2 * 60_000;

const CALL_TYPES: ReadonlySet<string> = new Set([
  "queueing.ticket_called",
  "queueing.ticket_recalled",
]);

/**
 * Whether a hall event is announced: calls and recalls only; a live one always, a replayed one
 * (missed while away) only when less than `maxAgeMs` old at `serverNowMs`.
 */
export function shouldAnnounce(
  event: Envelope,
  meta: EventMeta,
  serverNowMs: number,
  maxAgeMs: number = REPLAY_ANNOUNCE_MS,
): boolean {
  if (!CALL_TYPES.has(event.type)) return false;
  if (!meta.replayed) return true;
  const age = serverNowMs - Date.parse(event.ts);
  return Number.isFinite(age) && age < maxAgeMs;
}

/**
 * The hub's clock as seen from here, learnt from the stamps of live events (a screen's own
 * clock may be off by minutes). An event stamped `ts` and received at local time `t` says the
 * hub was at least `ts - t` ahead (it spent some time on the way); the largest of the recent
 * observations is the best guess.
 */
export class ServerClock {
  readonly #offsets: number[] = [];
  readonly #keep: number;

  constructor(keep = 20) {
    this.#keep = keep;
  }

  /** A live event stamped `ts` arrived at local time `localMs`. */
  observe(ts: string, localMs: number): void {
    const stamp = Date.parse(ts);
    if (!Number.isFinite(stamp)) return;
    this.#offsets.push(stamp - localMs);
    if (this.#offsets.length > this.#keep) this.#offsets.shift();
  }

  /** Milliseconds the hub is ahead of this clock (0 until something was observed). */
  get offsetMs(): number {
    return this.#offsets.length === 0 ? 0 : Math.max(...this.#offsets);
  }

  /** The hub's time at local time `localMs`. */
  now(localMs: number): number {
    return localMs + this.offsetMs;
  }
}

import { backoffDelay } from "./backoff";
import { AUTH_REFUSAL_CODES, HubError, fromAckError, isRecord } from "./errors";
import { MESSAGES } from "./messages";
import { createSocket, type ConnectError, type HubSocket } from "./socket";
import { TopicSubscription, browserTimers, type Timers, type TopicHandlers } from "./topic";
import { isEnvelope, type ConnState, type Refusal } from "./types";

export interface HubClientOptions {
  /** The hub's token (JWT). */
  token: string;
  /** The hub's origin; default: the page's own. */
  url?: string;
  /** How long a command waits for its ack. */
  commandTimeoutMs?: number;
  /** A ready socket (tests); default: socket.io to `url`. */
  socket?: HubSocket;
  timers?: Timers;
}

export type StateListener = (state: ConnState, refusal: Refusal | null) => void;

export interface Subscription {
  readonly topic: string;
  unsubscribe(): void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/**
 * A connection to the hub: its state, commands with acks, and ordered topic subscriptions that
 * survive reconnects. Call `connect()` once; `close()` when the screen goes away.
 */
export class HubClient {
  readonly #socket: HubSocket;
  readonly #timers: Timers;
  readonly #commandTimeoutMs: number;
  /** Every subscription of a topic: several parts of a screen may follow the same one. */
  readonly #topics = new Map<string, Set<TopicSubscription>>();
  readonly #listeners = new Set<StateListener>();
  #state: ConnState = "connecting";
  #refusal: Refusal | null = null;
  #wasOnline = false;
  #closed = false;
  #manualAttempts = 0;
  #manualTimer: unknown = null;

  constructor(options: HubClientOptions) {
    this.#socket = options.socket ?? createSocket(options.url ?? location.origin, options.token);
    this.#timers = options.timers ?? browserTimers;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#socket.onConnect(() => this.#onConnect());
    this.#socket.onDisconnect((reason) => this.#onDisconnect(reason));
    this.#socket.onConnectError((error) => this.#onConnectError(error));
    this.#socket.onEvent((envelope) => {
      if (!isEnvelope(envelope)) return;
      for (const subscription of this.#topics.get(envelope.topic) ?? []) subscription.receive(envelope);
    });
    this.#socket.onResync((notice) => {
      if (!isRecord(notice) || typeof notice.topic !== "string") return;
      for (const subscription of this.#topics.get(notice.topic) ?? []) subscription.resync();
    });
  }

  get state(): ConnState {
    return this.#state;
  }

  /** Why the token was refused, when the state is `refused`. */
  get refusal(): Refusal | null {
    return this.#refusal;
  }

  /** Call `listener` now and on every change; answers a function that stops it. */
  onStateChange(listener: StateListener): () => void {
    this.#listeners.add(listener);
    listener(this.#state, this.#refusal);
    return () => this.#listeners.delete(listener);
  }

  connect(): void {
    if (this.#closed || this.#socket.connected) return;
    this.#setState(this.#wasOnline ? "reconnecting" : "connecting");
    this.#socket.connect();
  }

  close(): void {
    this.#closed = true;
    this.#cancelManualReconnect();
    for (const subscription of this.#subscriptions()) subscription.close();
    this.#topics.clear();
    this.#socket.disconnect();
  }

  /** Send a command; resolves with the ack's data, rejects with a HubError. */
  async command<T>(name: string, payload: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (!this.#socket.connected) throw new HubError("OFFLINE", MESSAGES.OFFLINE);
    let ack: unknown;
    try {
      ack = await this.#socket.request(name, payload, timeoutMs ?? this.#commandTimeoutMs);
    } catch {
      throw this.#socket.connected
        ? new HubError("TIMEOUT", MESSAGES.TIMEOUT)
        : new HubError("OFFLINE", MESSAGES.OFFLINE);
    }
    if (isRecord(ack) && ack.ok === true) return ack.data as T;
    if (isRecord(ack) && ack.ok === false) throw fromAckError(ack.error);
    throw new HubError("BAD_RESPONSE", MESSAGES.BAD_RESPONSE);
  }

  /** Follow a topic's events in order (see TopicSubscription for the rules). A topic may be
   * followed more than once (each with its own snapshot and position); the hub is told to
   * stop sending it when the last one unsubscribes. */
  subscribe(topic: string, handlers: TopicHandlers): Subscription {
    const subscription = new TopicSubscription(topic, handlers, this, this.#timers);
    const followers = this.#topics.get(topic) ?? new Set<TopicSubscription>();
    followers.add(subscription);
    this.#topics.set(topic, followers);
    if (this.#socket.connected) subscription.connected();
    return {
      topic,
      unsubscribe: () => {
        const current = this.#topics.get(topic);
        if (current === undefined || !current.delete(subscription)) return;
        subscription.close();
        if (current.size > 0) return;
        this.#topics.delete(topic);
        if (this.#socket.connected) this.command("unsubscribe", { topic }).catch(() => undefined);
      },
    };
  }

  #subscriptions(): TopicSubscription[] {
    return [...this.#topics.values()].flatMap((followers) => [...followers]);
  }

  #onConnect(): void {
    this.#wasOnline = true;
    this.#manualAttempts = 0;
    this.#refusal = null;
    this.#setState("online");
    for (const subscription of this.#subscriptions()) subscription.connected();
  }

  #onDisconnect(reason: string): void {
    for (const subscription of this.#subscriptions()) subscription.disconnected();
    if (this.#closed || reason === "io client disconnect") return;
    this.#setState("reconnecting");
    // The server closed this socket on purpose (e.g. too slow a reader): socket.io does not
    // come back by itself then, so we do; the topics resume from the log.
    if (reason === "io server disconnect") this.#scheduleManualReconnect();
  }

  #onConnectError(error: ConnectError): void {
    if (this.#closed) return;
    const refusal = asRefusal(error);
    if (refusal !== null && AUTH_REFUSAL_CODES.has(refusal.code)) {
      this.#refusal = refusal;
      this.#cancelManualReconnect();
      this.#socket.disconnect(); // a refused token stays refused: no retries
      this.#setState("refused");
      return;
    }
    this.#setState(this.#wasOnline ? "reconnecting" : "connecting");
    if (!this.#socket.active) this.#scheduleManualReconnect();
  }

  #scheduleManualReconnect(): void {
    this.#cancelManualReconnect();
    this.#manualTimer = this.#timers.set(() => {
      this.#manualTimer = null;
      if (!this.#closed && !this.#socket.connected) this.#socket.connect();
    }, backoffDelay(this.#manualAttempts++));
  }

  #cancelManualReconnect(): void {
    if (this.#manualTimer !== null) this.#timers.clear(this.#manualTimer);
    this.#manualTimer = null;
  }

  #setState(state: ConnState): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const listener of this.#listeners) listener(state, this.#refusal);
  }
}

/** The hub's CONNECT_ERROR is `{message, data: {code}}`; other errors (network) have no code. */
function asRefusal(error: ConnectError): Refusal | null {
  const data = error.data;
  if (!isRecord(data) || typeof data.code !== "string") return null;
  return { code: data.code, message: error.message || data.code };
}

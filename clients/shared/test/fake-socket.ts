import type { ConnectError, HubSocket } from "../src/socket";
import { deferred, type Deferred } from "./helpers";

export interface SentRequest {
  name: string;
  payload: unknown;
  timeoutMs: number;
  reply: Deferred<unknown>;
}

/** A HubSocket driven by the test: it connects, drops, refuses, pushes events and acks. */
export class FakeSocket implements HubSocket {
  connected = false;
  active = true;
  connectCalls = 0;
  disconnectCalls = 0;
  readonly sent: SentRequest[] = [];
  #connect: Array<() => void> = [];
  #disconnect: Array<(reason: string) => void> = [];
  #connectError: Array<(error: ConnectError) => void> = [];
  #event: Array<(envelope: unknown) => void> = [];
  #resync: Array<(notice: unknown) => void> = [];

  connect(): void {
    this.connectCalls += 1;
  }

  disconnect(): void {
    this.disconnectCalls += 1;
    this.active = false;
    if (this.connected) this.drop("io client disconnect");
  }

  onConnect(listener: () => void): void {
    this.#connect.push(listener);
  }

  onDisconnect(listener: (reason: string) => void): void {
    this.#disconnect.push(listener);
  }

  onConnectError(listener: (error: ConnectError) => void): void {
    this.#connectError.push(listener);
  }

  onEvent(listener: (envelope: unknown) => void): void {
    this.#event.push(listener);
  }

  onResync(listener: (notice: unknown) => void): void {
    this.#resync.push(listener);
  }

  request(name: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const reply = deferred<unknown>();
    this.sent.push({ name, payload, timeoutMs, reply });
    return reply.promise;
  }

  // -- driven by the test --------------------------------------------------------------

  open(): void {
    this.connected = true;
    this.active = true;
    for (const l of this.#connect) l();
  }

  drop(reason = "transport close"): void {
    this.connected = false;
    for (const l of this.#disconnect) l(reason);
    // like socket.io: acks outstanding at a disconnect fail
    for (const r of this.sent.splice(0)) r.reply.reject(new Error("socket has been disconnected"));
  }

  refuse(error: ConnectError, active = false): void {
    this.active = active;
    for (const l of this.#connectError) l(error);
  }

  push(envelope: unknown): void {
    for (const l of this.#event) l(envelope);
  }

  resyncNotice(notice: unknown): void {
    for (const l of this.#resync) l(notice);
  }

  /** The oldest unanswered request, taken off the list. */
  take(): SentRequest {
    const request = this.sent.shift();
    if (request === undefined) throw new Error("nothing was sent");
    return request;
  }
}

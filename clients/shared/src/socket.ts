import { io, type Socket } from "socket.io-client";
import { RECONNECT } from "./backoff";

/** Why connect failed: the hub refuses with `message` (for people) and `data: {code}`. */
export interface ConnectError {
  message: string;
  data?: unknown;
}

/** The few socket operations the client uses; socket.io in the browser, a fake in tests. */
export interface HubSocket {
  readonly connected: boolean;
  /** False when socket.io will not reconnect by itself (refused by the server, or closed). */
  readonly active: boolean;
  connect(): void;
  disconnect(): void;
  onConnect(listener: () => void): void;
  onDisconnect(listener: (reason: string) => void): void;
  onConnectError(listener: (error: ConnectError) => void): void;
  onEvent(listener: (envelope: unknown) => void): void;
  /** The hub's `resync` notice: a topic's log was reset (Redis restarted), reload it. */
  onResync(listener: (notice: unknown) => void): void;
  /** Emit a command and wait for its ack; rejects on timeout or disconnect. */
  request(name: string, payload: unknown, timeoutMs: number): Promise<unknown>;
}

/** The hub's socket: WebSocket only, token in `auth`, randomized reconnection backoff. */
export function createSocket(url: string, token: string): HubSocket {
  const socket: Socket = io(url, {
    path: "/socket.io/",
    transports: ["websocket"],
    auth: { token },
    autoConnect: false,
    reconnection: true,
    reconnectionDelay: RECONNECT.delayMs,
    reconnectionDelayMax: RECONNECT.maxDelayMs,
    randomizationFactor: RECONNECT.randomizationFactor,
  });
  return {
    get connected() {
      return socket.connected;
    },
    get active() {
      return socket.active;
    },
    connect: () => void socket.connect(),
    disconnect: () => void socket.disconnect(),
    onConnect: (listener) => void socket.on("connect", listener),
    onDisconnect: (listener) => void socket.on("disconnect", (reason) => listener(reason)),
    onConnectError: (listener) => void socket.on("connect_error", (error) => listener(error)),
    onEvent: (listener) => void socket.on("event", (envelope: unknown) => listener(envelope)),
    onResync: (listener) => void socket.on("resync", (notice: unknown) => listener(notice)),
    request: (name, payload, timeoutMs) => socket.timeout(timeoutMs).emitWithAck(name, payload),
  };
}

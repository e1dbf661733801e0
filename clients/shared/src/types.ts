import { isRecord } from "./errors";

/** The one envelope every pushed event travels in. */
export interface Envelope<D extends Record<string, unknown> = Record<string, unknown>> {
  type: string;
  topic: string;
  seq: number;
  /** ISO 8601 UTC, e.g. "2026-11-26T03:40:00.123Z". */
  ts: string;
  data: D;
  /** Correlation id of the command that caused the event. */
  ctx: string;
}

/** The data of a successful `subscribe` ack. */
export interface SubscribeAck {
  topic: string;
  seq: number;
  epoch: string;
  missed: Envelope[];
}

/** `GET /api/v1/events/{topic}`: the snapshot of an event-list screen. */
export interface RecentEvents {
  topic: string;
  seq: number;
  epoch: string;
  events: Envelope[];
}

/** What a screen's snapshot loader answers: the seq (and epoch, when known) it matches. */
export interface SnapshotPosition {
  seq: number;
  epoch?: string;
}

export type ConnState = "connecting" | "online" | "reconnecting" | "refused";

/** Why the hub refused the token (`err.data.code` and `err.message` of `connect_error`). */
export interface Refusal {
  code: string;
  message: string;
}

/** A caller's role (`ticket`: a printed slip's token, following that one ticket). */
export type Role = "admin" | "supervisor" | "staff" | "agent" | "display" | "citizen" | "ticket";

/** `GET /api/v1/auth/me`. */
export interface Principal {
  sub: string;
  role: Role;
  hall: string | null;
  name: string;
}

export function isEnvelope(value: unknown): value is Envelope {
  return (
    isRecord(value) &&
    typeof value.type === "string" &&
    typeof value.topic === "string" &&
    typeof value.seq === "number" &&
    Number.isInteger(value.seq) &&
    typeof value.ts === "string" &&
    isRecord(value.data) &&
    typeof value.ctx === "string"
  );
}

export function isSubscribeAck(value: unknown): value is SubscribeAck {
  return (
    isRecord(value) &&
    typeof value.topic === "string" &&
    typeof value.seq === "number" &&
    typeof value.epoch === "string" &&
    Array.isArray(value.missed) &&
    value.missed.every(isEnvelope)
  );
}

/** Which signals on `rtc:<session>` are for this console, and what to do with them.
 *
 * Everything on the topic reaches every listener: our own signals come back (dropped), the
 * hub's answers name the party they are for (`to`), and after we make a new call connection an
 * answer or candidates the citizen sent for the previous offer may still arrive. Those are
 * stale: the citizen cannot answer our new offer before it is published, so everything the
 * citizen sent before our new offer's echo belongs to an older connection. */
import type { SignalSent } from "./types";

export type SignalAction =
  | { kind: "call-answer"; sdp: string }
  | { kind: "call-candidate"; candidate: RTCIceCandidateInit | null }
  | { kind: "renegotiate" }
  | { kind: "hub-answer"; link: "recorder" | "monitor"; sdp: string };

export type Listener = "agent" | "supervisor";

export function isSignalSent(data: unknown): data is SignalSent {
  if (typeof data !== "object" || data === null) return false;
  const value = data as Record<string, unknown>;
  return typeof value.from === "string" && typeof value.link === "string" && typeof value.kind === "string";
}

export class SignalFilter {
  readonly #me: Listener;
  /** Our call offers not yet seen back on the topic. */
  #unechoed = 0;

  constructor(me: Listener) {
    this.#me = me;
  }

  /** We are about to send a new call offer (a new connection). */
  offerSent(): void {
    this.#unechoed += 1;
  }

  /** Our offer could not be sent (it will not come back). */
  offerFailed(): void {
    this.#unechoed = Math.max(0, this.#unechoed - 1);
  }

  /** True while the citizen's signals may still be for an older offer of ours. */
  get stale(): boolean {
    return this.#unechoed > 0;
  }

  /** What `rtc.signal_sent` asks of us, or null (ours, another's, or stale). */
  take(data: unknown): SignalAction | null {
    if (!isSignalSent(data)) return null;
    if (data.from === "hub") {
      if (data.kind !== "answer" || typeof data.sdp !== "string") return null;
      if (this.#me === "agent" && data.to === "agent" && data.link === "recorder") {
        return { kind: "hub-answer", link: "recorder", sdp: data.sdp };
      }
      if (this.#me === "supervisor" && data.to === "supervisor" && data.link === "monitor") {
        return { kind: "hub-answer", link: "monitor", sdp: data.sdp };
      }
      return null;
    }
    if (this.#me !== "agent" || data.link !== "call") return null;
    if (data.from === "agent") {
      // Our own, back from the topic: once our latest offer is seen, what follows is current.
      if (data.kind === "offer" && this.#unechoed > 0) this.#unechoed -= 1;
      return null;
    }
    if (data.from !== "citizen") return null;
    if (this.#unechoed > 0) return null; // sent before our newest offer: for an older connection
    switch (data.kind) {
      case "answer":
        return typeof data.sdp === "string" && data.sdp ? { kind: "call-answer", sdp: data.sdp } : null;
      case "candidate":
        return { kind: "call-candidate", candidate: data.candidate ?? null };
      case "renegotiate":
        return { kind: "renegotiate" };
      default:
        return null; // the agent makes the call's offers
    }
  }
}

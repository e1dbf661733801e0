/** The agent console's call as a pure state machine: what the screen shows (the phase) follows
 * from the offer, the call's session, the agent's own peer connection and what the citizen
 * reports. The effects (media, signaling) are the console's; this only says where we are. */
import type { RtcSession } from "./types";

export type CallPhase = "idle" | "offered" | "connecting" | "connected" | "reconnecting" | "wrap_up";
export type MediaState = "none" | "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";
export type PeerState = "unknown" | "connected" | "reconnecting" | "failed";

export interface Offer {
  session: RtcSession;
  expiresAt: string;
}

export interface CallState {
  offer: Offer | null;
  /** The call (active or in wrap-up). */
  session: RtcSession | null;
  media: MediaState;
  /** What the citizen last reported (rtc.quality_reported). */
  peer: PeerState;
  /** The call's media was connected once (later drops are "reconnecting", not "connecting"). */
  everConnected: boolean;
  /** Why the last offer went away, or why the call ended (shown once). */
  notice: string;
}

export const IDLE: CallState = {
  offer: null,
  session: null,
  media: "none",
  peer: "unknown",
  everConnected: false,
  notice: "",
};

export type CallEvent =
  | { type: "hello"; session: RtcSession | null; me: string }
  | { type: "offered"; session: RtcSession; expiresAt: string }
  | { type: "withdrawn"; sessionId: string; reason: string }
  | { type: "declined"; sessionId: string }
  | { type: "accepted"; session: RtcSession }
  | { type: "media"; state: MediaState }
  /** A new peer connection for the call (the citizen came back, or ours failed). */
  | { type: "renegotiating" }
  | { type: "peer"; state: PeerState }
  | { type: "session"; session: RtcSession; me: string }
  | { type: "wrapped_up"; sessionId: string }
  | { type: "clear_notice" };

export function phaseOf(state: CallState): CallPhase {
  if (state.session !== null) {
    if (state.session.state === "wrap_up") return "wrap_up";
    const mediaDown = state.media === "disconnected" || state.media === "failed";
    const peerDown = state.peer === "reconnecting" || state.peer === "failed";
    if (state.media === "connected" && !peerDown) return "connected";
    if (state.everConnected || mediaDown) return "reconnecting";
    return "connecting";
  }
  if (state.offer !== null) return "offered";
  return "idle";
}

/** True when `session` is this agent's call (active or in wrap-up). */
export function isMyCall(session: RtcSession, me: string): boolean {
  return session.agent_id === me && (session.state === "active" || session.state === "wrap_up");
}

function inCall(session: RtcSession): CallState {
  return { ...IDLE, session };
}

/** Where a session (from hello, an event, a command's answer) puts the console. */
function fromSession(state: CallState, session: RtcSession, me: string): CallState {
  if (isMyCall(session, me)) {
    if (state.session?.id === session.id) return { ...state, offer: null, session };
    return inCall(session);
  }
  if (session.state === "offered" && session.offered_to === me) {
    if (state.offer?.session.id === session.id) return { ...state, offer: { ...state.offer, session } };
    if (state.session !== null) return state; // busy: the hub does not offer a busy agent
    return { ...state, offer: { session, expiresAt: session.offer_expires ?? "" } };
  }
  // Not (or no longer) ours: gone from the screen if it was shown.
  let next = state;
  if (state.offer?.session.id === session.id) next = { ...next, offer: null };
  if (state.session?.id === session.id) {
    next = { ...IDLE, offer: next.offer, notice: next.notice };
  }
  return next;
}

export function reduceCall(state: CallState, event: CallEvent): CallState {
  switch (event.type) {
    case "hello": {
      if (event.session === null) {
        return state.session !== null || state.offer !== null ? { ...IDLE, notice: state.notice } : state;
      }
      const next = fromSession(state, event.session, event.me);
      // An offer or a call not in the hub's answer is over.
      if (next.offer !== null && next.offer.session.id !== event.session.id) return { ...next, offer: null };
      if (next.session !== null && next.session.id !== event.session.id) return { ...IDLE, notice: next.notice };
      return next;
    }
    case "offered":
      if (state.session !== null) return state;
      return { ...state, offer: { session: event.session, expiresAt: event.expiresAt }, notice: "" };
    case "withdrawn":
      if (state.offer?.session.id !== event.sessionId) return state;
      return { ...state, offer: null, notice: event.reason };
    case "declined":
      if (state.offer?.session.id !== event.sessionId) return state;
      return { ...state, offer: null };
    case "accepted":
      // The hub's event (on `agent:<me>`) may have brought the call before the accept's answer.
      if (state.session?.id === event.session.id) return { ...state, offer: null, session: event.session };
      return { ...inCall(event.session), media: "new" };
    case "media": {
      if (state.session === null || state.media === event.state) return state;
      const up = event.state === "connected";
      // Media flowing again means the citizen is back too (ICE connects both ends).
      const peer = up && (state.peer === "reconnecting" || state.peer === "failed") ? "unknown" : state.peer;
      return { ...state, media: event.state, everConnected: state.everConnected || up, peer };
    }
    case "renegotiating":
      if (state.session === null || state.media === "new") return state;
      return { ...state, media: "new" };
    case "peer":
      if (state.session === null || state.peer === event.state) return state;
      return { ...state, peer: event.state };
    case "session":
      return fromSession(state, event.session, event.me);
    case "wrapped_up":
      if (state.session?.id !== event.sessionId) return state;
      return { ...IDLE };
    case "clear_notice":
      return state.notice ? { ...state, notice: "" } : state;
  }
}

/** Video customer service (视频客服) as the citizen sees it (docs/rtc.md): the documents, and the
 * page's state machine — which screen shows, fed by the REST snapshot, command answers and the
 * events of `citizen:<sub>` and `rtc:<session>`. Pure: no I/O. */
import { num, str, type ChatMessage, type Envelope, type RtcSession, type SessionState } from "@hallhub/client";

export { mergeChat } from "@hallhub/client";
export type { ChatMessage, Rating, Recording, RtcSession, RtcTopic, SessionState } from "@hallhub/client";

export const OPEN_STATES: ReadonlySet<SessionState> = new Set(["waiting", "offered", "active"]);

/** Which screen shows: the topics, the waiting room, the call, the end of a call (rating, then
 * thanks), or a call-back booked. */
export type Stage = "loading" | "topics" | "waiting" | "call" | "ended" | "callback";

export interface VideoView {
  stage: Stage;
  /** The consultation on screen (open, or the one that just ended). */
  session: RtcSession | null;
  position: number | null;
  estimateMinutes: number | null;
  /** The hub offered a call-back (waited long): minutes waited; null: not offered. */
  callbackOffer: number | null;
  /** The call went back to the queue for another agent (正在为您转接…). */
  transferring: boolean;
  /** What the page just saw happen, to tell the person once (e.g. left the queue). */
  notice: "left" | "transferred" | null;
  /** The phone number a call-back was booked for. */
  callbackPhone: string;
}

/** What the page must do with the camera and the peer connections after a change. */
export type CallEffect = "start" | "stop" | null;

export interface VideoChange {
  view: VideoView;
  effect: CallEffect;
}

export const INITIAL_VIEW: VideoView = {
  stage: "loading",
  session: null,
  position: null,
  estimateMinutes: null,
  callbackOffer: null,
  transferring: false,
  notice: null,
  callbackPhone: "",
};

export function isOpen(session: RtcSession): boolean {
  return OPEN_STATES.has(session.state);
}

/** The screen a consultation in this state shows. */
export function stageOf(state: SessionState): Stage {
  switch (state) {
    case "waiting":
    case "offered":
      return "waiting";
    case "active":
      return "call";
    case "wrap_up":
    case "ended":
      return "ended";
    case "callback":
      return "callback";
    case "abandoned":
      return "topics";
  }
}

/** The caller's open consultation (waiting, offered or in a call), newest first; null: none. */
export function openSession(sessions: readonly RtcSession[]): RtcSession | null {
  const open = sessions.filter(isOpen);
  open.sort((a, b) => b.created_at.localeCompare(a.created_at));
  return open[0] ?? null;
}

/** The newest answered call that ended within `withinMinutes` and is not rated yet: the page
 * offers to rate it (a reload on the rating form must not lose it). */
export function unratedCall(sessions: readonly RtcSession[], now: Date, withinMinutes = 60): RtcSession | null {
  const ended = sessions
    .filter((s) => (s.state === "wrap_up" || s.state === "ended") && s.answered_at && s.rating === null)
    .filter((s) => s.ended_at !== null && now.getTime() - new Date(s.ended_at).getTime() <= withinMinutes * 60_000)
    .sort((a, b) => (b.ended_at ?? "").localeCompare(a.ended_at ?? ""));
  return ended[0] ?? null;
}

function effectOf(before: Stage, after: Stage): CallEffect {
  if (before !== "call" && after === "call") return "start";
  if (before === "call" && after !== "call") return "stop";
  return null;
}

function newer(current: RtcSession | null, next: RtcSession): boolean {
  if (current === null || current.id !== next.id) return true;
  return (next.version ?? 0) > (current.version ?? 0) || current.version === undefined;
}

/** Whether a session the hub sent concerns the screen: the one shown, or a new open one when
 * nothing is open here (e.g. asked for in another tab). */
function concerns(view: VideoView, session: RtcSession): boolean {
  if (view.session === null) return true;
  if (view.session.id === session.id) return true;
  return !isOpen(view.session) && isOpen(session);
}

/** The page as the hub's snapshot says: the open consultation (else the topics), its place and
 * a call-back offer found among the citizen topic's recent events. */
export function viewOfSnapshot(sessions: readonly RtcSession[], recent: readonly Envelope[]): VideoView {
  const open = openSession(sessions);
  if (open === null) return { ...INITIAL_VIEW, stage: "topics" };
  const stage = stageOf(open.state);
  // Back in the queue after an agent passed the call on: still being transferred.
  const transferring = stage === "waiting" && open.transfers.length > 0;
  let view: VideoView = { ...INITIAL_VIEW, stage, session: open, transferring };
  view = placed(view, open.position ?? null, open.estimate_minutes ?? null);
  for (const event of [...recent].sort((a, b) => a.seq - b.seq)) {
    if (str(event.data, "session_id") !== open.id) continue;
    if (event.type === POSITION_CHANGED && open.position === undefined) {
      view = placed(view, num(event.data, "position"), num(event.data, "estimate_minutes"));
    } else if (event.type === CALLBACK_OFFERED && view.stage === "waiting") {
      view = { ...view, callbackOffer: num(event.data, "waited_minutes") ?? 0 };
    }
  }
  return view;
}

/** A new snapshot (the caller's consultations, the citizen topic's recent events) replaces
 * the page's state; the effect says how the call follows. The consultation on screen, ended
 * meanwhile (an end event missed across a resync), shows its end. */
export function applySnapshot(view: VideoView, sessions: readonly RtcSession[], recent: readonly Envelope[]): VideoChange {
  const next = viewOfSnapshot(sessions, recent);
  const shown = view.session;
  if (next.stage === "topics" && shown !== null && view.stage !== "topics") {
    const fresh = sessions.find((s) => s.id === shown.id);
    if (fresh !== undefined) return applySession(view, fresh);
    // The end of a call (rating) stays on screen though the hub has nothing open any more.
    if (view.stage === "ended" || view.stage === "callback") return { view, effect: null };
  }
  return { view: next, effect: effectOf(view.stage, next.stage) };
}

/** A session the hub answered or sent (request, leave, call-back, rating; call_accepted,
 * call_transferred, call_ended). An older copy than the one shown changes nothing. */
export function applySession(view: VideoView, session: RtcSession, transferred = false): VideoChange {
  if (!concerns(view, session) || !newer(view.session, session)) return { view, effect: null };
  const stage = stageOf(session.state);
  const same = view.session?.id === session.id;
  let next: VideoView = {
    ...view,
    stage,
    session,
    notice: null,
    transferring: stage === "waiting" && (transferred || (same && view.transferring)),
  };
  if (stage !== "waiting") next = { ...next, position: null, estimateMinutes: null, callbackOffer: null };
  else if (session.position !== undefined) next = placed(next, session.position, session.estimate_minutes ?? null);
  else if (!same) next = placed(next, null, null);
  if (transferred && stage === "waiting") next = { ...next, notice: "transferred" };
  if (session.state === "abandoned" && same) next = { ...next, notice: "left" };
  return { view: next, effect: effectOf(view.stage, next.stage) };
}

export const POSITION_CHANGED = "rtc.position_changed";
export const CALLBACK_OFFERED = "rtc.callback_offered";
export const CALLBACK_REQUESTED = "rtc.callback_requested";
export const CALL_ACCEPTED = "rtc.call_accepted";
export const CALL_TRANSFERRED = "rtc.call_transferred";
export const CALL_ENDED = "rtc.call_ended";
export const SIGNAL_SENT = "rtc.signal_sent";
export const CHAT_POSTED = "rtc.chat_posted";
export const RECORDING_CHANGED = "rtc.recording_changed";

/** One event of `citizen:<sub>` or `rtc:<session>` (both carry the call's turns: whichever
 * comes first applies, the other is an older copy). Other events change nothing. */
export function applyVideoEvent(view: VideoView, event: Envelope): VideoChange {
  const same: VideoChange = { view, effect: null };
  const data = event.data;
  switch (event.type) {
    case POSITION_CHANGED: {
      if (view.stage !== "waiting" || view.session?.id !== str(data, "session_id")) return same;
      return { view: placed(view, num(data, "position"), num(data, "estimate_minutes")), effect: null };
    }
    case CALLBACK_OFFERED: {
      if (view.stage !== "waiting" || view.session?.id !== str(data, "session_id")) return same;
      return { view: { ...view, callbackOffer: num(data, "waited_minutes") ?? 0 }, effect: null };
    }
    case CALLBACK_REQUESTED: {
      // Carries no session id: the one open consultation, if it is waiting.
      if (view.stage !== "waiting" || view.session === null) return same;
      const session: RtcSession = { ...view.session, state: "callback" };
      return {
        view: { ...view, stage: "callback", session, callbackOffer: null, callbackPhone: str(data, "phone") },
        effect: null,
      };
    }
    case CALL_ACCEPTED:
    case CALL_ENDED:
    case CALL_TRANSFERRED: {
      const session = sessionOf(data);
      if (session === null) return same;
      return applySession(view, session, event.type === CALL_TRANSFERRED);
    }
    default:
      return same;
  }
}

export function messageOf(data: Record<string, unknown>): ChatMessage | null {
  const message = data.message;
  if (typeof message !== "object" || message === null) return null;
  const m = message as Record<string, unknown>;
  if (typeof m.id !== "string" || typeof m.at !== "string") return null;
  const sender = m.sender === "citizen" || m.sender === "agent" ? m.sender : "system";
  return {
    id: m.id,
    at: m.at,
    sender,
    sender_name: typeof m.sender_name === "string" ? m.sender_name : "",
    text: typeof m.text === "string" ? m.text : "",
    image_id: typeof m.image_id === "string" ? m.image_id : null,
    image_type: typeof m.image_type === "string" ? m.image_type : null,
  };
}

export function sessionOf(data: Record<string, unknown>): RtcSession | null {
  const session = data.session;
  if (typeof session !== "object" || session === null) return null;
  const s = session as Record<string, unknown>;
  if (typeof s.id !== "string" || typeof s.state !== "string") return null;
  return session as RtcSession;
}

/** A phone number the hub takes for a call-back (mainland mobile). */
export function validPhone(value: string): boolean {
  return /^1[3-9]\d{9}$/.test(value.trim());
}

/** "138****0000". */
export function maskPhone(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : phone;
}

/** Seconds between two moments (a call's length), or null. */
export function secondsBetween(from: string | null, to: string | Date | null): number | null {
  if (!from || !to) return null;
  const start = new Date(from).getTime();
  const end = (typeof to === "string" ? new Date(to) : to).getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, Math.round((end - start) / 1000));
}

/** "03:07" or "1:02:03". */
export function clockOfSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number): string => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

function placed(view: VideoView, position: number | null, estimate: number | null): VideoView {
  return { ...view, position, estimateMinutes: estimate };
}

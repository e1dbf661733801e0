/** How the video screens read the state (pure). */
import type { CallPhase } from "./call";
import type { Stage } from "./model";

/** The call's state as the page exposes it (`data-state` of `video-state`); null: no
 * consultation on screen (the topics). */
export type VideoState = "waiting" | "connecting" | "connected" | "reconnecting" | "ended";

export function videoState(stage: Stage, phase: CallPhase | null): VideoState | null {
  switch (stage) {
    case "waiting":
      return "waiting";
    case "call":
      if (phase === "connected") return "connected";
      if (phase === "reconnecting") return "reconnecting";
      return "connecting";
    case "ended":
    case "callback":
      return "ended";
    default:
      return null;
  }
}

/** Bars lit of five for a quality level (null: not measured yet, shown as none). */
export function bars(level: number | null): boolean[] {
  const lit = level === null ? 0 : Math.max(0, Math.min(5, Math.round(level)));
  return [1, 2, 3, 4, 5].map((bar) => bar <= lit);
}

/** What the console's header says the agent is doing: one status, from the agent's own status
 * (空闲, 小休, 话后处理) and the call's phase, so the header never says 等待来电 while the agent is
 * on a break, nor 空闲 during a call. Pure. */
import type { CallPhase } from "./callState";
import { rt } from "./text";

export type HeaderTone = "ready" | "away" | "ringing" | "in_call" | "wrap_up" | "offline";

export interface HeaderStatus {
  text: string;
  tone: HeaderTone;
}

const h = rt.agent.header;

export function headerStatus(status: string, phase: CallPhase): HeaderStatus {
  switch (phase) {
    case "offered":
      return { text: h.offered, tone: "ringing" };
    case "connecting":
      return { text: h.connecting, tone: "in_call" };
    case "connected":
      return { text: h.connected, tone: "in_call" };
    case "reconnecting":
      return { text: h.reconnecting, tone: "in_call" };
    case "wrap_up":
      return { text: h.wrapUpCall, tone: "wrap_up" };
    case "idle":
      break;
  }
  switch (status) {
    case "available":
      return { text: h.available, tone: "ready" };
    case "away":
      return { text: h.away, tone: "away" };
    case "wrap_up":
      return { text: h.wrapUp, tone: "wrap_up" };
    case "busy":
      return { text: h.connected, tone: "in_call" };
    default:
      return { text: h.offline, tone: "offline" };
  }
}

/** The agent's camera and microphone: what to ask the browser for, and what to tell the agent
 * when it refuses, in Chinese (never the browser's "Requested device not found"). A call goes
 * on with whatever works: voice only without a camera, listening and chat without a microphone.
 * Pure: the console (useAgentDesk) runs the attempts. */
import { rt } from "./text";

/** Why the browser gave no device: none plugged in, not allowed, in use by another program, the
 * page's address is not secure (no https: the browser offers no devices at all), or else. */
export type DeviceProblem = "missing" | "denied" | "busy" | "insecure" | "other";

/** The browser's error (a DOMException from getUserMedia, or a TypeError where the page may not
 * ask) as one of the problems above. */
export function deviceProblem(error: unknown): DeviceProblem {
  const name = typeof error === "object" && error !== null && "name" in error ? String(error.name) : "";
  switch (name) {
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "denied";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    case "TypeError":
      return "insecure";
    default:
      return "other";
  }
}

/** What to ask for, in order: camera and microphone, then the microphone alone (a voice call),
 * then the camera alone (no microphone: the citizen sees the agent, they chat by text). */
export const ATTEMPTS: readonly MediaStreamConstraints[] = [
  { audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } },
  { audio: true, video: false },
  { audio: false, video: { width: { ideal: 640 }, height: { ideal: 480 } } },
];

/** What the attempts gave: the devices in use, and why the first attempt (both) and the
 * microphone alone failed. */
export interface DeviceOutcome {
  audio: boolean;
  video: boolean;
  /** The first attempt's problem (camera and microphone together), if it failed. */
  both: DeviceProblem | null;
  /** The microphone-only attempt's problem, if it was made and failed. */
  microphone: DeviceProblem | null;
}

export interface DeviceNotice {
  /** "" when camera and microphone both work. */
  text: string;
  /** How bad: a voice-only call is a warning; no microphone, an error. */
  level: "" | "warning" | "error";
}

const d = rt.agent.devices;

/** What to tell the agent about their devices for this call. */
export function deviceNotice(outcome: DeviceOutcome): DeviceNotice {
  if (outcome.audio && outcome.video) return { text: "", level: "" };
  if (outcome.audio) return { text: d.voiceOnly[outcome.both ?? "other"], level: "warning" };
  const why = outcome.microphone ?? outcome.both ?? "other";
  if (outcome.video) return { text: d.noMicrophone[why], level: "error" };
  return { text: d.nothing[why], level: "error" };
}

/** Before any call: the devices the browser lists (their kinds; the names need a permission),
 * so an agent without a camera or microphone knows before answering. "" when both are there or
 * the browser lists nothing it can tell (no `enumerateDevices`). */
export function devicesHint(kinds: readonly string[] | null): string {
  if (kinds === null) return "";
  const camera = kinds.includes("videoinput");
  const microphone = kinds.includes("audioinput");
  if (camera && microphone) return "";
  if (microphone) return d.beforeNoCamera;
  if (camera) return d.beforeNoMicrophone;
  return d.beforeNothing;
}

/** Why a display device (the hall display, a counter display) cannot show anything, in words
 * for whoever stands in front of it: what happened, and what to do. Never a raw error code. */
import { fmt, t } from "../i18n";

export type DeviceKind = "display" | "counter";

/** What stops the screen: the hub's error code for the token or the place, or a link that
 * lacks a part. */
export type DeviceFault =
  | { kind: "code"; code: string; id?: string }
  | { kind: "no-token" }
  | { kind: "no-hall" }
  | { kind: "no-counter" };

export interface DeviceProblem {
  title: string;
  detail: string;
  action: string;
}

/** Error codes that mean this device's link will not work until someone replaces it. */
const LINK_CODES: ReadonlySet<string> = new Set([
  "TOKEN_EXPIRED",
  "TOKEN_INVALID",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "TOPIC_FORBIDDEN",
  "HALL_NOT_FOUND",
  "COUNTER_NOT_FOUND",
]);

/** Whether an error code stops the device for good (a full-page problem, not a banner). */
export function isLinkProblem(code: string | null | undefined): boolean {
  return code != null && LINK_CODES.has(code);
}

export function deviceProblem(fault: DeviceFault, device: DeviceKind): DeviceProblem {
  const p = t.display.problem;
  const name = p.device[device] ?? "";
  const say = (text: string, id = ""): string => fmt(text, { device: name, id });
  const renew = say(p.action);
  const check = say(p.actionPlace);
  switch (fault.kind) {
    case "no-token":
      return { title: say(p.noTokenTitle), detail: p.noToken, action: renew };
    case "no-hall":
      return { title: say(p.noPlaceTitle), detail: p.noHall, action: check };
    case "no-counter":
      return { title: say(p.noPlaceTitle), detail: p.noCounter, action: check };
    case "code":
      break;
  }
  switch (fault.code) {
    case "TOKEN_EXPIRED":
      return { title: say(p.expiredTitle), detail: p.expired, action: renew };
    case "FORBIDDEN":
    case "TOPIC_FORBIDDEN":
      return { title: say(p.forbiddenTitle), detail: p.forbidden, action: renew };
    case "HALL_NOT_FOUND":
      return { title: p.hallTitle, detail: say(p.hall, fault.id ?? ""), action: check };
    case "COUNTER_NOT_FOUND":
      return { title: p.counterTitle, detail: say(p.counter, fault.id ?? ""), action: check };
    default:
      return { title: say(p.invalidTitle), detail: p.invalid, action: renew };
  }
}

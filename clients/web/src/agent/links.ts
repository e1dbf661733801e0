/** Where the video customer service pages are (relative to /web/), and who gets a link. */
import type { Role } from "@hallhub/client";
import { rt } from "./text";

export interface RtcLink {
  href: string;
  label: string;
  testid: string;
}

export const AGENT_PAGE = "agent.html";
export const MONITOR_PAGE = "monitor.html";

/** The rtc pages a role may open (the agent console; the monitor for supervisors, admins). */
export function rtcLinks(role: Role): RtcLink[] {
  if (role === "agent") return [{ href: AGENT_PAGE, label: rt.agent.title, testid: "open-agent" }];
  if (role === "supervisor" || role === "admin") {
    return [{ href: MONITOR_PAGE, label: rt.monitor.title, testid: "open-monitor" }];
  }
  return [];
}

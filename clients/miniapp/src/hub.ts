/** The citizen app's link to the hub: its token, the REST helper, and how events read. */
import {
  MESSAGE_RECEIVED,
  createApi,
  formatDateTime,
  num,
  str,
  summarizeData,
  waitMinutes,
  type Envelope,
  type TokenPlace,
} from "@hallhub/client";
import { fmt, t } from "./i18n";

/** The citizen's own token (their account in the platform). */
export const TOKEN_PLACE: TokenPlace = { key: "hallhub.citizen.token" };

/** A ticket's follow token (from the QR code a kiosk printed): kept apart from the account's
 * token, per ticket, so scanning a slip never signs anyone out. */
export function followPlace(ticketId: string): TokenPlace {
  return { key: `hallhub.follow.${ticketId}` };
}

let current: string | null = null;

export function setToken(token: string | null): void {
  current = token;
}

/** The token requests are made with (for the few made without the JSON helper). */
export function currentToken(): string | null {
  return current;
}

export const api = createApi({ token: () => current });

/** Requests anyone may make (a walk-in's, a slip's code traded): never with a token, so a
 * stale one kept on the phone cannot get them refused. */
export const publicApi = createApi({ token: () => null });

export function eventTitle(event: Envelope): string {
  return t.events.types[event.type] ?? event.type;
}

export function eventSummary(event: Envelope): string {
  if (event.type === MESSAGE_RECEIVED) return messageSummary(event.data);
  if (event.type.startsWith("appointments.")) return appointmentSummary(event.data) || summarizeData(event.data, t.events);
  if (event.type.startsWith("rtc.")) return videoSummary(event);
  return summarizeData(event.data, t.events); // tickets' events: sentences of feed.ts
}

/** "社保卡领取通知：您申领的社保卡已制作完成…" of a message that arrived. */
function messageSummary(data: Record<string, unknown>): string {
  const item = data.item;
  if (typeof item !== "object" || item === null) return "";
  const title = str(item as Record<string, unknown>, "title");
  const body = str(item as Record<string, unknown>, "body");
  return [title, body].filter(Boolean).join(t.events.colon);
}

/** "Y0001 户籍办理；11月27日 09:00；西城区政务服务中心" of a booking's event, or the reason and
 * end of a suspension. */
function appointmentSummary(data: Record<string, unknown>): string {
  const reason = str(data, "reason");
  const until = str(data, "until");
  if (until && !str(data, "code")) {
    return fmt(t.events.blacklisted, { reason: reason || t.events.empty, until: formatDateTime(until) });
  }
  const code = str(data, "code");
  if (!code) return "";
  return fmt(t.events.appointment, {
    code,
    service: str(data, "service_name") || str(data, "service_id"),
    time: str(data, "slot_text"),
    hall: str(data, "hall_name") || str(data, "hall_id"),
  });
}

/** "您排在第 2 位，约 6 分钟" of a video consultation's event, or its topic and state. */
function videoSummary(event: Envelope): string {
  const data = event.data;
  const v = t.events.video;
  switch (event.type) {
    case "rtc.position_changed": {
      const position = num(data, "position") ?? 0;
      return fmt(v.position, { n: position, m: waitMinutes(num(data, "estimate_minutes") ?? 0, position) });
    }
    case "rtc.callback_offered":
      return fmt(v.callbackOffered, { n: num(data, "waited_minutes") ?? 0 });
    case "rtc.callback_requested":
      return fmt(v.callbackRequested, { phone: str(data, "phone") });
    default: {
      const session = data.session;
      if (typeof session !== "object" || session === null) return "";
      const s = session as Record<string, unknown>;
      const topic = str(s, "topic_name") || str(s, "topic");
      const agent = str(s, "agent_name");
      const reason = str(s, "end_reason");
      return [topic, event.type === "rtc.call_ended" ? reason : agent].filter(Boolean).join(t.events.separator);
    }
  }
}

/** The page of one ticket. */
export function ticketUrl(ticketId: string, hallId: string): string {
  return `ticket.html?id=${encodeURIComponent(ticketId)}&hall=${encodeURIComponent(hallId)}`;
}

/** 视频客服 (the token stays where the app keeps it). */
export const VIDEO_URL = "video.html";

/** The page that takes a ticket in a hall. */
export function takeUrl(hallId: string): string {
  return `take.html?hall=${encodeURIComponent(hallId)}`;
}

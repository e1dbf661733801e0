/** The 动态 feed: the citizen's own topic (`citizen:<sub>`) made into one entry per real change,
 * each a sentence. Pure.
 *
 * What the topic carries and the feed leaves out:
 * - `queueing.position_changed`: the queue moved; the ticket's card shows its place, the feed
 *   only its changes (taken, near, called, …);
 * - an in-app message the message center made from an event of this same topic (叫号通知 for
 *   `ticket_called`, 预约成功 for `appointment_booked`, …): that event is the entry already;
 * - a message read or archived (`notifier.inbox_changed`);
 * - the same change told twice in a row (a copy of the event it follows).
 */
import { INBOX_CHANGED, MESSAGE_RECEIVED, formatClock, num, str, waitMinutes, type Envelope } from "@hallhub/client";
import { eventSummary, eventTitle } from "./hub";
import { fmt, t } from "./i18n";

export interface FeedEntry {
  /** Stable for the list (the event's seq). */
  key: string;
  type: string;
  title: string;
  text: string;
  /** "HH:mm:ss", the hall's time. */
  time: string;
  seq: number;
  ticketId: string;
}

/** Kinds of in-app message the message center makes from the citizen's own events (the rules
 * of config/notifier.yaml whose recipient is the event's topic): the event is in the feed. */
export const MIRRORED_KINDS: ReadonlySet<string> = new Set([
  "ticket_near",
  "ticket_called",
  "appointment_booked",
  "appointment_changed",
  "appointment_cancelled",
  "appointment_reminder",
  "appointment_no_show",
  "appointment_suspended",
  "video_callback",
]);

const LEFT_OUT: ReadonlySet<string> = new Set([INBOX_CHANGED, "queueing.position_changed"]);

interface Known {
  service: string;
  /** What the last entry of this ticket said: the same again is no change. */
  last: string;
}

function messageKind(event: Envelope): string {
  const item = event.data.item;
  return typeof item === "object" && item !== null ? str(item as Record<string, unknown>, "kind") : "";
}

/** An entry of the feed for an event, or null when it is no news. */
function isNews(event: Envelope): boolean {
  if (LEFT_OUT.has(event.type)) return false;
  return !(event.type === MESSAGE_RECEIVED && MIRRORED_KINDS.has(messageKind(event)));
}

function counterOf(data: Record<string, unknown>): string {
  const name = str(data, "counter_name");
  if (name) return name;
  const number = num(data, "counter_number");
  return number !== null ? fmt(t.ticket.counterLabel, { n: number }) : t.feed.counter;
}

/** "A001 号（户籍办理）已叫号，请到 1号窗口办理" and its title, of a queueing event. */
function ticketSentence(event: Envelope, known: Known): { title: string; text: string } {
  const data = event.data;
  const f = t.feed;
  const number = str(data, "number");
  const ticket = known.service ? fmt(f.ticket, { number, service: known.service }) : fmt(f.ticketOnly, { number });
  const ahead = num(data, "ahead");
  const minutes = waitMinutes(num(data, "estimate_minutes") ?? 0, ahead ?? 0);
  const counter = counterOf(data);
  const title = eventTitle(event);
  switch (event.type) {
    case "queueing.ticket_issued":
      if (ahead === null) return { title, text: fmt(f.issuedShort, { ticket }) };
      return { title, text: fmt(ahead > 0 ? f.issued : f.issuedFirst, { ticket, n: ahead, m: minutes }) };
    case "queueing.turn_near":
      return { title, text: fmt(ahead ? f.near : f.nearNext, { ticket, n: ahead ?? 0 }) };
    case "queueing.ticket_called": {
      const count = num(data, "call_count") ?? 1;
      if (count > 1) return { title: f.recalledTitle, text: fmt(f.recalled, { ticket, counter, n: count }) };
      return { title, text: fmt(f.called, { ticket, counter }) };
    }
    case "queueing.ticket_started":
      return { title, text: fmt(f.started, { ticket, counter }) };
    case "queueing.ticket_finished":
      return { title, text: fmt(f.finished, { ticket, counter }) };
    case "queueing.ticket_no_show":
      return { title, text: fmt(f.noShow, { ticket }) };
    case "queueing.ticket_transferred": {
      const to = str(data, "to_counter_name");
      const text = to
        ? fmt(f.transferredTo, { number, counter: to })
        : fmt(f.transferred, { number, service: str(data, "service_name") });
      return { title, text };
    }
    case "queueing.ticket_requeued":
      return { title, text: fmt(f.requeued, { ticket }) };
    case "queueing.ticket_parked":
      return { title, text: fmt(f.parked, { ticket }) };
    case "queueing.ticket_unparked":
      return { title, text: fmt(f.unparked, { ticket }) };
    case "queueing.ticket_cancelled":
      return { title, text: fmt(f.cancelled, { ticket }) };
    default:
      return { title: t.events.types[event.type] ?? f.otherTitle, text: fmt(f.other, { ticket }) };
  }
}

/** The feed, newest first, of the topic's events (newest first, as the feed keeps them). */
export function feedEntries(events: readonly Envelope[]): FeedEntry[] {
  const tickets = new Map<string, Known>();
  const entries: FeedEntry[] = [];
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    if (!isNews(event)) continue;
    const ticketId = event.type.startsWith("queueing.") ? str(event.data, "ticket_id") : "";
    let title: string;
    let text: string;
    if (ticketId) {
      const known = tickets.get(ticketId) ?? { service: "", last: "" };
      known.service = str(event.data, "service_name") || known.service;
      tickets.set(ticketId, known);
      ({ title, text } = ticketSentence(event, known));
      const said = `${event.type}|${JSON.stringify(event.data)}`;
      if (said === known.last) continue; // the same change told again
      known.last = said;
    } else {
      title = eventTitle(event);
      text = eventSummary(event);
    }
    entries.push({
      key: String(event.seq),
      type: event.type,
      title,
      text,
      time: formatClock(event.ts),
      seq: event.seq,
      ticketId,
    });
  }
  return entries.reverse();
}

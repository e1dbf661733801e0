/** A person's in-app messages (消息中心 inbox) as a screen keeps them: the list and counts of
 * `GET /api/v1/notifier/inbox`, then the events of their own topic. Pure: no I/O. */
import { isRecord } from "./errors";
import type { Envelope, Principal } from "./types";

export type InboxState = "unread" | "read" | "archived";

export const INBOX_STATES: readonly InboxState[] = ["unread", "read", "archived"];

/** One message in the inbox. */
export interface InboxItem {
  /** The delivery's id. */
  id: string;
  recipient: string;
  message_id: string;
  kind: string;
  title: string;
  body: string;
  /** ISO 8601 UTC. */
  created_at: string;
  state: InboxState;
  read_at: string | null;
}

export type InboxCounts = Record<InboxState, number>;

/** `GET /api/v1/notifier/inbox` (and the `notifier.list` command). */
export interface InboxList {
  items: InboxItem[];
  counts: InboxCounts;
}

/** `POST …/inbox/{id}/read|unread|archive`, `…/inbox/read-all` and the socket commands. */
export interface InboxMarked {
  changed: number;
  counts: InboxCounts;
  /** For "read": the read time the hub stored on the items it changed (ISO 8601 UTC). */
  read_at?: string | null;
}

/** What the screen shows: newest first. Archived items stay (state "archived") until the
 * next load; `shownItems()` leaves them out. */
export interface Inbox {
  items: InboxItem[];
  counts: InboxCounts;
}

export interface InboxChange {
  inbox: Inbox;
  /** A message that was not in the list before (`notifier.message_received`). */
  added: InboxItem | null;
}

export const MESSAGE_RECEIVED = "notifier.message_received";
export const INBOX_CHANGED = "notifier.inbox_changed";

/** How many items the inbox keeps at most (older ones come back with `appendOlder`). */
export const INBOX_KEEP = 200;

export function emptyInbox(): Inbox {
  return { items: [], counts: { unread: 0, read: 0, archived: 0 } };
}

/** The inbox of a person: `citizen:<sub>` for a citizen, `user:<sub>` for staff. */
export function inboxTopic(principal: Pick<Principal, "sub" | "role">): string {
  return `${principal.role === "citizen" ? "citizen" : "user"}:${principal.sub}`;
}

/** The inbox as loaded (the list newest first, without duplicates). */
export function inboxFromList(list: InboxList): Inbox {
  return { items: newestFirst(unique(list.items)), counts: countsOf(list.counts) };
}

/** Older items loaded with `before` appended (those already shown are skipped). */
export function appendOlder(inbox: Inbox, older: readonly InboxItem[]): Inbox {
  const known = new Set(inbox.items.map((item) => item.id));
  const fresh = older.filter((item) => !known.has(item.id));
  if (fresh.length === 0) return inbox;
  return { ...inbox, items: newestFirst(unique([...inbox.items, ...fresh])) };
}

/** The items a list shows: everything but archived. */
export function shownItems(inbox: Inbox): InboxItem[] {
  return inbox.items.filter((item) => item.state !== "archived");
}

/**
 * Apply one event of the person's topic. `notifier.message_received {item, unread}` puts the
 * item in front (once: a repeat by id changes nothing but the count); the unread count is the
 * event's (the hub's count when it published), else one more. `notifier.inbox_changed {counts,
 * item_id, state, read_at}` takes the counts of the event and sets the item's state (every
 * unread item when `item_id` is null: "read all") as the hub stored it: read, with the hub's
 * `read_at`; unread, with none; archived, keeping its own. Other events change nothing.
 */
export function applyInboxEvent(inbox: Inbox, event: Envelope): InboxChange {
  if (event.type === MESSAGE_RECEIVED) return received(inbox, event.data);
  if (event.type === INBOX_CHANGED) return { inbox: changed(inbox, event.data, event.ts), added: null };
  return { inbox, added: null };
}

/** The answer of a mark request applied at once (its event follows, and changes nothing):
 * the read time is the one the hub answers, else `at`. */
export function applyMarked(
  inbox: Inbox,
  itemId: string | null,
  state: InboxState,
  marked: InboxMarked,
  at: string,
): Inbox {
  const readAt = typeof marked.read_at === "string" ? marked.read_at : at;
  return { items: withState(inbox.items, itemId, state, readAt), counts: countsOf(marked.counts) };
}

function received(inbox: Inbox, data: Record<string, unknown>): InboxChange {
  const item = asItem(data.item);
  if (item === null) return { inbox, added: null };
  const unread = typeof data.unread === "number" ? data.unread : null;
  if (inbox.items.some((known) => known.id === item.id)) {
    if (unread === null || unread === inbox.counts.unread) return { inbox, added: null };
    return { inbox: { ...inbox, counts: { ...inbox.counts, unread } }, added: null };
  }
  const counts = { ...inbox.counts, unread: unread ?? inbox.counts.unread + 1 };
  return { inbox: { items: [item, ...inbox.items].slice(0, INBOX_KEEP), counts }, added: item };
}

/** `ts`: the envelope's time, the read time of an event from a hub that sent none. */
function changed(inbox: Inbox, data: Record<string, unknown>, ts: string): Inbox {
  const state = asState(data.state);
  const counts = isRecord(data.counts) ? countsOf(data.counts) : inbox.counts;
  if (state === null) return { ...inbox, counts };
  const itemId = typeof data.item_id === "string" ? data.item_id : null;
  const readAt = typeof data.read_at === "string" ? data.read_at : ts;
  return { items: withState(inbox.items, itemId, state, readAt), counts };
}

/** The item (or, without an id and for "read", every unread item) in its new state, as the
 * hub stores it: read at `readAt` (marking an item read again stamps it again), unread with no
 * read time, archived with its own. */
function withState(items: InboxItem[], itemId: string | null, state: InboxState, readAt: string): InboxItem[] {
  let touched = false;
  const next = items.map((item) => {
    const hit = itemId === null ? state === "read" && item.state === "unread" : item.id === itemId;
    if (!hit) return item;
    const read_at = state === "read" ? readAt : state === "unread" ? null : item.read_at;
    if (item.state === state && item.read_at === read_at) return item;
    touched = true;
    return { ...item, state, read_at };
  });
  return touched ? next : items;
}

function countsOf(raw: Partial<Record<string, unknown>>): InboxCounts {
  const count = (state: InboxState): number => {
    const value = raw[state];
    return typeof value === "number" && Number.isFinite(value) ? value : 0;
  };
  return { unread: count("unread"), read: count("read"), archived: count("archived") };
}

function asState(value: unknown): InboxState | null {
  return (INBOX_STATES as readonly unknown[]).includes(value) ? (value as InboxState) : null;
}

function asItem(value: unknown): InboxItem | null {
  if (!isRecord(value) || typeof value.id !== "string" || value.id === "") return null;
  const text = (key: string): string => (typeof value[key] === "string" ? (value[key] as string) : "");
  return {
    id: value.id,
    recipient: text("recipient"),
    message_id: text("message_id"),
    kind: text("kind"),
    title: text("title"),
    body: text("body"),
    created_at: text("created_at"),
    state: asState(value.state) ?? "unread",
    read_at: typeof value.read_at === "string" ? value.read_at : null,
  };
}

function unique(items: readonly InboxItem[]): InboxItem[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.id) && Boolean(seen.add(item.id)));
}

function newestFirst(items: InboxItem[]): InboxItem[] {
  return items
    .map((item, index) => ({ item, index, at: Date.parse(item.created_at) }))
    .sort((a, b) => (Number.isNaN(b.at) || Number.isNaN(a.at) ? 0 : b.at - a.at) || a.index - b.index)
    .map(({ item }) => item)
    .slice(0, INBOX_KEEP);
}

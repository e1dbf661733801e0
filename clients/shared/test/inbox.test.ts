import { describe, expect, it } from "vitest";
import {
  appendOlder,
  applyInboxEvent,
  applyMarked,
  emptyInbox,
  inboxFromList,
  inboxTopic,
  shownItems,
  type Inbox,
  type InboxItem,
} from "../src/inbox";
import type { Envelope } from "../src/types";

function item(id: string, minute: number, extra: Partial<InboxItem> = {}): InboxItem {
  return {
    id,
    recipient: "user:supervisor",
    message_id: `m-${id}`,
    kind: "notice",
    title: `标题 ${id}`,
    body: "正文",
    created_at: `2026-11-26T05:${String(minute).padStart(2, "0")}:00Z`,
    state: "unread",
    read_at: null,
    ...extra,
  };
}

let seq = 0;
function event(type: string, data: Record<string, unknown>): Envelope {
  seq += 1;
  return { type, topic: "user:supervisor", seq, ts: "2026-11-26T06:00:00Z", data, ctx: "c" };
}

const received = (i: InboxItem, unread?: number): Envelope =>
  event("notifier.message_received", unread === undefined ? { item: i } : { item: i, unread });
// The read time the hub stored: a moment before the envelope's `ts`, in the hub's own format.
const STORED = "2026-11-26T05:59:59.357000Z";
const changed = (itemId: string | null, state: string, unread: number, read: number, archived = 0): Envelope =>
  event("notifier.inbox_changed", {
    item_id: itemId,
    state,
    counts: { unread, read, archived },
    read_at: state === "read" ? STORED : null,
  });

function loaded(): Inbox {
  return inboxFromList({
    items: [item("a", 1), item("b", 3, { state: "read", read_at: "2026-11-26T05:04:00Z" }), item("c", 2)],
    counts: { unread: 2, read: 1, archived: 0 },
  });
}

describe("inbox model", () => {
  it("names the person's own topic", () => {
    expect(inboxTopic({ sub: "demo-citizen-001", role: "citizen" })).toBe("citizen:demo-citizen-001");
    expect(inboxTopic({ sub: "supervisor", role: "supervisor" })).toBe("user:supervisor");
  });

  it("keeps the loaded list newest first, once each", () => {
    const inbox = inboxFromList({
      items: [item("a", 1), item("b", 3), item("a", 1)],
      counts: { unread: 2, read: 0, archived: 0 },
    });
    expect(inbox.items.map((i) => i.id)).toEqual(["b", "a"]);
    expect(inbox.counts).toEqual({ unread: 2, read: 0, archived: 0 });
  });

  it("puts a received message in front and counts it unread", () => {
    const change = applyInboxEvent(loaded(), received(item("d", 9)));
    expect(change.added?.id).toBe("d");
    expect(change.inbox.items.map((i) => i.id)).toEqual(["d", "b", "c", "a"]);
    expect(change.inbox.counts.unread).toBe(3);
  });

  it("takes the unread count the event carries", () => {
    const change = applyInboxEvent(loaded(), received(item("d", 9), 7));
    expect(change.inbox.counts.unread).toBe(7);
  });

  it("does not add a message twice", () => {
    const once = applyInboxEvent(loaded(), received(item("d", 9))).inbox;
    const twice = applyInboxEvent(once, received(item("d", 9)));
    expect(twice.added).toBeNull();
    expect(twice.inbox.items.filter((i) => i.id === "d")).toHaveLength(1);
    expect(twice.inbox.counts.unread).toBe(3);
    expect(twice.inbox).toBe(once);
  });

  it("sets an item's state, its read time as the hub stored it, and the counts of inbox_changed", () => {
    const inbox = applyInboxEvent(loaded(), changed("a", "read", 1, 2)).inbox;
    const a = inbox.items.find((i) => i.id === "a");
    expect(a?.state).toBe("read");
    expect(a?.read_at).toBe(STORED); // not the envelope's ts
    expect(inbox.counts).toEqual({ unread: 1, read: 2, archived: 0 });
  });

  it("stamps the envelope's time when an older hub sent no read time", () => {
    const old = event("notifier.inbox_changed", { item_id: "a", state: "read", counts: { unread: 1, read: 2, archived: 0 } });
    expect(applyInboxEvent(loaded(), old).inbox.items.find((i) => i.id === "a")?.read_at).toBe("2026-11-26T06:00:00Z");
  });

  it("reads every unread item when inbox_changed names none", () => {
    const inbox = applyInboxEvent(loaded(), changed(null, "read", 0, 3)).inbox;
    expect(inbox.items.map((i) => i.state)).toEqual(["read", "read", "read"]);
    expect(inbox.items.find((i) => i.id === "a")?.read_at).toBe(STORED);
    expect(inbox.items.find((i) => i.id === "b")?.read_at).toBe("2026-11-26T05:04:00Z");
    expect(inbox.counts.unread).toBe(0);
  });

  it("stamps an item read again with the new read time, as the hub does", () => {
    const inbox = applyInboxEvent(loaded(), changed("b", "read", 2, 1)).inbox;
    expect(inbox.items.find((i) => i.id === "b")?.read_at).toBe(STORED);
  });

  it("leaves archived items out of the list shown, with their read time", () => {
    const inbox = applyInboxEvent(loaded(), changed("b", "archived", 2, 0, 1)).inbox;
    expect(inbox.items.find((i) => i.id === "b")).toMatchObject({ state: "archived", read_at: "2026-11-26T05:04:00Z" });
    expect(shownItems(inbox).map((i) => i.id)).toEqual(["c", "a"]);
    expect(inbox.counts.archived).toBe(1);
  });

  it("marks an item unread again, with no read time", () => {
    const read = applyInboxEvent(loaded(), changed("a", "read", 1, 2)).inbox;
    const unread = applyInboxEvent(read, changed("a", "unread", 2, 1)).inbox;
    expect(unread.items.find((i) => i.id === "a")).toMatchObject({ state: "unread", read_at: null });
  });

  it("changes only the counts for an item it does not show", () => {
    const inbox = applyInboxEvent(loaded(), changed("zz", "read", 5, 5));
    expect(inbox.inbox.items).toEqual(loaded().items);
    expect(inbox.inbox.counts.unread).toBe(5);
  });

  it("ignores other events and malformed ones", () => {
    const start = loaded();
    expect(applyInboxEvent(start, event("queueing.ticket_called", { number: "A1" })).inbox).toBe(start);
    expect(applyInboxEvent(start, event("notifier.message_received", { item: { title: "x" } })).inbox).toBe(start);
  });

  it("replays the events seen during a load on top of it to the same result", () => {
    // The list was read after both events: applying them again changes nothing.
    const after = inboxFromList({
      items: [item("d", 9, { state: "read", read_at: STORED }), ...loaded().items],
      counts: { unread: 2, read: 2, archived: 0 },
    });
    let inbox = after;
    for (const e of [received(item("d", 9), 3), changed("d", "read", 2, 2)]) inbox = applyInboxEvent(inbox, e).inbox;
    expect(inbox.counts).toEqual(after.counts);
    expect(inbox.items.find((i) => i.id === "d")?.state).toBe("read");
  });

  it("applies a mark request's answer, with the read time the hub answers", () => {
    const counts = { unread: 1, read: 2, archived: 0 };
    const inbox = applyMarked(loaded(), "c", "read", { changed: 1, counts, read_at: STORED }, "2026-11-26T07:00:00Z");
    expect(inbox.items.find((i) => i.id === "c")).toMatchObject({ state: "read", read_at: STORED });
    expect(inbox.counts.unread).toBe(1);
    const older = applyMarked(loaded(), "c", "read", { changed: 1, counts }, "2026-11-26T07:00:00Z");
    expect(older.items.find((i) => i.id === "c")?.read_at).toBe("2026-11-26T07:00:00Z");
  });

  it("appends older pages without repeats", () => {
    const inbox = appendOlder(loaded(), [item("a", 1), item("z", 0)]);
    expect(inbox.items.map((i) => i.id)).toEqual(["b", "c", "a", "z"]);
    expect(appendOlder(inbox, [item("z", 0)])).toBe(inbox);
  });

  it("starts empty", () => {
    expect(emptyInbox()).toEqual({ items: [], counts: { unread: 0, read: 0, archived: 0 } });
  });
});

import { describe, expect, it } from "vitest";
import { effectScope } from "vue";
import { HubClient } from "../src/client";
import type { InboxItem, InboxList } from "../src/inbox";
import type { Api, HttpMethod } from "../src/rest";
import type { Envelope } from "../src/types";
import { useInbox } from "../src/useInbox";
import { FakeSocket } from "./fake-socket";
import { ManualTimers, deferred, flush, type Deferred } from "./helpers";

const TOPIC = "user:supervisor";

function item(id: string, minute: number, state: InboxItem["state"] = "unread"): InboxItem {
  return {
    id,
    recipient: TOPIC,
    message_id: `m-${id}`,
    kind: "counter_paused_alert",
    title: `窗口暂停 ${id}`,
    body: "3号窗口已暂停服务",
    created_at: `2026-11-26T05:${String(minute).padStart(2, "0")}:00Z`,
    state,
    read_at: null,
  };
}

function envelope(seq: number, type: string, data: Record<string, unknown>): Envelope {
  return { type, topic: TOPIC, seq, ts: "2026-11-26T06:00:00Z", data, ctx: "c" };
}

interface Call {
  method: HttpMethod;
  path: string;
  answer: Deferred<unknown>;
}

/** A client on a fake socket, and REST requests the test answers one by one. */
function setup() {
  const socket = new FakeSocket();
  const client = new HubClient({ token: "t", socket, timers: new ManualTimers() });
  const calls: Call[] = [];
  const api = (<T>(method: HttpMethod, path: string): Promise<T> => {
    const answer = deferred<unknown>();
    calls.push({ method, path, answer });
    return answer.promise as Promise<T>;
  }) as Api;
  const answer = (path: string, body: unknown): void => {
    const index = calls.findIndex((c) => c.path.startsWith(path));
    if (index < 0) throw new Error(`no request to ${path}: ${calls.map((c) => c.path).join(", ")}`);
    calls.splice(index, 1)[0]!.answer.resolve(body);
  };
  const arrived: InboxItem[] = [];
  client.connect();
  socket.open();
  const scope = effectScope();
  const inbox = scope.run(() => useInbox(client, api, { onMessage: (i) => arrived.push(i) }))!;
  return { socket, client, calls, answer, inbox, arrived, scope };
}

const LIST: InboxList = { items: [item("a", 1), item("b", 2, "read")], counts: { unread: 1, read: 1, archived: 0 } };

async function goLive(t: ReturnType<typeof setup>): Promise<void> {
  t.answer("/api/v1/auth/me", { sub: "supervisor", role: "supervisor", hall: "xc-01", name: "大厅主管" });
  await flush();
  const subscribe = t.socket.take();
  expect(subscribe).toMatchObject({ name: "subscribe", payload: { topic: TOPIC } });
  subscribe.reply.resolve({ ok: true, data: { topic: TOPIC, seq: 4, epoch: "e1", missed: [] } });
  await flush();
  t.answer(`/api/v1/events/${encodeURIComponent(TOPIC)}?limit=1`, { topic: TOPIC, seq: 4, epoch: "e1", events: [] });
  await flush();
  t.answer("/api/v1/notifier/inbox?limit=30", LIST);
  await flush();
}

describe("useInbox", () => {
  it("follows the caller's own topic and loads the list", async () => {
    const t = setup();
    await goLive(t);
    expect(t.inbox.loaded.value).toBe(true);
    expect(t.inbox.items.value.map((i) => i.id)).toEqual(["b", "a"]);
    expect(t.inbox.unread.value).toBe(1);
    t.scope.stop();
  });

  it("shows a new message at once and tells the screen", async () => {
    const t = setup();
    await goLive(t);
    t.socket.push(envelope(5, "notifier.message_received", { item: item("c", 9), unread: 2 }));
    expect(t.inbox.items.value[0]?.id).toBe("c");
    expect(t.inbox.unread.value).toBe(2);
    expect(t.arrived.map((i) => i.id)).toEqual(["c"]);
    t.socket.push(envelope(6, "notifier.inbox_changed", { item_id: "c", state: "archived", counts: { unread: 1, read: 1, archived: 1 } }));
    expect(t.inbox.items.value.map((i) => i.id)).toEqual(["b", "a"]);
    expect(t.inbox.counts.value.archived).toBe(1);
    t.scope.stop();
  });

  it("marks read over the socket and all read over REST", async () => {
    const t = setup();
    await goLive(t);
    const marking = t.inbox.markRead("a");
    const command = t.socket.take();
    expect(command).toMatchObject({ name: "notifier.mark_read", payload: { item_id: "a" } });
    command.reply.resolve({ ok: true, data: { changed: 1, counts: { unread: 0, read: 2, archived: 0 } } });
    await marking;
    expect(t.inbox.items.value.find((i) => i.id === "a")?.state).toBe("read");
    expect(t.inbox.unread.value).toBe(0);
    await t.inbox.markRead("a"); // already read: nothing sent
    expect(t.socket.sent).toHaveLength(0);

    t.socket.push(envelope(5, "notifier.message_received", { item: item("c", 9), unread: 1 }));
    const all = t.inbox.markAllRead();
    expect(t.calls.at(-1)).toMatchObject({ method: "POST", path: "/api/v1/notifier/inbox/read-all" });
    t.answer("/api/v1/notifier/inbox/read-all", { changed: 1, counts: { unread: 0, read: 3, archived: 0 } });
    await all;
    expect(t.inbox.items.value.every((i) => i.state === "read")).toBe(true);
    t.scope.stop();
  });

  it("archives over REST when the socket is down", async () => {
    const t = setup();
    await goLive(t);
    t.socket.drop();
    const archiving = t.inbox.archive("a");
    t.answer("/api/v1/notifier/inbox/a/archive", { changed: 1, counts: { unread: 0, read: 1, archived: 1 } });
    await archiving;
    expect(t.inbox.items.value.map((i) => i.id)).toEqual(["b"]);
    t.scope.stop();
  });

  it("loads the list again after a reconnect, keeping what arrived meanwhile", async () => {
    const t = setup();
    await goLive(t);
    t.socket.drop();
    t.socket.open();
    const catchUp = t.socket.take();
    expect(catchUp.payload).toEqual({ topic: TOPIC, after_seq: 4, epoch: "e1" });
    catchUp.reply.resolve({ ok: true, data: { topic: TOPIC, seq: 4, epoch: "e1", missed: [] } });
    await flush();
    // a message arrives while the list (read before it) is loading
    t.socket.push(envelope(5, "notifier.message_received", { item: item("c", 9), unread: 2 }));
    t.answer("/api/v1/notifier/inbox?limit=30", LIST);
    await flush();
    expect(t.inbox.items.value.map((i) => i.id)).toEqual(["c", "b", "a"]);
    expect(t.inbox.unread.value).toBe(2);
    t.scope.stop();
  });

  it("stops following when its scope ends", async () => {
    const t = setup();
    await goLive(t);
    t.scope.stop();
    expect(t.socket.take()).toMatchObject({ name: "unsubscribe", payload: { topic: TOPIC } });
  });
});

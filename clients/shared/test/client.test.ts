import { describe, expect, it } from "vitest";
import { HubClient } from "../src/client";
import { HubError } from "../src/errors";
import type { ConnState } from "../src/types";
import { FakeSocket } from "./fake-socket";
import { ManualTimers, flush } from "./helpers";

function setup() {
  const socket = new FakeSocket();
  const timers = new ManualTimers();
  const client = new HubClient({ token: "t", socket, timers, commandTimeoutMs: 1234 });
  const states: ConnState[] = [];
  client.onStateChange((s) => states.push(s));
  return { socket, timers, client, states };
}

async function rejection(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HubError) return error;
    throw error;
  }
  throw new Error("did not reject");
}

describe("HubClient connection state", () => {
  it("goes connecting → online → reconnecting → online", () => {
    const t = setup();
    t.client.connect();
    expect(t.socket.connectCalls).toBe(1);
    t.socket.open();
    t.socket.drop("transport close");
    t.socket.refuse({ message: "xhr poll error" }, true); // socket.io keeps retrying
    t.socket.open();
    expect(t.states).toEqual(["connecting", "online", "reconnecting", "online"]);
    expect(t.timers.pending.size).toBe(0);
  });

  it.each(["UNAUTHENTICATED", "TOKEN_INVALID", "TOKEN_EXPIRED"])(
    "is refused on %s and does not retry",
    (code) => {
      const t = setup();
      t.client.connect();
      t.socket.refuse({ message: "令牌无效", data: { code } }); // the hub's CONNECT_ERROR
      expect(t.client.state).toBe("refused");
      expect(t.client.refusal).toEqual({ code, message: "令牌无效" });
      expect(t.socket.disconnectCalls).toBe(1);
      expect(t.timers.pending.size).toBe(0);
    },
  );

  it("reconnects by itself when the server closes the socket or refuses for another reason", () => {
    const t = setup();
    t.client.connect();
    t.socket.open();
    t.socket.drop("io server disconnect");
    expect(t.client.state).toBe("reconnecting");
    expect(t.timers.pending.size).toBe(1);
    t.timers.runAll();
    expect(t.socket.connectCalls).toBe(2);
    t.socket.refuse({ message: "boom", data: { code: "INTERNAL" } }, false);
    expect(t.client.state).toBe("reconnecting");
    t.timers.runAll();
    expect(t.socket.connectCalls).toBe(3);
  });

  it("stays quiet after close", () => {
    const t = setup();
    t.client.connect();
    t.socket.open();
    t.client.close();
    expect(t.socket.disconnectCalls).toBe(1);
    expect(t.states).toEqual(["connecting", "online"]);
  });
});

describe("HubClient.command", () => {
  it("resolves with the ack's data", async () => {
    const t = setup();
    t.socket.open();
    const answer = t.client.command<{ n: number }>("ping", { a: 1 });
    const sent = t.socket.take();
    expect([sent.name, sent.payload, sent.timeoutMs]).toEqual(["ping", { a: 1 }, 1234]);
    sent.reply.resolve({ ok: true, data: { n: 2 } });
    await expect(answer).resolves.toEqual({ n: 2 });
  });

  it("rejects with the hub's error", async () => {
    const t = setup();
    t.socket.open();
    const answer = t.client.command("take", {}, 50);
    expect(t.socket.sent[0]!.timeoutMs).toBe(50);
    t.socket.take().reply.resolve({
      ok: false,
      error: { code: "INVALID_PAYLOAD", message: "参数错误", ctx: "abc", details: { errors: [] } },
    });
    const error = await rejection(answer);
    expect([error.code, error.message, error.ctx]).toEqual(["INVALID_PAYLOAD", "参数错误", "abc"]);
    expect(error.details).toEqual({ errors: [] });
    expect(error.transient).toBe(false);
  });

  it("rejects with TIMEOUT, OFFLINE and BAD_RESPONSE", async () => {
    const t = setup();
    expect((await rejection(t.client.command("x", {}))).code).toBe("OFFLINE");
    t.socket.open();
    const late = t.client.command("x", {});
    t.socket.take().reply.reject(new Error("operation has timed out"));
    expect((await rejection(late)).code).toBe("TIMEOUT");
    const dropped = t.client.command("x", {});
    t.socket.drop();
    expect((await rejection(dropped)).code).toBe("OFFLINE");
    t.socket.open();
    const odd = t.client.command("x", {});
    t.socket.take().reply.resolve("pong");
    const error = await rejection(odd);
    expect(error.code).toBe("BAD_RESPONSE");
    expect(error.transient).toBe(true);
    await flush();
  });
});

describe("HubClient.subscribe", () => {
  it("lets two parts of a screen follow one topic, each in order", async () => {
    const t = setup();
    t.client.connect();
    t.socket.open();
    const seen: string[] = [];
    const follow = (who: string) =>
      t.client.subscribe("citizen:c1", {
        onEvent: (e) => seen.push(`${who}${e.seq}`),
        loadSnapshot: async () => ({ seq: 1, epoch: "e1" }),
      });
    const first = follow("a");
    const second = follow("b");
    for (const request of t.socket.sent.splice(0)) {
      expect(request.name).toBe("subscribe");
      request.reply.resolve({ ok: true, data: { topic: "citizen:c1", seq: 1, epoch: "e1", missed: [] } });
    }
    await flush();
    t.socket.push({ type: "x.y_happened", topic: "citizen:c1", seq: 2, ts: "2026-11-26T03:40:00Z", data: {}, ctx: "c" });
    expect(seen).toEqual(["a2", "b2"]);
    first.unsubscribe();
    expect(t.socket.sent).toHaveLength(0); // the other still follows it
    t.socket.push({ type: "x.y_happened", topic: "citizen:c1", seq: 3, ts: "2026-11-26T03:40:00Z", data: {}, ctx: "c" });
    expect(seen).toEqual(["a2", "b2", "b3"]);
    second.unsubscribe();
    expect(t.socket.take()).toMatchObject({ name: "unsubscribe", payload: { topic: "citizen:c1" } });
  });
});

describe("HubClient resync notice", () => {
  it("reloads the snapshot of the topic the hub reset, and takes the new log's seqs", async () => {
    const t = setup();
    t.client.connect();
    t.socket.open();
    const seen: number[] = [];
    let snapshots = 0;
    t.client.subscribe("hall:h1", {
      onEvent: (e) => seen.push(e.seq),
      loadSnapshot: async () => {
        snapshots += 1;
        return snapshots === 1 ? { seq: 40, epoch: "old" } : { seq: 2, epoch: "new" };
      },
    });
    t.socket.take().reply.resolve({ ok: true, data: { topic: "hall:h1", seq: 40, epoch: "old", missed: [] } });
    await flush();
    const event = (seq: number) => ({ type: "x.y_happened", topic: "hall:h1", seq, ts: "2026-12-03T03:40:00Z", data: {}, ctx: "c" });
    t.socket.push(event(41));
    // Redis restarted: the log starts again at 1; without the notice 1 and 2 read as repeats.
    t.socket.push(event(1));
    expect(seen).toEqual([41]);
    t.socket.resyncNotice({ topic: "other:x", epoch: "new", reason: "event_log_reset" });
    expect(t.socket.sent).toHaveLength(0); // not a topic followed here
    t.socket.resyncNotice({ topic: "hall:h1", epoch: "new", reason: "event_log_reset" });
    const again = t.socket.take();
    expect(again).toMatchObject({ name: "subscribe", payload: { topic: "hall:h1" } });
    expect((again.payload as Record<string, unknown>).after_seq).toBeUndefined();
    again.reply.resolve({ ok: true, data: { topic: "hall:h1", seq: 2, epoch: "new", missed: [] } });
    await flush();
    expect(snapshots).toBe(2);
    t.socket.push(event(3));
    expect(seen).toEqual([41, 3]);
  });
});

import { describe, expect, it } from "vitest";
import { HubClient } from "../src/client";
import type { HubError } from "../src/errors";
import type { Envelope, SnapshotPosition } from "../src/types";
import { FakeSocket } from "./fake-socket";
import { ManualTimers, deferred, ev, flush, seqs, type Deferred } from "./helpers";

const TOPIC = "hall:xc-01";

function ok(data: unknown) {
  return { ok: true, data };
}

function fail(code: string) {
  return { ok: false, error: { code, message: code, ctx: "x1" } };
}

function subAck(seq: number, missed: Envelope[] = [], epoch = "e1") {
  return ok({ topic: TOPIC, seq, epoch, missed });
}

/** A client with one subscribed topic whose snapshots the test answers. */
function setup() {
  const socket = new FakeSocket();
  const timers = new ManualTimers();
  const client = new HubClient({ token: "t", socket, timers });
  const applied: Envelope[] = [];
  const replayed: number[] = [];
  const errors: HubError[] = [];
  const snapshots: Deferred<SnapshotPosition>[] = [];
  let live = 0;
  client.connect();
  socket.open();
  client.subscribe(TOPIC, {
    onEvent: (e, meta) => {
      applied.push(e);
      if (meta.replayed) replayed.push(e.seq);
    },
    loadSnapshot: () => {
      const d = deferred<SnapshotPosition>();
      snapshots.push(d);
      return d.promise;
    },
    onError: (e) => errors.push(e),
    onLive: () => (live += 1),
  });
  return { socket, timers, client, applied, replayed, errors, snapshots, live: () => live };
}

/** Subscribe acked at `seq`, snapshot at `seq`: the topic is live. */
async function goLive(t: ReturnType<typeof setup>, seq: number, epoch = "e1") {
  t.socket.take().reply.resolve(subAck(seq, [], epoch));
  await flush();
  t.snapshots.shift()!.resolve({ seq, epoch });
  await flush();
}

describe("TopicSubscription with HubClient", () => {
  it("subscribes first, then loads the snapshot, then applies what follows it", async () => {
    const t = setup();
    const first = t.socket.take();
    expect(first.name).toBe("subscribe");
    expect(first.payload).toEqual({ topic: TOPIC });
    expect(t.snapshots).toHaveLength(0);
    // events pushed before the ack are held
    t.socket.push(ev(5));
    t.socket.push(ev(6));
    first.reply.resolve(subAck(4));
    await flush();
    expect(t.snapshots).toHaveLength(1);
    t.socket.push(ev(7));
    t.snapshots[0]!.resolve({ seq: 5, epoch: "e1" });
    await flush();
    expect(seqs(t.applied)).toEqual([6, 7]);
    expect(t.live()).toBe(1);
    t.socket.push(ev(7));
    t.socket.push(ev(8));
    expect(seqs(t.applied)).toEqual([6, 7, 8]);
  });

  it("ignores events of other topics", async () => {
    const t = setup();
    await goLive(t, 1);
    t.socket.push(ev(2, "hall:other"));
    t.socket.push({ seq: 2, topic: TOPIC }); // not an envelope
    expect(t.applied).toEqual([]);
  });

  it("fills a gap with subscribe after_seq, then applies missed and held in order", async () => {
    const t = setup();
    await goLive(t, 10);
    t.socket.push(ev(13));
    const fill = t.socket.take();
    expect(fill.payload).toEqual({ topic: TOPIC, after_seq: 10, epoch: "e1" });
    t.socket.push(ev(14));
    fill.reply.resolve(subAck(13, [ev(11), ev(12), ev(13)]));
    await flush();
    expect(seqs(t.applied)).toEqual([11, 12, 13, 14]);
    expect(t.socket.sent).toHaveLength(0);
  });

  it("resubscribes with after_seq and epoch after every reconnect", async () => {
    const t = setup();
    await goLive(t, 3);
    t.socket.push(ev(4));
    t.socket.drop();
    expect(t.client.state).toBe("reconnecting");
    t.socket.open();
    expect(t.client.state).toBe("online");
    const again = t.socket.take();
    expect(again.payload).toEqual({ topic: TOPIC, after_seq: 4, epoch: "e1" });
    t.socket.push(ev(7));
    again.reply.resolve(subAck(6, [ev(5), ev(6)]));
    await flush();
    expect(seqs(t.applied)).toEqual([4, 5, 6, 7]);
    expect(t.snapshots).toHaveLength(0); // no reload needed
  });

  it("tells replayed events (a catch-up's missed) from live ones", async () => {
    const t = setup();
    await goLive(t, 3);
    t.socket.push(ev(4));
    t.socket.drop();
    t.socket.open();
    t.socket.push(ev(7)); // live, held during the catch-up
    t.socket.take().reply.resolve(subAck(6, [ev(5), ev(6)]));
    await flush();
    t.socket.push(ev(8));
    expect(seqs(t.applied)).toEqual([4, 5, 6, 7, 8]);
    expect(t.replayed).toEqual([5, 6]);
  });

  it("reloads the snapshot on RESYNC_REQUIRED and continues from its seq", async () => {
    const t = setup();
    await goLive(t, 8);
    t.socket.drop();
    t.socket.open();
    t.socket.take().reply.resolve(fail("RESYNC_REQUIRED"));
    await flush();
    const fresh = t.socket.take();
    expect(fresh.payload).toEqual({ topic: TOPIC }); // without after_seq
    t.socket.push(ev(2)); // the new epoch's seqs restart
    fresh.reply.resolve(subAck(1, [], "e2"));
    await flush();
    expect(t.snapshots).toHaveLength(1);
    t.snapshots.shift()!.resolve({ seq: 1, epoch: "e2" });
    await flush();
    expect(seqs(t.applied)).toEqual([2]);
    t.socket.push(ev(3));
    expect(seqs(t.applied)).toEqual([2, 3]);
    expect(t.errors).toEqual([]);
  });

  it("starts over when the connection drops during the first snapshot", async () => {
    const t = setup();
    t.socket.take().reply.resolve(subAck(2));
    await flush();
    const stale = t.snapshots.shift()!;
    t.socket.drop();
    t.socket.open();
    expect(t.socket.take().payload).toEqual({ topic: TOPIC });
    stale.resolve({ seq: 2, epoch: "e1" }); // answered too late: ignored
    await flush();
    t.socket.push(ev(3));
    expect(t.applied).toEqual([]);
  });

  it("retries a timed-out subscribe with backoff and reports the error", async () => {
    const t = setup();
    t.socket.take().reply.reject(new Error("operation has timed out"));
    await flush();
    expect(t.errors.map((e) => e.code)).toEqual(["TIMEOUT"]);
    expect(t.timers.pending.size).toBe(1);
    const [timer] = [...t.timers.pending.values()];
    expect(timer!.ms).toBeGreaterThanOrEqual(250);
    expect(timer!.ms).toBeLessThanOrEqual(750);
    t.timers.runAll();
    expect(t.socket.take().payload).toEqual({ topic: TOPIC });
  });

  it("retries a rate-limited subscribe with backoff, keeping its position", async () => {
    const t = setup();
    await goLive(t, 5);
    t.socket.drop();
    t.socket.open();
    t.socket.take().reply.resolve(fail("RATE_LIMITED"));
    await flush();
    expect(t.errors.map((e) => e.code)).toEqual(["RATE_LIMITED"]);
    expect(t.timers.pending.size).toBe(1);
    t.timers.runAll();
    expect(t.socket.take().payload).toEqual({ topic: TOPIC, after_seq: 5, epoch: "e1" });
  });

  it("stops on a forbidden topic", async () => {
    const t = setup();
    t.socket.take().reply.resolve(fail("TOPIC_FORBIDDEN"));
    await flush();
    expect(t.errors.map((e) => e.code)).toEqual(["TOPIC_FORBIDDEN"]);
    expect(t.timers.pending.size).toBe(0);
    t.socket.drop();
    t.socket.open();
    expect(t.socket.sent).toHaveLength(0);
  });

  it("keeps going when a screen's handler throws", async () => {
    const socket = new FakeSocket();
    const client = new HubClient({ token: "t", socket });
    socket.open();
    const applied: number[] = [];
    const errors: string[] = [];
    client.subscribe(TOPIC, {
      onEvent: (e) => {
        if (e.seq === 1) throw new Error("screen bug");
        applied.push(e.seq);
      },
      loadSnapshot: async () => ({ seq: 0 }),
      onError: (e) => errors.push(e.code),
    });
    socket.take().reply.resolve(subAck(0));
    await flush();
    socket.push(ev(1));
    socket.push(ev(2));
    expect(applied).toEqual([2]);
    expect(errors).toEqual(["INTERNAL"]);
  });

  it("retries with backoff when the snapshot keeps changing epoch", async () => {
    const t = setup();
    t.socket.take().reply.resolve(subAck(5, [], "e1"));
    await flush();
    t.snapshots.shift()!.resolve({ seq: 1, epoch: "e2" });
    await flush();
    // the first RESYNC starts over at once
    t.socket.take().reply.resolve(subAck(1, [], "e2"));
    await flush();
    t.snapshots.shift()!.resolve({ seq: 1, epoch: "e3" });
    await flush();
    // the second waits
    expect(t.socket.sent).toHaveLength(0);
    expect(t.timers.pending.size).toBe(1);
    t.timers.runAll();
    expect(t.socket.take().payload).toEqual({ topic: TOPIC });
  });

  it("unsubscribes and stops applying", async () => {
    const socket = new FakeSocket();
    const client = new HubClient({ token: "t", socket });
    socket.open();
    const applied: Envelope[] = [];
    const sub = client.subscribe(TOPIC, {
      onEvent: (e) => applied.push(e),
      loadSnapshot: async () => ({ seq: 0 }),
    });
    socket.take().reply.resolve(subAck(0));
    await flush();
    sub.unsubscribe();
    expect(socket.take().payload).toEqual({ topic: TOPIC });
    socket.push(ev(1));
    expect(applied).toEqual([]);
    expect(() => client.subscribe(TOPIC, { onEvent: () => undefined, loadSnapshot: async () => ({ seq: 0 }) })).not.toThrow();
  });
});

import { describe, expect, it } from "vitest";
import { TopicSequencer } from "../src/sequencer";
import { ev, seqs } from "./helpers";

function live(seq = 10, epoch = "e1") {
  const s = new TopicSequencer<ReturnType<typeof ev>>();
  s.baseline(seq, epoch);
  return s;
}

describe("TopicSequencer", () => {
  it("applies the next seq and drops duplicates", () => {
    const s = live(10);
    expect(seqs(s.receive(ev(11)).apply)).toEqual([11]);
    expect(seqs(s.receive(ev(11)).apply)).toEqual([]);
    expect(seqs(s.receive(ev(9)).apply)).toEqual([]);
    expect(seqs(s.receive(ev(12)).apply)).toEqual([12]);
    expect(s.lastSeq).toBe(12);
  });

  it("drops events already in the snapshot", () => {
    const s = live(10);
    for (const seq of [5, 10]) expect(s.receive(ev(seq))).toEqual({ apply: [], catchUp: null, resync: false });
    expect(s.held).toBe(0);
  });

  it("holds on a gap, asks for a catch-up, then applies missed and held in order", () => {
    const s = live(10);
    const step = s.receive(ev(13));
    expect(step.apply).toEqual([]);
    expect(step.catchUp).toEqual({ afterSeq: 10, epoch: "e1" });
    expect(s.phase).toBe("catching-up");
    // more events while the catch-up is outstanding are held, even the next one
    expect(s.receive(ev(14)).apply).toEqual([]);
    expect(s.receive(ev(11)).apply).toEqual([]);
    const done = s.caughtUp({ seq: 14, epoch: "e1", missed: [ev(11), ev(12), ev(13), ev(14)] });
    expect(seqs(done.apply)).toEqual([11, 12, 13, 14]);
    expect(done.catchUp).toBeNull();
    expect(s.phase).toBe("live");
    expect(s.held).toBe(0);
  });

  it("puts out-of-order arrivals back in order", () => {
    const s = live(0);
    expect(s.receive(ev(3)).catchUp).toEqual({ afterSeq: 0, epoch: "e1" });
    s.receive(ev(2));
    s.receive(ev(1));
    const done = s.caughtUp({ seq: 3, epoch: "e1", missed: [] });
    expect(seqs(done.apply)).toEqual([1, 2, 3]);
    expect(done.catchUp).toBeNull();
  });

  it("holds events that arrive before the subscribe ack and the snapshot", () => {
    const s = new TopicSequencer<ReturnType<typeof ev>>();
    for (const seq of [42, 41, 43, 44]) expect(s.receive(ev(seq)).apply).toEqual([]);
    expect(s.phase).toBe("unsynced");
    // the snapshot already has up to 42
    const step = s.baseline(42, "e1", 40);
    expect(seqs(step.apply)).toEqual([43, 44]);
    expect(step.catchUp).toBeNull();
    expect(s.lastSeq).toBe(44);
  });

  it("asks for a catch-up when held events do not follow the snapshot", () => {
    const s = new TopicSequencer<ReturnType<typeof ev>>();
    s.receive(ev(45));
    const step = s.baseline(42, "e1");
    expect(step.apply).toEqual([]);
    expect(step.catchUp).toEqual({ afterSeq: 42, epoch: "e1" });
  });

  it("catches up when the snapshot is older than the subscription point", () => {
    const s = new TopicSequencer<ReturnType<typeof ev>>();
    const step = s.baseline(40, "e1", 42);
    expect(step.catchUp).toEqual({ afterSeq: 40, epoch: "e1" });
    const done = s.caughtUp({ seq: 42, epoch: "e1", missed: [ev(41), ev(42)] });
    expect(seqs(done.apply)).toEqual([41, 42]);
  });

  it("pauses for a reconnect with lastSeq and epoch, and ignores duplicates in missed", () => {
    const s = live(10);
    s.receive(ev(11));
    expect(s.pause()).toEqual({ afterSeq: 11, epoch: "e1" });
    s.receive(ev(13));
    const done = s.caughtUp({ seq: 13, epoch: "e1", missed: [ev(10), ev(11), ev(12), ev(13)] });
    expect(seqs(done.apply)).toEqual([12, 13]);
    expect(s.lastSeq).toBe(13);
  });

  it("starts over when paused without a baseline", () => {
    const s = new TopicSequencer<ReturnType<typeof ev>>();
    s.receive(ev(1));
    expect(s.pause()).toBeNull();
    expect(s.held).toBe(0);
    expect(s.phase).toBe("unsynced");
  });

  it("asks again when a catch-up leaves a gap, and gives up with resync when it stalls", () => {
    const s = new TopicSequencer<ReturnType<typeof ev>>({ maxStalls: 2 });
    s.baseline(10, "e1");
    s.receive(ev(15));
    const first = s.caughtUp({ seq: 12, epoch: "e1", missed: [ev(11), ev(12)] });
    expect(seqs(first.apply)).toEqual([11, 12]);
    expect(first.catchUp).toEqual({ afterSeq: 12, epoch: "e1" });
    expect(s.caughtUp({ seq: 12, epoch: "e1", missed: [] }).resync).toBe(false);
    const last = s.caughtUp({ seq: 12, epoch: "e1", missed: [] });
    expect(last.resync).toBe(true);
    expect(s.lastSeq).toBeNull();
    expect(s.phase).toBe("unsynced");
  });

  it("resyncs from a new snapshot after reset", () => {
    const s = live(10);
    s.receive(ev(20));
    s.reset();
    s.receive(ev(3)); // the new epoch's events, held until the snapshot
    s.receive(ev(4));
    const step = s.baseline(3, "e2");
    expect(seqs(step.apply)).toEqual([4]);
    expect(s.epoch).toBe("e2");
  });

  it("gives up with resync when too many events are held", () => {
    const s = new TopicSequencer<ReturnType<typeof ev>>({ maxHeld: 3 });
    s.baseline(0, "e1");
    s.receive(ev(5));
    s.receive(ev(6));
    s.receive(ev(7));
    expect(s.receive(ev(8)).resync).toBe(true);
  });

  it("ignores a catch-up answer it did not ask for", () => {
    const s = live(10);
    expect(s.caughtUp({ seq: 12, epoch: "e1", missed: [ev(11), ev(12)] }).apply).toEqual([]);
    expect(s.lastSeq).toBe(10);
  });
});

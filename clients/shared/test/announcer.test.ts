import { describe, expect, it } from "vitest";
import {
  AnnouncementQueue,
  REPLAY_ANNOUNCE_MS,
  ServerClock,
  shouldAnnounce,
  type AnnouncementOutput,
} from "../src/announcer";
import type { Envelope } from "../src/types";
import { deferred, flush, type Deferred } from "./helpers";

interface Step {
  kind: "chime" | "speak" | "wait";
  arg: string | number;
  done: Deferred<unknown>;
}

/** An output whose every sound the test ends by hand. */
class FakeOutput implements AnnouncementOutput {
  readonly steps: Step[] = [];
  spoken = true;

  chime(): Promise<void> {
    return this.#step("chime", "") as Promise<void>;
  }

  speak(text: string): Promise<boolean> {
    return this.#step("speak", text) as Promise<boolean>;
  }

  wait(ms: number): Promise<void> {
    return this.#step("wait", ms) as Promise<void>;
  }

  /** What was started so far, as "kind:arg". */
  get trace(): string[] {
    return this.steps.map((s) => (s.kind === "chime" ? "chime" : `${s.kind}:${s.arg}`));
  }

  /** End the newest step (a speak answers `spoken`). */
  async finish(): Promise<void> {
    const step = this.steps[this.steps.length - 1];
    if (step === undefined) throw new Error("nothing playing");
    step.done.resolve(step.kind === "speak" ? this.spoken : undefined);
    await flush();
  }

  /** End steps until nothing more starts. */
  async finishAll(): Promise<void> {
    for (let n = -1; n !== this.steps.length; ) {
      n = this.steps.length;
      await this.finish();
    }
  }

  #step(kind: Step["kind"], arg: string | number): Promise<unknown> {
    const done = deferred<unknown>();
    this.steps.push({ kind, arg, done });
    return done.promise;
  }
}

describe("AnnouncementQueue", () => {
  it("logs when queued, then chimes and speaks the text `repeat` times with pauses", async () => {
    const out = new FakeOutput();
    const queue = new AnnouncementQueue(out, { gapMs: 500 });
    queue.enqueue("请A003号到5号窗口办理", 2);
    expect(queue.log).toEqual(["请A003号到5号窗口办理"]);
    expect(queue.current).toBe("请A003号到5号窗口办理");
    await out.finishAll();
    expect(out.trace).toEqual(["chime", "speak:请A003号到5号窗口办理", "wait:500", "speak:请A003号到5号窗口办理"]);
    expect(queue.current).toBeNull();
  });

  it("never cuts the current announcement off: a new one waits for all its repeats", async () => {
    const out = new FakeOutput();
    const queue = new AnnouncementQueue(out, { gapMs: 500 });
    const changes: (string | null)[] = [];
    queue.onChange((text) => changes.push(text));
    queue.enqueue("请A001号到1号窗口办理", 2);
    await out.finish(); // chime
    queue.enqueue("请B001号到2号窗口办理", 1);
    expect(queue.log).toEqual(["请A001号到1号窗口办理", "请B001号到2号窗口办理"]);
    expect(queue.pending).toBe(1);
    expect(out.trace).toEqual(["chime", "speak:请A001号到1号窗口办理"]);
    await out.finishAll();
    expect(out.trace).toEqual([
      "chime",
      "speak:请A001号到1号窗口办理",
      "wait:500",
      "speak:请A001号到1号窗口办理",
      "chime",
      "speak:请B001号到2号窗口办理",
    ]);
    expect(changes).toEqual(["请A001号到1号窗口办理", "请B001号到2号窗口办理", null]);
  });

  it("without a voice, chimes for every repeat and holds the text", async () => {
    const out = new FakeOutput();
    out.spoken = false;
    const queue = new AnnouncementQueue(out, { gapMs: 500, silentHoldMs: 3000 });
    queue.enqueue("请A003号到5号窗口办理", 2);
    await out.finishAll();
    expect(out.trace).toEqual([
      "chime",
      "speak:请A003号到5号窗口办理",
      "wait:3000",
      "chime",
      "wait:500",
      "speak:请A003号到5号窗口办理",
      "wait:3000",
    ]);
  });

  it("treats a failing output as silence and keeps going", async () => {
    const queue = new AnnouncementQueue({
      chime: () => Promise.reject(new Error("no audio")),
      speak: () => Promise.reject(new Error("synthesis-failed")),
      wait: () => Promise.resolve(),
    });
    queue.enqueue("请A001号到1号窗口办理", 1);
    queue.enqueue("请A002号到1号窗口办理", 1);
    await flush();
    await flush();
    expect(queue.current).toBeNull();
    expect(queue.log).toHaveLength(2);
  });

  it("bounds the repeats", async () => {
    const out = new FakeOutput();
    const queue = new AnnouncementQueue(out, { maxRepeat: 3 });
    queue.enqueue("请A001号到1号窗口办理", 99);
    queue.enqueue("请A002号到1号窗口办理", 0);
    await out.finishAll();
    expect(out.trace.filter((s) => s === "speak:请A001号到1号窗口办理")).toHaveLength(3);
    expect(out.trace.filter((s) => s === "speak:请A002号到1号窗口办理")).toHaveLength(1);
  });

  it("drops a queued call that no longer stands, and cuts the playing one short", async () => {
    const out = new FakeOutput();
    let stopped = 0;
    const stoppable: AnnouncementOutput = {
      chime: () => out.chime(),
      speak: (text) => out.speak(text),
      wait: (ms) => out.wait(ms),
      stop: () => {
        stopped += 1;
      },
    };
    const queue = new AnnouncementQueue(stoppable, { gapMs: 500 });
    const shown: (string | null)[] = [];
    queue.onChange((_, now) => shown.push(now?.key ?? null));
    queue.enqueue("请E001号到7号窗口办理", 2, "E001");
    queue.enqueue("请A004号到1号窗口办理", 2, "A004");
    queue.enqueue("请A005号到2号窗口办理", 2, "A005");
    queue.enqueue("欢迎光临", 1);
    await out.finish(); // chime of E001; E001 is being said
    expect(queue.announcement).toMatchObject({ key: "E001", text: "请E001号到7号窗口办理" });

    // E001 is finished at its window and A005 parked: E001 stops at once, A005 never plays.
    const over = new Set(["E001", "A005"]);
    queue.withdraw((key) => !over.has(key));
    await flush();
    expect(stopped).toBe(1);
    expect(queue.announcement).toMatchObject({ key: "A004" });
    expect(queue.pending).toBe(1); // the unkeyed text stays
    await out.finishAll();
    expect(out.trace.filter((s) => s.startsWith("speak:"))).toEqual([
      "speak:请E001号到7号窗口办理",
      "speak:请A004号到1号窗口办理",
      "speak:请A004号到1号窗口办理",
      "speak:欢迎光临",
    ]);
    expect(shown).toEqual(["E001", "A004", null, null]);
    expect(queue.log).toHaveLength(4); // the log keeps what was queued
  });

  it("a withdrawn call without a voice gives up its silent hold", async () => {
    const out = new FakeOutput();
    out.spoken = false;
    const queue = new AnnouncementQueue(out, { silentHoldMs: 3000 });
    queue.enqueue("请A001号到1号窗口办理", 3, "A001");
    queue.enqueue("请A002号到2号窗口办理", 1, "A002");
    await out.finish(); // chime
    await out.finish(); // speak fails: holds the text for 3 s
    expect(out.trace.at(-1)).toBe("wait:3000");
    queue.withdraw((key) => key !== "A001");
    await flush();
    expect(queue.current).toBe("请A002号到2号窗口办理");
    expect(out.trace.at(-1)).toBe("chime");
  });

  it("plays nothing more once closed", async () => {
    const out = new FakeOutput();
    const queue = new AnnouncementQueue(out);
    queue.enqueue("请A001号到1号窗口办理", 1);
    queue.enqueue("请A002号到1号窗口办理", 1);
    queue.close();
    await out.finishAll();
    expect(out.trace).not.toContain("speak:请A002号到1号窗口办理");
    queue.enqueue("请A003号到1号窗口办理", 1);
    expect(queue.log).toHaveLength(2);
  });
});

function call(ts: string, type = "queueing.ticket_called"): Envelope {
  return { type, topic: "hall:xc-01", seq: 1, ts, data: {}, ctx: "c" };
}

describe("shouldAnnounce", () => {
  const now = Date.parse("2026-11-26T03:40:00Z");

  it("announces live calls and recalls whatever their stamp", () => {
    expect(shouldAnnounce(call("2026-11-26T03:00:00Z"), { replayed: false }, now)).toBe(true);
    expect(shouldAnnounce(call("2026-11-26T03:39:59Z", "queueing.ticket_recalled"), { replayed: false }, now)).toBe(true);
  });

  it("announces replayed calls only when younger than two minutes", () => {
    expect(shouldAnnounce(call("2026-11-26T03:38:30Z"), { replayed: true }, now)).toBe(true);
    expect(shouldAnnounce(call("2026-11-26T03:37:59Z"), { replayed: true }, now)).toBe(false);
    expect(shouldAnnounce(call("not a time"), { replayed: true }, now)).toBe(false);
    expect(REPLAY_ANNOUNCE_MS).toBe(120_000);
  });

  it("announces nothing else", () => {
    expect(shouldAnnounce(call("2026-11-26T03:40:00Z", "queueing.ticket_finished"), { replayed: false }, now)).toBe(false);
  });
});

describe("ServerClock", () => {
  it("learns how far the hub is ahead from live events", () => {
    const clock = new ServerClock(3);
    expect(clock.now(1000)).toBe(1000);
    const base = Date.parse("2026-11-26T03:40:00Z");
    clock.observe("2026-11-26T03:40:00Z", base - 60_000 + 50); // this screen is a minute behind
    clock.observe("2026-11-26T03:40:00Z", base - 60_000 + 400); // a slow delivery
    expect(clock.offsetMs).toBe(59_950);
    clock.observe("garbage", 0);
    expect(clock.offsetMs).toBe(59_950);
  });
});

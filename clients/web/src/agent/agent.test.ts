import { describe, expect, it } from "vitest";
import { IDLE, phaseOf, reduceCall, type CallEvent, type CallState } from "./callState";
import { durationText, fractionLeft, secondsLeft, secondsSince, talkSince } from "./format";
import { estimateLevel, reportedState, roundTripMs, summarizeStats } from "./quality";
import { queueView, transferAgents, waitingRows } from "./queue";
import { recordingLabel } from "./recordingLabel";
import { SignalFilter } from "./signals";
import type { AgentView, RtcSession } from "./types";

const ME = "agent01";

function session(overrides: Partial<RtcSession> = {}): RtcSession {
  return {
    id: "a".repeat(20),
    citizen_id: "c-1",
    citizen_name: "张*",
    topic: "shebao",
    topic_name: "社保医保",
    state: "offered",
    created_at: "2026-11-26T03:00:00Z",
    queued_at: "2026-11-26T03:00:00Z",
    agent_id: null,
    agent_name: "",
    answered_at: null,
    ended_at: null,
    end_reason: "",
    transfers: [],
    chat: [],
    rating: null,
    recording: null,
    offered_to: ME,
    offer_expires: "2026-11-26T03:00:20Z",
    ...overrides,
  };
}

const active = (overrides: Partial<RtcSession> = {}): RtcSession =>
  session({ state: "active", agent_id: ME, agent_name: "李强", offered_to: null, offer_expires: null, answered_at: "2026-11-26T03:00:10Z", ...overrides });

function run(events: CallEvent[], from: CallState = IDLE): CallState {
  return events.reduce(reduceCall, from);
}

describe("the call state machine", () => {
  it("goes offered → connecting → connected → reconnecting → connected → wrap_up → idle", () => {
    let state = run([{ type: "offered", session: session(), expiresAt: "2026-11-26T03:00:20Z" }]);
    expect(phaseOf(state)).toBe("offered");
    state = reduceCall(state, { type: "accepted", session: active() });
    expect(phaseOf(state)).toBe("connecting");
    expect(state.offer).toBeNull();
    state = reduceCall(state, { type: "media", state: "connecting" });
    expect(phaseOf(state)).toBe("connecting");
    state = reduceCall(state, { type: "media", state: "connected" });
    expect(phaseOf(state)).toBe("connected");
    state = reduceCall(state, { type: "peer", state: "reconnecting" });
    expect(phaseOf(state)).toBe("reconnecting");
    state = reduceCall(state, { type: "renegotiating" });
    expect(phaseOf(state)).toBe("reconnecting");
    state = reduceCall(state, { type: "media", state: "connected" });
    expect(phaseOf(state)).toBe("connected");
    expect(state.peer).toBe("unknown");
    state = reduceCall(state, { type: "media", state: "failed" });
    expect(phaseOf(state)).toBe("reconnecting");
    state = reduceCall(state, { type: "session", session: active({ state: "wrap_up", end_reason: "市民挂断" }), me: ME });
    expect(phaseOf(state)).toBe("wrap_up");
    state = reduceCall(state, { type: "wrapped_up", sessionId: "a".repeat(20) });
    expect(phaseOf(state)).toBe("idle");
  });

  it("drops an offer that is withdrawn, keeping why", () => {
    const state = run([
      { type: "offered", session: session(), expiresAt: "x" },
      { type: "withdrawn", sessionId: "a".repeat(20), reason: "来电已撤回：超时未接" },
    ]);
    expect(phaseOf(state)).toBe("idle");
    expect(state.notice).toBe("来电已撤回：超时未接");
  });

  it("ignores a withdrawal of another offer", () => {
    const state = run([
      { type: "offered", session: session(), expiresAt: "x" },
      { type: "withdrawn", sessionId: "b".repeat(20), reason: "r" },
    ]);
    expect(phaseOf(state)).toBe("offered");
  });

  it("restores an active call, an offer or a wrap-up from hello (a reload)", () => {
    expect(phaseOf(reduceCall(IDLE, { type: "hello", session: active(), me: ME }))).toBe("connecting");
    const offered = reduceCall(IDLE, { type: "hello", session: session(), me: ME });
    expect(phaseOf(offered)).toBe("offered");
    expect(offered.offer?.expiresAt).toBe("2026-11-26T03:00:20Z");
    expect(phaseOf(reduceCall(IDLE, { type: "hello", session: active({ state: "wrap_up" }), me: ME }))).toBe("wrap_up");
  });

  it("a hello with no session ends what the screen showed", () => {
    const inCall = run([{ type: "accepted", session: active() }]);
    expect(phaseOf(reduceCall(inCall, { type: "hello", session: null, me: ME }))).toBe("idle");
    expect(reduceCall(IDLE, { type: "hello", session: null, me: ME })).toBe(IDLE);
  });

  it("a hello on reconnect keeps the call's media state", () => {
    const live = run([
      { type: "accepted", session: active() },
      { type: "media", state: "connected" },
    ]);
    const again = reduceCall(live, { type: "hello", session: active(), me: ME });
    expect(phaseOf(again)).toBe("connected");
  });

  it("a transferred call leaves the console", () => {
    const live = run([{ type: "accepted", session: active() }]);
    const moved = reduceCall(live, {
      type: "session",
      session: session({ state: "offered", offered_to: "agent02", agent_id: null }),
      me: ME,
    });
    expect(phaseOf(moved)).toBe("idle");
  });

  it("answers the same state when nothing changes (no loops through the effects)", () => {
    const live = run([
      { type: "accepted", session: active() },
      { type: "media", state: "closed" },
      { type: "peer", state: "connected" },
    ]);
    expect(reduceCall(live, { type: "media", state: "closed" })).toBe(live);
    expect(reduceCall(live, { type: "peer", state: "connected" })).toBe(live);
    expect(reduceCall(IDLE, { type: "media", state: "connected" })).toBe(IDLE);
  });

  it("an offer does not interrupt a call", () => {
    const live = run([{ type: "accepted", session: active() }]);
    const still = reduceCall(live, { type: "offered", session: session({ id: "b".repeat(20) }), expiresAt: "x" });
    expect(still).toBe(live);
  });
});

describe("signal filtering", () => {
  const signal = (from: string, kind: string, extra: Record<string, unknown> = {}) => ({
    from,
    to: null,
    link: "call",
    kind,
    sdp: kind === "answer" || kind === "offer" ? "v=0" : null,
    candidate: null,
    ...extra,
  });

  it("drops our own signals and takes the citizen's", () => {
    const filter = new SignalFilter("agent");
    expect(filter.take(signal("agent", "candidate"))).toBeNull();
    expect(filter.take(signal("citizen", "answer"))).toEqual({ kind: "call-answer", sdp: "v=0" });
    expect(filter.take(signal("citizen", "candidate", { candidate: { candidate: "c" } }))).toEqual({
      kind: "call-candidate",
      candidate: { candidate: "c" },
    });
    expect(filter.take(signal("citizen", "renegotiate"))).toEqual({ kind: "renegotiate" });
    expect(filter.take(signal("citizen", "offer"))).toBeNull();
  });

  it("ignores the citizen's answers to an older offer until our new offer comes back", () => {
    const filter = new SignalFilter("agent");
    filter.offerSent();
    expect(filter.take(signal("citizen", "answer"))).toBeNull();
    expect(filter.take(signal("citizen", "renegotiate"))).toBeNull();
    expect(filter.take(signal("agent", "offer"))).toBeNull();
    expect(filter.stale).toBe(false);
    expect(filter.take(signal("citizen", "answer"))).toEqual({ kind: "call-answer", sdp: "v=0" });
  });

  it("an offer that failed to go out is not waited for", () => {
    const filter = new SignalFilter("agent");
    filter.offerSent();
    filter.offerFailed();
    expect(filter.take(signal("citizen", "answer"))).not.toBeNull();
  });

  it("takes the hub's answers only for our link and party", () => {
    const agent = new SignalFilter("agent");
    const hub = (to: string, link: string) => ({ from: "hub", to, link, kind: "answer", sdp: "v=1", candidate: null });
    expect(agent.take(hub("agent", "recorder"))).toEqual({ kind: "hub-answer", link: "recorder", sdp: "v=1" });
    expect(agent.take(hub("citizen", "recorder"))).toBeNull();
    expect(agent.take(hub("supervisor", "monitor"))).toBeNull();
    const supervisor = new SignalFilter("supervisor");
    expect(supervisor.take(hub("supervisor", "monitor"))).toEqual({ kind: "hub-answer", link: "monitor", sdp: "v=1" });
    expect(supervisor.take(hub("agent", "recorder"))).toBeNull();
    expect(supervisor.take(signal("citizen", "answer"))).toBeNull();
  });

  it("ignores what is not a signal", () => {
    expect(new SignalFilter("agent").take({ nope: 1 })).toBeNull();
    expect(new SignalFilter("agent").take(null)).toBeNull();
  });
});

describe("quality from getStats()", () => {
  const stats = (bytes: number, received: number, lost: number, rtt = 0.042) => [
    { id: "T1", type: "transport", selectedCandidatePairId: "CP1" },
    { id: "CP1", type: "candidate-pair", state: "succeeded", nominated: true, currentRoundTripTime: rtt },
    { id: "CP2", type: "candidate-pair", state: "failed", currentRoundTripTime: 9 },
    { id: "IA", type: "inbound-rtp", kind: "audio", bytesReceived: bytes / 4, packetsReceived: received / 2, packetsLost: lost / 2 },
    { id: "IV", type: "inbound-rtp", kind: "video", bytesReceived: (bytes * 3) / 4, packetsReceived: received / 2, packetsLost: lost / 2 },
    { id: "O", type: "outbound-rtp", kind: "video", bytesSent: 999999 },
  ];

  it("reads the selected pair's round trip", () => {
    expect(roundTripMs(stats(0, 0, 0))).toBe(42);
    expect(roundTripMs([{ id: "R", type: "remote-inbound-rtp", roundTripTime: 0.1 }])).toBe(100);
    expect(roundTripMs([])).toBeNull();
  });

  it("needs a previous sample for loss and bitrate", () => {
    const first = summarizeStats(stats(100_000, 1000, 0), 10_000, null);
    expect(first).toMatchObject({ rtt_ms: 42, loss_pct: null, bitrate_kbps: null });
    const second = summarizeStats(stats(725_000, 1950, 50), 15_000, first.mark);
    // 625 000 bytes in 5 s = 1000 kbit/s; 50 lost of 1000 = 5 %
    expect(second.bitrate_kbps).toBe(1000);
    expect(second.loss_pct).toBe(5);
  });

  it("gives no loss without packets and never a negative bitrate", () => {
    const first = summarizeStats(stats(100, 10, 0), 0, null);
    const second = summarizeStats(stats(50, 10, 0), 5000, first.mark);
    expect(second.loss_pct).toBeNull();
    expect(second.bitrate_kbps).toBe(0);
  });

  it("maps the connection state and estimates the level like the hub", () => {
    expect(reportedState("connected")).toBe("connected");
    expect(reportedState("disconnected")).toBe("reconnecting");
    expect(reportedState("failed")).toBe("failed");
    expect(estimateLevel(40, 0, 1000, "connected")).toBe(5);
    expect(estimateLevel(600, 13, 50, "connected")).toBe(1);
    expect(estimateLevel(250, 4, 800, "connected")).toBe(2);
    expect(estimateLevel(null, null, null, "reconnecting")).toBe(0);
  });
});

describe("countdown and durations", () => {
  const at = Date.parse("2026-11-26T03:00:00Z");

  it("counts an offer down to zero", () => {
    expect(secondsLeft("2026-11-26T03:00:20Z", at)).toBe(20);
    expect(secondsLeft("2026-11-26T03:00:20Z", at + 19_100)).toBe(1);
    expect(secondsLeft("2026-11-26T03:00:20Z", at + 25_000)).toBe(0);
    expect(secondsLeft("", at)).toBe(0);
    expect(secondsLeft("2026-11-26T03:00:20Z", at - 400, 20)).toBe(20);
    expect(fractionLeft("2026-11-26T03:00:20Z", at + 5000)).toBeCloseTo(0.75);
    expect(fractionLeft("2026-11-26T03:00:20Z", at - 5000)).toBe(1);
  });

  it("writes waits", () => {
    expect(secondsSince("2026-11-26T02:58:55Z", at)).toBe(65);
    expect(secondsSince(null, at)).toBe(0);
    expect(durationText(45)).toBe("45秒");
    expect(durationText(65)).toBe("1分05秒");
    expect(durationText(3720)).toBe("1小时02分");
    expect(durationText(null)).toBe("—");
  });

  it("times a transferred call from when it reached this agent", () => {
    const transfer = { at: "2026-11-26T03:05:00Z", from_agent: "a", to_agent: "b", to_topic: null, note: "" };
    expect(talkSince({ answered_at: "2026-11-26T03:01:00Z", transfers: [] })).toBe("2026-11-26T03:01:00Z");
    expect(talkSince({ answered_at: "2026-11-26T03:01:00Z", transfers: [transfer] })).toBe("2026-11-26T03:05:00Z");
    expect(talkSince({ answered_at: null, transfers: [] })).toBeNull();
  });
});

describe("the queue", () => {
  const agent = (id: string, status: AgentView["status"], extra: Partial<AgentView> = {}): AgentView => ({
    id,
    name: id,
    skills: ["shebao"],
    status,
    status_since: "2026-11-26T03:00:00Z",
    session_id: null,
    present: true,
    ...extra,
  });

  it("places each request in its topic's line", () => {
    const rows = waitingRows([
      { session_id: "s3", topic: "huji", queued_at: "2026-11-26T03:00:03Z", state: "waiting" },
      { session_id: "s1", topic: "shebao", queued_at: "2026-11-26T03:00:01Z", state: "offered" },
      { session_id: "s2", topic: "shebao", queued_at: "2026-11-26T03:00:02Z" },
    ]);
    expect(rows.map((r) => [r.session_id, r.position, r.state])).toEqual([
      ["s1", 1, "offered"],
      ["s2", 2, "waiting"],
      ["s3", 1, "waiting"],
    ]);
    expect(waitingRows([{ session_id: "x", topic: "t", queued_at: "z", position: 7 }])[0]?.position).toBe(7);
  });

  it("offers only free, present, available agents other than me for a transfer", () => {
    const view = queueView({
      waiting: [],
      agents: [
        agent(ME, "available"),
        agent("a2", "available"),
        agent("a3", "busy"),
        agent("a4", "available", { present: false }),
        agent("a5", "available", { session_id: "s" }),
      ],
    });
    expect(transferAgents(view.agents, ME).map((a) => a.id)).toEqual(["a2"]);
  });
});

describe("the recording label", () => {
  it("says 未录制 when the recorder is busy or refused", () => {
    expect(recordingLabel(null, "busy").state).toBe("refused");
    expect(recordingLabel({ state: "refused" }, "off").text).toContain("未录制");
    expect(recordingLabel({ state: "recording" }, "on").text).toBe("录制中");
    expect(recordingLabel(null, "off").state).toBe("none");
  });
});

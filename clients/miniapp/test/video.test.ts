import type { Envelope } from "@hallhub/client";
import { describe, expect, it } from "vitest";
import { imageProblem } from "../src/video/api";
import { mediaProblemOf } from "../src/video/media";
import {
  INITIAL_VIEW,
  applySession,
  applySnapshot,
  applyVideoEvent,
  clockOfSeconds,
  maskPhone,
  mergeChat,
  messageOf,
  openSession,
  secondsBetween,
  unratedCall,
  validPhone,
  viewOfSnapshot,
  type ChatMessage,
  type RtcSession,
  type VideoView,
} from "../src/video/model";
import { qualityLevel, qualityPayload, reportedState, sampleOf, totalsOf, type StatsTotals } from "../src/video/quality";
import { fingerprints, replayAfterAccept, routeSignal, sameRemotePeer, signalPayload } from "../src/video/signals";
import { bars, videoState } from "../src/video/view";

function session(extra: Partial<RtcSession> = {}): RtcSession {
  return {
    id: "aaaaaaaaaaaaaaaaaaaa",
    citizen_id: "c-1",
    citizen_name: "张*",
    topic: "shebao",
    topic_name: "社保医保",
    state: "waiting",
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
    version: 1,
    ...extra,
  };
}

function event(type: string, data: Record<string, unknown>, seq = 1, topic = "citizen:c-1"): Envelope {
  return { type, topic, seq, ts: "2026-11-26T03:00:00Z", data, ctx: "x" };
}

const active = (extra: Partial<RtcSession> = {}): RtcSession =>
  session({ state: "active", agent_id: "agent01", agent_name: "李强", answered_at: "2026-11-26T03:02:00Z", version: 3, ...extra });

function waitingView(extra: Partial<RtcSession> = {}): VideoView {
  return applySession({ ...INITIAL_VIEW, stage: "topics" }, session(extra)).view;
}

describe("the page's state machine", () => {
  it("starts on the topics when nothing is open, and finds an open consultation again", () => {
    expect(viewOfSnapshot([], []).stage).toBe("topics");
    const ended = session({ id: "b".repeat(20), state: "ended", created_at: "2026-11-26T02:00:00Z" });
    const open = session({ position: 2, estimate_minutes: 6 });
    const view = viewOfSnapshot([ended, open], []);
    expect(view.stage).toBe("waiting");
    expect(view.session?.id).toBe(open.id);
    expect([view.position, view.estimateMinutes]).toEqual([2, 6]);
    expect(viewOfSnapshot([active()], []).stage).toBe("call");
    expect(openSession([session({ state: "offered" })])?.state).toBe("offered");
  });

  it("reads the place and a call-back offer from the topic's recent events after a reload", () => {
    const open = session();
    const recent = [
      event("rtc.position_changed", { session_id: open.id, position: 3, estimate_minutes: 9 }, 4),
      event("rtc.position_changed", { session_id: open.id, position: 2, estimate_minutes: 6 }, 7),
      event("rtc.position_changed", { session_id: "other", position: 9, estimate_minutes: 60 }, 8),
      event("rtc.callback_offered", { session_id: open.id, waited_minutes: 10 }, 9),
    ];
    const view = viewOfSnapshot([open], recent);
    expect([view.position, view.estimateMinutes, view.callbackOffer]).toEqual([2, 6, 10]);
  });

  it("a transferred call found waiting after a reload is still being transferred", () => {
    const moved = session({ transfers: [{ at: "2026-11-26T03:05:00Z", from_agent: "a", to_agent: null, to_topic: "huji", note: "" }] });
    expect(viewOfSnapshot([moved], []).transferring).toBe(true);
  });

  it("requests, waits, is answered, ends: the call starts and stops once", () => {
    let view: VideoView = { ...INITIAL_VIEW, stage: "topics" };
    let change = applySession(view, session());
    expect([change.view.stage, change.effect]).toEqual(["waiting", null]);
    view = change.view;
    view = applyVideoEvent(view, event("rtc.position_changed", { session_id: session().id, position: 1, estimate_minutes: 2.5 })).view;
    expect(view.position).toBe(1);
    change = applyVideoEvent(view, event("rtc.call_accepted", { session: active() }));
    expect([change.view.stage, change.effect]).toEqual(["call", "start"]);
    view = change.view;
    // The same turn again from the other topic: nothing happens.
    change = applyVideoEvent(view, event("rtc.call_accepted", { session: active() }, 2, "rtc:x"));
    expect([change.view, change.effect]).toEqual([view, null]);
    const ended = active({ state: "wrap_up", ended_at: "2026-11-26T03:10:00Z", end_reason: "坐席挂断", version: 5 });
    change = applyVideoEvent(view, event("rtc.call_ended", { session: ended }));
    expect([change.view.stage, change.effect]).toEqual(["ended", "stop"]);
  });

  it("never goes back to an older copy of the session", () => {
    const view = applySession(waitingView(), active({ version: 4 })).view;
    const stale = applySession(view, session({ version: 2 }));
    expect([stale.view.stage, stale.effect]).toEqual(["call", null]);
  });

  it("a transfer goes back to waiting (正在为您转接) and a second answer starts a new call", () => {
    let view = applySession(waitingView(), active()).view;
    const moved = session({ state: "waiting", version: 6, transfers: [{ at: "t", from_agent: "agent01", to_agent: null, to_topic: "huji", note: "" }] });
    let change = applyVideoEvent(view, event("rtc.call_transferred", { session: moved }));
    expect([change.view.stage, change.effect, change.view.transferring, change.view.notice]).toEqual(["waiting", "stop", true, "transferred"]);
    view = change.view;
    // The copy on the other topic after the next agent answered must not undo the answer.
    change = applyVideoEvent(view, event("rtc.call_accepted", { session: active({ agent_id: "agent02", version: 8 }) }));
    expect([change.view.stage, change.effect, change.view.transferring]).toEqual(["call", "start", false]);
    view = change.view;
    change = applyVideoEvent(view, event("rtc.call_transferred", { session: moved }, 3, "rtc:x"));
    expect([change.view.stage, change.effect]).toEqual(["call", null]);
  });

  it("leaving the queue goes back to the topics with a notice", () => {
    const view = waitingView();
    const change = applySession(view, session({ state: "abandoned", version: 2 }));
    expect([change.view.stage, change.view.notice, change.effect]).toEqual(["topics", "left", null]);
    // The end event's copy afterwards changes nothing.
    const again = applyVideoEvent(change.view, event("rtc.call_ended", { session: session({ state: "abandoned", version: 2 }) }));
    expect(again.view).toBe(change.view);
  });

  it("call-back: offered while waiting, then booked", () => {
    let view = waitingView();
    view = applyVideoEvent(view, event("rtc.callback_offered", { session_id: session().id, waited_minutes: 11 })).view;
    expect(view.callbackOffer).toBe(11);
    // Another consultation's offer is not ours.
    expect(applyVideoEvent(view, event("rtc.callback_offered", { session_id: "zzz", waited_minutes: 1 })).view.callbackOffer).toBe(11);
    const booked = applyVideoEvent(view, event("rtc.callback_requested", { phone: "13800138000" })).view;
    expect([booked.stage, booked.callbackPhone, booked.callbackOffer]).toEqual(["callback", "13800138000", null]);
    const acked = applySession(view, session({ state: "callback", version: 2 }));
    expect([acked.view.stage, acked.effect]).toEqual(["callback", null]);
  });

  it("ignores places and offers that arrive out of turn", () => {
    const view = applySession(waitingView(), active()).view;
    expect(applyVideoEvent(view, event("rtc.position_changed", { session_id: session().id, position: 1 })).view).toBe(view);
    expect(applyVideoEvent(view, event("rtc.callback_requested", { phone: "13800138000" })).view).toBe(view);
    expect(applyVideoEvent(view, event("queueing.ticket_called", {})).view).toBe(view);
    expect(applyVideoEvent(view, event("rtc.call_ended", { nope: 1 })).view).toBe(view);
  });

  it("a snapshot resumes a call, shows the end of one that ended meanwhile, keeps the rating on screen", () => {
    const resumed = applySnapshot({ ...INITIAL_VIEW }, [active()], []);
    expect([resumed.view.stage, resumed.effect]).toEqual(["call", "start"]);
    const ended = active({ state: "wrap_up", ended_at: "2026-11-26T03:10:00Z", version: 7 });
    const missed = applySnapshot(resumed.view, [ended], []);
    expect([missed.view.stage, missed.effect, missed.view.session?.version]).toEqual(["ended", "stop", 7]);
    expect(applySnapshot(missed.view, [ended], []).view).toBe(missed.view);
    expect(applySnapshot(missed.view, [], []).view).toBe(missed.view);
    // A rating given in another tab shows.
    const rated = applySnapshot(missed.view, [{ ...ended, version: 8, rating: { stars: 4, comment: "", at: "t" } }], []);
    expect(rated.view.session?.rating?.stars).toBe(4);
    // Nothing shown: the topics.
    expect(applySnapshot({ ...INITIAL_VIEW }, [ended], []).view.stage).toBe("topics");
  });

  it("a new consultation (another tab) is taken up once the shown one is over", () => {
    const over = applySession(waitingView(), session({ state: "abandoned", version: 2 })).view;
    const other = session({ id: "c".repeat(20), version: 1 });
    expect(applySession(over, other).view.session?.id).toBe(other.id);
    const busy = waitingView();
    expect(applySession(busy, other).view.session?.id).toBe(session().id);
  });

  it("offers to rate a recent unrated call", () => {
    const now = new Date("2026-11-26T03:30:00Z");
    const done = active({ state: "ended", ended_at: "2026-11-26T03:10:00Z" });
    expect(unratedCall([done], now)?.id).toBe(done.id);
    expect(unratedCall([{ ...done, rating: { stars: 5, comment: "", at: "x" } }], now)).toBeNull();
    expect(unratedCall([done], new Date("2026-11-26T05:30:00Z"))).toBeNull();
    expect(unratedCall([session({ state: "abandoned", ended_at: "2026-11-26T03:10:00Z" })], now)).toBeNull();
  });
});

describe("chat", () => {
  const message = (id: string, at: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
    id,
    at,
    sender: "agent",
    sender_name: "李强",
    text: id,
    image_id: null,
    image_type: null,
    ...extra,
  });

  it("keeps each message once, in time order", () => {
    const first = [message("a", "2026-11-26T03:00:01Z"), message("c", "2026-11-26T03:00:03Z")];
    const merged = mergeChat(first, [message("b", "2026-11-26T03:00:02Z"), message("a", "2026-11-26T03:00:01Z")]);
    expect(merged.map((m) => m.id)).toEqual(["a", "b", "c"]);
    expect(mergeChat(merged, [message("b", "x")])).toBe(merged);
  });

  it("reads a posted message", () => {
    expect(messageOf({ message: { id: "m", at: "t", sender: "citizen", sender_name: "张*", text: "", image_id: "img", image_type: "image/png" } }))
      .toEqual({ id: "m", at: "t", sender: "citizen", sender_name: "张*", text: "", image_id: "img", image_type: "image/png" });
    expect(messageOf({ message: "no" })).toBeNull();
  });

  it("checks a picture before sending it", () => {
    expect(imageProblem({ size: 1000, type: "image/jpeg" })).toBeNull();
    expect(imageProblem({ size: 1000, type: "IMAGE/PNG" })).toBeNull();
    expect(imageProblem({ size: 5 * 1024 * 1024 + 1, type: "image/png" })).toBe("IMAGE_TOO_LARGE");
    expect(imageProblem({ size: 1000, type: "image/heic" })).toBe("IMAGE_INVALID");
    expect(imageProblem({ size: 0, type: "image/png" })).toBe("IMAGE_INVALID");
  });
});

describe("signal routing", () => {
  const base = { to: null, sdp: null, candidate: null };

  it("takes the agent's offer, answer, candidates and renegotiation on the call", () => {
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "offer", sdp: "v=0" })).toEqual({ do: "call-offer", sdp: "v=0" });
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "answer", sdp: "v=0" })).toEqual({ do: "call-answer", sdp: "v=0" });
    const candidate = { candidate: "candidate:1 1 udp 2122260223 192.168.1.2 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "candidate", candidate })).toEqual({ do: "call-candidate", candidate });
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "candidate" })).toEqual({ do: "call-candidate", candidate: null });
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "candidate", candidate: { candidate: "" } })).toEqual({
      do: "call-candidate",
      candidate: null,
    });
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "renegotiate" })).toEqual({ do: "call-renegotiate" });
  });

  it("drops our own signals, the agent's recorder link and a supervisor's monitor", () => {
    expect(routeSignal({ ...base, from: "citizen", link: "call", kind: "answer", sdp: "v=0" })).toEqual({ do: "ignore", why: "own" });
    expect(routeSignal({ ...base, from: "citizen", link: "recorder", kind: "offer", sdp: "v=0" })).toEqual({ do: "ignore", why: "own" });
    expect(routeSignal({ ...base, from: "agent", link: "recorder", kind: "offer", sdp: "v=0" }).do).toBe("ignore");
    expect(routeSignal({ ...base, from: "hub", to: "agent", link: "recorder", kind: "answer", sdp: "v=0" })).toEqual({
      do: "ignore",
      why: "not-for-me",
    });
    expect(routeSignal({ ...base, from: "hub", to: "supervisor", link: "monitor", kind: "answer", sdp: "v=0" })).toEqual({
      do: "ignore",
      why: "monitor",
    });
    expect(routeSignal({ ...base, from: "supervisor", link: "monitor", kind: "offer", sdp: "v=0" }).do).toBe("ignore");
  });

  it("takes the hub's answer to our recorder offer", () => {
    expect(routeSignal({ ...base, from: "hub", to: "citizen", link: "recorder", kind: "answer", sdp: "v=1" })).toEqual({
      do: "recorder-answer",
      sdp: "v=1",
    });
  });

  it("drops malformed signals", () => {
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "offer" })).toEqual({ do: "ignore", why: "malformed" });
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "candidate", candidate: [1] })).toEqual({ do: "ignore", why: "malformed" });
    expect(routeSignal({ ...base, from: "agent", link: "call", kind: "shout" })).toEqual({ do: "ignore", why: "malformed" });
    expect(routeSignal({ ...base, from: "agent", link: "elsewhere", kind: "offer", sdp: "v" })).toEqual({ do: "ignore", why: "malformed" });
  });

  it("writes the command's payload with only the keys the hub knows", () => {
    expect(signalPayload("s", "call", "answer", { sdp: "v=0" })).toEqual({ session_id: "s", link: "call", kind: "answer", sdp: "v=0" });
    expect(signalPayload("s", "call", "candidate", { candidate: null })).toEqual({ session_id: "s", link: "call", kind: "candidate", candidate: null });
    expect(signalPayload("s", "call", "renegotiate")).toEqual({ session_id: "s", link: "call", kind: "renegotiate" });
    expect(
      signalPayload("s", "call", "candidate", { candidate: { candidate: "c", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "u" } }),
    ).toEqual({ session_id: "s", link: "call", kind: "candidate", candidate: { candidate: "c", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "u" } });
  });

  it("tells a renegotiation of the same peer from a new peer by its certificate", () => {
    const one = "v=0\r\na=fingerprint:sha-256 AB:CD\r\nm=audio\r\na=fingerprint:sha-256 AB:CD\r\n";
    const same = "v=0\r\na=fingerprint:SHA-256 ab:cd\r\n";
    const other = "v=0\r\na=fingerprint:sha-256 EF:01\r\n";
    expect(fingerprints(one)).toEqual(["sha-256 AB:CD"]);
    expect(sameRemotePeer(one, same)).toBe(true);
    expect(sameRemotePeer(one, other)).toBe(false);
    expect(sameRemotePeer(null, one)).toBe(false);
    expect(sameRemotePeer("v=0", "v=0")).toBe(false);
  });

  it("replays a call's signals from the snapshot only after its latest answer, and none on a resume", () => {
    const e = (type: string, seq: number) => ({ type, seq });
    const events = [e("rtc.call_accepted", 1), e("rtc.signal_sent", 2), e("rtc.call_transferred", 3), e("rtc.call_accepted", 4), e("rtc.signal_sent", 5)];
    expect(replayAfterAccept(events, false).map((x) => x.seq)).toEqual([4, 5]);
    expect(replayAfterAccept(events, true)).toEqual([]);
    expect(replayAfterAccept(events.slice(0, 3), false)).toEqual([]);
    expect(replayAfterAccept([e("rtc.chat_posted", 1)], false)).toEqual([]);
  });
});

describe("quality from stats", () => {
  const report = (extra: { lost?: number; received?: number; bytes?: number; rtt?: number; selected?: boolean } = {}) => [
    { id: "T1", type: "transport", selectedCandidatePairId: extra.selected === false ? undefined : "P1" },
    { id: "P0", type: "candidate-pair", state: "failed", nominated: false, currentRoundTripTime: 9 },
    { id: "P1", type: "candidate-pair", state: "succeeded", nominated: true, currentRoundTripTime: extra.rtt ?? 0.042 },
    { id: "IA", type: "inbound-rtp", kind: "audio", packetsLost: (extra.lost ?? 0) / 2, packetsReceived: (extra.received ?? 0) / 2, bytesReceived: (extra.bytes ?? 0) / 4 },
    { id: "IV", type: "inbound-rtp", kind: "video", packetsLost: (extra.lost ?? 0) / 2, packetsReceived: (extra.received ?? 0) / 2, bytesReceived: ((extra.bytes ?? 0) * 3) / 4 },
    { id: "O", type: "outbound-rtp", kind: "video", bytesSent: 999999 },
  ];

  it("reads the selected pair's round trip and the inbound totals", () => {
    const totals = totalsOf(report({ lost: 10, received: 990, bytes: 100_000 }), 1000);
    expect(totals).toEqual({ at: 1000, rttMs: 42, packetsLost: 10, packetsReceived: 990, bytesReceived: 100_000, inbound: true });
    // Without a transport's pointer: the nominated, succeeded pair.
    expect(totalsOf(report({ selected: false }), 0).rttMs).toBe(42);
    expect(totalsOf([], 0)).toEqual({ at: 0, rttMs: null, packetsLost: 0, packetsReceived: 0, bytesReceived: 0, inbound: false });
  });

  it("computes loss and bitrate over the interval", () => {
    const before: StatsTotals = totalsOf(report({ lost: 10, received: 990, bytes: 100_000 }), 0);
    const after = totalsOf(report({ lost: 30, received: 1970, bytes: 725_000 }), 5000);
    // 20 lost of 1000 in the interval; 625 kB in 5 s = 1000 kbit/s.
    expect(sampleOf(before, after)).toEqual({ rtt_ms: 42, loss_pct: 2, bitrate_kbps: 1000 });
    // The first reading: loss since the start, no bitrate yet.
    expect(sampleOf(null, before)).toEqual({ rtt_ms: 42, loss_pct: 1, bitrate_kbps: null });
    // Counters that went back (a new connection) count from zero.
    const fresh = totalsOf(report({ lost: 0, received: 100, bytes: 5000 }), 10_000);
    expect(sampleOf(after, fresh)).toEqual({ rtt_ms: 42, loss_pct: 0, bitrate_kbps: null });
    // Nothing received: loss and bitrate unknown.
    expect(sampleOf(null, totalsOf([], 0))).toEqual({ rtt_ms: null, loss_pct: null, bitrate_kbps: null });
  });

  it("levels like the hub", () => {
    const q = (rtt: number | null, loss: number | null, kbps: number | null) => ({ rtt_ms: rtt, loss_pct: loss, bitrate_kbps: kbps });
    expect(qualityLevel(q(40, 0, 1200), "connected")).toBe(5);
    expect(qualityLevel(q(null, null, null), "connected")).toBe(5);
    expect(qualityLevel(q(250, 2, 1200), "connected")).toBe(3);
    expect(qualityLevel(q(600, 15, 50), "connected")).toBe(1);
    expect(qualityLevel(q(40, 4, 1200), "connected")).toBe(3);
    expect(qualityLevel(q(40, 0, 1200), "reconnecting")).toBe(0);
    expect(qualityLevel(q(40, 0, 1200), "failed")).toBe(0);
  });

  it("reports the connection's state", () => {
    expect(reportedState("connected", true)).toBe("connected");
    expect(reportedState("disconnected", true)).toBe("reconnecting");
    expect(reportedState("failed", false)).toBe("failed");
    expect(reportedState("connecting", false)).toBeNull();
    expect(reportedState("new", true)).toBe("reconnecting");
    expect(qualityPayload("s", { rtt_ms: 42, loss_pct: null, bitrate_kbps: 800 }, "connected")).toEqual({
      session_id: "s",
      state: "connected",
      rtt_ms: 42,
      bitrate_kbps: 800,
    });
  });

  it("lights bars and names the call's state", () => {
    expect(bars(3)).toEqual([true, true, true, false, false]);
    expect(bars(null)).toEqual([false, false, false, false, false]);
    expect(videoState("waiting", null)).toBe("waiting");
    expect(videoState("call", "media")).toBe("connecting");
    expect(videoState("call", "connecting")).toBe("connecting");
    expect(videoState("call", "connected")).toBe("connected");
    expect(videoState("call", "reconnecting")).toBe("reconnecting");
    expect(videoState("ended", null)).toBe("ended");
    expect(videoState("callback", null)).toBe("ended");
    expect(videoState("topics", null)).toBeNull();
  });
});

describe("small things", () => {
  it("checks and masks phone numbers", () => {
    expect(validPhone("13800138000")).toBe(true);
    expect(validPhone(" 13800138000 ")).toBe(true);
    expect(validPhone("12800138000")).toBe(false);
    expect(validPhone("1380013800")).toBe(false);
    expect(maskPhone("13800138000")).toBe("138****8000");
  });

  it("writes call lengths", () => {
    expect(secondsBetween("2026-11-26T03:00:00Z", "2026-11-26T03:03:07Z")).toBe(187);
    expect(secondsBetween(null, "2026-11-26T03:03:07Z")).toBeNull();
    expect(clockOfSeconds(187)).toBe("03:07");
    expect(clockOfSeconds(3723)).toBe("1:02:03");
  });

  it("names why the camera could not be opened", () => {
    expect(mediaProblemOf({ name: "NotAllowedError" })).toBe("denied");
    expect(mediaProblemOf({ name: "NotFoundError" })).toBe("missing");
    expect(mediaProblemOf({ name: "NotReadableError" })).toBe("busy");
    expect(mediaProblemOf({ name: "TypeError" })).toBe("unsupported");
    expect(mediaProblemOf(new Error("x"))).toBe("other");
  });
});

describe("the home's updates list", () => {
  it("titles and summarizes video consultation events", async () => {
    const { eventSummary, eventTitle } = await import("../src/hub");
    const position = event("rtc.position_changed", { session_id: "s", position: 2, estimate_minutes: 5.5 });
    expect(eventTitle(position)).toBe("视频客服排队进度");
    expect(eventSummary(position)).toBe("您排在第 2 位，约 6 分钟");
    const accepted = event("rtc.call_accepted", { session: active() });
    expect([eventTitle(accepted), eventSummary(accepted)]).toEqual(["视频客服已接通", "社保医保；李强"]);
    const ended = event("rtc.call_ended", { session: active({ state: "wrap_up", end_reason: "市民挂断" }) });
    expect(eventSummary(ended)).toBe("社保医保；市民挂断");
    expect(eventSummary(event("rtc.callback_requested", { phone: "13800138000" }))).toBe("工作人员将致电 13800138000");
  });
});

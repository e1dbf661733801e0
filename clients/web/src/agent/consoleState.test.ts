import type { Envelope } from "@hallhub/client";
import { describe, expect, it } from "vitest";
import { phaseOf, reduceCall } from "./callState";
import { EMPTY_CONSOLE, applyAgentEvent, applyCallEvent, applyHello, applySession, type AgentConsole } from "./consoleState";
import type { AgentView, ChatMessage, RtcSession } from "./types";

const ME = "agent01";
const ID = "a".repeat(20);

function session(overrides: Partial<RtcSession> = {}): RtcSession {
  return {
    id: ID,
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

const agent = (overrides: Partial<AgentView> = {}): AgentView => ({
  id: ME,
  name: "李强",
  skills: ["shebao"],
  status: "available",
  status_since: "2026-11-26T03:00:00Z",
  session_id: null,
  ...overrides,
});

const message = (id: string, at: string): ChatMessage => ({
  id,
  at,
  sender: "citizen",
  sender_name: "张*",
  text: "您好",
  image_id: null,
  image_type: null,
});

let seq = 0;
function event(type: string, topic: string, data: Record<string, unknown>): Envelope {
  seq += 1;
  return { type, topic, seq, ts: "2026-11-26T03:00:00Z", data, ctx: "t" };
}

const run = (events: Envelope[], from: AgentConsole = EMPTY_CONSOLE, declining: string | null = null): AgentConsole =>
  events.reduce((state, next) => applyAgentEvent(state, next, ME, declining), from);

describe("the agent console's state from the hub's events", () => {
  it("follows an offer, its accept and the call's chat from the agent's and the call's topics", () => {
    const state = run([
      event("rtc.call_offered", `agent:${ME}`, { session: session(), expires_at: "2026-11-26T03:00:20Z" }),
      event("rtc.call_accepted", `agent:${ME}`, { session: active({ chat: [message("m1", "2026-11-26T03:00:11Z")] }) }),
      event("rtc.agent_updated", `agent:${ME}`, { agent: agent({ status: "busy", session_id: ID }) }),
      event("rtc.chat_posted", `rtc:${ID}`, { message: message("m2", "2026-11-26T03:00:12Z") }),
      event("rtc.chat_posted", `rtc:${"b".repeat(20)}`, { message: message("m3", "2026-11-26T03:00:13Z") }),
      event("rtc.call_accepted", `rtc:${ID}`, { session: active() }), // the same call, told twice
    ]);
    expect(phaseOf(state.call)).toBe("connecting");
    expect(state.call.offer).toBeNull();
    expect(state.agent?.status).toBe("busy");
    expect(state.chat.map((m) => m.id)).toEqual(["m1", "m2"]);
  });

  it("a call wrapped up on another console is over when the agent is told free", () => {
    const wrapping = run([
      event("rtc.call_ended", `agent:${ME}`, { session: active({ state: "wrap_up", end_reason: "市民挂断" }) }),
      event("rtc.recording_changed", `rtc:${ID}`, { recording: { state: "done", started_at: null, ended_at: null, duration_s: 3, size: 10, reason: "" } }),
      event("rtc.agent_updated", `agent:${ME}`, { agent: agent({ status: "wrap_up", session_id: ID }) }),
    ]);
    expect(phaseOf(wrapping.call)).toBe("wrap_up");
    expect(wrapping.recording?.state).toBe("done");
    const free = run([event("rtc.agent_updated", `agent:${ME}`, { agent: agent() })], wrapping);
    expect(phaseOf(free.call)).toBe("idle");
    expect(free.chat).toEqual([]);
    expect(free.recording).toBeNull();
  });

  it("a withdrawn offer leaves a notice, unless this console declined it", () => {
    const offered = run([event("rtc.call_offered", `agent:${ME}`, { session: session(), expires_at: "x" })]);
    const gone = event("rtc.offer_withdrawn", `agent:${ME}`, { session_id: ID, reason: "超时未接" });
    expect(run([gone], offered).call.notice).toContain("超时未接");
    const declined = run([gone], offered, ID);
    expect(declined.call.offer).toBeNull();
    expect(declined.call.notice).toBe("");
  });

  it("takes the line from rtc.queue_changed and leaves what it does not know", () => {
    const state = run([
      event("rtc.queue_changed", "rtc:queue", {
        waiting: [{ session_id: ID, topic: "shebao", citizen_name: "张*", queued_at: "2026-11-26T03:00:00Z", state: "waiting" }],
        active: [],
        agents: [agent()],
      }),
      event("rtc.signal_sent", `rtc:${ID}`, { from: "citizen", to: null, link: "call", kind: "offer", sdp: "v=0", candidate: null }),
    ]);
    expect(state.queue.waiting[0]).toMatchObject({ session_id: ID, position: 1 });
    expect(state.queue.agents).toHaveLength(1);
    expect(state.call).toBe(EMPTY_CONSOLE.call);
  });

  it("a hello or the call's fresh session restores the call with its chat and recording", () => {
    const saved = active({ chat: [message("m1", "2026-11-26T03:00:11Z")], recording: { state: "recording" } });
    const hello = applyHello(EMPTY_CONSOLE, { agent: agent({ status: "busy", session_id: ID }), session: saved }, ME);
    expect(phaseOf(hello.call)).toBe("connecting");
    expect(hello.chat).toHaveLength(1);
    expect(hello.recording?.state).toBe("recording");
    const fresh = applySession(hello, active({ chat: [message("m1", "2026-11-26T03:00:11Z"), message("m2", "2026-11-26T03:00:12Z")] }), ME);
    expect(fresh.chat.map((m) => m.id)).toEqual(["m1", "m2"]);
    expect(fresh.recording).toBeNull();
  });

  it("the accept's answer after the hub's event keeps the call as it is", () => {
    const told = run([event("rtc.call_accepted", `agent:${ME}`, { session: active() })]);
    const connecting = applyCallEvent(told, { type: "media", state: "connecting" });
    const answered = applyCallEvent(connecting, { type: "accepted", session: active() });
    expect(answered.call.media).toBe("connecting");
    expect(reduceCall(answered.call, { type: "accepted", session: active({ id: "b".repeat(20) }) }).media).toBe("new");
  });
});

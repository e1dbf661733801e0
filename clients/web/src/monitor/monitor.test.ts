import { describe, expect, it } from "vitest";
import type { AgentView, Overview, RtcSession } from "../agent/types";
import { applyQueueChanged, boardFromOverview } from "./board";
import { overallState } from "./listen";
import { megabytes, qualitySeries, statsLines } from "./report";

function session(id: string, overrides: Partial<RtcSession> = {}): RtcSession {
  return {
    id,
    citizen_id: "c",
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
    ...overrides,
  };
}

const agent: AgentView = {
  id: "agent01",
  name: "李强",
  skills: ["shebao"],
  status: "busy",
  status_since: "2026-11-26T03:00:00Z",
  session_id: "s2",
  present: true,
};

const overview: Overview = {
  waiting: [session("s1", { queued_at: "2026-11-26T03:00:01Z" })],
  active: [session("s2", { state: "active", agent_id: "agent01", agent_name: "李强", answered_at: "2026-11-26T03:01:00Z" })],
  agents: [agent],
};

describe("the live board", () => {
  it("starts from the overview", () => {
    const board = boardFromOverview(overview);
    expect(board.waiting[0]).toMatchObject({ session_id: "s1", position: 1, citizen_name: "张*" });
    expect(board.active[0]).toMatchObject({ session_id: "s2", agent_name: "李强", answered_at: "2026-11-26T03:01:00Z" });
  });

  it("follows queue_changed, keeping what it knows and asking for the rest", () => {
    const board = boardFromOverview(overview);
    const same = applyQueueChanged(board, {
      waiting: [{ session_id: "s1", topic: "shebao", queued_at: "2026-11-26T03:00:01Z", state: "offered" }],
      active: [{ session_id: "s2", topic: "shebao", agent_id: "agent01" }],
      agents: [{ ...agent, status: "busy" }],
    });
    expect(same.reload).toBe(false);
    expect(same.board.waiting[0]).toMatchObject({ state: "offered", citizen_name: "张*" });
    expect(same.board.active[0]?.answered_at).toBe("2026-11-26T03:01:00Z");

    const answered = applyQueueChanged(same.board, {
      waiting: [],
      active: [
        { session_id: "s2", topic: "shebao", agent_id: "agent01" },
        { session_id: "s1", topic: "shebao", agent_id: "agent02" },
      ],
      agents: [agent, { ...agent, id: "agent02", name: "王五" }],
    });
    expect(answered.reload).toBe(true);
    expect(answered.board.waiting).toEqual([]);
    expect(answered.board.active[1]).toMatchObject({ session_id: "s1", citizen_name: "张*", agent_name: "王五", answered_at: null });
  });

  it("takes names and answer times from the event: a new request or call needs no reload", () => {
    const change = applyQueueChanged(boardFromOverview(overview), {
      waiting: [{ session_id: "s3", topic: "shebao", citizen_name: "王*", queued_at: "2026-11-26T03:02:00Z", state: "waiting" }],
      active: [
        { session_id: "s1", topic: "shebao", citizen_name: "张*", agent_id: "agent02", agent_name: "王五", answered_at: "2026-11-26T03:03:00Z" },
      ],
      agents: [agent],
    });
    expect(change.reload).toBe(false);
    expect(change.board.waiting[0]).toMatchObject({ session_id: "s3", citizen_name: "王*", position: 1 });
    expect(change.board.active[0]).toMatchObject({ session_id: "s1", agent_name: "王五", answered_at: "2026-11-26T03:03:00Z" });
  });

  it("reloads when the event has no active list (as documented)", () => {
    const change = applyQueueChanged(boardFromOverview(overview), { waiting: [], agents: [] });
    expect(change.reload).toBe(true);
    expect(change.board.active).toHaveLength(1);
  });
});

describe("silent monitor slots", () => {
  it("the monitor is connected once a party is, failed when both failed", () => {
    expect(overallState(["connecting", "connected"])).toBe("connected");
    expect(overallState(["failed", "connecting"])).toBe("connecting");
    expect(overallState(["failed", "failed"])).toBe("failed");
    expect(overallState(["closed", "closed"])).toBe("closed");
  });
});

describe("reports", () => {
  it("splits quality samples by party, in time order", () => {
    const series = qualitySeries([
      { at: "2026-11-26T03:00:10Z", party: "agent", rtt_ms: 1, loss_pct: 0, bitrate_kbps: 900, level: 5 },
      { at: "2026-11-26T03:00:05Z", party: "citizen", rtt_ms: 1, loss_pct: 0, bitrate_kbps: 900, level: 4 },
      { at: "2026-11-26T03:00:00Z", party: "agent", rtt_ms: 1, loss_pct: 0, bitrate_kbps: 900, level: 3 },
      { at: "bad", party: "agent", rtt_ms: 1, loss_pct: 0, bitrate_kbps: 900, level: 3 },
    ]);
    expect(series.agent.map(([, level]) => level)).toEqual([3, 5]);
    expect(series.citizen).toEqual([[Date.parse("2026-11-26T03:00:05Z"), 4]]);
    expect(qualitySeries(undefined)).toEqual({ citizen: [], agent: [] });
  });

  it("names statistics rows and computes the answer rate", () => {
    const base = { abandoned: 0, callbacks: 0, mean_wait_s: 1, max_wait_s: 2, mean_talk_s: 3, mean_rating: null, transfers: 0 };
    const lines = statsLines(
      [
        { key: "shebao", requests: 4, answered: 3, ...base },
        { key: "gone", requests: 0, answered: 0, ...base },
        { key: "all", requests: 4, answered: 3, ...base },
      ],
      new Map([["shebao", "社保医保"]]),
      "合计",
    );
    expect(lines.map((l) => [l.label, l.answer_rate])).toEqual([
      ["社保医保", 0.75],
      ["gone", null],
      ["合计", 0.75],
    ]);
    expect(megabytes(1572864)).toBe("1.5");
    expect(megabytes(null)).toBe("");
  });
});

import { describe, expect, it } from "vitest";
import {
  BOARD_CALLS,
  applyBoardEvent,
  applyCounterEvent,
  newestStandingCall,
  spotlightCall,
  standingCall,
} from "../src/board";
import type { Board, BoardCounter, CallRow } from "../src/queueing";
import type { Envelope } from "../src/types";

let seq = 0;
function event(type: string, data: Record<string, unknown>, ts = "2026-11-26T03:40:00.000Z"): Envelope {
  seq += 1;
  return { type: `queueing.${type}`, topic: "hall:xc-01", seq, ts, data, ctx: `c${seq}` };
}

function counter(n: number, extra: Partial<BoardCounter> = {}): BoardCounter {
  return {
    hall_id: "xc-01",
    counter_id: `xc-01-w${n}`,
    counter_number: n,
    counter_name: `${n}号窗口`,
    status: "open",
    pause_reason: "",
    staff_name: "",
    current: null,
    ...extra,
  };
}

function board(extra: Partial<Board> = {}): Board {
  return {
    hall: { id: "xc-01", name: "西城区政务服务中心", notice: "", timezone: "Asia/Shanghai" },
    announce_repeat: 2,
    day: "2026-11-26",
    services: [
      { id: "huji", name: "户籍办理", prefix: "A", waiting: 3 },
      { id: "shebao", name: "社保医保", prefix: "B", waiting: 1 },
    ],
    counters: [counter(1), counter(5)],
    calls: [],
    seq: 10,
    epoch: "e1",
    ...extra,
  };
}

function callData(number: string, counterN: number, extra: Record<string, unknown> = {}) {
  return {
    ticket_id: `xc-01-20261126-${number}`,
    number,
    service_id: "huji",
    service_name: "户籍办理",
    priority: false,
    appointment: false,
    counter_id: `xc-01-w${counterN}`,
    counter_number: counterN,
    counter_name: `${counterN}号窗口`,
    call_count: 1,
    repeat: 3,
    reason: "fifo",
    ...extra,
  };
}

function row(number: string, counterN: number, extra: Partial<CallRow> = {}): CallRow {
  return {
    ticket_id: `xc-01-20261126-${number}`,
    number,
    service_name: "户籍办理",
    counter_number: counterN,
    counter_name: `${counterN}号窗口`,
    call_count: 1,
    status: "called",
    at: "2026-11-26T03:00:00.000Z",
    ...extra,
  };
}

describe("applyBoardEvent", () => {
  it("puts a call in front, on its counter, and asks to announce it `repeat` times", () => {
    const change = applyBoardEvent(board(), event("ticket_called", callData("A003", 5)));
    expect(change.reload).toBe(false);
    expect(change.call).toMatchObject({ repeat: 3, recalled: false });
    expect(change.call?.row).toMatchObject({ number: "A003", counter_number: 5, status: "called" });
    expect(change.board.calls.map((c) => c.number)).toEqual(["A003"]);
    expect(change.board.counters[1]?.current?.number).toBe("A003");
    expect(change.board.counters[0]?.current).toBeNull();
  });

  it("uses the hall's announce_repeat when the event has none", () => {
    const data = callData("A003", 5);
    delete (data as Record<string, unknown>).repeat;
    expect(applyBoardEvent(board(), event("ticket_called", data)).call?.repeat).toBe(2);
  });

  it("moves a recalled ticket to the front with its new call count", () => {
    const start = board({ calls: [row("A002", 1), row("A001", 5)] });
    const change = applyBoardEvent(
      start,
      event("ticket_recalled", callData("A001", 5, { call_count: 2 }), "2026-11-26T03:41:00.000Z"),
    );
    expect(change.call?.recalled).toBe(true);
    expect(change.board.calls.map((c) => [c.number, c.call_count])).toEqual([
      ["A001", 2],
      ["A002", 1],
    ]);
    expect(change.board.calls[0]?.at).toBe("2026-11-26T03:41:00.000Z");
  });

  it("keeps at most the latest calls", () => {
    let b = board();
    for (let i = 1; i <= BOARD_CALLS + 3; i += 1) {
      b = applyBoardEvent(b, event("ticket_called", callData(`A${String(i).padStart(3, "0")}`, 1))).board;
    }
    expect(b.calls).toHaveLength(BOARD_CALLS);
    expect(b.calls[0]?.number).toBe("A015");
  });

  it.each([
    ["ticket_finished", "finished"],
    ["ticket_no_show", "no_show"],
    ["ticket_parked", "parked"],
    ["ticket_transferred", "waiting"],
  ])("%s frees the counter and marks the call row %s", (type, status) => {
    const current = row("A003", 5);
    const start = board({ calls: [current], counters: [counter(1), counter(5, { current })] });
    const change = applyBoardEvent(start, event(type, callData("A003", 5)));
    expect(change.board.calls[0]?.status).toBe(status);
    expect(change.board.counters[1]?.current).toBeNull();
    expect(change.call).toBeNull();
  });

  it("follows counters opening, pausing with a reason, resuming and closing", () => {
    const view = (status: string, reason = "") => ({
      counter_id: "xc-01-w1",
      counter_number: 1,
      counter_name: "1号窗口",
      status,
      pause_reason: reason,
      staff_name: "王芳",
      current_ticket_id: null,
    });
    let b = board({ counters: [counter(1, { status: "closed" }), counter(5)] });
    b = applyBoardEvent(b, event("counter_opened", view("open"))).board;
    expect(b.counters[0]?.status).toBe("open");
    b = applyBoardEvent(b, event("counter_paused", view("paused", "午间休息"))).board;
    expect(b.counters[0]).toMatchObject({ status: "paused", pause_reason: "午间休息" });
    b = applyBoardEvent(b, event("counter_resumed", view("open"))).board;
    expect(b.counters[0]).toMatchObject({ status: "open", pause_reason: "" });
    b = applyBoardEvent(b, event("counter_closed", view("closed"))).board;
    expect(b.counters[0]?.status).toBe("closed");
  });

  it("asks for the snapshot when a counter it does not know changes", () => {
    const change = applyBoardEvent(board(), event("counter_opened", { counter_id: "xc-01-w9", status: "open" }));
    expect(change.reload).toBe(true);
  });

  it("updates waiting counts, the notice, and reloads on hall_updated", () => {
    let b = applyBoardEvent(board(), event("waiting_changed", { hall_id: "xc-01", waiting: { huji: 7 }, total: 7 })).board;
    expect(b.services.map((s) => s.waiting)).toEqual([7, 0]);
    b = applyBoardEvent(b, event("notice_changed", { notice: "今日16:00起系统升级" })).board;
    expect(b.hall.notice).toBe("今日16:00起系统升级");
    expect(applyBoardEvent(b, event("hall_updated", {})).reload).toBe(true);
  });

  it("ignores events whose data does not fit, and unknown events", () => {
    const start = board();
    expect(applyBoardEvent(start, event("ticket_called", { number: "A001", counter: "1号" })).board).toBe(start);
    expect(applyBoardEvent(start, event("ticket_issued", callData("A009", 1))).board).toBe(start);
    expect(applyBoardEvent(start, event("waiting_changed", { waiting: 3 })).board).toBe(start);
  });
});

describe("the 正在呼叫 panel: one call, one truth", () => {
  const view = (n: number, status: string, reason = "") => ({
    counter_id: `xc-01-w${n}`,
    counter_number: n,
    counter_name: `${n}号窗口`,
    status,
    pause_reason: reason,
    staff_name: "王芳",
    current_ticket_id: null,
  });
  const id = (number: string): string => `xc-01-20261126-${number}`;
  const twoCalling = (): Board => {
    let b = board({ counters: [counter(1), counter(7)] });
    b = applyBoardEvent(b, event("ticket_called", callData("E001", 7, { service_name: "综合咨询" }))).board;
    return applyBoardEvent(b, event("ticket_called", callData("A004", 1))).board;
  };

  it("shows the call being announced, not merely the newest one", () => {
    const b = twoCalling();
    expect(spotlightCall(b, id("E001"))).toMatchObject({ number: "E001", counter_number: 7 });
    expect(spotlightCall(b, id("A004"))).toMatchObject({ number: "A004", counter_number: 1 });
    expect(spotlightCall(b, null)).toMatchObject({ number: "A004" });
  });

  it("moves on from a call whose ticket is finished while it is announced", () => {
    const b = applyBoardEvent(twoCalling(), event("ticket_finished", callData("E001", 7))).board;
    expect(standingCall(b, id("E001"))).toBeNull();
    expect(spotlightCall(b, id("E001"))).toMatchObject({ number: "A004", counter_number: 1 });
  });

  it.each(["ticket_parked", "ticket_transferred", "ticket_no_show", "ticket_finished", "ticket_cancelled"])(
    "clears a call after %s, and after its window pauses for 午休",
    (type) => {
      let b = applyBoardEvent(board(), event("ticket_called", callData("A004", 1))).board;
      b = applyBoardEvent(b, event(type, callData("A004", 1))).board;
      b = applyBoardEvent(b, event("counter_paused", view(1, "paused", "午休"))).board;
      expect(spotlightCall(b, id("A004"))).toBeNull();
      expect(newestStandingCall(b)).toBeNull();
      expect(b.counters[0]).toMatchObject({ status: "paused", pause_reason: "午休", current: null });
    },
  );

  it("falls back to an older call that still stands", () => {
    let b = twoCalling();
    b = applyBoardEvent(b, event("ticket_parked", callData("A004", 1))).board;
    expect(spotlightCall(b, id("A004"))).toMatchObject({ number: "E001", counter_number: 7 });
  });

  it("never shows a call at a window that is not open", () => {
    const current = row("A004", 1);
    const b = board({ calls: [current], counters: [counter(1, { status: "paused", current }), counter(5)] });
    expect(spotlightCall(b, current.ticket_id)).toBeNull();
  });

  it("keeps a call being served, marked 办理中 on the board", () => {
    let b = applyBoardEvent(board(), event("ticket_called", callData("A004", 1))).board;
    b = applyBoardEvent(b, event("ticket_started", callData("A004", 1))).board;
    expect(b.calls[0]?.status).toBe("serving");
    expect(b.counters[0]?.current?.status).toBe("serving");
    expect(spotlightCall(b, null)).toMatchObject({ number: "A004", status: "serving" });
  });

  it("updates a recalled call in place: the same row with its new count", () => {
    let b = twoCalling();
    b = applyBoardEvent(b, event("ticket_recalled", callData("E001", 7, { call_count: 2 }))).board;
    expect(spotlightCall(b, null)).toMatchObject({ number: "E001", call_count: 2, counter_number: 7 });
  });
});

describe("applyCounterEvent", () => {
  const updated = (extra: Record<string, unknown>) =>
    event("counter_updated", {
      counter_id: "xc-01-w5",
      counter_number: 5,
      counter_name: "5号窗口",
      status: "open",
      pause_reason: "",
      staff_name: "王芳",
      current_ticket_id: null,
      ...extra,
    });

  it("takes the current ticket from the event and stamps a new call", () => {
    const change = applyCounterEvent(
      counter(5),
      updated({
        current_ticket_id: "t1",
        current: { ticket_id: "t1", number: "A003", service_name: "户籍办理", status: "called", call_count: 1 },
      }),
    );
    expect(change.reload).toBe(false);
    expect(change.counter.current).toMatchObject({ number: "A003", status: "called", at: "2026-11-26T03:40:00.000Z" });
  });

  it("keeps the call's time when only the status changes", () => {
    const current = row("A003", 5, { ticket_id: "t1", at: "2026-11-26T03:00:00.000Z" });
    const change = applyCounterEvent(
      counter(5, { current }),
      updated({ current_ticket_id: "t1", current: { ticket_id: "t1", number: "A003", status: "serving", call_count: 1 } }),
    );
    expect(change.counter.current).toMatchObject({ status: "serving", at: "2026-11-26T03:00:00.000Z" });
  });

  it("clears the ticket, pauses, and reloads for a ticket it cannot see", () => {
    const current = row("A003", 5, { ticket_id: "t1" });
    expect(applyCounterEvent(counter(5, { current }), updated({})).counter.current).toBeNull();
    const paused = applyCounterEvent(counter(5), updated({ status: "paused", pause_reason: "系统故障" }));
    expect(paused.counter).toMatchObject({ status: "paused", pause_reason: "系统故障" });
    expect(applyCounterEvent(counter(5), updated({ current_ticket_id: "t9" })).reload).toBe(true);
  });

  it("ignores other counters' and other events", () => {
    const start = counter(1);
    expect(applyCounterEvent(start, updated({ status: "paused" })).counter).toBe(start);
  });
});

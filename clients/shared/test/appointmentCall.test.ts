import { describe, expect, it } from "vitest";
import { applyBoardEvent } from "../src/board";
import { isAppointmentCall, type Board } from "../src/queueing";
import type { Envelope } from "../src/types";

function event(type: string, data: Record<string, unknown>, seq: number): Envelope {
  return { type: `queueing.${type}`, topic: "hall:xc-01", seq, ts: "2026-11-26T03:40:00.000Z", data, ctx: `c${seq}` };
}

const board: Board = {
  hall: { id: "xc-01", name: "西城区政务服务中心", notice: "", timezone: "Asia/Shanghai" },
  announce_repeat: 2,
  day: "2026-11-26",
  services: [],
  counters: [
    { hall_id: "xc-01", counter_id: "xc-01-w1", counter_number: 1, counter_name: "1号窗口", status: "open", pause_reason: "", staff_name: "", current: null },
  ],
  calls: [],
  seq: 1,
  epoch: "e",
};

const call = (number: string, extra: Record<string, unknown>) => ({
  ticket_id: `xc-01-20261126-${number}`,
  number,
  service_id: "huji",
  service_name: "户籍办理",
  counter_id: "xc-01-w1",
  counter_number: 1,
  counter_name: "1号窗口",
  call_count: 1,
  ...extra,
});

describe("appointment calls on the board", () => {
  it("marks a booking's ticket called on the hall topic, and keeps the mark on a recall", () => {
    const called = applyBoardEvent(board, event("ticket_called", call("YA001", { appointment: true }), 2)).board;
    expect(called.calls[0]?.appointment).toBe(true);
    expect(isAppointmentCall(called.calls[0]!)).toBe(true);
    expect(called.counters[0]?.current?.appointment).toBe(true);
    const recalled = applyBoardEvent(called, event("ticket_recalled", call("YA001", { call_count: 2 }), 3)).board;
    expect(recalled.calls[0]?.appointment).toBe(true);
  });

  it("marks a walk-in false, as a snapshot does", () => {
    const called = applyBoardEvent(board, event("ticket_called", call("A001", { appointment: false }), 2)).board;
    expect(called.calls[0]?.appointment).toBe(false);
    expect(isAppointmentCall(called.calls[0]!)).toBe(false);
  });

  it("reads a slot as a booking too", () => {
    const slot = { slot_start: "2026-11-26T01:30:00Z", slot_end: "2026-11-26T02:00:00Z" };
    const called = applyBoardEvent(board, event("ticket_called", call("YA002", { appointment: slot }), 2)).board;
    expect(called.calls[0]?.appointment).toEqual(slot);
    expect(isAppointmentCall({ appointment: slot })).toBe(true);
    expect(isAppointmentCall({ appointment: null })).toBe(false);
    expect(isAppointmentCall({})).toBe(false);
  });
});

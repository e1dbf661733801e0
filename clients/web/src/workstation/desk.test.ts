import type { Envelope } from "@hallhub/client";
import { describe, expect, it } from "vitest";
import { applyDeskEvent, deskOf, deskView, waitedSeconds, type DeskState } from "./desk";
import type { DeskTicket, WorkstationSnapshot } from "./types";

const T0 = Date.parse("2026-12-03T02:00:00.000Z");
const iso = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

function ticket(id: string, patch: Partial<DeskTicket> = {}): DeskTicket {
  return {
    ticket_id: id,
    number: id.toUpperCase(),
    serial: Number(id.slice(1)) || 1,
    day: "2026-12-03",
    service_id: "s1",
    service_name: "户籍办理",
    status: "waiting",
    channel: "kiosk",
    tags: [],
    priority: 0,
    citizen: { name: "张*", id_number: "", phone: "" },
    appointment: null,
    issued_at: iso(0),
    queue_time: iso(0),
    call_count: 0,
    called_at: null,
    last_called_at: null,
    serving_at: null,
    finished_at: null,
    parked_at: null,
    case_id: null,
    transferred: false,
    requeued: 0,
    counter_id: null,
    target_counter_id: null,
    called_at_counters: [],
    staff_id: null,
    ...patch,
  };
}

function snapshot(waiting: DeskTicket[] = []): WorkstationSnapshot {
  return {
    hall: { id: "h1", name: "市民中心", timezone: "Asia/Shanghai", no_show_min_calls: 2, requeue_limit: 1, requeue_behind: 3 },
    policy: { max_wait_minutes: 60, appointment_early_minutes: 0, appointment_late_minutes: 15, normal_per_priority: 2 },
    counter: {
      hall_id: "h1",
      counter_id: "w1",
      counter_number: 1,
      counter_name: "1号窗口",
      status: "open",
      pause_reason: "",
      staff_id: "clerk1",
      staff_name: "王芳",
      current_ticket_id: null,
      services: ["s1"],
      weights: { s1: 1 },
      normal_streak: 0,
    },
    clerk: "clerk1",
    open: true,
    current: null,
    waiting,
    parked: [],
    history: [],
    mine: [],
    figures: { served: 0, no_show: 0, avg_service_seconds: null, avg_wait_seconds: null },
    services: [{ id: "s1", name: "户籍办理", prefix: "A" }],
    counters: [],
    day: "2026-12-03",
    history_limit: 2,
    seq: { counter: 0, desk: 0 },
    epoch: { counter: "e", desk: "e" },
    now: iso(0),
  };
}

let seq = 0;
const changed = (t: DeskTicket): Envelope => ({
  type: "queueing.desk_ticket_changed",
  topic: "desk:h1",
  seq: (seq += 1),
  ts: iso(0),
  ctx: "",
  data: { ticket: t },
});

function apply(state: DeskState, ...events: Envelope[]): DeskState {
  return events.reduce((s, e) => {
    const change = applyDeskEvent(s, e);
    expect(change.reload).toBe(false);
    return change.state;
  }, state);
}

const ids = (tickets: readonly DeskTicket[]): string[] => tickets.map((t) => t.ticket_id);

describe("the workstation desk", () => {
  it("a ticket of a service it serves joins its queue; another service's does not", () => {
    const state = apply(deskOf(snapshot([ticket("a1")])), changed(ticket("a2", { queue_time: iso(1) })), changed(ticket("b1", { service_id: "s2" })));
    expect(ids(deskView(state, T0 + 120_000).waiting)).toEqual(["a1", "a2"]);
  });

  it("a ticket another counter called leaves; one called here is the current ticket", () => {
    let state = deskOf(snapshot([ticket("a1"), ticket("a2", { queue_time: iso(1) })]));
    state = apply(
      state,
      changed(ticket("a1", { status: "called", counter_id: "w2", called_at_counters: ["w2"], staff_id: "clerk2" })),
      changed(ticket("a2", { status: "called", counter_id: "w1", called_at_counters: ["w1"], staff_id: "clerk1", called_at: iso(5), last_called_at: iso(5) })),
      {
        type: "queueing.counter_updated",
        topic: "counter:w1",
        seq: 1,
        ts: iso(5),
        ctx: "",
        data: { ...snapshot().counter, current_ticket_id: "a2", normal_streak: 1 },
      },
    );
    const view = deskView(state, T0 + 6 * 60_000);
    expect(view.waiting).toEqual([]);
    expect(view.current?.ticket_id).toBe("a2");
    expect(view.counter.normal_streak).toBe(1);
    expect(view.mine.map((t) => t.ticket_id)).toEqual(["a2"]);
    expect(view.figures.avg_wait_seconds).toBe(300);
  });

  it("tickets done here are its history, newest first, as many as the hub lists", () => {
    const done = (id: string, minute: number): DeskTicket =>
      ticket(id, { status: "finished", counter_id: "w1", called_at_counters: ["w1"], staff_id: "clerk1", called_at: iso(minute), last_called_at: iso(minute), serving_at: iso(minute), finished_at: iso(minute + 4) });
    const state = apply(deskOf(snapshot()), changed(done("a1", 1)), changed(done("a2", 2)), changed(done("a3", 3)));
    const view = deskView(state, T0 + 10 * 60_000);
    expect(ids(view.history)).toEqual(["a3", "a2"]);
    expect(view.figures).toEqual({ served: 3, no_show: 0, avg_service_seconds: 240, avg_wait_seconds: 120 });
  });

  it("a called ticket passed to another clerk is no longer this clerk's", () => {
    const mine = ticket("a1", { status: "called", counter_id: "w1", called_at_counters: ["w1"], staff_id: "clerk1", called_at: iso(1) });
    let state = apply(deskOf(snapshot()), changed(mine));
    expect(deskView(state, T0).mine).toHaveLength(1);
    state = apply(state, changed({ ...mine, counter_id: "w2", staff_id: "clerk2", called_at_counters: ["w1", "w2"] }));
    expect(deskView(state, T0).mine).toEqual([]);
  });

  it("the queue's order moves with time: a long wait goes first", () => {
    const state = deskOf(snapshot([ticket("p1", { priority: 50, queue_time: iso(30) }), ticket("a1", { queue_time: iso(0), serial: 2 })]));
    const counter = { ...state.counter, normal_streak: 2 };
    const at35 = deskView({ ...state, counter }, T0 + 35 * 60_000);
    expect(ids(at35.waiting)).toEqual(["p1", "a1"]);
    const at61 = deskView({ ...state, counter }, T0 + 61 * 60_000);
    expect(ids(at61.waiting)).toEqual(["a1", "p1"]);
  });

  it("a new day or a changed hall asks for a snapshot; yesterday's tickets are ignored", () => {
    const state = deskOf(snapshot());
    expect(applyDeskEvent(state, changed(ticket("a9", { day: "2026-12-04" }))).reload).toBe(true);
    const old = applyDeskEvent(state, changed(ticket("a9", { day: "2026-12-02" })));
    expect(old).toEqual({ state, reload: false });
    const hall: Envelope = { type: "queueing.hall_updated", topic: "desk:h1", seq: 9, ts: iso(0), ctx: "", data: { hall_id: "h1", name: "x" } };
    expect(applyDeskEvent(state, hall).reload).toBe(true);
    const other: Envelope = { ...hall, type: "queueing.notice_changed" };
    expect(applyDeskEvent(state, other)).toEqual({ state, reload: false });
  });

  it("a no-show put back in the queue leaves the history and waits where its queue time says", () => {
    const gone = ticket("a1", { status: "no_show", counter_id: "w1", called_at_counters: ["w1"], staff_id: "clerk1", call_count: 2, called_at: iso(2), last_called_at: iso(3) });
    let state = apply(deskOf(snapshot([ticket("a2", { queue_time: iso(1) }), ticket("a3", { queue_time: iso(4) })])), changed(gone));
    expect(ids(deskView(state, T0 + 5 * 60_000).history)).toEqual(["a1"]);
    // The hub put it behind one waiting ticket: between a2 and a3.
    const back = { ...gone, status: "waiting" as const, counter_id: null, staff_id: null, call_count: 0, called_at: null, called_at_counters: [], requeued: 1, queue_time: iso(2.5) };
    state = apply(state, changed(back));
    const view = deskView(state, T0 + 5 * 60_000);
    expect(view.history).toEqual([]);
    expect(ids(view.waiting)).toEqual(["a2", "a1", "a3"]);
    expect(view.waiting[1]?.requeued).toBe(1);
  });

  it("waited time counts until the call", () => {
    expect(waitedSeconds(ticket("a1"), T0 + 90_000)).toBe(90);
    expect(waitedSeconds(ticket("a1", { called_at: iso(4) }), T0 + 600_000)).toBe(240);
  });
});

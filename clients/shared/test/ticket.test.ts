import { describe, expect, it } from "vitest";
import { hallOfTicket, type TicketView } from "../src/queueing";
import { applyTicketEvent, ticketEnded } from "../src/ticket";
import type { Envelope } from "../src/types";

const ID = "xc-01-20261126-A003";

function view(extra: Partial<TicketView> = {}): TicketView {
  return {
    ticket_id: ID,
    number: "A003",
    hall: { id: "xc-01", name: "西城区政务服务中心", address: "" },
    service_id: "huji",
    service_name: "户籍办理",
    status: "waiting",
    issued_at: "2026-11-26T03:00:00Z",
    ahead: 4,
    estimate_minutes: 12,
    counter: null,
    call_count: 0,
    tags: [],
    seq: 1,
    epoch: "e1",
    ...extra,
  };
}

function event(type: string, data: Record<string, unknown> = {}): Envelope {
  return {
    type: `queueing.${type}`,
    topic: `ticket:${ID}`,
    seq: 2,
    ts: "2026-11-26T03:40:00Z",
    data: { ticket_id: ID, number: "A003", ...data },
    ctx: "c",
  };
}

describe("applyTicketEvent", () => {
  it("follows the place in the queue", () => {
    const change = applyTicketEvent(view(), event("position_changed", { ahead: 2, estimate_minutes: 6 }));
    expect(change.view).toMatchObject({ ahead: 2, estimate_minutes: 6, status: "waiting" });
    expect(change.alert).toBeNull();
  });

  it("alerts when the turn is near", () => {
    const change = applyTicketEvent(view(), event("turn_near", { ahead: 1, estimate_minutes: 3 }));
    expect(change.alert?.kind).toBe("turn_near");
    expect(change.view.ahead).toBe(1);
  });

  it("alerts with the counter when called (and again when recalled)", () => {
    const called = applyTicketEvent(view(), event("ticket_called", { counter_number: 5, counter_name: "5号窗口", call_count: 1 }));
    expect(called.view).toMatchObject({ status: "called", ahead: 0, counter: { number: 5, name: "5号窗口" } });
    expect(called.alert).toEqual({ kind: "called", counterNumber: 5, counterName: "5号窗口" });
    const again = applyTicketEvent(called.view, event("ticket_called", { counter_number: 5, counter_name: "5号窗口", call_count: 2 }));
    expect(again.view.call_count).toBe(2);
    expect(again.alert?.kind).toBe("called");
  });

  it("a late position update does not undo a call", () => {
    const called = view({ status: "called", counter: { number: 5, name: "5号窗口" } });
    expect(applyTicketEvent(called, event("position_changed", { ahead: 0 })).view.status).toBe("called");
  });

  it.each([
    ["ticket_finished", "finished"],
    ["ticket_no_show", "no_show"],
    ["ticket_cancelled", "cancelled"],
  ])("%s ends the ticket", (type, status) => {
    const change = applyTicketEvent(view({ status: "called" }), event(type));
    expect(change.view.status).toBe(status);
    expect(change.alert?.kind).toBe(status);
    expect(ticketEnded(change.view.status)).toBe(true);
  });

  it("starts serving, and reloads after a transfer or unpark", () => {
    const serving = applyTicketEvent(view({ status: "called" }), event("ticket_started", { counter_number: 5, counter_name: "5号窗口" }));
    expect(serving.view.status).toBe("serving");
    const moved = applyTicketEvent(serving.view, event("ticket_transferred", { service_id: "shebao", service_name: "社保医保", to_counter_number: 3, to_counter_name: "3号窗口" }));
    expect(moved.view).toMatchObject({ status: "waiting", service_name: "社保医保", counter: null });
    expect(moved.alert).toEqual({ kind: "transferred", counterNumber: 3, counterName: "3号窗口" });
    expect(moved.reload).toBe(true);
    expect(applyTicketEvent(view({ status: "parked" }), event("ticket_unparked")).reload).toBe(true);
  });

  it("a no-show put back in the queue waits again, its new place from the snapshot", () => {
    const back = applyTicketEvent(view({ status: "no_show", call_count: 2 }), event("ticket_requeued"));
    expect(back.view).toMatchObject({ status: "waiting", counter: null, call_count: 0 });
    expect(back.reload).toBe(true);
  });

  it("ignores events of the holder's other tickets", () => {
    const start = view();
    const other = { ...event("ticket_called", { counter_number: 1 }), data: { ticket_id: "xc-01-20261126-B001" } };
    expect(applyTicketEvent(start, other).view).toBe(start);
  });
});

describe("hallOfTicket", () => {
  it("takes the hall id before the date", () => {
    expect(hallOfTicket("xc-01-20261126-A003")).toBe("xc-01");
    expect(hallOfTicket("dc-main-2-20261126-B1001")).toBe("dc-main-2");
    expect(hallOfTicket("nonsense")).toBeNull();
  });
});

import type { Envelope } from "@hallhub/client";
import { describe, expect, it } from "vitest";
import { feedEntries } from "../src/feed";
import { byDistance, byDistrict, distanceKm, formatDistance, type HallSummary } from "../src/halls";
import { mobileOf } from "../src/take/walkIn";

let seq = 0;

function event(type: string, data: Record<string, unknown>, second = 0): Envelope {
  seq += 1;
  return {
    type,
    topic: "citizen:c-1",
    seq,
    ts: `2026-11-26T02:00:${String(second).padStart(2, "0")}.000Z`,
    data,
    ctx: "x",
  };
}

const TICKET = { ticket_id: "h1-20261126-A001", number: "A001", service_id: "s1", service_name: "户籍办理" };
const COUNTER = { hall_id: "h1", counter_id: "w1", counter_number: 1, counter_name: "1号窗口" };

function message(kind: string, title: string): Record<string, unknown> {
  return { item: { id: `m-${kind}`, kind, title, body: "…", state: "unread" }, unread: 1 };
}

/** One ticket's life as the hub tells its holder's topic: the events, the queue's moves, and
 * the in-app messages the message center makes of them. */
function lifeOfOneTicket(): Envelope[] {
  seq = 0;
  return [
    event("queueing.ticket_issued", { ...TICKET, priority: false, appointment: false, channel: "miniapp", ahead: 2, estimate_minutes: 12 }),
    event("queueing.position_changed", { ticket_id: TICKET.ticket_id, number: "A001", ahead: 2, estimate_minutes: 12 }),
    event("queueing.position_changed", { ticket_id: TICKET.ticket_id, number: "A001", ahead: 1, estimate_minutes: 6 }, 30),
    event("queueing.turn_near", { ticket_id: TICKET.ticket_id, number: "A001", ahead: 1, estimate_minutes: 6 }, 30),
    event("notifier.message_received", message("ticket_near", "即将轮到您"), 30),
    event("queueing.ticket_called", { ...TICKET, ...COUNTER, call_count: 1, called_at: "x", repeat: 2, reason: "normal" }, 40),
    event("notifier.message_received", message("ticket_called", "轮到您了"), 40),
    event("queueing.ticket_called", { ...TICKET, ...COUNTER, call_count: 2, called_at: "x", repeat: 2 }, 50),
    event("notifier.message_received", message("ticket_called", "轮到您了"), 50),
    event("notifier.inbox_changed", { counts: {}, item_id: "m-ticket_called", state: "read" }, 51),
    event("queueing.ticket_started", { ...TICKET, ...COUNTER }, 55),
    event("queueing.ticket_finished", { ...TICKET, ...COUNTER }, 59),
  ].reverse(); // the feed keeps them newest first
}

describe("the 动态 feed", () => {
  it("says one sentence per real change of a ticket's life", () => {
    const entries = feedEntries(lifeOfOneTicket());
    expect(entries.map((e) => [e.title, e.text])).toEqual([
      ["业务已办结", "A001 号（户籍办理）已在 1号窗口 办结，感谢您的耐心等候"],
      ["开始办理", "A001 号（户籍办理）正在 1号窗口 办理"],
      ["再次叫号", "A001 号（户籍办理）第 2 次叫号，请尽快到 1号窗口 办理"],
      ["轮到您了", "A001 号（户籍办理）已叫号，请到 1号窗口 办理"],
      ["即将轮到您", "A001 号（户籍办理）即将轮到您，前面还有 1 人，请到大厅等候"],
      ["取号成功", "A001 号（户籍办理）取号成功，前面还有 2 人，预计约 12 分钟"],
    ]);
    expect(new Set(entries.map((e) => e.ticketId))).toEqual(new Set([TICKET.ticket_id]));
  });

  it("tells a repeat of the same change once, and keeps messages of their own", () => {
    const life = lifeOfOneTicket();
    const finished = life[0]!;
    const again = { ...finished, seq: 100 };
    const notice = event("notifier.message_received", message("notice", "系统升级通知"), 59);
    notice.seq = 101;
    const entries = feedEntries([notice, again, ...life]);
    expect(entries.filter((e) => e.type === "queueing.ticket_finished")).toHaveLength(1);
    expect(entries.filter((e) => e.type === "queueing.ticket_called")).toHaveLength(2);
    expect(entries[0]).toMatchObject({ type: "notifier.message_received", title: "新消息" });
    expect(entries[0]!.text).toContain("系统升级通知");
  });

  it("writes every other step of a ticket as a sentence too", () => {
    seq = 0;
    const issued = event("queueing.ticket_issued", { ...TICKET, ahead: 0, estimate_minutes: 0 });
    const texts = feedEntries(
      [
        issued,
        event("queueing.ticket_parked", { ...TICKET, ...COUNTER }),
        event("queueing.ticket_unparked", { ...TICKET }),
        event("queueing.ticket_transferred", { ...TICKET, ...COUNTER, service_name: "社保医保", from_service_id: "s1" }),
        event("queueing.ticket_no_show", { ...TICKET, service_name: "社保医保", ...COUNTER }),
        event("queueing.ticket_cancelled", { ...TICKET, ticket_id: "t2", number: "B002", service_name: "社保医保" }),
      ].reverse(),
    ).map((e) => e.text);
    expect(texts.reverse()).toEqual([
      "A001 号（户籍办理）取号成功，前面没有人等候，请留意叫号",
      "A001 号（户籍办理）已暂挂，请按工作人员指引准备材料，稍后将再次叫号",
      "A001 号（户籍办理）已恢复排队，请留意叫号",
      "A001 号已转至“社保医保”，请继续等候",
      "A001 号（社保医保）已过号，如需办理请重新取号",
      "B002 号（社保医保）已取消排队",
    ]);
  });
});

const HALLS: HallSummary[] = [
  { id: "dc-01", name: "东城区政务服务中心", address: "东城区", district: "东城区", location: { lat: 39.928, lng: 116.416 }, timezone: "Asia/Shanghai", services: 5, counters: 7 },
  { id: "xc-01", name: "西城区政务服务中心", address: "二龙路27号", district: "西城区", location: { lat: 39.9066, lng: 116.3615 }, timezone: "Asia/Shanghai", services: 5, counters: 7 },
  { id: "xc-02", name: "西城区德胜分中心", address: "德胜门外", district: "西城区", location: null, timezone: "Asia/Shanghai", services: 2, counters: 2 },
  { id: "x-9", name: "市民热线大厅", address: "", district: "", location: null, timezone: "Asia/Shanghai", services: 1, counters: 1 },
];

describe("choosing a hall", () => {
  it("puts the nearest first and halls without a place last", () => {
    const near = byDistance(HALLS, { lat: 39.907, lng: 116.362 });
    expect(near.map((n) => n.hall.id)).toEqual(["xc-01", "dc-01", "x-9", "xc-02"]);
    expect(near[0]!.km!).toBeLessThan(0.1);
    expect(distanceKm({ lat: 39.9066, lng: 116.3615 }, { lat: 39.928, lng: 116.416 })).toBeCloseTo(5.2, 0);
  });

  it("groups by district, the ones with none last", () => {
    expect(byDistrict(HALLS, "其他").map((g) => [g.district, g.halls.map((h) => h.id)])).toEqual([
      ["东城区", ["dc-01"]],
      ["西城区", ["xc-02", "xc-01"]],
      ["其他", ["x-9"]],
    ]);
  });

  it("says distances as people do", () => {
    const labels = { meters: "{n} 米", km: "{n} 公里" };
    expect(formatDistance(0.853, labels)).toBe("850 米");
    expect(formatDistance(1.24, labels)).toBe("1.2 公里");
    expect(formatDistance(35.4, labels)).toBe("35 公里");
  });

  it("reads a mobile number as typed", () => {
    expect(mobileOf("138 0013-8000")).toBe("13800138000");
    expect(mobileOf("010-12345678")).toBeNull();
  });
});

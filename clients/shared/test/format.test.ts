import { describe, expect, it } from "vitest";
import { RECONNECT, backoffDelay } from "../src/backoff";
import {
  formatClock,
  formatDateTime,
  formatShortClock,
  formatStamp,
  localDay,
  newestFirst,
  prependEvent,
  summarizeData,
  waitMinutes,
  type SummaryLabels,
} from "../src/format";
import { ev, seqs } from "./helpers";

const labels: SummaryLabels = {
  fields: { hall_id: "大厅编号", name: "名称" },
  yes: "是",
  no: "否",
  empty: "—",
  colon: "：",
  separator: "　",
};

describe("formatClock", () => {
  it("shows HH:mm:ss in Asia/Shanghai", () => {
    expect(formatClock("2026-11-26T03:40:00.123Z")).toBe("11:40:00");
    expect(formatClock("2026-11-26T16:05:09.000Z")).toBe("00:05:09");
    expect(formatClock(new Date(Date.UTC(2026, 0, 1, 12, 0, 0)), "UTC")).toBe("12:00:00");
    expect(formatClock("not a date")).toBe("--:--:--");
  });
});

describe("summarizeData", () => {
  it("labels known fields and formats values", () => {
    expect(summarizeData({ hall_id: "xc-01", name: "西城区政务服务中心" }, labels)).toBe(
      "大厅编号：xc-01　名称：西城区政务服务中心",
    );
    expect(summarizeData({ ok: true, none: null, list: ["A", 2], nested: { a: 1 } }, labels)).toBe(
      'ok：是　none：—　list：A、2　nested：{"a":1}',
    );
    expect(summarizeData({}, labels)).toBe("");
  });
});

describe("event lists", () => {
  it("keeps the newest first, capped", () => {
    expect(seqs(newestFirst([ev(1), ev(3), ev(2)], 2))).toEqual([3, 2]);
    expect(seqs(prependEvent([ev(3), ev(2)], ev(4), 2))).toEqual([4, 3]);
  });
});

describe("backoffDelay", () => {
  it("grows from 500 ms to 10 s, spread by ±50%", () => {
    expect(backoffDelay(0, () => 0.5)).toBe(500);
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(750);
    expect(backoffDelay(3, () => 0.5)).toBe(4000);
    expect(backoffDelay(10, () => 0.5)).toBe(RECONNECT.maxDelayMs);
    expect(backoffDelay(10, () => 1)).toBe(RECONNECT.maxDelayMs);
    expect(backoffDelay(10, () => 0)).toBe(5000);
  });
});

describe("formatDateTime", () => {
  it("shows the hall's local date and time", () => {
    expect(formatDateTime("2026-11-26T16:05:09.000Z")).toBe("2026-11-27 00:05");
    expect(formatDateTime("2026-11-26T03:40:00Z", "UTC")).toBe("2026-11-26 03:40");
    expect(formatDateTime("nonsense")).toBe("");
  });
});

describe("formatStamp", () => {
  it("shortens today's and this year's times", () => {
    const now = new Date("2026-11-26T08:00:00Z");
    expect(formatStamp("2026-11-26T05:18:05.555Z", now)).toBe("13:18");
    expect(formatStamp("2026-11-25T05:18:05Z", now)).toBe("11-25 13:18");
    expect(formatStamp("2025-11-25T05:18:05Z", now)).toBe("2025-11-25 13:18");
    expect(formatStamp("", now)).toBe("");
  });
});

describe("waitMinutes", () => {
  it("rounds up and never says 0 while someone is ahead", () => {
    expect(waitMinutes(4.2, 3)).toBe(5);
    expect(waitMinutes(0, 2)).toBe(1);
    expect(waitMinutes(0, 0)).toBe(0);
    expect(waitMinutes(Number.NaN, 0)).toBe(0);
  });
});

describe("short clock and local day", () => {
  it("writes HH:mm and the day in a time zone", () => {
    expect(formatShortClock("2026-11-26T04:05:09Z")).toBe("12:05");
    expect(formatShortClock("2026-11-26T04:05:09Z", "UTC")).toBe("04:05");
    expect(formatShortClock("not a time")).toBe("--:--");
    expect(localDay(new Date("2026-11-26T17:00:00Z"))).toBe("2026-11-27");
    expect(localDay(new Date("2026-11-26T17:00:00Z"), "UTC")).toBe("2026-11-26");
  });
});

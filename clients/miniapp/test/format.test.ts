import { HubError } from "@hallhub/client";
import { describe, expect, it } from "vitest";
import {
  appointmentErrorText,
  bookingCheckinWindow,
  checkinWindow,
  codeText,
  dateTimeOf,
  monthDay,
  ruleLines,
  slotStatusText,
  slotText,
  weekdayOf,
} from "../src/appointments/format";

const rules = {
  slot_minutes: 30,
  horizon_days: 5,
  opens_at: "08:00:00",
  cancel_deadline_minutes: 120,
  checkin_early_minutes: 30,
  checkin_late_minutes: 15,
  late_becomes_walkin: true,
};

describe("days and times", () => {
  it("writes days with their weekday", () => {
    expect(monthDay("2026-11-27")).toBe("11月27日");
    expect(weekdayOf("2026-11-27")).toBe("周五");
    expect(weekdayOf("2026-11-29")).toBe("周日");
    expect(dateTimeOf("2026-11-27T08:00:00+08:00")).toBe("11月27日 08:00");
    expect(slotText({ start: "2026-11-27T01:00:00Z", end: "2026-11-27T01:30:00Z" })).toBe("11月27日（周五）09:00–09:30");
  });

  it("says what each slot state means", () => {
    const base = { id: "s", start: "2026-11-27T01:00:00Z", end: "2026-11-27T01:30:00Z", capacity: 3, opens_at: null };
    expect(slotStatusText({ ...base, free: 2, state: "open" })).toBe("余 2 个");
    expect(slotStatusText({ ...base, free: 0, state: "open" })).toBe("约满");
    expect(slotStatusText({ ...base, free: 0, capacity: 0, state: "full" })).toBe("无号源");
    expect(slotStatusText({ ...base, free: 0, state: "closed" })).toBe("已截止");
    expect(slotStatusText({ ...base, free: 0, state: "not_open", opens_at: "2026-11-27T08:00:00+08:00" })).toBe("11月27日 08:00 放号");
  });

  it("spells out the plan's rules for a slot", () => {
    const slot = { start: "2026-11-27T01:00:00Z" };
    expect(checkinWindow(rules, slot)).toEqual({ from: "11月27日 08:30", to: "09:15" });
    const lines = ruleLines(rules, slot);
    expect(lines[0]).toContain("11月27日 07:00");
    expect(lines[1]).toContain("11月27日 08:30–09:15");
    expect(lines[2]).toContain("现场取号");
  });
});

describe("a booking's code and check-in window", () => {
  it("tells the code with its day (a code is unique within the hall's day only)", () => {
    expect(codeText({ code: "Y0003", day: "2026-12-04", code_text: "12月4日 Y0003" })).toBe("12月4日 Y0003");
    expect(codeText({ code: "Y0003", day: "2026-12-04" })).toBe("12月4日 Y0003");
  });

  it("says the window the hub worked out from the plan, whatever its setting", () => {
    const start = Date.parse("2026-11-27T01:00:00Z");
    const window = (early: number, late: number) => ({
      checkin_from: new Date(start - early * 60_000).toISOString(),
      checkin_until: new Date(start + late * 60_000).toISOString(),
    });
    expect(bookingCheckinWindow(window(30, 15))).toEqual({ from: "11月27日 08:30", to: "09:15" });
    expect(bookingCheckinWindow(window(0, 10))).toEqual({ from: "11月27日 09:00", to: "09:10" });
    // The same setting the booking form states before booking:
    expect(checkinWindow({ checkin_early_minutes: 0, checkin_late_minutes: 10 }, { start: "2026-11-27T01:00:00Z" })).toEqual(
      bookingCheckinWindow(window(0, 10)),
    );
  });
});

describe("refusals", () => {
  it("tells when to come back to check in", () => {
    const error = new HubError("CHECK_IN_TOO_EARLY", "请于 11月27日 08:30 后签到", {
      details: { check_in_from: "2026-11-27T00:30:00+00:00" },
    });
    expect(appointmentErrorText(error)).toBe("还未到签到时间，请于 08:30 后再来签到");
  });

  it("shows the hub's Chinese message (a suspension says why)", () => {
    const error = new HubError("BLACKLISTED", "30 天内爽约 2 次，预约资格暂停至 2月24日 10:00", { status: 403 });
    expect(appointmentErrorText(error)).toBe("30 天内爽约 2 次，预约资格暂停至 2月24日 10:00");
    expect(appointmentErrorText(new HubError("NOT_TODAY", "预约不是今天的"))).toBe("预约不是今天的");
    expect(appointmentErrorText(new HubError("NOT_TODAY", "预约不是今天的", { details: { day: "2026-11-30" } }))).toBe(
      "该预约在 11月30日（周一），请于预约当天到大厅扫码签到",
    );
  });

  it("makes some codes clearer", () => {
    expect(appointmentErrorText(new HubError("SLOT_FULL", "该时段已约满"))).toBe("该时段已约满，请选择其他时段");
    expect(appointmentErrorText(new HubError("HALL_CODE_INVALID", "…"))).toContain("签到二维码");
    expect(
      appointmentErrorText(new HubError("CANCEL_TOO_LATE", "已过取消截止时间", { details: { deadline: "2026-11-26T23:00:00+00:00" } })),
    ).toBe("已过取消截止时间（11月27日 07:00），不能取消或改约");
  });

  it("uses the catalog for the client's own errors, and a plain sentence for English ones", () => {
    expect(appointmentErrorText(new HubError("NETWORK", "网络错误，无法连接服务器"))).toBe("网络错误，请检查网络后重试");
    expect(appointmentErrorText(new HubError("WHATEVER", "boom"))).toBe("操作未成功，请稍后重试");
  });
});

import { HubError } from "@hallhub/client";
import { describe, expect, it } from "vitest";
import { checkInErrorText, checkInSummary, idProblemText, type CheckInAnswer } from "./checkin";
import { slotRange, ticketTags } from "./tags";

const answer: CheckInAnswer = {
  appointment: {
    id: "a1",
    code: "Y0003",
    service_id: "huji",
    day: "2026-11-27",
    slot_start: "2026-11-27T01:30:00Z",
    slot_end: "2026-11-27T02:00:00Z",
    name: "张*三",
    state: "checked_in",
  },
  ticket_id: "xc-01-20261127-YA001",
  ticket_code: "YA001",
  late: false,
  repeat: false,
};

describe("check-in at the counter", () => {
  it("tells when to come back, in the hall's time", () => {
    const early = new HubError("CHECK_IN_TOO_EARLY", "请于 11月27日 09:00 后签到", {
      details: { check_in_from: "2026-11-27T01:00:00+00:00" },
    });
    expect(checkInErrorText(early, "Asia/Shanghai")).toBe("还未到签到时间，请于 09:00 后签到");
    const bare = new HubError("CHECK_IN_TOO_EARLY", "请于 11月27日 09:00 后签到");
    expect(checkInErrorText(bare, "Asia/Shanghai")).toBe("请于 11月27日 09:00 后签到");
  });

  it("says the coded refusals in the catalog's words", () => {
    expect(checkInErrorText(new HubError("NOT_TODAY", "预约不是今天的", { details: { day: "2026-11-30" } }))).toBe(
      "该预约是 2026-11-30 的，今天不能签到",
    );
    expect(checkInErrorText(new HubError("APPOINTMENT_NOT_FOUND", "今天在本大厅没有此人的预约"))).toBe(
      "没有找到此人今天在本大厅的预约",
    );
    expect(checkInErrorText(new HubError("CHECK_IN_TOO_LATE", "已超过签到时间"))).toContain("已超过签到时间");
    // A code the catalog does not know: the hub's own (Chinese) message.
    expect(checkInErrorText(new HubError("NOT_CANCELLABLE", "该预约状态为已取消"))).toBe("该预约状态为已取消");
  });

  it("reads the local ID problems", () => {
    expect(idProblemText("")).toBe("");
    expect(idProblemText("check")).toContain("校验位");
    expect(idProblemText("length")).toContain("18");
  });

  it("sums up the booking that was checked in", () => {
    expect(checkInSummary(answer, "户籍办理", "Asia/Shanghai")).toBe("预约 Y0003 · 户籍办理 · 09:30–10:00");
    expect(checkInSummary(answer, "", "Asia/Shanghai")).toBe("预约 Y0003 · huji · 09:30–10:00");
  });

  it("shows an appointment ticket's slot in the queue", () => {
    const slot = { slot_start: answer.appointment.slot_start, slot_end: answer.appointment.slot_end };
    expect(slotRange(slot, "Asia/Shanghai")).toBe("09:30–10:00");
    expect(ticketTags({ tags: ["elderly"], appointment: slot }, "Asia/Shanghai").map((tag) => tag.label)).toEqual([
      "老年人",
      "预约 09:30–10:00",
    ]);
  });
});

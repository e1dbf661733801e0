import { HubError, localDay } from "@hallhub/client";
import { describe, expect, it } from "vitest";
import { problemLines, staffErrorText } from "./errors";
import { durationText, hallTime, minutesText, percentText } from "./format";

describe("error texts", () => {
  it("says a code in Chinese, with the details it carries", () => {
    expect(staffErrorText(new HubError("NO_TICKET_WAITING", "x"))).toBe("当前没有等候的号");
    expect(staffErrorText(new HubError("TOO_FEW_CALLS", "x", { details: { calls: 1, needed: 2 } }))).toBe(
      "叫号次数不足（已叫 1 次，需叫满 2 次），暂不能记为过号",
    );
    expect(staffErrorText(new HubError("COUNTER_TAKEN", "x", { details: { staff: "刘洋" } }))).toContain("刘洋");
  });

  it("falls back to the hub's message for an unknown code", () => {
    expect(staffErrorText(new HubError("SOMETHING_NEW", "服务器说明"))).toBe("服务器说明");
  });

  it("lists the problems of a refused change", () => {
    const setup = new HubError("INVALID_HALL_SETUP", "x", { details: { problems: ["号码前缀 A 被 2 个事项使用"] } });
    expect(problemLines(setup)).toEqual(["号码前缀 A 被 2 个事项使用"]);
    const payload = new HubError("INVALID_PAYLOAD", "x", {
      details: {
        errors: [
          { loc: "name", msg: "String should have at least 1 character", type: "string_too_short" },
          { loc: "services.0.weight", msg: "Input should be less than or equal to 100", type: "less_than_equal" },
          { loc: "odd", msg: "Something else", type: "unheard_of" },
        ],
      },
    });
    expect(problemLines(payload, { name: "事项名称", weight: "权重" })).toEqual([
      "事项名称：不能为空或过短",
      "权重：数值过大",
      "odd：Something else",
    ]);
  });
});

describe("formats", () => {
  it("writes minutes, rates and hall times", () => {
    expect(minutesText(3.14)).toBe("3.1 分钟");
    expect(minutesText(12.6, true)).toBe("13 分");
    expect(minutesText(null)).toBe("—");
    expect(percentText(0.125)).toBe("12.5%");
    expect(percentText(null)).toBe("—");
    expect(hallTime("2026-11-26T04:05:00Z", "Asia/Shanghai")).toBe("12:05");
    expect(hallTime(null)).toBe("—");
  });

  it("writes durations as a clock, minutes and seconds (never 0.9 分钟)", () => {
    expect(durationText(54)).toBe("0:54");
    expect(durationText(725.9)).toBe("12:05");
    expect(durationText(3725)).toBe("1:02:05");
    expect(durationText(-3)).toBe("0:00");
    expect(durationText(null)).toBe("—");
  });

  it("finds the hall's day", () => {
    expect(localDay(new Date("2026-11-26T17:00:00Z"), "Asia/Shanghai")).toBe("2026-11-27");
  });
});

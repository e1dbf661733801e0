import { describe, expect, it } from "vitest";
import { blankCounter, blankService, counterProblems, isSlug, nextCounterNumber, nextPrefix, serviceProblems } from "./forms";
import { hoursProblems, hoursSummary, weekdaysText } from "./hours";
import { editablePolicy } from "./policy";
import { sectionFromHash, shownTo } from "./sections";
import { arrivalCurve, arrivalsByHour, cellText, fileName, statsQuery, volumeChart } from "./stats";
import type { CallingPolicy, Counter, Service, StatsReport, StatsRow } from "./types";

const service = (id: string, prefix: string): Service => ({
  id,
  hall_id: "xc-01",
  name: id,
  prefix,
  first_number: 1,
  last_number: 999,
  daily_cap: null,
  expected_minutes: 10,
  opening_hours: [],
  active: true,
});

const counter = (id: string, number: number): Counter => ({
  id,
  hall_id: "xc-01",
  number,
  name: `${number}号窗口`,
  services: [{ service_id: "huji", weight: 1 }],
});

const row = (label: string, arrived: number, served: number): StatsRow => ({
  key: label,
  label,
  arrived,
  served,
  no_show: 1,
  no_show_rate: 0.125,
  avg_wait_minutes: 3.14159,
  max_wait_minutes: 12.7,
  avg_service_minutes: null,
  max_service_minutes: null,
  over_target_rate: 0,
  idle_minutes: null,
});

describe("opening hours", () => {
  it("writes weekdays compactly", () => {
    expect(weekdaysText([1, 2, 3, 4, 5])).toBe("一至五");
    expect(weekdaysText([6, 1, 3])).toBe("一、三、六");
    expect(weekdaysText([1, 2, 6, 7])).toBe("一、二、六、日");
    expect(weekdaysText([1, 2, 3, 4, 5, 6, 7])).toBe("一至日");
  });

  it("summarizes rows", () => {
    const hours = [
      { weekdays: [1, 2, 3, 4, 5], opens: "08:30:00", closes: "17:30:00" },
      { weekdays: [6], opens: "09:00:00", closes: "12:00:00" },
    ];
    expect(hoursSummary(hours, "无")).toBe("周一至五 08:30–17:30；周六 09:00–12:00");
    expect(hoursSummary([], "按大厅")).toBe("按大厅");
  });

  it("finds rows without days or closing before opening", () => {
    expect(hoursProblems([{ weekdays: [1], opens: "08:00:00", closes: "12:00:00" }])).toEqual([]);
    expect(hoursProblems([{ weekdays: [], opens: "12:00:00", closes: "08:00:00" }])).toHaveLength(2);
  });
});

describe("service and counter forms", () => {
  it("proposes a free prefix and counter number", () => {
    expect(nextPrefix([service("a", "A"), service("b", "B"), service("d", "D")])).toBe("C");
    expect(blankService("xc-01", [service("a", "A")])).toMatchObject({ id: "", prefix: "B", hall_id: "xc-01", daily_cap: null });
    expect(nextCounterNumber([counter("w1", 1), counter("w7", 7)])).toBe(8);
    expect(blankCounter("xc-01", [counter("xc-01-w1", 1)])).toMatchObject({ id: "xc-01-w2", number: 2, name: "2号窗口" });
  });

  it("checks ids like the hub", () => {
    expect(isSlug("huji")).toBe(true);
    expect(isSlug("xc-01-w1")).toBe(true);
    expect(isSlug("Huji")).toBe(false);
    expect(isSlug("-x")).toBe(false);
    expect(isSlug("")).toBe(false);
  });

  it("finds a service form's problems", () => {
    const others = [service("huji", "A")];
    expect(serviceProblems(service("shebao", "B"), others, true)).toEqual([]);
    expect(serviceProblems({ ...service("huji", "A"), name: " ", first_number: 10, last_number: 5 }, others, true)).toHaveLength(4);
  });

  it("finds a counter form's problems", () => {
    const others = [counter("w1", 1)];
    expect(counterProblems(counter("w2", 2), others, true)).toEqual([]);
    expect(counterProblems({ ...counter("w2", 1), services: [] }, others, true)).toHaveLength(2);
    const twice = { ...counter("w2", 2), services: [{ service_id: "a", weight: 1 }, { service_id: "a", weight: 2 }] };
    expect(counterProblems(twice, others, true)).toEqual(["同一事项只能添加一次"]);
  });
});

describe("policy", () => {
  it("weights every tag, 0 for the ones the hall does not mention", () => {
    const policy = { normal_per_priority: 2, tag_weights: { elderly: 1 } } as CallingPolicy;
    expect(editablePolicy(policy).tag_weights).toEqual({
      elderly: 1,
      disabled: 0,
      pregnant: 0,
      military: 0,
      green_channel: 0,
      appointment: 0,
    });
  });
});

describe("statistics", () => {
  const report: StatsReport = { hall_id: "xc-01", title: "t", by: "hour", target_minutes: 30, rows: [row("09:00", 5, 4), row("10:00", 8, 6)] };

  it("writes cells as people read them", () => {
    const r = row("A", 5, 4);
    expect(cellText(r, "label", "label")).toBe("A");
    expect(cellText(r, "no_show_rate", "rate")).toBe("12.5%");
    expect(cellText(r, "over_target_rate", "rate")).toBe("0.0%");
    expect(cellText(r, "avg_wait_minutes", "minutes")).toBe("3.1");
    expect(cellText(r, "max_wait_minutes", "minutes")).toBe("13");
    expect(cellText(r, "idle_minutes", "minutes")).toBe("—");
  });

  it("builds the query of a day or a range", () => {
    expect(statsQuery("day", "2026-11-26", null, "service")).toEqual({ day: "2026-11-26", to: null, by: "service" });
    expect(statsQuery("range", "", ["2026-11-01", "2026-11-26"], "day")).toEqual({ day: "2026-11-01", to: "2026-11-26", by: "day" });
    expect(statsQuery("range", "", ["2026-11-26", "2026-11-26"], "hour")).toEqual({ day: "2026-11-26", to: null, by: "hour" });
    expect(statsQuery("range", "", null, "hour")).toBeNull();
  });

  it("reads the download's file name", () => {
    expect(fileName('attachment; filename="hallhub-xc-01.xlsx"', "x")).toBe("hallhub-xc-01.xlsx");
    expect(fileName("attachment; filename*=UTF-8''%E7%BB%9F%E8%AE%A1.csv", "x")).toBe("统计.csv");
    expect(fileName(null, "fallback.csv")).toBe("fallback.csv");
  });

  it("charts arrivals and served as bars, waits as lines", () => {
    const option = volumeChart(report);
    const series = option.series as { type: string; data: unknown[] }[];
    expect(series.map((s) => s.type)).toEqual(["bar", "bar", "line", "line"]);
    expect(series[0]?.data).toEqual([5, 8]);
    expect(series[1]?.data).toEqual([4, 6]);
    const curve = arrivalCurve(report).series as { type: string; data: unknown[] }[];
    expect(curve[0]).toMatchObject({ type: "line", data: [0, 5, 8, 0, 0, 0, 0, 0, 0, 0] });
  });

  it("fills the working day's hours for the arrival curve", () => {
    const points = arrivalsByHour([row("07:00", 2, 0), row("12:00", 9, 1), row("19:00", 1, 0)]);
    expect(points[0]).toEqual({ hour: "07:00", arrived: 2 });
    expect(points.at(-1)).toEqual({ hour: "19:00", arrived: 1 });
    expect(points).toHaveLength(13);
    expect(points.find((p) => p.hour === "12:00")?.arrived).toBe(9);
    expect(points.find((p) => p.hour === "10:00")?.arrived).toBe(0);
    expect(arrivalsByHour([])).toHaveLength(10);
  });

  it("opens the section the address names", () => {
    expect(sectionFromHash("#stats")).toBe("stats");
    expect(sectionFromHash("#nope")).toBe("hall");
    expect(sectionFromHash("")).toBe("hall");
  });
});

describe("sections by role", () => {
  it("keeps deliveries and contacts (personal data) to administrators", () => {
    expect(shownTo("admin", "contacts")).toBe(true);
    expect(shownTo("supervisor", "contacts")).toBe(false);
    expect(shownTo("supervisor", "messages")).toBe(false);
    expect(shownTo("supervisor", "dead-letters")).toBe(false);
    expect(shownTo("supervisor", "templates")).toBe(true);
    expect(sectionFromHash("#contacts", "supervisor")).toBe("hall");
    expect(sectionFromHash("#contacts", "admin")).toBe("contacts");
  });
});

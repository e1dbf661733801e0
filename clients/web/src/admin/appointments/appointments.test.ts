import { describe, expect, it } from "vitest";
import { isAppointmentSection, needsHall, sectionFromHash } from "../sections";
import type { Service } from "../types";
import { abuseBody, abuseSummary } from "./abuse";
import { bookingParams } from "./api";
import { bookingCell, bookingChart, dailyTotals, fulfilmentRate, noShowRate, totalRow } from "./bookingStats";
import { actorText, addDays, blankBookingFilters, entryState, liftProblem, liftedText, slotText, stateTag, stateText } from "./bookings";
import { checkInHint, checkInText, defaultPlan, placesText, planBody, planForm, planProblems, planRows, windowsText } from "./plans";
import type { BlacklistEntry, BookingStatsRow } from "./types";

const service = (id: string, name: string): Service => ({
  id,
  hall_id: "xc-01",
  name,
  prefix: "A",
  first_number: 1,
  last_number: 999,
  daily_cap: null,
  expected_minutes: 10,
  opening_hours: [],
  active: true,
});

const statsRow = (day: string, service_id: string, booked: number, checked_in: number, no_show: number, cancelled = 0): BookingStatsRow => ({
  day,
  service_id,
  booked,
  checked_in,
  late: 0,
  no_show,
  cancelled,
  fulfilment_rate: fulfilmentRate(checked_in, no_show),
  no_show_rate: noShowRate(booked, cancelled, no_show),
});

describe("booking plan form", () => {
  it("round-trips a plan through the form, every field sent", () => {
    const plan = { ...defaultPlan("xc-01", "huji"), closed_dates: ["2026-12-31", "2026-10-01"], capacity: null };
    const body = planBody("xc-01", "huji", planForm(plan));
    expect(body).toEqual({ ...plan, closed_dates: ["2026-10-01", "2026-12-31"] });
    expect(Object.keys(body).sort()).toEqual(Object.keys(defaultPlan("a", "b")).sort());
  });

  it("edits shares in per cent and sends fractions", () => {
    const form = planForm(defaultPlan("xc-01", "huji"));
    expect([form.share, form.min_share, form.max_share, form.backup_share]).toEqual([20, 10, 30, 20]);
    const body = planBody("xc-01", "huji", { ...form, share: 12.5, min_share: 5, max_share: 35 });
    expect([body.share, body.min_share, body.max_share]).toEqual([0.125, 0.05, 0.35]);
  });

  it("sends the capacity only when fixed", () => {
    const form = planForm(defaultPlan("xc-01", "qiye"));
    expect(form.fixed).toBe(false);
    expect(planBody("xc-01", "qiye", { ...form, capacity: 4 }).capacity).toBeNull();
    expect(planBody("xc-01", "qiye", { ...form, fixed: true, capacity: 4 }).capacity).toBe(4);
    expect(planForm({ ...defaultPlan("xc-01", "qiye"), capacity: 4 })).toMatchObject({ fixed: true, capacity: 4 });
  });

  it("cleans what the pickers give: weekdays, dates, times, prefix", () => {
    const form = {
      ...planForm(defaultPlan("xc-01", "huji")),
      windows: [{ weekdays: [5, 1, 3, 1], opens: "09:00", closes: "11:30" }],
      opens_at: "07:30",
      prefix: " yb ",
      extra_dates: ["2026-12-27", "2026-12-27", ""],
    };
    const body = planBody("xc-01", "huji", form);
    expect(body.id).toBe("xc-01:huji");
    expect(body.windows).toEqual([{ weekdays: [1, 3, 5], opens: "09:00:00", closes: "11:30:00" }]);
    expect(body.opens_at).toBe("07:30:00");
    expect(body.prefix).toBe("YB");
    expect(body.extra_dates).toEqual(["2026-12-27"]);
  });

  it("finds what the hub would refuse", () => {
    const good = defaultPlan("xc-01", "huji");
    expect(planProblems(good)).toEqual([]);
    const bad = {
      ...good,
      windows: [
        { weekdays: [], opens: "12:00:00", closes: "09:00:00" },
        { weekdays: [1], opens: "09:00:00", closes: "09:20:00" },
      ],
      min_share: 0.4,
      max_share: 0.3,
      prefix: "Y1",
      closed_dates: ["2026-12-27"],
      extra_dates: ["2026-12-27"],
    };
    expect(planProblems(bad)).toEqual([
      "预约时段第 1 行：请至少选择一天",
      "预约时段第 1 行：结束时间应晚于开始时间",
      "预约时段第 2 行：短于一个时段（30 分钟）",
      "比例下限不能高于上限",
      "预约号前缀应为 1–2 个大写字母",
      "2026-12-27 不能既是不办理日期又是调休工作日",
    ]);
    expect(planProblems({ ...good, windows: [] })).toEqual(["请至少设置一个预约时段"]);
    expect(planProblems({ ...good, windows: [], enabled: false })).toEqual([]);
  });

  it("lists every service of the hall with its plan", () => {
    const plans = [defaultPlan("xc-01", "huji"), defaultPlan("xc-02", "shebao"), defaultPlan("xc-01", "gone")];
    const rows = planRows("xc-01", [service("huji", "户籍办理"), service("shebao", "社保医保")], plans);
    expect(rows.map((r) => [r.service_id, r.name, r.plan?.id ?? null])).toEqual([
      ["huji", "户籍办理", "xc-01:huji"],
      ["shebao", "社保医保", null],
      ["gone", "gone", "xc-01:gone"],
    ]);
  });

  it("says a plan's slots and places in words", () => {
    const plan = defaultPlan("xc-01", "huji");
    expect(windowsText(plan)).toBe("周一至五 09:00–12:00、13:30–17:00");
    const weekend = { weekdays: [6], opens: "09:00:00", closes: "12:00:00" };
    expect(windowsText({ windows: [...plan.windows, weekend] })).toBe("周一至五 09:00–12:00、13:30–17:00；周六 09:00–12:00");
    expect(windowsText({ windows: [] })).toBe("未设置预约时段（不会放出号源）");
    expect(placesText(plan)).toBe("窗口产能的 20%（随负载 10%–30%）");
    expect(placesText({ ...plan, dynamic: false })).toBe("窗口产能的 20%");
    expect(placesText({ ...plan, capacity: 4 })).toBe("每时段 4 个");
  });
});

describe("the check-in window, from the plan's one setting", () => {
  it("is said from the two minutes being edited, in the form and in the list", () => {
    const plan = defaultPlan("xc-01", "huji");
    expect(checkInHint(plan)).toContain("时段开始前 30 分钟至开始后 15 分钟");
    const changed = { ...plan, checkin_early_minutes: 10, checkin_late_minutes: 5 };
    expect(checkInHint(changed)).toContain("时段开始前 10 分钟至开始后 5 分钟");
    expect(checkInText(changed)).toBe("提前 10 分钟至迟到 5 分钟");
  });
});

describe("abuse rules", () => {
  it("sends only the rules and says them in a sentence", () => {
    const rules = { id: "abuse", period_days: 30, no_show_limit: 2, cancel_limit: 5, same_matter_daily_limit: 3, blacklist_days: 90 };
    expect(abuseBody(rules)).not.toHaveProperty("id");
    expect(abuseSummary(rules)).toBe("30 天内爽约 2 次或取消 5 次，或一天内预约同一事项超过 3 次，暂停预约 90 天");
  });
});

describe("bookings and suspensions", () => {
  it("builds the search's query string", () => {
    const filters = blankBookingFilters("2026-11-26");
    expect(filters.range).toEqual(["2026-11-26", "2026-12-24"]);
    expect(bookingParams("xc-01", filters, 1, 20)).toBe("hall_id=xc-01&day_from=2026-11-26&day_to=2026-12-24&limit=20");
    expect(bookingParams("xc-01", { service_id: "huji", range: null, state: "no_show" }, 3, 20)).toBe(
      "hall_id=xc-01&service_id=huji&state=no_show&limit=20&skip=40",
    );
  });

  it("writes days and slots in the hall's time", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    const slot = { day: "2026-11-27", slot_start: "2026-11-27T01:30:00Z", slot_end: "2026-11-27T02:00:00Z" };
    expect(slotText(slot, "Asia/Shanghai")).toBe("2026-11-27 09:30–10:00");
    expect([stateText("no_show"), stateTag("no_show"), stateTag("checked_in"), stateText("odd")]).toEqual(["爽约", "danger", "success", "odd"]);
  });

  it("tells active, lifted and expired suspensions apart", () => {
    const entry: BlacklistEntry = {
      id: "p1",
      name: "张*三",
      since: "2026-11-01T02:00:00Z",
      until: "2027-01-30T02:00:00Z",
      reason: "30 天内爽约 2 次",
      lifted_at: null,
      lifted_by: "",
      lift_reason: "",
      audit: [],
    };
    const now = new Date("2026-11-26T02:00:00Z");
    expect(entryState(entry, now)).toBe("active");
    expect(entryState({ ...entry, until: "2026-11-20T00:00:00Z" }, now)).toBe("expired");
    const lifted = { ...entry, lifted_at: "2026-11-25T06:00:00Z", lifted_by: "大厅主管", lift_reason: "因病未到，已核实" };
    expect(entryState(lifted, now)).toBe("lifted");
    expect([actorText("system"), actorText("admin"), actorText("")]).toEqual(["系统", "admin", "—"]);
    expect(liftedText(lifted, "Asia/Shanghai")).toBe("大厅主管 于 2026-11-25 14:00 解除：因病未到，已核实");
  });

  it("asks for a reason to lift", () => {
    expect(liftProblem(" ")).toBe("请填写解除原因（至少 2 个字）");
    expect(liftProblem("核实")).toBe("");
    expect(liftProblem("x".repeat(201))).toBe("解除原因最多 200 字");
  });
});

describe("appointment statistics", () => {
  const rows = [
    statsRow("2026-11-24", "huji", 10, 7, 1, 2),
    statsRow("2026-11-24", "shebao", 4, 3, 1),
    statsRow("2026-11-26", "huji", 5, 0, 0, 1),
  ];

  it("computes the rates as the hub does", () => {
    expect(fulfilmentRate(7, 1)).toBe(0.875);
    expect(fulfilmentRate(0, 0)).toBeNull();
    expect(noShowRate(10, 2, 1)).toBe(0.125);
    expect(noShowRate(2, 2, 0)).toBeNull();
  });

  it("writes cells with service names and rates", () => {
    const names = { huji: "户籍办理" };
    expect(bookingCell(rows[0]!, "service_id", names)).toBe("户籍办理");
    expect(bookingCell(rows[1]!, "service_id", names)).toBe("shebao");
    expect(bookingCell(rows[0]!, "fulfilment_rate", names)).toBe("87.5%");
    expect(bookingCell(rows[2]!, "fulfilment_rate", names)).toBe("—");
    expect(bookingCell(rows[0]!, "booked", names)).toBe("10");
  });

  it("adds up the table", () => {
    expect(totalRow(rows)).toMatchObject({ booked: 19, checked_in: 10, no_show: 2, cancelled: 3, fulfilment_rate: 0.833, no_show_rate: 0.125 });
  });

  it("has a point for every day of the range", () => {
    const days = dailyTotals(rows, "2026-11-23", "2026-11-26");
    expect(days.map((d) => [d.day, d.booked, d.checked_in, d.no_show, d.fulfilment_rate])).toEqual([
      ["2026-11-23", 0, 0, 0, null],
      ["2026-11-24", 14, 10, 2, 0.833],
      ["2026-11-25", 0, 0, 0, null],
      ["2026-11-26", 5, 0, 0, null],
    ]);
  });

  it("charts booked, checked in and no-shows as bars, the fulfilment rate as a line in %", () => {
    const option = bookingChart(dailyTotals(rows, "2026-11-24", "2026-11-26"));
    const series = option.series as { name: string; type: string; data: unknown[]; yAxisIndex?: number }[];
    expect(series.map((s) => [s.name, s.type])).toEqual([
      ["预约数", "bar"],
      ["签到", "bar"],
      ["爽约", "bar"],
      ["履约率", "line"],
    ]);
    expect(series[0]?.data).toEqual([14, 0, 5]);
    expect(series[1]?.data).toEqual([10, 0, 0]);
    expect(series[2]?.data).toEqual([2, 0, 0]);
    expect(series[3]).toMatchObject({ yAxisIndex: 1, data: [83.3, null, null] });
    expect((option.xAxis as { data: string[] }).data).toEqual(["11-24", "11-25", "11-26"]);
  });
});

describe("sections", () => {
  it("opens the appointment center's sections by address", () => {
    expect(sectionFromHash("#booking-plans")).toBe("booking-plans");
    expect(isAppointmentSection("blacklist")).toBe(true);
    expect(isAppointmentSection("rules")).toBe(false);
    expect(needsHall("bookings")).toBe(true);
    expect(needsHall("booking-rules")).toBe(false);
    expect(needsHall("blacklist")).toBe(false);
    expect(needsHall("templates")).toBe(false);
  });
});

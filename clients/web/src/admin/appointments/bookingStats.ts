/** The appointment statistics as a table, a day-by-day series and a chart. Pure. */
import type { EChartsOption } from "echarts";
import { t } from "../../i18n";
import { percentText } from "../../staff/format";
import { addDays } from "./bookings";
import type { BookingStatsRow } from "./types";

export type StatsKey = keyof BookingStatsRow;

export const BOOKING_COLUMNS: readonly { key: StatsKey; kind: "day" | "service" | "count" | "rate" }[] = [
  { key: "day", kind: "day" },
  { key: "service_id", kind: "service" },
  { key: "booked", kind: "count" },
  { key: "checked_in", kind: "count" },
  { key: "late", kind: "count" },
  { key: "no_show", kind: "count" },
  { key: "cancelled", kind: "count" },
  { key: "fulfilment_rate", kind: "rate" },
  { key: "no_show_rate", kind: "rate" },
];

/** Checked in of those who had to come (checked in or no-show); null when nobody had. */
export function fulfilmentRate(checkedIn: number, noShow: number): number | null {
  return checkedIn + noShow > 0 ? Math.round((checkedIn / (checkedIn + noShow)) * 1000) / 1000 : null;
}

/** No-shows of the bookings not cancelled; null when none stood. */
export function noShowRate(booked: number, cancelled: number, noShow: number): number | null {
  return booked > cancelled ? Math.round((noShow / (booked - cancelled)) * 1000) / 1000 : null;
}

/** A cell as people read it: the service's name, rates as "87.5%", "—" when unknown. */
export function bookingCell(row: BookingStatsRow, key: StatsKey, names: Readonly<Record<string, string>>): string {
  const value = row[key];
  if (key === "service_id") return names[row.service_id] ?? row.service_id;
  if (value === null || value === undefined) return t.staffUi.empty;
  if (key === "fulfilment_rate" || key === "no_show_rate") return percentText(Number(value));
  return String(value);
}

/** Every row added up (the table's 合计 line), rates recomputed from the sums. */
export function totalRow(rows: readonly BookingStatsRow[]): BookingStatsRow {
  const sum = (key: "booked" | "checked_in" | "late" | "no_show" | "cancelled"): number =>
    rows.reduce((n, r) => n + r[key], 0);
  const booked = sum("booked");
  const checkedIn = sum("checked_in");
  const noShow = sum("no_show");
  const cancelled = sum("cancelled");
  return {
    day: t.admin.appointments.stats.total,
    service_id: "",
    booked,
    checked_in: checkedIn,
    late: sum("late"),
    no_show: noShow,
    cancelled,
    fulfilment_rate: fulfilmentRate(checkedIn, noShow),
    no_show_rate: noShowRate(booked, cancelled, noShow),
  };
}

export interface DayTotals {
  day: string;
  booked: number;
  checked_in: number;
  no_show: number;
  fulfilment_rate: number | null;
}

/** One point per day from `from` to `to` (every service added up; 0 on a day without
 * bookings), at most 366 days. */
export function dailyTotals(rows: readonly BookingStatsRow[], from: string, to: string): DayTotals[] {
  const byDay = new Map<string, DayTotals>();
  for (let day = from, n = 0; day <= to && n < 366; day = addDays(day, 1), n += 1) {
    byDay.set(day, { day, booked: 0, checked_in: 0, no_show: 0, fulfilment_rate: null });
  }
  for (const row of rows) {
    const totals = byDay.get(row.day);
    if (totals === undefined) continue;
    totals.booked += row.booked;
    totals.checked_in += row.checked_in;
    totals.no_show += row.no_show;
  }
  return [...byDay.values()].map((d) => ({ ...d, fulfilment_rate: fulfilmentRate(d.checked_in, d.no_show) }));
}

const COLORS = { booked: "#2563eb", checkedIn: "#16a34a", noShow: "#dc2626", fulfilment: "#7c3aed" };

/** Booked, checked in and no-shows per day (bars), the fulfilment rate (line, right axis, %). */
export function bookingChart(days: readonly DayTotals[]): EChartsOption {
  const c = t.admin.appointments.stats.chart;
  const labels = days.map((d) => d.day.slice(5));
  return {
    color: [COLORS.booked, COLORS.checkedIn, COLORS.noShow, COLORS.fulfilment],
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 40 },
    xAxis: { type: "category", data: labels, axisLabel: { rotate: labels.length > 16 ? 40 : 0 } },
    yAxis: [
      { type: "value", name: c.people, minInterval: 1 },
      { type: "value", name: c.fulfilment, min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } },
    ],
    series: [
      { name: c.booked, type: "bar", data: days.map((d) => d.booked), barMaxWidth: 24 },
      { name: c.checkedIn, type: "bar", data: days.map((d) => d.checked_in), barMaxWidth: 24 },
      { name: c.noShow, type: "bar", data: days.map((d) => d.no_show), barMaxWidth: 24 },
      {
        name: c.fulfilment,
        type: "line",
        yAxisIndex: 1,
        connectNulls: true,
        data: days.map((d) => (d.fulfilment_rate === null ? null : Math.round(d.fulfilment_rate * 1000) / 10)),
        tooltip: { valueFormatter: (value: unknown) => (typeof value === "number" ? `${value}%` : t.staffUi.empty) },
      },
    ],
  };
}

/** The statistics report as a table and as charts. Pure. */
import type { EChartsOption } from "echarts";
import { t } from "../i18n";
import { percentText, roundMinutes } from "../staff/format";
import type { GroupBy, StatsQuery, StatsReport, StatsRow } from "./types";

export type ColumnKind = "label" | "count" | "rate" | "minutes";

export const STAT_COLUMNS: readonly { key: keyof StatsRow; kind: ColumnKind }[] = [
  { key: "label", kind: "label" },
  { key: "arrived", kind: "count" },
  { key: "served", kind: "count" },
  { key: "no_show", kind: "count" },
  { key: "no_show_rate", kind: "rate" },
  { key: "avg_wait_minutes", kind: "minutes" },
  { key: "max_wait_minutes", kind: "minutes" },
  { key: "avg_service_minutes", kind: "minutes" },
  { key: "max_service_minutes", kind: "minutes" },
  { key: "over_target_rate", kind: "rate" },
  { key: "idle_minutes", kind: "minutes" },
];

export const GROUPS: readonly GroupBy[] = ["service", "counter", "clerk", "hour", "day", "hall"];

/** A cell as people read it: rates as "12.5%", minutes with one decimal, "—" when unknown. */
export function cellText(row: StatsRow, key: keyof StatsRow, kind: ColumnKind): string {
  const value = row[key];
  if (value === null || value === undefined) return t.staffUi.empty;
  if (kind === "rate") return percentText(Number(value));
  if (kind === "minutes") return String(roundMinutes(Number(value)));
  return String(value);
}

/** The query for one day or a range (`to` only when it differs). */
export function statsQuery(mode: "day" | "range", day: string, range: readonly string[] | null, by: GroupBy): StatsQuery | null {
  if (mode === "day") return day ? { day, to: null, by } : null;
  const [from, to] = range ?? [];
  if (!from || !to) return null;
  return { day: from, to: to === from ? null : to, by };
}

/** The file name of a `Content-Disposition: attachment; filename="…"` header. */
export function fileName(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(disposition);
  if (star?.[1]) return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ""));
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain?.[1]?.trim() || fallback;
}

const COLORS = { arrived: "#2563eb", served: "#16a34a", avgWait: "#f59e0b", maxWait: "#b91c1c" };

/** Arrivals and served per group (bars, left axis), average and longest wait (lines, right axis). */
export function volumeChart(report: StatsReport): EChartsOption {
  const c = t.admin.stats.chart;
  const labels = report.rows.map((r) => r.label);
  return {
    color: [COLORS.arrived, COLORS.served, COLORS.avgWait, COLORS.maxWait],
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 56 },
    xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 8 ? 30 : 0 } },
    yAxis: [
      { type: "value", name: c.people, minInterval: 1 },
      { type: "value", name: c.minutes, splitLine: { show: false } },
    ],
    series: [
      { name: c.arrived, type: "bar", data: report.rows.map((r) => r.arrived), barMaxWidth: 28 },
      { name: c.served, type: "bar", data: report.rows.map((r) => r.served), barMaxWidth: 28 },
      { name: c.avgWait, type: "line", yAxisIndex: 1, data: report.rows.map((r) => r.avg_wait_minutes), connectNulls: true },
      { name: c.maxWait, type: "line", yAxisIndex: 1, data: report.rows.map((r) => r.max_wait_minutes), connectNulls: true },
    ],
  };
}

/** Arrivals per hour ("09:00" → n), every hour of the working day present: from 08:00 (or
 * earlier) to 17:00 (or later), 0 for an hour nobody came. */
export function arrivalsByHour(rows: readonly StatsRow[]): { hour: string; arrived: number }[] {
  const counts = new Map<number, number>();
  for (const row of rows) {
    const hour = /^(\d{1,2}):/.exec(row.label)?.[1];
    if (hour !== undefined) counts.set(Number(hour), (counts.get(Number(hour)) ?? 0) + row.arrived);
  }
  const hours = [...counts.keys()];
  const first = Math.min(8, ...hours);
  const last = Math.max(17, ...hours);
  const out: { hour: string; arrived: number }[] = [];
  for (let h = first; h <= last; h += 1) {
    out.push({ hour: `${String(h).padStart(2, "0")}:00`, arrived: counts.get(h) ?? 0 });
  }
  return out;
}

/** Arrivals by hour of the day as a curve (for `by=hour`). */
export function arrivalCurve(report: StatsReport): EChartsOption {
  const c = t.admin.stats.chart;
  const points = arrivalsByHour(report.rows);
  return {
    color: [COLORS.arrived],
    tooltip: { trigger: "axis" },
    grid: { left: 48, right: 24, top: 36, bottom: 32 },
    xAxis: { type: "category", boundaryGap: false, data: points.map((p) => p.hour) },
    yAxis: { type: "value", name: c.people, minInterval: 1 },
    series: [
      {
        name: c.arrived,
        type: "line",
        smooth: true,
        areaStyle: { opacity: 0.15 },
        data: points.map((p) => p.arrived),
      },
    ],
  };
}

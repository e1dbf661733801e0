import type { Envelope } from "./types";

export const HALL_TIME_ZONE = "Asia/Shanghai";

const clocks = new Map<string, Intl.DateTimeFormat>();

/** "HH:mm:ss" (24-hour) of a moment in a time zone (default: the halls' Asia/Shanghai). */
export function formatClock(moment: Date | string, timeZone: string = HALL_TIME_ZONE): string {
  let format = clocks.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    clocks.set(timeZone, format);
  }
  const date = typeof moment === "string" ? new Date(moment) : moment;
  if (Number.isNaN(date.getTime())) return "--:--:--";
  const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.hour ?? "--"}:${parts.minute ?? "--"}:${parts.second ?? "--"}`;
}

/** "HH:mm" (24-hour) of a moment in a time zone (default: the halls' Asia/Shanghai). */
export function formatShortClock(moment: Date | string, timeZone: string = HALL_TIME_ZONE): string {
  return formatClock(moment, timeZone).slice(0, 5);
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** "YYYY-MM-DD" of a moment in a time zone (default: the halls' Asia/Shanghai). */
export function localDay(moment: Date, timeZone: string = HALL_TIME_ZONE): string {
  let format = dayFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dayFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(moment).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

export interface SummaryLabels {
  /** Field name → label, e.g. {hall_id: "大厅编号"}; unknown fields keep their name. */
  fields: Readonly<Record<string, string>>;
  yes: string;
  no: string;
  empty: string;
  /** Between "label" and "value". */
  colon: string;
  /** Between two fields. */
  separator: string;
}

/** One readable line for an event's data: "名称：西城区政务服务中心　大厅编号：xc-01". */
export function summarizeData(data: Record<string, unknown>, labels: SummaryLabels): string {
  return Object.entries(data)
    .map(([key, value]) => `${labels.fields[key] ?? key}${labels.colon}${formatValue(value, labels)}`)
    .join(labels.separator);
}

function formatValue(value: unknown, labels: SummaryLabels): string {
  if (value === null || value === undefined || value === "") return labels.empty;
  if (typeof value === "boolean") return value ? labels.yes : labels.no;
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.map((v) => formatValue(v, labels)).join("、");
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The newest `limit` events, newest first, from a list in seq order (a snapshot). */
export function newestFirst(events: readonly Envelope[], limit: number): Envelope[] {
  return [...events].sort((a, b) => b.seq - a.seq).slice(0, limit);
}

/** A new list with `event` in front, at most `limit` long. */
export function prependEvent(events: readonly Envelope[], event: Envelope, limit: number): Envelope[] {
  return [event, ...events].slice(0, limit);
}

/** Fill "{name}" placeholders of a catalog string. */
export function fmt(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}

const stamps = new Map<string, Intl.DateTimeFormat>();

/** "2026-11-26 12:40" (24-hour) of a moment in a time zone (default: Asia/Shanghai). */
export function formatDateTime(moment: Date | string, timeZone: string = HALL_TIME_ZONE): string {
  let format = stamps.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    stamps.set(timeZone, format);
  }
  const date = typeof moment === "string" ? new Date(moment) : moment;
  if (Number.isNaN(date.getTime())) return "";
  const p = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** An estimated wait in whole minutes to tell a person: rounded up, and never 0 while anyone
 * is still ahead. */
export function waitMinutes(minutes: number, ahead: number): number {
  const rounded = Math.ceil(Math.max(0, Number.isFinite(minutes) ? minutes : 0));
  return ahead > 0 ? Math.max(1, rounded) : rounded;
}

/** When a message came, as a list shows it: "13:18" today, "11-25 13:18" this year, else
 * "2025-11-25 13:18" (in a time zone, default Asia/Shanghai). */
export function formatStamp(moment: Date | string, now: Date = new Date(), timeZone: string = HALL_TIME_ZONE): string {
  const full = formatDateTime(moment, timeZone);
  if (!full) return "";
  const today = formatDateTime(now, timeZone);
  if (full.slice(0, 10) === today.slice(0, 10)) return full.slice(11);
  if (full.slice(0, 4) === today.slice(0, 4)) return full.slice(5);
  return full;
}

/** How staff screens write times and durations. */
import { HALL_TIME_ZONE, fmt, formatClock } from "@hallhub/client";
import { t } from "../i18n";

/** "12:05" in the hall's time zone; "—" without a time. */
export function hallTime(moment: string | null | undefined, timeZone: string = HALL_TIME_ZONE): string {
  if (!moment) return t.staffUi.empty;
  const clock = formatClock(moment, timeZone);
  return clock.slice(0, 5);
}

/** Minutes as shown: whole from 10 on, else to one decimal. */
export function roundMinutes(minutes: number): number {
  return minutes >= 10 ? Math.round(minutes) : Math.round(minutes * 10) / 10;
}

/** "3.5 分钟" ("3.5 分" short); "—" when unknown. */
export function minutesText(minutes: number | null | undefined, short = false): string {
  if (minutes === null || minutes === undefined || Number.isNaN(minutes)) return t.staffUi.empty;
  return fmt(short ? t.staffUi.minutesShort : t.staffUi.minutes, { n: roundMinutes(minutes) });
}

/** "12.5%" of a 0–1 rate; "—" when unknown. */
export function percentText(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return t.staffUi.empty;
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function localDay(now: Date, timeZone: string = HALL_TIME_ZONE): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(now);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

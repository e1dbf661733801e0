/** How staff screens write times and durations. */
import { HALL_TIME_ZONE, fmt, formatShortClock } from "@hallhub/client";
import { t } from "../i18n";

/** "12:05" in the hall's time zone; "—" without a time. */
export function hallTime(moment: string | null | undefined, timeZone: string = HALL_TIME_ZONE): string {
  if (!moment) return t.staffUi.empty;
  return formatShortClock(moment, timeZone);
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

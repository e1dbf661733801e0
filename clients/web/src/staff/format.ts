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

/** A duration as a clock shows it, minutes and seconds: "0:45", "12:05", "1:02:05" from an
 * hour on; "—" when unknown. Staff read a wait at a glance, never "0.9 分钟". */
export function durationText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return t.staffUi.empty;
  const whole = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, "0");
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** "12.5%" of a 0–1 rate; "—" when unknown. */
export function percentText(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return t.staffUi.empty;
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

/** Opening hours: how they read, and what is wrong with them. Pure. */
import { fmt, shortTime } from "@hallhub/client";
import { t } from "../i18n";
import type { OpeningHours } from "./types";

/** ISO weekdays as "一至五、日": runs of three or more days joined with 至. */
export function weekdaysText(weekdays: readonly number[]): string {
  const names = t.staffUi.weekdays;
  const days = [...new Set(weekdays)].filter((d) => d >= 1 && d <= 7).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === (days[j] ?? 0) + 1) j += 1;
    const first = names[(days[i] ?? 1) - 1] ?? "";
    const last = names[(days[j] ?? 1) - 1] ?? "";
    if (j - i >= 2) parts.push(`${first}至${last}`);
    else parts.push(...days.slice(i, j + 1).map((d) => names[d - 1] ?? ""));
    i = j + 1;
  }
  return parts.join("、");
}

/** "周一至五 08:30–17:30；周六 09:00–12:00", or `empty` when there are none. */
export function hoursSummary(hours: readonly OpeningHours[], empty: string): string {
  if (hours.length === 0) return empty;
  return hours
    .map((h) =>
      fmt(t.admin.hours.summary, {
        days: weekdaysText(h.weekdays),
        opens: shortTime(h.opens),
        closes: shortTime(h.closes),
      }),
    )
    .join("；");
}

/** What the hub would refuse, said before sending: a row without days, or one that closes
 * before it opens. */
export function hoursProblems(hours: readonly OpeningHours[]): string[] {
  const problems: string[] = [];
  hours.forEach((h, index) => {
    const row = index + 1;
    if (h.weekdays.length === 0) problems.push(fmt(t.admin.hours.noDays, { row }));
    if (!h.opens || !h.closes || h.opens >= h.closes) problems.push(fmt(t.admin.hours.badRange, { row }));
  });
  return problems;
}

/** A new row: Monday to Friday, office hours. */
export function defaultHours(): OpeningHours {
  return { weekdays: [1, 2, 3, 4, 5], opens: "08:30:00", closes: "17:30:00" };
}

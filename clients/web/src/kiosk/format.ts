/** How the kiosk writes numbers people type and read. */

/** "110105194910010021" → "110105 19491001 0021"; "13800000000" → "138 0000 0000". */
export function groupDigits(value: string, groups: readonly number[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of groups) {
    if (at >= value.length) break;
    parts.push(value.slice(at, at + size));
    at += size;
  }
  if (at < value.length) parts.push(value.slice(at));
  return parts.join(" ");
}

export const ID_GROUPS = [6, 8, 4] as const;
export const PHONE_GROUPS = [3, 4, 4] as const;
export const ID_LENGTH = 18;
export const PHONE_LENGTH = 11;

/** Whole minutes to tell a person (never "0" while they still wait). */
export function wholeMinutes(minutes: number, ahead: number): number {
  const rounded = Math.ceil(Math.max(0, minutes));
  return ahead > 0 ? Math.max(1, rounded) : rounded;
}

const stamps = new Map<string, Intl.DateTimeFormat>();

/** "2026-11-26 12:40" in the hall's time zone. */
export function formatStamp(iso: string, timeZone: string): string {
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
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const p = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

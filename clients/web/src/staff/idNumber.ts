/** Mainland resident ID numbers (GB 11643-1999), checked as the hub checks them: 18
 * characters, a real birth date from 1900 to today, the check digit right. Pure. */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECKS = "10X98765432";

/** What is wrong with an ID number, or "" when it is right. */
export type IdProblem = "" | "required" | "length" | "format" | "birth" | "check";

/** As typed, without spaces, full-width digits (a Chinese keyboard's １１０…) as ASCII, the
 * check letter upper case (the hub reads them the same way). */
export function normalizeIdNumber(value: string): string {
  return value.normalize("NFKC").replace(/\s+/g, "").toUpperCase();
}

/** The check character (0–9 or X) of the first 17 digits. */
export function idCheckDigit(first17: string): string {
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  return CHECKS[total % 11] ?? "";
}

function realBirthDate(value: string, today: Date): boolean {
  const year = Number(value.slice(6, 10));
  const month = Number(value.slice(10, 12));
  const day = Number(value.slice(12, 14));
  if (year < 1900) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real && date.getTime() <= Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
}

export function idNumberProblem(raw: string, today: Date = new Date()): IdProblem {
  const value = normalizeIdNumber(raw);
  if (!value) return "required";
  if (value.length !== 18) return "length";
  if (!/^\d{17}[\dX]$/.test(value)) return "format";
  if (!realBirthDate(value, today)) return "birth";
  return idCheckDigit(value.slice(0, 17)) === value[17] ? "" : "check";
}

export function isValidIdNumber(value: string): boolean {
  return idNumberProblem(value) === "";
}

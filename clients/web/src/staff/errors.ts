/** What to tell a person about a failed request, in the staff screens' words. */
import { fmt, type HubError } from "@hallhub/client";
import { t } from "../i18n";

type ErrorLike = Pick<HubError, "code" | "message" | "details">;

/** The catalog's text for the code (its `{placeholders}` filled from the error's details),
 * else the hub's own message (already Chinese), else the code. */
export function staffErrorText(error: ErrorLike): string {
  const template = t.staffUi.errors[error.code] ?? t.errors[error.code];
  if (template === undefined) return error.message || error.code;
  return fmt(template, scalarDetails(error.details));
}

/**
 * The details of a refused change as lines: `problems` of INVALID_HALL_SETUP as they are,
 * `errors` of INVALID_PAYLOAD as "field: why" (a field's label from `labels` by its last
 * part, e.g. "services.0.weight" → labels.weight).
 */
export function problemLines(error: ErrorLike, labels: Readonly<Record<string, string>> = {}): string[] {
  const details = error.details ?? {};
  if (Array.isArray(details.problems)) return details.problems.map(String);
  if (!Array.isArray(details.errors)) return [];
  return details.errors.map((item: unknown) => {
    if (typeof item !== "object" || item === null) return String(item);
    const { loc, msg, type } = item as { loc?: unknown; msg?: unknown; type?: unknown };
    const why = (typeof type === "string" && t.staffUi.validation[type]) || String(msg ?? "");
    const path = typeof loc === "string" ? loc : "";
    if (!path) return why;
    const last = path.split(".").filter((part) => !/^\d+$/.test(part)).pop() ?? path;
    return `${labels[last] ?? path}：${why}`;
  });
}

function scalarDetails(details: Record<string, unknown> | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(details ?? {})) {
    if (typeof value === "string" || typeof value === "number") out[key] = value;
  }
  return out;
}

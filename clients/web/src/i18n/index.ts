import type { HubError } from "@hallhub/client";
import zhCN, { type Messages } from "./zh-CN";

/** The active catalog (zh-CN; an English one can be picked here later). */
export const t: Messages = zhCN;

/** Fill "{name}" placeholders. */
export function fmt(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}

/** What to tell a person about a failed request. */
export function errorText(error: HubError): string {
  return t.errors[error.code] ?? error.message;
}

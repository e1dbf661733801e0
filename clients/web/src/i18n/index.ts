import type { HubError } from "@hallhub/client";
import zhCN, { type Messages } from "./zh-CN";

export { fmt } from "@hallhub/client";

/** The active catalog (zh-CN; an English one can be picked here later). */
export const t: Messages = zhCN;

/** What to tell a person about a failed request. */
export function errorText(error: HubError): string {
  return t.errors[error.code] ?? error.message;
}

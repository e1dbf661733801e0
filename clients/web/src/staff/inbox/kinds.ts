/** How the staff inbox tells kinds of message apart. Pure. */
import { t } from "../../i18n";

/** Staff alerts: something in the hall needs a look now. */
const ALERTS: ReadonlySet<string> = new Set(["counter_paused_alert", "long_wait_alert"]);

export function isAlert(kind: string): boolean {
  return ALERTS.has(kind);
}

/** The kind's short name ("窗口暂停"), or "" for one the catalog does not know. */
export function kindLabel(kind: string): string {
  return t.inbox.kinds[kind] ?? "";
}

/** A disabled action's reason as text. */
import { fmt } from "@hallhub/client";
import { t } from "../i18n";
import type { ActionState } from "./rules";

export function reasonText(state: ActionState): string {
  if (state.reason === null) return "";
  const template = t.workstation.reasons[state.reason] ?? state.reason;
  return fmt(template, state.values);
}

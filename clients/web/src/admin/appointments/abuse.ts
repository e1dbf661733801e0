/** The no-show and abuse rules' fields: their bounds (as the hub checks them) and how they
 * read. Pure. */
import { fmt } from "@hallhub/client";
import { t } from "../../i18n";
import type { AbuseRules } from "./types";

export const ABUSE_FIELDS: readonly { key: keyof AbuseRules; min: number; max: number }[] = [
  { key: "period_days", min: 1, max: 366 },
  { key: "no_show_limit", min: 1, max: 20 },
  { key: "cancel_limit", min: 1, max: 50 },
  { key: "same_matter_daily_limit", min: 1, max: 20 },
  { key: "blacklist_days", min: 1, max: 3650 },
];

/** Only the rules' fields (the hub's answer also carries its id). */
export function abuseBody(rules: AbuseRules): AbuseRules {
  return {
    period_days: rules.period_days,
    no_show_limit: rules.no_show_limit,
    cancel_limit: rules.cancel_limit,
    same_matter_daily_limit: rules.same_matter_daily_limit,
    blacklist_days: rules.blacklist_days,
  };
}

/** "30 天内爽约 2 次或取消 5 次，或一天内预约同一事项超过 3 次，暂停预约 90 天". */
export function abuseSummary(rules: AbuseRules): string {
  return fmt(t.admin.appointments.rules.summary, {
    period: rules.period_days,
    no_show: rules.no_show_limit,
    cancel: rules.cancel_limit,
    matter: rules.same_matter_daily_limit,
    days: rules.blacklist_days,
  });
}

/** People and groups as hall staff know them: 张三, 本大厅主管, 办事市民本人 — never the ids
 * and patterns the message center works with (`citizen:…`, `user:…`, `{topic}`,
 * `group:supervisors:{hall_id}`). Pure. */
import { fmt } from "@hallhub/client";
import { t } from "../../i18n";

/** Recipient ids' names, as the hub answers them with deliveries (`names`). */
export type Names = Readonly<Record<string, string>>;

const p = t.admin.notifier.people;

/** "citizen", "user", "group", or "" for an id of no known kind. */
export function recipientKind(id: string): "citizen" | "user" | "group" | "" {
  const kind = id.split(":", 1)[0] ?? "";
  return kind === "citizen" || kind === "user" || kind === "group" ? kind : "";
}

/** A group by what it is: "supervisors:xc-01" → 大厅主管（西城区政务服务中心）. */
export function groupText(group: string, halls: Names = {}): string {
  if (group === "video-supervisors") return p.videoSupervisors;
  if (group === "supervisors:{hall_id}") return p.hallSupervisors;
  if (group.startsWith("supervisors:")) {
    const hall = halls[group.slice("supervisors:".length)];
    return hall ? fmt(p.supervisorsOf, { hall }) : p.supervisors;
  }
  return fmt(p.group, { name: group });
}

/** A recipient by name (张三), or as what they are when no name is kept (市民（未登记姓名）). */
export function recipientName(id: string, names: Names, halls: Names = {}): string {
  const name = names[id];
  switch (recipientKind(id)) {
    case "citizen":
      return name || p.citizenUnnamed;
    case "user":
      return name || p.staffUnnamed;
    case "group":
      return groupText(id.slice("group:".length), halls);
    default:
      return name || id;
  }
}

/** What a rule's recipient pattern means: "{topic}" → 办事市民本人. */
export function patternText(pattern: string, names: Names = {}): string {
  const known = p.patterns[pattern];
  if (known !== undefined) return known;
  if (recipientKind(pattern) !== "") return recipientName(pattern, names);
  return fmt(p.custom, { pattern });
}

/** The patterns a rule form offers, by what they mean. */
export const SUGGESTED_PATTERNS: readonly string[] = Object.keys(p.patterns);

/** Sending rules as the back office edits them. Pure. */
import { fmt } from "@hallhub/client";
import { t } from "../../i18n";
import { CHANNELS, type Channel, type Rule } from "./types";

const RULE_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** "{topic}", "citizen:{citizen_id}", "user:alice", "group:supervisors:{hall_id}". */
const RECIPIENT = /^(\{\w+\}|(citizen|user|group):[^\s:][^\s]*)$/;

/** Events rules usually start from (the form also takes others). */
export const EVENT_TYPES: readonly string[] = Object.keys(t.admin.notifier.rules.events);

/** A new rule's id, made from its kind ("ticket-called", "ticket-called-2", …): hall staff
 * never have to name one (高级 lets them). */
export function ruleIdFor(kind: string, taken: readonly string[]): string {
  const base = (kind.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "rule").slice(0, 56);
  if (!taken.includes(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.includes(`${base}-${n}`)) return `${base}-${n}`;
}

export function blankRule(kind: string): Rule {
  return {
    id: "",
    event_type: "",
    kind,
    recipients: [],
    channels: ["in_app"],
    fallback: {},
    delay_minutes: 0,
    digest_minutes: 0,
    when: {},
    enabled: true,
  };
}

/** An event by what happened ("叫号"); one the list does not know: 其他事件. */
export function eventLabel(eventType: string): string {
  const rules = t.admin.notifier.rules;
  return rules.events[eventType] ?? rules.otherEvent;
}

/** The rule as it is sent: trimmed, channels in their usual order, fallbacks only of chosen
 * channels and to another channel. */
export function cleanRule(rule: Rule): Rule {
  const channels = CHANNELS.filter((c) => rule.channels.includes(c));
  const fallback: Partial<Record<Channel, Channel>> = {};
  for (const channel of channels) {
    const to = rule.fallback[channel];
    if (to !== undefined && to !== channel) fallback[channel] = to;
  }
  const when: Partial<Record<Channel, string>> = {};
  for (const channel of channels) {
    const field = rule.when?.[channel];
    if (field) when[channel] = field;
  }
  return {
    ...rule,
    when,
    id: rule.id.trim(),
    event_type: rule.event_type.trim(),
    recipients: [...new Set(rule.recipients.map((r) => r.trim()).filter(Boolean))],
    channels,
    fallback,
  };
}

/** What is wrong with a rule form; `others`: the other rules' ids. */
export function ruleProblems(rule: Rule, others: readonly string[], adding: boolean): string[] {
  const r = t.admin.notifier.rules;
  const problems: string[] = [];
  if (!RULE_ID.test(rule.id)) problems.push(r.badId);
  else if (adding && others.includes(rule.id)) problems.push(fmt(r.idTaken, { id: rule.id }));
  if (!rule.event_type) problems.push(r.eventRequired);
  if (!rule.kind) problems.push(r.kindRequired);
  if (rule.recipients.length === 0) problems.push(r.recipientsRequired);
  for (const pattern of rule.recipients) {
    if (!RECIPIENT.test(pattern)) problems.push(r.badRecipient.replace("{pattern}", pattern));
  }
  if (rule.channels.length === 0) problems.push(r.channelsRequired);
  for (const [from, to] of Object.entries(rule.fallback)) {
    if (from === to) problems.push(fmt(r.badFallback, { channel: t.admin.notifier.channels[from] ?? from }));
  }
  return problems;
}

/** "短信失败时改用站内消息" for each fallback, or "". */
export function fallbackText(rule: Pick<Rule, "fallback">): string {
  const n = t.admin.notifier;
  return Object.entries(rule.fallback)
    .map(([from, to]) => `${fmt(n.rules.fallbackOf, { channel: n.channels[from] ?? from })}${n.channels[to] ?? to}`)
    .join("；");
}

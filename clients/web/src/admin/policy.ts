/** The calling policy's fields: their bounds (as the hub checks them) and labels. Pure. */
import { t } from "../i18n";
import { TAGS, type CallingPolicy, type Tag } from "./types";

export type NumberField = Exclude<keyof CallingPolicy, "tag_weights" | "requeue_behind">;

export interface FieldSpec {
  key: NumberField;
  label: string;
  min: number;
  max: number;
  hint?: string;
}

const p = t.admin.policy;

export const POLICY_GROUPS: readonly { title: string; fields: readonly FieldSpec[] }[] = [
  {
    title: p.minutesGroup,
    fields: [
      { key: "max_wait_minutes", label: p.maxWait, min: 5, max: 600, hint: p.maxWaitHint },
      { key: "appointment_early_minutes", label: p.appointmentEarly, min: 0, max: 120 },
      { key: "appointment_late_minutes", label: p.appointmentLate, min: 0, max: 120, hint: p.appointmentHint },
    ],
  },
  {
    title: p.callingGroup,
    fields: [
      { key: "no_show_min_calls", label: p.noShowMinCalls, min: 1, max: 5 },
      { key: "announce_repeat", label: p.announceRepeat, min: 1, max: 5 },
      { key: "turn_near_ahead", label: p.turnNearAhead, min: 0, max: 50 },
      { key: "turn_near_minutes", label: p.turnNearMinutes, min: 0, max: 120 },
    ],
  },
  {
    title: p.requeueGroup,
    fields: [{ key: "requeue_limit", label: p.requeueLimit, min: 0, max: 5, hint: p.requeueLimitHint }],
  },
  {
    title: p.limitsGroup,
    fields: [
      { key: "per_person_daily_limit", label: p.perPersonLimit, min: 1, max: 50 },
      { key: "service_level_minutes", label: p.serviceLevel, min: 1, max: 600 },
    ],
  },
];

export const RATIO = { min: 0, max: 20 } as const;
/** Behind how many waiting tickets a no-show goes back in (the hub's bounds). */
export const REQUEUE_BEHIND = { min: 0, max: 100, usual: 3 } as const;
export const TAG_WEIGHT = { min: 0, max: 100 } as const;

/** Every tag with its weight (0 for a tag the policy does not mention). */
export function tagWeights(policy: CallingPolicy): Record<Tag, number> {
  return Object.fromEntries(TAGS.map((tag) => [tag, policy.tag_weights[tag] ?? 0])) as Record<Tag, number>;
}

/** A copy to edit: every number present, every tag weighted. */
export function editablePolicy(policy: CallingPolicy): CallingPolicy {
  return { ...policy, tag_weights: tagWeights(policy) };
}

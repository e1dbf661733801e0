/** Booking plans as the back office edits them: the form (shares in per cent), the body the
 * hub takes (every field), what is wrong before sending, and how a plan reads in the table.
 * Pure. */
import { fmt, shortTime } from "@hallhub/client";
import { t } from "../../i18n";
import { weekdaysText } from "../hours";
import type { Service } from "../types";
import type { BookingPlan } from "./types";

const PREFIX = /^[A-Z]{1,2}$/;

/** The plan as the dialog edits it: shares as whole per cents, the fixed capacity apart. */
export type PlanForm = Omit<BookingPlan, "id" | "hall_id" | "service_id" | "capacity"> & {
  /** Fixed places per slot instead of the share. */
  fixed: boolean;
  capacity: number;
};

export type PlanNumber = {
  [K in keyof PlanForm]: PlanForm[K] extends number ? K : never;
}[keyof PlanForm];

/** The bounds the hub checks (appointments/models.py), shares in per cent. */
export const PLAN_BOUNDS: Readonly<Record<PlanNumber, { min: number; max: number }>> = {
  slot_minutes: { min: 5, max: 240 },
  share: { min: 0, max: 100 },
  min_share: { min: 0, max: 100 },
  max_share: { min: 0, max: 100 },
  capacity: { min: 0, max: 500 },
  backup_share: { min: 0, max: 100 },
  backup_release_hours: { min: 0, max: 336 },
  horizon_days: { min: 1, max: 30 },
  min_lead_minutes: { min: 0, max: 1440 },
  walkin_release_minutes: { min: 0, max: 1440 },
  cancel_deadline_minutes: { min: 0, max: 10080 },
  checkin_early_minutes: { min: 0, max: 240 },
  checkin_late_minutes: { min: 0, max: 240 },
  queue_lead_minutes: { min: 0, max: 60 },
  reminder_hours: { min: 0, max: 72 },
};

/** A new plan with the hub's defaults (Monday to Friday 09:00–12:00 and 13:30–17:00). */
export function defaultPlan(hallId: string, serviceId: string): BookingPlan {
  return {
    id: `${hallId}:${serviceId}`,
    hall_id: hallId,
    service_id: serviceId,
    enabled: true,
    windows: [
      { weekdays: [1, 2, 3, 4, 5], opens: "09:00:00", closes: "12:00:00" },
      { weekdays: [1, 2, 3, 4, 5], opens: "13:30:00", closes: "17:00:00" },
    ],
    slot_minutes: 30,
    share: 0.2,
    dynamic: true,
    min_share: 0.1,
    max_share: 0.3,
    capacity: null,
    backup_share: 0.2,
    backup_release_hours: 24,
    backup_when_full: true,
    horizon_days: 5,
    opens_at: "08:00:00",
    min_lead_minutes: 60,
    walkin_release_minutes: 30,
    cancel_deadline_minutes: 120,
    checkin_early_minutes: 30,
    checkin_late_minutes: 15,
    late_becomes_walkin: true,
    queue_lead_minutes: 5,
    prefix: "Y",
    closed_dates: [],
    extra_dates: [],
    reminder_hours: 18,
  };
}

/** 0.2 → 20 (whole per cents are what people type; 0.125 → 12.5). */
function percent(share: number): number {
  return Math.round(share * 1000) / 10;
}

/** 20 → 0.2, to three decimals as the hub keeps them. */
function fraction(pct: number): number {
  return Math.round(pct * 10) / 1000;
}

/** "09:00" → "09:00:00"; a full time stays as it is. */
export function fullTime(time: string): string {
  return /^\d{2}:\d{2}$/.test(time) ? `${time}:00` : time;
}

function days(list: readonly string[]): string[] {
  return [...new Set(list.filter(Boolean))].sort();
}

export function planForm(plan: BookingPlan): PlanForm {
  return {
    enabled: plan.enabled,
    windows: plan.windows.map((w) => ({ weekdays: [...w.weekdays], opens: w.opens, closes: w.closes })),
    slot_minutes: plan.slot_minutes,
    share: percent(plan.share),
    dynamic: plan.dynamic,
    min_share: percent(plan.min_share),
    max_share: percent(plan.max_share),
    fixed: plan.capacity !== null,
    capacity: plan.capacity ?? 10,
    backup_share: percent(plan.backup_share),
    backup_release_hours: plan.backup_release_hours,
    backup_when_full: plan.backup_when_full,
    horizon_days: plan.horizon_days,
    opens_at: plan.opens_at,
    min_lead_minutes: plan.min_lead_minutes,
    walkin_release_minutes: plan.walkin_release_minutes,
    cancel_deadline_minutes: plan.cancel_deadline_minutes,
    checkin_early_minutes: plan.checkin_early_minutes,
    checkin_late_minutes: plan.checkin_late_minutes,
    late_becomes_walkin: plan.late_becomes_walkin,
    queue_lead_minutes: plan.queue_lead_minutes,
    prefix: plan.prefix,
    closed_dates: [...plan.closed_dates],
    extra_dates: [...plan.extra_dates],
    reminder_hours: plan.reminder_hours,
  };
}

/** The PUT body: every field of the plan, shares as fractions, the capacity null unless
 * fixed, weekdays and dates sorted without repeats, times as "HH:MM:SS". */
export function planBody(hallId: string, serviceId: string, form: PlanForm): BookingPlan {
  return {
    id: `${hallId}:${serviceId}`,
    hall_id: hallId,
    service_id: serviceId,
    enabled: form.enabled,
    windows: form.windows.map((w) => ({
      weekdays: [...new Set(w.weekdays)].sort((a, b) => a - b),
      opens: fullTime(w.opens),
      closes: fullTime(w.closes),
    })),
    slot_minutes: form.slot_minutes,
    share: fraction(form.share),
    dynamic: form.dynamic,
    min_share: fraction(form.min_share),
    max_share: fraction(form.max_share),
    capacity: form.fixed ? form.capacity : null,
    backup_share: fraction(form.backup_share),
    backup_release_hours: form.backup_release_hours,
    backup_when_full: form.backup_when_full,
    horizon_days: form.horizon_days,
    opens_at: fullTime(form.opens_at),
    min_lead_minutes: form.min_lead_minutes,
    walkin_release_minutes: form.walkin_release_minutes,
    cancel_deadline_minutes: form.cancel_deadline_minutes,
    checkin_early_minutes: form.checkin_early_minutes,
    checkin_late_minutes: form.checkin_late_minutes,
    late_becomes_walkin: form.late_becomes_walkin,
    queue_lead_minutes: form.queue_lead_minutes,
    prefix: form.prefix.trim().toUpperCase(),
    closed_dates: days(form.closed_dates),
    extra_dates: days(form.extra_dates),
    reminder_hours: form.reminder_hours,
  };
}

function minutesOf(time: string): number {
  const [h, m] = time.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** What the hub would refuse (or what would give no slots), said before sending. */
export function planProblems(plan: BookingPlan): string[] {
  const p = t.admin.appointments.plans;
  const problems: string[] = [];
  if (plan.enabled && plan.windows.length === 0) problems.push(p.noWindows);
  plan.windows.forEach((w, index) => {
    const row = index + 1;
    if (w.weekdays.length === 0) problems.push(fmt(p.noDays, { row }));
    if (!w.opens || !w.closes || w.opens >= w.closes) problems.push(fmt(p.badRange, { row }));
    else if (minutesOf(w.closes) - minutesOf(w.opens) < plan.slot_minutes) {
      problems.push(fmt(p.shortWindow, { row, n: plan.slot_minutes }));
    }
  });
  if (plan.min_share > plan.max_share) problems.push(p.badShares);
  if (!PREFIX.test(plan.prefix)) problems.push(p.badPrefix);
  if (!plan.opens_at) problems.push(p.badTime);
  for (const day of plan.closed_dates) {
    if (plan.extra_dates.includes(day)) problems.push(fmt(p.bothDates, { day }));
  }
  return problems;
}

/** A row of the plans table: every service of the hall, with its plan or none; plans of
 * services the hall no longer has come last. */
export interface PlanRow {
  service_id: string;
  name: string;
  plan: BookingPlan | null;
}

export function planRows(hallId: string, services: readonly Service[], plans: readonly BookingPlan[]): PlanRow[] {
  const mine = plans.filter((p) => p.hall_id === hallId);
  const rows: PlanRow[] = services.map((s) => ({
    service_id: s.id,
    name: s.name,
    plan: mine.find((p) => p.service_id === s.id) ?? null,
  }));
  for (const plan of mine) {
    if (!services.some((s) => s.id === plan.service_id)) rows.push({ service_id: plan.service_id, name: plan.service_id, plan });
  }
  return rows;
}

/** "周一至五 09:00–12:00、13:30–17:00；周六 09:00–12:00": windows of the same days together. */
export function windowsText(plan: Pick<BookingPlan, "windows">): string {
  const p = t.admin.appointments.plans;
  if (plan.windows.length === 0) return p.windowsEmpty;
  const groups: { days: number[]; times: string[] }[] = [];
  for (const w of plan.windows) {
    const days = [...new Set(w.weekdays)].sort((a, b) => a - b);
    const time = `${shortTime(w.opens)}–${shortTime(w.closes)}`;
    const group = groups.find((g) => g.days.join() === days.join());
    if (group) group.times.push(time);
    else groups.push({ days, times: [time] });
  }
  return groups.map((g) => fmt(p.windowsSummary, { days: weekdaysText(g.days), times: g.times.join("、") })).join("；");
}

/** "每时段 4 个", "窗口产能的 20%（随负载 10%–30%）". */
export function placesText(plan: BookingPlan): string {
  const p = t.admin.appointments.plans;
  if (plan.capacity !== null) return fmt(p.placesFixed, { n: plan.capacity });
  const share = percent(plan.share);
  if (!plan.dynamic) return fmt(p.placesShare, { share });
  return fmt(p.placesDynamic, { share, min: percent(plan.min_share), max: percent(plan.max_share) });
}

export function horizonText(plan: BookingPlan): string {
  return fmt(t.admin.appointments.plans.horizonText, { days: plan.horizon_days, time: shortTime(plan.opens_at) });
}

export function checkInText(plan: Pick<BookingPlan, "checkin_early_minutes" | "checkin_late_minutes">): string {
  return fmt(t.admin.appointments.plans.checkInText, { early: plan.checkin_early_minutes, late: plan.checkin_late_minutes });
}

/** The plan form's words on the check-in window, from the two settings being edited: the one
 * setting the H5 pages, the messages and check-in itself follow. */
export function checkInHint(plan: Pick<BookingPlan, "checkin_early_minutes" | "checkin_late_minutes">): string {
  return fmt(t.admin.appointments.plans.hints.checkin ?? "", {
    early: plan.checkin_early_minutes,
    late: plan.checkin_late_minutes,
  });
}

/** The order a counter will call its waiting tickets in if nothing changes: the hub's calling
 * policy (queueing/domain.py `choose_next`, `calling_order`), so the workstation's list stays
 * right between snapshots and as time passes. tests/queueing/calling_order.json holds cases
 * both implementations must answer alike (pytest and vitest run them). */

export interface CallingPolicy {
  max_wait_minutes: number;
  appointment_early_minutes: number;
  appointment_late_minutes: number;
  normal_per_priority: number;
}

/** What the order is made of, per ticket. */
export interface Orderable {
  ticket_id: string;
  status: string;
  service_id: string;
  serial: number;
  priority: number;
  queue_time: string;
  target_counter_id: string | null;
  appointment: { slot_start: string } | null;
}

/** The counter: its id and the weight of each service it serves. */
export interface CallingCounter {
  counter_id: string;
  weights: Readonly<Record<string, number>>;
}

export type Reason = "overdue" | "appointment" | "priority" | "normal";

const MINUTE = 60_000;

const at = (iso: string): number => Date.parse(iso);

export function eligible(ticket: Orderable, counter: CallingCounter): boolean {
  if (ticket.status !== "waiting") return false;
  if (ticket.target_counter_id !== null) return ticket.target_counter_id === counter.counter_id;
  return Object.hasOwn(counter.weights, ticket.service_id);
}

function inWindow(ticket: Orderable, policy: CallingPolicy, now: number): boolean {
  if (ticket.appointment === null) return false;
  const start = at(ticket.appointment.slot_start);
  return start - policy.appointment_early_minutes * MINUTE <= now && now <= start + policy.appointment_late_minutes * MINUTE;
}

type Key = readonly (number | string)[];

function compare(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] as number | string;
    const y = b[i] as number | string;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

function least<T>(items: readonly T[], key: (item: T) => Key): T {
  let best = items[0] as T;
  let bestKey = key(best);
  for (const item of items.slice(1)) {
    const k = key(item);
    if (compare(k, bestKey) < 0) {
      best = item;
      bestKey = k;
    }
  }
  return best;
}

const fifo = (t: Orderable): Key => [at(t.queue_time), t.serial, t.ticket_id];
const bySlot = (t: Orderable): Key => [t.appointment ? at(t.appointment.slot_start) : at(t.queue_time), ...fifo(t)];

/** The ticket this counter calls next, and why; null when none is eligible. */
export function chooseNext<T extends Orderable>(
  waiting: readonly T[],
  counter: CallingCounter,
  normalStreak: number,
  policy: CallingPolicy,
  now: number,
): { ticket: T; reason: Reason } | null {
  const candidates = waiting.filter((t) => eligible(t, counter));
  if (candidates.length === 0) return null;
  const limit = now - policy.max_wait_minutes * MINUTE;
  const overdue = candidates.filter((t) => at(t.queue_time) <= limit);
  if (overdue.length > 0) return { ticket: least(overdue, fifo), reason: "overdue" };
  const booked = candidates.filter((t) => inWindow(t, policy, now));
  if (booked.length > 0) return { ticket: least(booked, bySlot), reason: "appointment" };
  // A booking waiting for its slot (queue time still ahead) is not a priority case yet.
  const isPriority = (t: T): boolean => t.priority > 0 && at(t.queue_time) <= now;
  const priority = candidates.filter(isPriority);
  const normal = candidates.filter((t) => !isPriority(t));
  if (priority.length > 0 && (normal.length === 0 || normalStreak >= policy.normal_per_priority)) {
    return { ticket: least(priority, (t) => [-t.priority, ...fifo(t)]), reason: "priority" };
  }
  const weighted = (t: T): Key => {
    const waited = Math.max((now - at(t.queue_time)) / 1000, 0) + 1;
    return [-waited * (counter.weights[t.service_id] ?? 1), ...fifo(t)];
  };
  return { ticket: least(normal, weighted), reason: "normal" };
}

function nextStreak(streak: number, ticket: Orderable, reason: Reason): number {
  if (ticket.priority > 0) return 0;
  if (reason === "appointment") return streak;
  return streak + 1;
}

/** The policy applied again and again, from where the counter is in its normal/priority cycle. */
export function callingOrder<T extends Orderable>(
  waiting: readonly T[],
  counter: CallingCounter,
  normalStreak: number,
  policy: CallingPolicy,
  now: number,
): T[] {
  let left = waiting.filter((t) => eligible(t, counter));
  const order: T[] = [];
  let streak = normalStreak;
  while (left.length > 0) {
    const choice = chooseNext(left, counter, streak, policy, now);
    if (choice === null) break;
    order.push(choice.ticket);
    streak = nextStreak(streak, choice.ticket, choice.reason);
    left = left.filter((t) => t.ticket_id !== choice.ticket.ticket_id);
  }
  return order;
}

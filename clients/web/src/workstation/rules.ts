/** The workstation's rules, pure: which action makes sense now, which key does what, which
 * pause reason and transfer target to send. */
import type { CounterStatus, TicketStatus } from "@hallhub/client";

export type ActionName =
  | "call_next"
  | "recall"
  | "start"
  | "finish"
  | "no_show"
  | "transfer"
  | "pause"
  | "resume"
  | "call_ticket"
  | "park";

/** Every action, in the order of their buttons (`pause` and `resume` share one: `buttonsFor`). */
export const ACTIONS: readonly ActionName[] = [
  "call_next",
  "recall",
  "start",
  "finish",
  "no_show",
  "transfer",
  "pause",
  "resume",
  "call_ticket",
  "park",
];

/** The buttons shown at a counter in this status: one button for 暂停服务 and 恢复服务 (F7
 * toggles), showing the one that applies. */
export function buttonsFor(status: CounterStatus): ActionName[] {
  const toggle: ActionName = status === "paused" ? "resume" : "pause";
  return ACTIONS.filter((a) => a !== "resume").map((a) => (a === "pause" ? toggle : a));
}

/** The key of each action (shown on its button); F7 pauses an open counter, resumes a paused one. */
export const HOTKEY_OF: Readonly<Record<ActionName, string>> = {
  call_next: "F1",
  recall: "F2",
  start: "F3",
  finish: "F4",
  no_show: "F5",
  transfer: "F6",
  pause: "F7",
  resume: "F7",
  call_ticket: "F8",
  park: "F10",
};

/** 预约签到 (check a booking in by ID number): not a counter action, open at any status. */
export const CHECK_IN_KEY = "F9";

/** What a key can do: a counter action, or open the check-in dialog. */
export type KeyAction = ActionName | "check_in";

const KEYS: Readonly<Record<string, KeyAction>> = {
  F1: "call_next",
  F2: "recall",
  F3: "start",
  F4: "finish",
  F5: "no_show",
  F6: "transfer",
  F7: "pause",
  F8: "call_ticket",
  [CHECK_IN_KEY]: "check_in",
  F10: "park",
};

/** A key the workstation owns: the browser must not act on it (F5 would reload the page, F10
 * open the browser's menu). */
export function isHotkey(key: string): boolean {
  return key in KEYS;
}

/** What a key does at a counter in this status; null: not a hotkey. */
export function hotkeyAction(key: string, status: CounterStatus): KeyAction | null {
  const action = KEYS[key];
  if (action === undefined) return null;
  return action === "pause" && status === "paused" ? "resume" : action;
}

export interface KeyPress {
  key: string;
  repeat: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

export interface KeyDecision {
  /** Call preventDefault: the browser must not handle the key. */
  prevent: boolean;
  /** The action to run, or null. */
  action: KeyAction | null;
}

/**
 * A key press at the workstation: every F1–F10 is kept from the browser; it runs an action only
 * when pressed alone (no modifier, not held down) and no dialog is open or focused.
 */
export function decideKey(press: KeyPress, status: CounterStatus, inDialog: boolean): KeyDecision {
  if (!isHotkey(press.key)) return { prevent: false, action: null };
  const modified = press.ctrlKey || press.altKey || press.metaKey || press.shiftKey;
  if (modified || press.repeat || inDialog) return { prevent: true, action: null };
  return { prevent: true, action: hotkeyAction(press.key, status) };
}

/** What the rules look at. */
export interface DeskState {
  status: CounterStatus;
  current: { status: TicketStatus; call_count: number } | null;
  /** Tickets in this counter's queue. */
  waiting: number;
  /** A waiting ticket is selected (for F8). */
  selected: boolean;
  noShowMinCalls: number;
}

/** Whether an action can be done, and if not why: a code of `t.workstation.reasons`, with
 * the values its text needs. */
export interface ActionState {
  enabled: boolean;
  reason: string | null;
  values: Record<string, number>;
}

const OK: ActionState = { enabled: true, reason: null, values: {} };

function no(reason: string, values: Record<string, number> = {}): ActionState {
  return { enabled: false, reason, values };
}

/** The counter can call someone: open, not paused, holding no ticket. */
function free(state: DeskState): ActionState {
  if (state.status === "closed") return no("COUNTER_CLOSED");
  if (state.status === "paused") return no("COUNTER_PAUSED");
  if (state.current !== null) return no("COUNTER_BUSY");
  return OK;
}

/** The counter holds a ticket (optionally: in one of these statuses). */
function holding(state: DeskState, statuses?: readonly TicketStatus[]): ActionState {
  if (state.status === "closed") return no("COUNTER_CLOSED");
  if (state.current === null) return no("NO_CURRENT_TICKET");
  if (statuses && !statuses.includes(state.current.status)) return no("NOT_CALLED");
  return OK;
}

export function actionState(action: ActionName, state: DeskState): ActionState {
  switch (action) {
    case "call_next": {
      const base = free(state);
      return base.enabled && state.waiting === 0 ? no("NO_TICKET_WAITING") : base;
    }
    case "call_ticket": {
      const base = free(state);
      return base.enabled && !state.selected ? no("NO_SELECTION") : base;
    }
    case "recall":
    case "start":
      return holding(state, ["called"]);
    case "no_show": {
      const base = holding(state, ["called"]);
      if (!base.enabled || state.current === null) return base;
      const calls = state.current.call_count;
      const needed = state.noShowMinCalls;
      return calls < needed ? no("TOO_FEW_CALLS", { calls, needed }) : OK;
    }
    case "finish":
    case "transfer":
    case "park":
      return holding(state);
    case "pause": {
      if (state.status === "closed") return no("COUNTER_CLOSED");
      if (state.status === "paused") return no("COUNTER_PAUSED");
      return state.current === null ? OK : no("COUNTER_BUSY");
    }
    case "resume":
      if (state.status === "closed") return no("COUNTER_CLOSED");
      return state.status === "paused" ? OK : no("NOT_PAUSED");
  }
}

export function actionStates(state: DeskState): Record<ActionName, ActionState> {
  return Object.fromEntries(ACTIONS.map((a) => [a, actionState(a, state)])) as Record<
    ActionName,
    ActionState
  >;
}

/** Whether a no-show ticket can be put back in the queue (过号重新排队) from this counter: as
 * often as the hall's policy allows (`limit`; 0: never), by a clerk signed in here. */
export function requeueState(ticket: { requeued: number }, limit: number, status: CounterStatus): ActionState {
  if (status === "closed") return no("COUNTER_CLOSED");
  if (limit === 0) return no("REQUEUE_OFF");
  return ticket.requeued >= limit ? no("REQUEUE_LIMIT", { limit }) : OK;
}

/** How many more calls before the current ticket may be marked a no-show. */
export function callsNeeded(current: { call_count: number } | null, minCalls: number): number {
  return current === null ? 0 : Math.max(0, minCalls - current.call_count);
}

/** The reason sent with `pause`: the chosen common reason, with the clerk's note after it; for
 * "other" the note alone (required). Null when nothing usable was given. At most 60 characters. */
export function pauseReason(choice: string, note: string, other: string): string | null {
  const text = note.trim();
  let reason: string;
  if (choice === other || choice === "") reason = text;
  else reason = text ? `${choice}：${text}` : choice;
  return reason ? reason.slice(0, 60) : null;
}

export type TransferTarget = { service_id: string } | { to_counter_id: string };

/** The payload of `transfer`: to a service or to a counter, exactly one; null if none chosen. */
export function transferTarget(mode: "service" | "counter", serviceId: string, counterId: string): TransferTarget | null {
  if (mode === "service") return serviceId ? { service_id: serviceId } : null;
  return counterId ? { to_counter_id: counterId } : null;
}

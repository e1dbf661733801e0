/** The workstation's state and its pure reducer (like the hall board's `applyBoardEvent`): the
 * snapshot once, then `desk:<hall>` (every ticket of the hall, whole) and `counter:<id>` events.
 * The lists and figures are views of the tickets kept (`deskView`), made for a given time: the
 * calling order moves as tickets wait. A new day or a changed hall asks for a reload. */
import { isEvent, type Envelope, type EventData } from "@hallhub/client";
import { callingOrder, eligible, type CallingCounter } from "./callingOrder";
import type { ClerkFigures, ClerkTicket, DeskTicket, DeskView, WorkstationSnapshot } from "./types";

export interface DeskState {
  /** The snapshot's parts that change only with the hall's configuration (a reload). */
  base: Omit<DeskView, "counter" | "open" | "current" | "waiting" | "parked" | "history" | "mine" | "figures">;
  counter: DeskView["counter"];
  /** The tickets this desk shows: waiting for it, held or parked here, done here. */
  tickets: Readonly<Record<string, DeskTicket>>;
  /** The clerk's own tickets of the day (their figures). */
  mine: Readonly<Record<string, ClerkTicket>>;
}

export interface DeskChange {
  state: DeskState;
  reload: boolean;
}

const AT_COUNTER = new Set(["called", "serving", "parked"]);
const DONE = new Set(["finished", "no_show"]);

function callingCounter(state: Pick<DeskState, "counter">): CallingCounter {
  return { counter_id: state.counter.counter_id, weights: state.counter.weights };
}

/** Whether the desk keeps a ticket: eligible and waiting, at this counter, or done here. */
function kept(state: Pick<DeskState, "counter">, ticket: DeskTicket): boolean {
  const here = state.counter.counter_id;
  if (ticket.status === "waiting") return eligible(ticket, callingCounter(state));
  if (AT_COUNTER.has(ticket.status)) return ticket.counter_id === here;
  return DONE.has(ticket.status) && ticket.called_at_counters.includes(here);
}

function clerkTicket(ticket: DeskTicket): ClerkTicket {
  const { ticket_id, status, queue_time, called_at, serving_at, finished_at } = ticket;
  return { ticket_id, status, queue_time, called_at, serving_at, finished_at };
}

export function deskOf(snapshot: WorkstationSnapshot): DeskState {
  const tickets: Record<string, DeskTicket> = {};
  const shown = [snapshot.current, ...snapshot.waiting, ...snapshot.parked, ...snapshot.history];
  for (const ticket of shown) if (ticket !== null) tickets[ticket.ticket_id] = ticket;
  const mine: Record<string, ClerkTicket> = {};
  for (const ticket of snapshot.mine) mine[ticket.ticket_id] = ticket;
  const { hall, policy, clerk, services, counters, day, history_limit } = snapshot;
  return {
    base: { hall, policy, clerk, services, counters, day, history_limit },
    counter: snapshot.counter,
    tickets,
    mine,
  };
}

type CounterData = EventData["queueing.counter_updated"];

/** Apply one event of the desk's topics. */
export function applyDeskEvent(state: DeskState, event: Envelope): DeskChange {
  if (isEvent(event, "queueing.desk_ticket_changed")) return ticketChanged(state, event.data.ticket);
  if (isEvent(event, "queueing.counter_updated")) return { state: counterUpdated(state, event.data), reload: false };
  // Services, counters or the calling policy changed: the snapshot says how.
  return { state, reload: event.type === "queueing.hall_updated" };
}

function ticketChanged(state: DeskState, ticket: DeskTicket | undefined): DeskChange {
  if (ticket === undefined) return { state, reload: true };
  if (ticket.day !== state.base.day) return { state, reload: ticket.day > state.base.day };
  const id = ticket.ticket_id;
  const tickets = { ...state.tickets };
  if (kept(state, ticket)) tickets[id] = ticket;
  else delete tickets[id];
  const mine = { ...state.mine };
  if (ticket.staff_id === state.base.clerk) mine[id] = clerkTicket(ticket);
  else delete mine[id];
  return { state: { ...state, tickets, mine }, reload: false };
}

function counterUpdated(state: DeskState, data: CounterData): DeskState {
  if (data.counter_id !== state.counter.counter_id) return state;
  const counter = {
    ...state.counter,
    status: data.status,
    pause_reason: data.pause_reason,
    staff_id: data.staff_id,
    staff_name: data.staff_name,
    current_ticket_id: data.current_ticket_id,
    normal_streak: data.normal_streak,
  };
  return { ...state, counter };
}

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

function meanSeconds(spans: number[]): number | null {
  // Whole milliseconds floored to whole seconds, as the hub computes them (views.clerk_figures).
  return spans.length === 0 ? null : Math.floor(spans.reduce((a, b) => a + b, 0) / (spans.length * 1000));
}

function span(start: string | null, end: string | null): number | null {
  const a = ms(start);
  const b = ms(end);
  return a === null || b === null ? null : b - a;
}

export function clerkFigures(tickets: readonly ClerkTicket[]): ClerkFigures {
  const served = tickets.filter((t) => t.status === "finished");
  const service = served.map((t) => span(t.serving_at, t.finished_at)).filter((m): m is number => m !== null);
  const waits = tickets.map((t) => span(t.queue_time, t.called_at)).filter((m): m is number => m !== null);
  return {
    served: served.length,
    no_show: tickets.filter((t) => t.status === "no_show").length,
    avg_service_seconds: meanSeconds(service),
    avg_wait_seconds: meanSeconds(waits),
  };
}

const newest = (a: DeskTicket, b: DeskTicket): number => (ms(b.last_called_at) ?? 0) - (ms(a.last_called_at) ?? 0);
const parkedFirst = (a: DeskTicket, b: DeskTicket): number => (ms(a.parked_at) ?? 0) - (ms(b.parked_at) ?? 0);

/** What the workstation shows at `now` (ms since the epoch, the hub's clock). */
export function deskView(state: DeskState, now: number): DeskView {
  const here = state.counter.counter_id;
  const all = Object.values(state.tickets);
  const current = state.counter.current_ticket_id === null ? null : (state.tickets[state.counter.current_ticket_id] ?? null);
  const mine = Object.values(state.mine).sort((a, b) => (a.ticket_id < b.ticket_id ? -1 : a.ticket_id > b.ticket_id ? 1 : 0));
  return {
    ...state.base,
    counter: state.counter,
    open: state.counter.status !== "closed",
    current,
    waiting: callingOrder(all, callingCounter(state), state.counter.normal_streak, state.base.policy, now),
    parked: all.filter((t) => t.status === "parked" && t.counter_id === here).sort(parkedFirst),
    history: all.filter((t) => DONE.has(t.status)).sort(newest).slice(0, state.base.history_limit),
    mine,
    figures: clerkFigures(mine),
  };
}

/** Seconds a ticket has waited by `now`: until its call once called. */
export function waitedSeconds(ticket: DeskTicket, now: number): number {
  const end = ms(ticket.called_at) ?? now;
  return Math.max(0, end - Date.parse(ticket.queue_time)) / 1000;
}

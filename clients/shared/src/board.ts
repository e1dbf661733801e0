/** The hall board's state machine: a `GET …/board` snapshot plus the `hall:<id>` events that
 * follow it, and one counter's state plus its `counter:<id>` events. Pure: no I/O. */
import type { EventData } from "./events";
import type { Envelope } from "./types";
import {
  isCounterStatus,
  num,
  rec,
  str,
  type Board,
  type BoardCounter,
  type CallRow,
  type CounterStatus,
  type TicketStatus,
} from "./queueing";

/** How many calls the board keeps (the hub's snapshot holds as many). */
export const BOARD_CALLS = 12;

/** A call to show big and announce. */
export interface BoardCall {
  row: CallRow;
  /** How many times to announce it (at least 1). */
  repeat: number;
  recalled: boolean;
}

export interface BoardChange {
  board: Board;
  /** Set for `ticket_called` and `ticket_recalled`. */
  call: BoardCall | null;
  /** The event cannot be followed from here: reload the snapshot. */
  reload: boolean;
}

/** What a ticket becomes after an event that ends its stay at a counter. */
const LEAVES_COUNTER: Readonly<Record<string, TicketStatus>> = {
  "queueing.ticket_finished": "finished",
  "queueing.ticket_no_show": "no_show",
  "queueing.ticket_parked": "parked",
  "queueing.ticket_cancelled": "cancelled",
  "queueing.ticket_transferred": "waiting",
  // A no-show put back in the queue (its holder came back): waiting again, its call row stays.
  "queueing.ticket_requeued": "waiting",
};

const COUNTER_EVENTS: Readonly<Record<string, CounterStatus>> = {
  "queueing.counter_opened": "open",
  "queueing.counter_closed": "closed",
  "queueing.counter_paused": "paused",
  "queueing.counter_resumed": "open",
};

type CallData = EventData["queueing.ticket_called"] | EventData["queueing.ticket_recalled"];
type CounterData = EventData["queueing.counter_updated"];
type CurrentData = NonNullable<CounterData["current"]>;

/** Event data read as its type's (fields may still be missing: screens read defensively). */
function typed<T>(data: Record<string, unknown>): Partial<T> {
  return data as Partial<T>;
}

/** Apply one `hall:<id>` event to the board. Data that does not fit is ignored. */
export function applyBoardEvent(board: Board, event: Envelope): BoardChange {
  const type = event.type;
  if (type === "queueing.ticket_called" || type === "queueing.ticket_recalled") {
    return called(board, event, type === "queueing.ticket_recalled");
  }
  const left = LEAVES_COUNTER[type];
  if (left !== undefined) return unchanged(leaveCounter(board, event.data, left));
  const counterStatus = COUNTER_EVENTS[type];
  if (counterStatus !== undefined) return counterChanged(board, event.data, counterStatus);
  switch (type) {
    case "queueing.ticket_started":
      return unchanged(started(board, event.data));
    case "queueing.waiting_changed":
      return unchanged(waitingChanged(board, event.data));
    case "queueing.notice_changed":
      return unchanged({ ...board, hall: { ...board.hall, notice: str(event.data, "notice") } });
    case "queueing.hall_updated":
      return { board, call: null, reload: true };
    default:
      return unchanged(board);
  }
}

function unchanged(board: Board): BoardChange {
  return { board, call: null, reload: false };
}

function called(board: Board, event: Envelope, recalled: boolean): BoardChange {
  const data = event.data;
  const ticketId = str(data, "ticket_id");
  const number = str(data, "number");
  const counterId = str(data, "counter_id");
  if (!ticketId || !number) return unchanged(board);
  const counter = board.counters.find((c) => c.counter_id === counterId);
  const before = board.calls.find((c) => c.ticket_id === ticketId);
  const row: CallRow = {
    ticket_id: ticketId,
    number,
    service_id: str(data, "service_id"),
    service_name: str(data, "service_name", before?.service_name ?? ""),
    counter_id: counterId || null,
    counter_number: num(data, "counter_number") ?? counter?.counter_number ?? null,
    counter_name: str(data, "counter_name", counter?.counter_name ?? ""),
    call_count: num(data, "call_count") ?? (before?.call_count ?? 0) + 1,
    status: "called",
    // the hub's time of the call, as a snapshot says it (the envelope's is when it was sent)
    at: typed<CallData>(data).called_at ?? event.ts,
    appointment: appointmentOf(data, before?.appointment),
  };
  const calls = [row, ...board.calls.filter((c) => c.ticket_id !== ticketId)].slice(0, BOARD_CALLS);
  const counters = board.counters.map((c) => {
    if (c.counter_id === counterId) return { ...c, current: row };
    return c.current?.ticket_id === ticketId ? { ...c, current: null } : c;
  });
  const repeat = Math.max(1, Math.round(num(data, "repeat") ?? board.announce_repeat));
  return { board: { ...board, calls, counters }, call: { row, repeat, recalled }, reload: false };
}

/** A booking's ticket: `appointment: true` (the hall topic's calls) or its slot; without the
 * field, what the board knew. */
function appointmentOf(data: Record<string, unknown>, known: CallRow["appointment"]): CallRow["appointment"] {
  if (!("appointment" in data)) return known ?? null;
  const slot = rec(data, "appointment");
  if (slot !== null) return { slot_start: str(slot, "slot_start"), slot_end: str(slot, "slot_end") };
  return data.appointment === true;
}

function leaveCounter(board: Board, data: Record<string, unknown>, status: TicketStatus): Board {
  const ticketId = str(data, "ticket_id");
  if (!ticketId) return board;
  // Waiting again (transferred, or a no-show put back): its calls start over, at no counter,
  // in the service it waits for now, as a snapshot's row says.
  const left = (c: CallRow): CallRow =>
    status !== "waiting"
      ? { ...c, status }
      : {
          ...c,
          status,
          service_id: str(data, "service_id", c.service_id),
          service_name: str(data, "service_name", c.service_name),
          counter_id: null,
          counter_number: null,
          counter_name: "",
          call_count: 0,
        };
  return {
    ...board,
    calls: board.calls.map((c) => (c.ticket_id === ticketId ? left(c) : c)),
    counters: board.counters.map((c) =>
      c.current?.ticket_id === ticketId ? { ...c, current: null } : c,
    ),
  };
}

/** The clerk starts serving a called ticket: it stays at its counter, now 办理中. */
function started(board: Board, data: Record<string, unknown>): Board {
  const ticketId = str(data, "ticket_id");
  if (!ticketId) return board;
  const serving = (c: CallRow): CallRow => (c.ticket_id === ticketId ? { ...c, status: "serving" } : c);
  return {
    ...board,
    calls: board.calls.map(serving),
    counters: board.counters.map((c) =>
      c.current?.ticket_id === ticketId ? { ...c, current: serving(c.current) } : c,
    ),
  };
}

function counterChanged(
  board: Board,
  data: Record<string, unknown>,
  fallback: CounterStatus,
): BoardChange {
  const counterId = str(data, "counter_id");
  const index = board.counters.findIndex((c) => c.counter_id === counterId);
  const counter = board.counters[index];
  if (counter === undefined) return { board, call: null, reload: counterId !== "" };
  const { next, reload } = counterState(counter, data, fallback);
  const counters = board.counters.map((c, i) => (i === index ? next : c));
  return { board: { ...board, counters }, call: null, reload };
}

/** A counter after an event carrying its view (`counter_*` on the hall, `counter_updated`). */
function counterState(
  counter: BoardCounter,
  data: Record<string, unknown>,
  fallback: CounterStatus,
): { next: BoardCounter; reload: boolean } {
  const status = isCounterStatus(data.status) ? data.status : fallback;
  const currentId = str(data, "current_ticket_id");
  let current: CallRow | null = null;
  let reload = false;
  if (currentId) {
    if (counter.current?.ticket_id === currentId) current = counter.current;
    else reload = true; // a ticket we have not seen called: the snapshot knows it
  }
  const next: BoardCounter = {
    ...counter,
    counter_number: num(data, "counter_number") ?? counter.counter_number,
    counter_name: str(data, "counter_name", counter.counter_name),
    status,
    pause_reason: status === "paused" ? str(data, "pause_reason") : "",
    staff_name: typed<CounterData>(data).staff_name ?? counter.staff_name,
    current,
  };
  return { next, reload };
}

function waitingChanged(board: Board, data: Record<string, unknown>): Board {
  const waiting = rec(data, "waiting");
  if (waiting === null) return board;
  return {
    ...board,
    services: board.services.map((s) => ({ ...s, waiting: num(waiting, s.id) ?? 0 })),
  };
}

/**
 * The call a ticket stands for on the board now: its row while it is the current ticket of an
 * open counter (called, or being served there), else null: finished, no-show, parked (挂起),
 * transferred, cancelled, or its window paused or closed. The one rule for what the hall
 * display may show and announce as 正在呼叫, so that a panel never sends anyone to a call that
 * is over.
 */
export function standingCall(board: Board, ticketId: string): CallRow | null {
  for (const counter of board.counters) {
    const current = counter.current;
    if (current?.ticket_id !== ticketId) continue;
    const live = counter.status === "open" && (current.status === "called" || current.status === "serving");
    return live ? current : null;
  }
  return null;
}

/** The newest call that still stands (a recall counts as new), or null. */
export function newestStandingCall(board: Board): CallRow | null {
  for (const call of board.calls) {
    const standing = standingCall(board, call.ticket_id);
    if (standing !== null) return standing;
  }
  return null;
}

/**
 * What the hall display's 正在呼叫 panel shows: the call being announced (`announcing`: its
 * ticket id) while it stands, otherwise the newest call that stands, otherwise nothing. The
 * number, the window and the sentence under them are all read from this one row.
 */
export function spotlightCall(board: Board, announcing: string | null): CallRow | null {
  const announced = announcing === null ? null : standingCall(board, announcing);
  return announced ?? newestStandingCall(board);
}

export interface CounterChange {
  counter: BoardCounter;
  /** The event names a ticket it does not describe: reload the snapshot. */
  reload: boolean;
}

/** Apply one `counter:<id>` event (`queueing.counter_updated`) to that counter. */
export function applyCounterEvent(counter: BoardCounter, event: Envelope): CounterChange {
  const data = event.data;
  if (event.type !== "queueing.counter_updated" || str(data, "counter_id") !== counter.counter_id) {
    return { counter, reload: false };
  }
  const currentData = rec(data, "current");
  const currentId = str(data, "current_ticket_id");
  if (currentData === null || !currentId || str(currentData, "ticket_id") !== currentId) {
    const { next, reload } = counterState(counter, data, counter.status);
    return { counter: next, reload };
  }
  const before = counter.current?.ticket_id === currentId ? counter.current : null;
  const callCount = num(currentData, "call_count") ?? before?.call_count ?? 0;
  const row: CallRow = {
    ticket_id: currentId,
    number: str(currentData, "number", before?.number ?? ""),
    service_id: str(currentData, "service_id", before?.service_id ?? ""),
    service_name: str(currentData, "service_name", before?.service_name ?? ""),
    counter_id: counter.counter_id,
    counter_number: num(data, "counter_number") ?? counter.counter_number,
    counter_name: str(data, "counter_name", counter.counter_name),
    call_count: callCount,
    status: str(currentData, "status") === "serving" ? "serving" : "called",
    at: typed<CurrentData>(currentData).called_at ?? before?.at ?? event.ts,
    appointment: appointmentOf(currentData, before?.appointment),
  };
  const { next } = counterState({ ...counter, current: row }, data, counter.status);
  return { counter: next, reload: false };
}

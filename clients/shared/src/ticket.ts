/** A ticket as its holder follows it: the `GET …/tickets/{id}` snapshot plus the events of
 * `ticket:<id>` (or the holder's `citizen:<sub>`). Pure: no I/O. */
import { num, str, type TicketStatus, type TicketView } from "./queueing";
import type { Envelope } from "./types";

export type TicketAlertKind =
  | "turn_near"
  | "called"
  | "finished"
  | "no_show"
  | "cancelled"
  | "transferred"
  | "parked";

/** Something the holder should notice now. */
export interface TicketAlert {
  kind: TicketAlertKind;
  /** The counter to go to (`called`), or the one it was transferred to. */
  counterNumber: number | null;
  counterName: string;
}

export interface TicketChange {
  view: TicketView;
  alert: TicketAlert | null;
  /** The event changes what the holder sees in a way only the snapshot tells (place in a new
   * queue): reload it. */
  reload: boolean;
}

/** Statuses in which the ticket is still in the hall's hands. */
export const OPEN_TICKET_STATUSES: ReadonlySet<TicketStatus> = new Set([
  "waiting",
  "called",
  "serving",
  "parked",
]);

/** A status that needs no further updates. */
export function ticketEnded(status: TicketStatus): boolean {
  return !OPEN_TICKET_STATUSES.has(status);
}

const ENDS: Readonly<Record<string, [TicketStatus, TicketAlertKind]>> = {
  "queueing.ticket_finished": ["finished", "finished"],
  "queueing.ticket_no_show": ["no_show", "no_show"],
  "queueing.ticket_cancelled": ["cancelled", "cancelled"],
  "queueing.ticket_parked": ["parked", "parked"],
};

/** Apply one event to the ticket. Events of other tickets (on a citizen topic) change nothing. */
export function applyTicketEvent(view: TicketView, event: Envelope): TicketChange {
  const data = event.data;
  const same = { view, alert: null, reload: false };
  const ticketId = str(data, "ticket_id");
  if (ticketId !== "" && ticketId !== view.ticket_id) return same;
  const type = event.type;
  const ended = ENDS[type];
  if (ended !== undefined) {
    const [status, kind] = ended;
    return { view: { ...view, status, ahead: 0 }, alert: alertOf(kind, view), reload: false };
  }
  switch (type) {
    case "queueing.ticket_issued":
      return { view: { ...placed(view, data), status: "waiting" }, alert: null, reload: false };
    case "queueing.position_changed":
      return { view: placed(view, data), alert: null, reload: false };
    case "queueing.turn_near":
      return { view: placed(view, data), alert: alertOf("turn_near", view), reload: false };
    case "queueing.ticket_called":
    case "queueing.ticket_recalled": {
      const counter = counterOf(data) ?? view.counter;
      const next: TicketView = {
        ...view,
        status: "called",
        ahead: 0,
        estimate_minutes: 0,
        counter,
        call_count: num(data, "call_count") ?? view.call_count + 1,
      };
      return { view: next, alert: alertOf("called", next), reload: false };
    }
    case "queueing.ticket_started": {
      const next: TicketView = { ...view, status: "serving", counter: counterOf(data) ?? view.counter };
      return { view: next, alert: null, reload: false };
    }
    case "queueing.ticket_transferred": {
      const next: TicketView = {
        ...view,
        status: "waiting",
        service_id: str(data, "service_id", view.service_id),
        service_name: str(data, "service_name", view.service_name),
        counter: null,
        call_count: 0,
      };
      const to = num(data, "to_counter_number");
      const alert: TicketAlert = {
        kind: "transferred",
        counterNumber: to,
        counterName: str(data, "to_counter_name"),
      };
      return { view: next, alert, reload: true };
    }
    case "queueing.ticket_unparked":
      return { view: { ...view, status: "waiting", counter: null }, alert: null, reload: true };
    case "queueing.ticket_requeued":
      // Back in the queue after a no-show: called afresh; its new place comes with the snapshot.
      return { view: { ...view, status: "waiting", counter: null, call_count: 0 }, alert: null, reload: true };
    default:
      return same;
  }
}

/** People ahead and the estimate; the status stays (a late position update must not undo a
 * call). */
function placed(view: TicketView, data: Record<string, unknown>): TicketView {
  return {
    ...view,
    ahead: num(data, "ahead") ?? view.ahead,
    estimate_minutes: num(data, "estimate_minutes") ?? view.estimate_minutes,
  };
}

function counterOf(data: Record<string, unknown>): TicketView["counter"] {
  const number = num(data, "counter_number");
  return number === null ? null : { number, name: str(data, "counter_name") };
}

function alertOf(kind: TicketAlertKind, view: TicketView): TicketAlert {
  return {
    kind,
    counterNumber: view.counter?.number ?? null,
    counterName: view.counter?.name ?? "",
  };
}

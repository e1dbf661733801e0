/** What a ticket alert says to its holder. */
import type { TicketAlert, TicketView } from "@hallhub/client";
import { fmt, t } from "../i18n";

export function counterText(number: number | null, name: string): string {
  if (number !== null) return fmt(t.ticket.counterLabel, { n: number });
  return name;
}

export function alertText(alert: TicketAlert, view: TicketView): string {
  const counter = counterText(alert.counterNumber, alert.counterName);
  switch (alert.kind) {
    case "called":
      return fmt(t.ticket.alerts.called, { counter });
    case "transferred":
      return counter
        ? fmt(t.ticket.alerts.transferredTo, { counter })
        : fmt(t.ticket.alerts.transferred, { service: view.service_name });
    default:
      return t.ticket.alerts[alert.kind];
  }
}

/** Buzz the phone, where it can. */
export function vibrate(pattern: number | number[]): void {
  try {
    if (typeof navigator.vibrate === "function") navigator.vibrate(pattern);
  } catch {
    // not allowed here (no user gesture yet, or a desktop browser)
  }
}

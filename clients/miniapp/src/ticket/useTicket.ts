/** One ticket, live: its snapshot, then the `ticket:<id>` events, with an alert for each thing
 * its holder should notice. */
import {
  applyTicketEvent,
  type HubClient,
  type HubError,
  type TicketAlert,
  type TicketView,
} from "@hallhub/client";
import { useTopic } from "@hallhub/client/vue";
import { shallowRef, type ShallowRef } from "vue";
import { loadTicket } from "../tickets";

export interface LiveTicket {
  ticket: ShallowRef<TicketView | null>;
  error: ShallowRef<HubError | null>;
}

export function useTicket(
  client: HubClient,
  hallId: string,
  ticketId: string,
  onAlert: (alert: TicketAlert, view: TicketView) => void,
): LiveTicket {
  const ticket = shallowRef<TicketView | null>(null);
  const { error, restart } = useTopic({
    client,
    topic: () => `ticket:${ticketId}`,
    loadSnapshot: async () => {
      const view = await loadTicket(hallId, ticketId);
      ticket.value = view;
      return { seq: view.seq, epoch: view.epoch };
    },
    onEvent: (event) => {
      if (ticket.value === null) return;
      const change = applyTicketEvent(ticket.value, event);
      ticket.value = change.view;
      if (change.alert !== null) onAlert(change.alert, change.view);
      if (change.reload) restart();
    },
  });
  return { ticket, error };
}

/** The queueing requests of the citizen app. Commands go over the socket when it is up (the
 * hub answers them in order with the events), else over REST. */
import { sendOnce, type CitizenInput, type HubClient, type TakenTicket, type TicketView } from "@hallhub/client";
import { api } from "./hub";

function hallPath(hallId: string): string {
  return `/api/v1/halls/${encodeURIComponent(hallId)}`;
}

export function loadTicket(hallId: string, ticketId: string): Promise<TicketView> {
  return api<TicketView>("GET", `${hallPath(hallId)}/tickets/${encodeURIComponent(ticketId)}`);
}

/** The caller's tickets of today, newest first. */
export function myTickets(): Promise<TicketView[]> {
  return api<TicketView[]>("GET", "/api/v1/queueing/my-tickets");
}

/** Take a ticket; one request id for the tap, sent again while the answer does not come
 * (the hub answers a repeat with the ticket first taken: never two tickets for one tap). */
export function takeTicket(
  client: HubClient,
  hallId: string,
  serviceId: string,
  citizen?: CitizenInput,
): Promise<TakenTicket> {
  const extra = citizen ? { citizen } : {};
  return sendOnce((requestId) => {
    const body = { service_id: serviceId, channel: "qr", request_id: requestId, ...extra };
    if (client.state === "online") {
      return client.command<TakenTicket>("queueing.take_ticket", { hall_id: hallId, ...body });
    }
    return api<TakenTicket>("POST", `${hallPath(hallId)}/tickets`, body);
  });
}

export async function cancelTicket(client: HubClient, hallId: string, ticketId: string): Promise<void> {
  if (client.state === "online") {
    await client.command("queueing.cancel_ticket", { ticket_id: ticketId });
  } else {
    await api("DELETE", `${hallPath(hallId)}/tickets/${encodeURIComponent(ticketId)}`);
  }
}

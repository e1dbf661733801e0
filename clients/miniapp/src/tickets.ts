/** The queueing requests of the citizen app. Commands go over the socket when it is up (the
 * hub answers them in order with the events), else over REST. */
import type { CitizenInput, HubClient, TakenTicket, TicketView } from "@hallhub/client";
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

export function takeTicket(
  client: HubClient,
  hallId: string,
  serviceId: string,
  citizen?: CitizenInput,
): Promise<TakenTicket> {
  const extra = citizen ? { citizen } : {};
  if (client.state === "online") {
    return client.command<TakenTicket>("queueing.take_ticket", {
      hall_id: hallId,
      service_id: serviceId,
      channel: "qr",
      ...extra,
    });
  }
  return api<TakenTicket>("POST", `${hallPath(hallId)}/tickets`, { service_id: serviceId, channel: "qr", ...extra });
}

export async function cancelTicket(client: HubClient, hallId: string, ticketId: string): Promise<void> {
  if (client.state === "online") {
    await client.command("queueing.cancel_ticket", { ticket_id: ticketId });
  } else {
    await api("DELETE", `${hallPath(hallId)}/tickets/${encodeURIComponent(ticketId)}`);
  }
}

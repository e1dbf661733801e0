/** The workstation's requests: its snapshot, the hall's counters, and counter actions (over the
 * socket when it is up, else over REST: the clerk keeps working while the socket reconnects). */
import type { HubClient } from "@hallhub/client";
import { api } from "../hub";
import type { CheckInAnswer } from "./checkin";
import type { ActionAnswer, BoardCounters, HallCounters, WorkstationSnapshot } from "./types";

const hallPath = (hallId: string): string => `/api/v1/halls/${encodeURIComponent(hallId)}`;

export function loadWorkstation(hallId: string, counterId: string): Promise<WorkstationSnapshot> {
  return api<WorkstationSnapshot>(
    "GET",
    `${hallPath(hallId)}/counters/${encodeURIComponent(counterId)}/workstation`,
  );
}

export function loadHallCounters(hallId: string): Promise<HallCounters> {
  return api<HallCounters>("GET", hallPath(hallId));
}

export function loadBoard(hallId: string): Promise<BoardCounters> {
  return api<BoardCounters>("GET", `${hallPath(hallId)}/board`);
}

export function listHalls(): Promise<{ id: string; name: string }[]> {
  return api<{ id: string; name: string }[]>("GET", "/api/v1/halls");
}

/** `queueing.<name>` at a counter; `payload` without the counter id. */
export function counterAction(
  client: HubClient,
  hallId: string,
  counterId: string,
  name: string,
  payload: Record<string, unknown> = {},
): Promise<ActionAnswer> {
  if (client.state === "online") {
    return client.command<ActionAnswer>(`queueing.${name}`, { counter_id: counterId, ...payload });
  }
  const path = `${hallPath(hallId)}/counters/${encodeURIComponent(counterId)}/${name.replace(/_/g, "-")}`;
  return api<ActionAnswer>("POST", path, payload);
}

/** 预约签到 by ID number at this hall (`appointments.check_in` over the socket when it is up,
 * else `POST /api/v1/appointments/check-in`). */
export function checkInByIdNumber(client: HubClient, hallId: string, idNumber: string): Promise<CheckInAnswer> {
  const payload = { hall_id: hallId, id_number: idNumber };
  if (client.state === "online") return client.command<CheckInAnswer>("appointments.check_in", payload);
  return api<CheckInAnswer>("POST", "/api/v1/appointments/check-in", payload);
}

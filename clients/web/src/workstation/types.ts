/** The workstation snapshot (`GET /api/v1/halls/{hall}/counters/{counter}/workstation`). */
import type { CounterStatus, TicketStatus } from "@hallhub/client";

/** A ticket as counter staff see it: citizen data masked by the hub. */
export interface DeskTicket {
  ticket_id: string;
  number: string;
  service_id: string;
  service_name: string;
  status: TicketStatus;
  channel: string;
  tags: string[];
  priority: number;
  citizen: { name: string; id_number: string; phone: string };
  appointment: { slot_start: string; slot_end: string } | null;
  issued_at: string;
  waited_minutes: number | null;
  call_count: number;
  called_at: string | null;
  serving_at: string | null;
  finished_at: string | null;
  case_id: string | null;
  transferred: boolean;
}

export interface DeskCounter {
  counter_id: string;
  counter_number: number;
  counter_name: string;
  status: CounterStatus;
  pause_reason: string;
  staff_name: string;
  current_ticket_id: string | null;
  services: string[];
}

export interface ClerkFigures {
  served: number;
  no_show: number;
  avg_service_minutes: number | null;
  avg_wait_minutes: number | null;
}

export interface WorkstationSnapshot {
  hall: { id: string; name: string; timezone: string; no_show_min_calls: number };
  counter: DeskCounter;
  open: boolean;
  current: DeskTicket | null;
  waiting: DeskTicket[];
  parked: DeskTicket[];
  history: DeskTicket[];
  figures: ClerkFigures;
  services: { id: string; name: string; prefix: string }[];
  counters: { counter_id: string; counter_number: number; counter_name: string }[];
  seq: { counter: number; hall: number };
  epoch: { counter: string; hall: string };
  day: string;
}

/** `GET /api/v1/halls/{hall}` as the counter picker reads it. */
export interface HallCounters {
  hall: { id: string; name: string };
  services: { id: string; name: string; prefix: string; active: boolean }[];
  counters: {
    id: string;
    number: number;
    name: string;
    services: { service_id: string; weight: number }[];
  }[];
}

/** The part of `GET /api/v1/halls/{hall}/board` the picker shows: each counter's status. */
export interface BoardCounters {
  counters: { counter_id: string; status: CounterStatus; pause_reason: string }[];
}

/** A counter action's ack. */
export interface ActionAnswer {
  ticket_id?: string;
  number?: string;
  status?: string;
  call_count?: number;
  counter_id?: string;
  current_ticket_id?: string | null;
}

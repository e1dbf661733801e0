/** The workstation snapshot (`GET /api/v1/halls/{hall}/counters/{counter}/workstation`) and
 * what the workstation keeps: tickets as the hub's `queueing.desk_ticket_changed` carries them. */
import type { CounterStatus, EventData } from "@hallhub/client";
import type { CallingPolicy } from "./callingOrder";

/** A ticket as counter staff see it: citizen data masked by the hub. */
export type DeskTicket = EventData["queueing.desk_ticket_changed"]["ticket"];

export interface DeskCounter {
  counter_id: string;
  counter_number: number;
  counter_name: string;
  status: CounterStatus;
  pause_reason: string;
  staff_id: string | null;
  staff_name: string;
  current_ticket_id: string | null;
  services: string[];
  /** The weight of each service the counter serves (the calling order). */
  weights: Record<string, number>;
  /** Normal tickets called since the last priority one. */
  normal_streak: number;
}

/** What a clerk's figures are made of, per ticket they called today. */
export interface ClerkTicket {
  ticket_id: string;
  status: string;
  queue_time: string;
  called_at: string | null;
  serving_at: string | null;
  finished_at: string | null;
}

export interface ClerkFigures {
  served: number;
  no_show: number;
  avg_service_seconds: number | null;
  avg_wait_seconds: number | null;
}

/** What the workstation shows; the snapshot is one, with its seqs, epochs and the hub's time. */
export interface DeskView {
  hall: {
    id: string;
    name: string;
    timezone: string;
    no_show_min_calls: number;
    /** Times a no-show may be put back in the queue (0: never), and behind how many waiting
     * tickets of its service (null: at the end). */
    requeue_limit: number;
    requeue_behind: number | null;
  };
  policy: CallingPolicy;
  counter: DeskCounter & { hall_id: string };
  clerk: string;
  open: boolean;
  current: DeskTicket | null;
  waiting: DeskTicket[];
  parked: DeskTicket[];
  history: DeskTicket[];
  mine: ClerkTicket[];
  figures: ClerkFigures;
  services: { id: string; name: string; prefix: string }[];
  counters: { hall_id: string; counter_id: string; counter_number: number; counter_name: string }[];
  day: string;
  history_limit: number;
}

export interface WorkstationSnapshot extends DeskView {
  seq: { counter: number; desk: number };
  epoch: { counter: string; desk: string };
  /** The hub's time when it was made. */
  now: string;
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

/** The back office's resources (`GET /api/v1/halls/{id}`, `/stats`). */

export interface OpeningHours {
  /** ISO weekdays, 1 = Monday. */
  weekdays: number[];
  /** "08:30:00". */
  opens: string;
  closes: string;
}

export const TAGS = ["elderly", "disabled", "pregnant", "military", "green_channel", "appointment"] as const;
export type Tag = (typeof TAGS)[number];

export interface CallingPolicy {
  normal_per_priority: number;
  tag_weights: Partial<Record<Tag, number>>;
  max_wait_minutes: number;
  appointment_early_minutes: number;
  appointment_late_minutes: number;
  no_show_min_calls: number;
  turn_near_ahead: number;
  turn_near_minutes: number;
  announce_repeat: number;
  per_person_daily_limit: number;
  service_level_minutes: number;
  /** Times a no-show may be put back in the queue (0: never). */
  requeue_limit: number;
  /** Behind how many waiting tickets of its service; null: at the end of the queue. */
  requeue_behind: number | null;
}

export interface Hall {
  id: string;
  name: string;
  address: string;
  timezone: string;
  opening_hours: OpeningHours[];
  notice: string;
  policy: CallingPolicy;
}

export interface Service {
  id: string;
  hall_id: string;
  name: string;
  prefix: string;
  first_number: number;
  last_number: number;
  daily_cap: number | null;
  expected_minutes: number;
  opening_hours: OpeningHours[];
  active: boolean;
}

export interface CounterService {
  service_id: string;
  weight: number;
}

export interface Counter {
  id: string;
  hall_id: string;
  number: number;
  name: string;
  services: CounterService[];
}

export interface HallDetail {
  hall: Hall;
  services: Service[];
  counters: Counter[];
}

export type GroupBy = "service" | "counter" | "clerk" | "hour" | "day" | "hall";

export interface StatsRow {
  key: string;
  label: string;
  arrived: number;
  served: number;
  no_show: number;
  no_show_rate: number | null;
  avg_wait_minutes: number | null;
  max_wait_minutes: number | null;
  avg_service_minutes: number | null;
  max_service_minutes: number | null;
  over_target_rate: number | null;
  idle_minutes: number | null;
}

export interface StatsReport {
  hall_id: string;
  title: string;
  by: GroupBy;
  target_minutes: number;
  rows: StatsRow[];
}

export interface StatsQuery {
  day: string;
  /** The last day of a range; null for one day. */
  to: string | null;
  by: GroupBy;
}

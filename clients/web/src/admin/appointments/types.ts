/** The appointment center's back-office resources (docs/appointments.md); a booking itself
 * (`Appointment`, as staff see it: personal data masked by the hub) is @hallhub/client's. */
import type { AppointmentState } from "@hallhub/client";

/** Bookable hours on ISO weekdays (1 = Monday), cut into slots. */
export interface PlanWindow {
  weekdays: number[];
  /** "09:00:00". */
  opens: string;
  closes: string;
}

/** `GET /api/v1/appointments/plans` → one per hall and service; PUT sends every field. */
export interface BookingPlan {
  /** "<hall>:<service>". */
  id: string;
  hall_id: string;
  service_id: string;
  enabled: boolean;
  windows: PlanWindow[];
  slot_minutes: number;
  /** 0–1: the share of the counters' capacity held for bookings. */
  share: number;
  dynamic: boolean;
  min_share: number;
  max_share: number;
  /** Fixed places per slot instead of the share; null: by the share. */
  capacity: number | null;
  backup_share: number;
  backup_release_hours: number;
  backup_when_full: boolean;
  horizon_days: number;
  /** "08:00:00" local. */
  opens_at: string;
  min_lead_minutes: number;
  walkin_release_minutes: number;
  cancel_deadline_minutes: number;
  checkin_early_minutes: number;
  checkin_late_minutes: number;
  late_becomes_walkin: boolean;
  queue_lead_minutes: number;
  /** One or two capital letters. */
  prefix: string;
  /** "YYYY-MM-DD" in the hall's time zone. */
  closed_dates: string[];
  extra_dates: string[];
  reminder_hours: number;
}

/** `GET|PUT /api/v1/appointments/rules`. */
export interface AbuseRules {
  period_days: number;
  no_show_limit: number;
  cancel_limit: number;
  same_matter_daily_limit: number;
  blacklist_days: number;
}

export interface BookingFilters {
  service_id: string;
  /** [from, to] days, or null for any. */
  range: [string, string] | null;
  state: AppointmentState | "";
}

export interface AuditEntry {
  at: string;
  by: string;
  what: string;
}

/** A person whose booking is suspended (`id`: the person key, never the ID number). */
export interface BlacklistEntry {
  id: string;
  name: string;
  since: string;
  until: string;
  reason: string;
  lifted_at: string | null;
  lifted_by: string;
  lift_reason: string;
  audit: AuditEntry[];
}

/** `GET /api/v1/appointments/stats` rows: per day and service. */
export interface BookingStatsRow {
  day: string;
  service_id: string;
  booked: number;
  checked_in: number;
  late: number;
  no_show: number;
  cancelled: number;
  fulfilment_rate: number | null;
  no_show_rate: number | null;
}

export interface BookingStatsQuery {
  hall_id: string;
  day_from: string;
  day_to: string;
}

/** `GET /api/v1/appointments/halls/{hall}/check-in-code`. */
export interface CheckInCode {
  hall_id: string;
  code: string;
  url: string;
}

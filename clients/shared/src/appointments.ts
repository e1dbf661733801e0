/** The appointment center's (预约中心) bookings as the hub answers them (docs/appointments.md):
 * the same document for citizens (their own) and staff (personal data masked by the hub). */

/** The states of a booking, in the order the back office lists them. */
export const APPOINTMENT_STATES = ["booked", "checked_in", "cancelled", "no_show", "pending", "failed"] as const;
export type AppointmentState = (typeof APPOINTMENT_STATES)[number];

export interface Appointment {
  id: string;
  code: string;
  hall_id: string;
  service_id: string;
  day: string;
  slot_start: string;
  slot_end: string;
  name: string;
  id_number: string;
  phone: string;
  state: AppointmentState;
  ticket_id: string | null;
  ticket_code: string | null;
  checked_in_at: string | null;
  created_at: string;
  reason: string;
  notify_sms: boolean;
}

/** `POST /api/v1/appointments/check-in` (or the `appointments.check_in` command). */
export interface CheckInResult {
  appointment: Appointment;
  ticket_id: string;
  ticket_code: string;
  /** Checked in after the window: an ordinary walk-in ticket. */
  late: boolean;
  /** Checked in before: the same ticket again. */
  repeat: boolean;
}

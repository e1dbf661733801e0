/** The appointment center's requests (REST, docs/appointments.md). */
import { sendOnce, type Appointment, type CheckInResult, type SnapshotPosition } from "@hallhub/client";
import { api } from "../hub";
import type { BookRequest, BookableService, BookingCalendar, DaySlots, HallOption } from "./model";

const BASE = "/api/v1/appointments";

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Every hall (`GET /api/v1/halls`). */
export function listHalls(): Promise<HallOption[]> {
  return api<HallOption[]>("GET", "/api/v1/halls");
}

/** `GET /api/v1/halls/{id}` (anyone who may follow the hall), the parts these screens read. */
export interface HallNames {
  hall: HallOption;
  services: { id: string; name: string }[];
}

export function loadHallDetail(hallId: string): Promise<HallNames> {
  return api<HallNames>("GET", `/api/v1/halls/${seg(hallId)}`);
}

/** One hall by its id. */
export async function loadHall(hallId: string): Promise<HallOption> {
  return (await loadHallDetail(hallId)).hall;
}

export function loadServices(hallId: string): Promise<BookableService[]> {
  return api<BookableService[]>("GET", `${BASE}/halls/${seg(hallId)}/services`);
}

export function loadCalendar(hallId: string, serviceId: string): Promise<BookingCalendar> {
  return api<BookingCalendar>("GET", `${BASE}/halls/${seg(hallId)}/services/${seg(serviceId)}/calendar`);
}

export function loadSlots(hallId: string, serviceId: string, day: string): Promise<DaySlots> {
  return api<DaySlots>("GET", `${BASE}/halls/${seg(hallId)}/services/${seg(serviceId)}/slots?day=${seg(day)}`);
}

/** Where a topic's log is now (the position a snapshot loaded after this call matches, or
 * follows: events after it are applied again on top of it). */
export async function topicPosition(topic: string): Promise<SnapshotPosition> {
  const recent = await api<{ seq: number; epoch: string }>("GET", `/api/v1/events/${seg(topic)}?limit=1`);
  return { seq: recent.seq, epoch: recent.epoch };
}

/** Book; one request id for the tap, sent again while the answer does not come (the hub
 * answers a repeat with the booking first made, not 当天已预约). */
export function book(request: BookRequest): Promise<Appointment> {
  return sendOnce((requestId) => api<Appointment>("POST", BASE, { ...request, request_id: requestId }));
}

/** The caller's bookings, newest slot first. */
export function loadMine(): Promise<Appointment[]> {
  return api<Appointment[]>("GET", `${BASE}/mine`);
}

export function cancelAppointment(appointmentId: string): Promise<Appointment> {
  return api<Appointment>("POST", `${BASE}/${seg(appointmentId)}/cancel`);
}

export function changeAppointment(appointmentId: string, slotStart: string): Promise<Appointment> {
  return api<Appointment>("POST", `${BASE}/${seg(appointmentId)}/change`, { slot_start: slotStart });
}

export function checkIn(hallId: string, appointmentId: string, hallCode: string): Promise<CheckInResult> {
  return api<CheckInResult>("POST", `${BASE}/check-in`, {
    hall_id: hallId,
    appointment_id: appointmentId,
    hall_code: hallCode,
  });
}

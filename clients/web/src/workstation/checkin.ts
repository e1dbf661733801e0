/** 预约签到 at the counter: what the clerk is told. Pure. */
import { fmt, type Appointment, type CheckInResult, type HubError } from "@hallhub/client";
import { t } from "../i18n";
import { staffErrorText } from "../staff/errors";
import { hallTime } from "../staff/format";
import type { IdProblem } from "../staff/idNumber";
import { slotRange } from "./tags";

/** `POST /api/v1/appointments/check-in` → the booking (masked) and its ticket: the parts of it
 * the counter reads. */
export type CheckInAnswer = Omit<CheckInResult, "appointment"> & {
  appointment: Pick<Appointment, "id" | "code" | "service_id" | "day" | "slot_start" | "slot_end" | "name" | "state">;
};

export function idProblemText(problem: IdProblem): string {
  const c = t.workstation.checkIn;
  switch (problem) {
    case "":
      return "";
    case "required":
      return c.idRequired;
    case "length":
      return c.idLength;
    case "format":
      return c.idFormat;
    case "birth":
      return c.idBirth;
    case "check":
      return c.idCheck;
  }
}

/** A refused check-in as the clerk reads it: the time to come back (CHECK_IN_TOO_EARLY) in
 * the hall's time, the day of a booking for another day (NOT_TODAY), else as any error. */
export function checkInErrorText(error: Pick<HubError, "code" | "message" | "details">, timeZone?: string): string {
  const details = { ...(error.details ?? {}) };
  if (typeof details.check_in_from === "string") details.check_in_from = hallTime(details.check_in_from, timeZone);
  // Without the time (or the day) the hub's own message says it ("请于 11月27日 09:00 后签到").
  if (error.code === "CHECK_IN_TOO_EARLY" && typeof details.check_in_from !== "string") return error.message;
  if (error.code === "NOT_TODAY" && typeof details.day !== "string") return error.message;
  // (An Error's message is not enumerable: copied by name.)
  return staffErrorText({ code: error.code, message: error.message, details });
}

/** "预约 Y0003 · 户籍办理 · 09:30–10:00". */
export function checkInSummary(answer: CheckInAnswer, serviceName: string, timeZone?: string): string {
  return fmt(t.workstation.checkIn.appointment, {
    code: answer.appointment.code,
    service: serviceName || answer.appointment.service_id,
    slot: slotRange(answer.appointment, timeZone),
  });
}

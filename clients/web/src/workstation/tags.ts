/** Priority tags as the clerk sees them: a Chinese label and a color each. */
import { fmt } from "@hallhub/client";
import { t } from "../i18n";
import { hallTime } from "../staff/format";
import type { DeskTicket } from "./types";

const COLORS: Readonly<Record<string, string>> = {
  elderly: "#d97706",
  disabled: "#2563eb",
  pregnant: "#db2777",
  military: "#b91c1c",
  green_channel: "#16a34a",
  appointment: "#7c3aed",
  requeued: "#475569",
};

export interface TagView {
  key: string;
  label: string;
  color: string;
}

/** A booking's slot in the hall's time: "09:00–09:30". */
export function slotRange(slot: { slot_start: string; slot_end: string }, timeZone?: string): string {
  return `${hallTime(slot.slot_start, timeZone)}–${hallTime(slot.slot_end, timeZone)}`;
}

/** The ticket's tags; an appointment shows its slot ("预约 09:00–09:30"); a no-show put back in
 * the queue says so (过号重排). */
export function ticketTags(
  ticket: Pick<DeskTicket, "tags" | "appointment"> & { requeued?: number },
  timeZone?: string,
): TagView[] {
  const keys = [...ticket.tags];
  if (ticket.appointment !== null && !keys.includes("appointment")) keys.push("appointment");
  if ((ticket.requeued ?? 0) > 0) keys.push("requeued");
  return keys.map((key) => {
    let label = t.staffUi.tags[key] ?? key;
    if (key === "appointment" && ticket.appointment !== null) {
      label = fmt(t.staffUi.appointmentSlot, {
        start: hallTime(ticket.appointment.slot_start, timeZone),
        end: hallTime(ticket.appointment.slot_end, timeZone),
      });
    }
    return { key, label, color: COLORS[key] ?? "#6b7280" };
  });
}

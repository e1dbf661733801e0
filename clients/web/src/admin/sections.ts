/** The back office's sections and which one the address names (`#stats`). */

/** A hall's setup and figures (need the hall chosen in the header). */
export const HALL_SECTIONS = ["hall", "services", "counters", "policy", "stats"] as const;
/** The appointment center (预约中心): plans, bookings and figures of the hall in the header;
 * the abuse rules and the suspension list are the same for every hall. */
export const APPOINTMENT_SECTIONS = ["booking-plans", "booking-rules", "bookings", "blacklist", "booking-stats"] as const;
/** The message center (消息中心): the same for every hall. */
export const NOTIFIER_SECTIONS = ["templates", "rules", "messages", "dead-letters", "channel-stats", "contacts"] as const;

export const SECTIONS = [...HALL_SECTIONS, ...APPOINTMENT_SECTIONS, ...NOTIFIER_SECTIONS] as const;
export type Section = (typeof SECTIONS)[number];
export type AppointmentSectionName = (typeof APPOINTMENT_SECTIONS)[number];

/** Sections showing personal data (what was sent to whom, contact details): administrators
 * only, as the hub's access table says (docs/security.md). */
export const ADMIN_SECTIONS: readonly Section[] = ["messages", "dead-letters", "contacts"];

/** Whether a role sees a section in its menu. */
export function shownTo(role: string, section: Section): boolean {
  return role === "admin" || !ADMIN_SECTIONS.includes(section);
}

/** The section an address names (`#stats`), or the first one, for someone of this role. */
export function sectionFromHash(hash: string, role = "admin"): Section {
  const name = hash.replace(/^#/, "");
  const known = (SECTIONS as readonly string[]).includes(name) ? (name as Section) : "hall";
  return shownTo(role, known) ? known : "hall";
}

export function isNotifierSection(section: Section): boolean {
  return (NOTIFIER_SECTIONS as readonly string[]).includes(section);
}

export function isAppointmentSection(section: Section): section is AppointmentSectionName {
  return (APPOINTMENT_SECTIONS as readonly string[]).includes(section);
}

/** Sections shown without the hall's setup loaded (they do not depend on the hall). */
export function needsHall(section: Section): boolean {
  return !isNotifierSection(section) && section !== "booking-rules" && section !== "blacklist";
}

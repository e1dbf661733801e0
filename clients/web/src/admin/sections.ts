/** The back office's sections and which one the address names (`#stats`). */

/** A hall's setup and figures (need the hall chosen in the header). */
export const HALL_SECTIONS = ["hall", "services", "counters", "policy", "stats"] as const;
/** The message center (消息中心): the same for every hall. */
export const NOTIFIER_SECTIONS = ["templates", "rules", "messages", "dead-letters", "channel-stats", "contacts"] as const;

export const SECTIONS = [...HALL_SECTIONS, ...NOTIFIER_SECTIONS] as const;
export type Section = (typeof SECTIONS)[number];

export function sectionFromHash(hash: string): Section {
  const name = hash.replace(/^#/, "");
  return (SECTIONS as readonly string[]).includes(name) ? (name as Section) : "hall";
}

export function isNotifierSection(section: Section): boolean {
  return (NOTIFIER_SECTIONS as readonly string[]).includes(section);
}

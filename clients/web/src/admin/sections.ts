/** The back office's sections and which one the address names (`#stats`). */

export const SECTIONS = ["hall", "services", "counters", "policy", "stats"] as const;
export type Section = (typeof SECTIONS)[number];

export function sectionFromHash(hash: string): Section {
  const name = hash.replace(/^#/, "");
  return (SECTIONS as readonly string[]).includes(name) ? (name as Section) : "hall";
}

/** How the kiosk writes numbers people type and read. */

/** "110105194910010021" → "110105 19491001 0021"; "13800000000" → "138 0000 0000". */
export function groupDigits(value: string, groups: readonly number[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of groups) {
    if (at >= value.length) break;
    parts.push(value.slice(at, at + size));
    at += size;
  }
  if (at < value.length) parts.push(value.slice(at));
  return parts.join(" ");
}

export const ID_GROUPS = [6, 8, 4] as const;
export const PHONE_GROUPS = [3, 4, 4] as const;
export const ID_LENGTH = 18;
export const PHONE_LENGTH = 11;

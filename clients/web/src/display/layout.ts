/** How the hall display fits any screen: the counter tiles' grid, how many recent calls fit,
 * and how wide a text is in ems (so one line of it can be sized to its box). Pure. */

/** Roughly how many ems `text` takes on one line in a bold sans-serif: Chinese characters and
 * full-width punctuation are one em each, digits and Latin letters about two thirds. */
export function textEm(text: string): number {
  let em = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    em += code >= 0x2e80 ? 1 : /[A-Z0-9]/.test(char) ? 0.66 : 0.5;
  }
  return Math.max(em, 1);
}

export interface GridShape {
  columns: number;
  rows: number;
}

/**
 * The columns and rows that give `count` tiles the largest size in a `width`×`height` box
 * with `gap` between tiles, for tiles that read best at `aspect` (width / height): every tile
 * is shown, none is cut off, and a big screen gets big tiles.
 */
export function gridShape(count: number, width: number, height: number, gap: number, aspect = 1): GridShape {
  if (count <= 0) return { columns: 1, rows: 1 };
  if (width <= 0 || height <= 0) {
    const columns = Math.ceil(Math.sqrt(count));
    return { columns, rows: Math.ceil(count / columns) };
  }
  let best: GridShape = { columns: count, rows: 1 };
  let bestSize = -1;
  for (let columns = 1; columns <= count; columns += 1) {
    const rows = Math.ceil(count / columns);
    if (columns > 1 && Math.ceil(count / (columns - 1)) === rows) continue; // an empty column
    const tileWidth = (width - (columns - 1) * gap) / columns;
    const tileHeight = (height - (rows - 1) * gap) / rows;
    // the largest tile of the wanted shape that fits the cell
    const size = Math.min(tileWidth / aspect, tileHeight);
    if (size > bestSize + 0.5) {
      best = { columns, rows };
      bestSize = size;
    }
  }
  return best;
}

/** How many items at least `item` wide (with `gap` between them) fit in `width`, within
 * [`min`, `max`]. */
export function fitCount(width: number, item: number, gap: number, min: number, max: number): number {
  if (width <= 0 || item <= 0) return min;
  const fit = Math.floor((width + gap) / (item + gap));
  return Math.max(min, Math.min(max, fit));
}

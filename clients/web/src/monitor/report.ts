/** Pure parts of the monitor's history and statistics: the quality chart's series, the
 * statistics table's rows. */
import type { QualitySample, StatsRow } from "../agent/types";

export interface QualitySeries {
  citizen: [number, number][];
  agent: [number, number][];
}

/** Each party's levels over time ([ms, level]), in time order. */
export function qualitySeries(samples: readonly QualitySample[] | undefined): QualitySeries {
  const out: QualitySeries = { citizen: [], agent: [] };
  for (const sample of samples ?? []) {
    const at = Date.parse(sample.at);
    if (!Number.isFinite(at)) continue;
    (sample.party === "citizen" ? out.citizen : out.agent).push([at, sample.level]);
  }
  out.citizen.sort((a, b) => a[0] - b[0]);
  out.agent.sort((a, b) => a[0] - b[0]);
  return out;
}

export interface StatsLine extends StatsRow {
  /** The topic's or agent's name (the key when unknown). */
  label: string;
  /** answered / requests, 0–1; null without requests. */
  answer_rate: number | null;
}

export function statsLines(rows: readonly StatsRow[], names: ReadonlyMap<string, string>, allLabel: string): StatsLine[] {
  return rows.map((row) => ({
    ...row,
    label: row.key === "all" ? allLabel : (names.get(row.key) ?? row.key),
    answer_rate: row.requests > 0 ? row.answered / row.requests : null,
  }));
}

/** "12.3 MB" style size of a file (one decimal). */
export function megabytes(size: number | null | undefined): string {
  if (size === null || size === undefined || !Number.isFinite(size)) return "";
  return (Math.round((size / (1024 * 1024)) * 10) / 10).toFixed(1);
}

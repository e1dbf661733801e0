/** The call's connection quality from our own `getStats()` every few seconds: round-trip time
 * of the selected candidate pair, packet loss and bitrate of what we receive (deltas between
 * two reports), and a 0–5 level (the hub's `quality_level`, docs/rtc.md). Pure: no I/O. */

export type QualityState = "connected" | "reconnecting" | "failed";

/** Running totals read from one stats report. */
export interface StatsTotals {
  /** `performance.now()`-like milliseconds of the reading. */
  at: number;
  /** Round-trip time of the pair in use (ms), when measured. */
  rttMs: number | null;
  packetsLost: number;
  packetsReceived: number;
  bytesReceived: number;
  /** True when an inbound RTP stream was found (else loss and bitrate are unknown). */
  inbound: boolean;
}

/** What `rtc.quality` carries (null: not measured). */
export interface QualitySample {
  rtt_ms: number | null;
  loss_pct: number | null;
  bitrate_kbps: number | null;
}

type Stat = Record<string, unknown>;

function numberOf(stat: Stat, key: string): number | null {
  const value = stat[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The totals of one `RTCStatsReport` (its values). */
export function totalsOf(stats: Iterable<Stat>, at: number): StatsTotals {
  const all = [...stats];
  const byId = new Map<string, Stat>();
  for (const stat of all) if (typeof stat.id === "string") byId.set(stat.id, stat);
  // The pair in use: the transport's selected one, else a nominated succeeded one.
  let pair: Stat | undefined;
  for (const stat of all) {
    if (stat.type === "transport" && typeof stat.selectedCandidatePairId === "string") {
      pair = byId.get(stat.selectedCandidatePairId);
      if (pair) break;
    }
  }
  pair ??= all.find((s) => s.type === "candidate-pair" && s.state === "succeeded" && s.nominated === true);
  pair ??= all.find((s) => s.type === "candidate-pair" && s.selected === true);
  const rtt = pair ? numberOf(pair, "currentRoundTripTime") : null;
  let packetsLost = 0;
  let packetsReceived = 0;
  let bytesReceived = 0;
  let inbound = false;
  for (const stat of all) {
    if (stat.type !== "inbound-rtp") continue;
    inbound = true;
    packetsLost += Math.max(0, numberOf(stat, "packetsLost") ?? 0);
    packetsReceived += numberOf(stat, "packetsReceived") ?? 0;
    bytesReceived += numberOf(stat, "bytesReceived") ?? 0;
  }
  return { at, rttMs: rtt === null ? null : rtt * 1000, packetsLost, packetsReceived, bytesReceived, inbound };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The sample between two readings (the first reading alone: loss since the start, no
 * bitrate). Counters that went back (a new peer connection) count from zero. */
export function sampleOf(previous: StatsTotals | null, current: StatsTotals): QualitySample {
  const rtt_ms = current.rttMs === null ? null : round(Math.min(current.rttMs, 60_000), 1);
  if (!current.inbound) return { rtt_ms, loss_pct: null, bitrate_kbps: null };
  const restarted =
    previous === null ||
    !previous.inbound ||
    current.packetsReceived < previous.packetsReceived ||
    current.bytesReceived < previous.bytesReceived ||
    current.packetsLost < previous.packetsLost;
  const base = restarted ? null : previous;
  const lost = current.packetsLost - (base?.packetsLost ?? 0);
  const received = current.packetsReceived - (base?.packetsReceived ?? 0);
  const loss_pct = lost + received > 0 ? round(Math.min(100, (lost / (lost + received)) * 100), 2) : null;
  let bitrate_kbps: number | null = null;
  if (base !== null && current.at > base.at) {
    // bits per millisecond = kilobits per second
    bitrate_kbps = round(Math.min(1_000_000, ((current.bytesReceived - base.bytesReceived) * 8) / (current.at - base.at)), 1);
  }
  return { rtt_ms, loss_pct, bitrate_kbps };
}

/** 0 (no connection) to 5 (excellent), as the hub computes it: loss weighs most, then
 * round-trip time, then a starved bitrate. */
export function qualityLevel(sample: QualitySample, state: QualityState): number {
  if (state !== "connected") return 0;
  let level = 5;
  const loss = sample.loss_pct;
  if (loss !== null) {
    if (loss > 1) level -= 1;
    if (loss > 3) level -= 1;
    if (loss > 6) level -= 1;
    if (loss > 12) level -= 1;
  }
  const rtt = sample.rtt_ms;
  if (rtt !== null) {
    if (rtt > 200) level -= 1;
    if (rtt > 500) level -= 1;
  }
  if (sample.bitrate_kbps !== null && sample.bitrate_kbps < 100) level -= 1;
  return Math.max(level, 1);
}

/** What to report for a peer connection's state; null: nothing yet (never connected). */
export function reportedState(connectionState: string, everConnected: boolean): QualityState | null {
  if (connectionState === "failed") return "failed";
  if (connectionState === "disconnected") return "reconnecting";
  if (connectionState === "connected") return "connected";
  // new / connecting / closed: a replacement connection on its way after a drop
  return everConnected ? "reconnecting" : null;
}

/** The `rtc.quality` payload. */
export function qualityPayload(sessionId: string, sample: QualitySample, state: QualityState): Record<string, unknown> {
  const payload: Record<string, unknown> = { session_id: sessionId, state };
  if (sample.rtt_ms !== null) payload.rtt_ms = sample.rtt_ms;
  if (sample.loss_pct !== null) payload.loss_pct = sample.loss_pct;
  if (sample.bitrate_kbps !== null) payload.bitrate_kbps = sample.bitrate_kbps;
  return payload;
}

/** A call's quality from `RTCPeerConnection.getStats()`: round-trip time, packet loss and the
 * received bitrate since the previous sample, as `rtc.quality` wants them. */

/** The counters kept between two samples. */
export interface StatsMark {
  atMs: number;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
}

export interface QualitySummary {
  rtt_ms: number | null;
  loss_pct: number | null;
  bitrate_kbps: number | null;
  mark: StatsMark;
}

type Entry = Record<string, unknown> & { type?: unknown; id?: unknown };

const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** The round-trip time (ms) of the selected candidate pair (the transport's, else a nominated
 * succeeded one), else of the remote reports. */
export function roundTripMs(entries: readonly Entry[]): number | null {
  const byId = new Map(entries.map((entry) => [String(entry.id), entry]));
  const transport = entries.find((entry) => entry.type === "transport" && typeof entry.selectedCandidatePairId === "string");
  let pair: Entry | undefined = transport ? byId.get(String(transport.selectedCandidatePairId)) : undefined;
  pair ??= entries.find(
    (entry) => entry.type === "candidate-pair" && entry.state === "succeeded" && (entry.nominated === true || entry.selected === true),
  );
  const seconds = num(pair?.currentRoundTripTime);
  if (seconds !== null) return Math.round(seconds * 10000) / 10;
  const remote = entries
    .filter((entry) => entry.type === "remote-inbound-rtp")
    .map((entry) => num(entry.roundTripTime))
    .filter((value): value is number => value !== null);
  if (remote.length === 0) return null;
  return Math.round((remote.reduce((a, b) => a + b, 0) / remote.length) * 10000) / 10;
}

/** Sum of what arrived on every inbound RTP stream (audio and video). */
export function inboundTotals(entries: readonly Entry[], atMs: number): StatsMark {
  const mark: StatsMark = { atMs, bytesReceived: 0, packetsReceived: 0, packetsLost: 0 };
  for (const entry of entries) {
    if (entry.type !== "inbound-rtp") continue;
    mark.bytesReceived += num(entry.bytesReceived) ?? 0;
    mark.packetsReceived += num(entry.packetsReceived) ?? 0;
    mark.packetsLost += Math.max(0, num(entry.packetsLost) ?? 0);
  }
  return mark;
}

/** The sample between `previous` and now (loss and bitrate need a previous sample). */
export function summarizeStats(entries: readonly Entry[], atMs: number, previous: StatsMark | null): QualitySummary {
  const mark = inboundTotals(entries, atMs);
  const rtt = roundTripMs(entries);
  if (previous === null || mark.atMs <= previous.atMs) {
    return { rtt_ms: rtt, loss_pct: null, bitrate_kbps: null, mark };
  }
  const received = Math.max(0, mark.packetsReceived - previous.packetsReceived);
  const lost = Math.max(0, mark.packetsLost - previous.packetsLost);
  const loss = received + lost > 0 ? Math.round((lost / (received + lost)) * 1000) / 10 : null;
  const bytes = Math.max(0, mark.bytesReceived - previous.bytesReceived);
  const bitrate = Math.round(((bytes * 8) / (mark.atMs - previous.atMs)) * 10) / 10; // bits per ms = kbit/s
  return { rtt_ms: rtt, loss_pct: loss, bitrate_kbps: bitrate, mark };
}

/** `rtc.quality`'s state from the connection's. */
export function reportedState(connection: RTCPeerConnectionState | "none"): "connected" | "reconnecting" | "failed" {
  if (connection === "connected") return "connected";
  if (connection === "failed" || connection === "closed") return "failed";
  return "reconnecting";
}

/** The hub's level (0–5) from a sample, as rtc/domain.py computes it: shown until the hub answers. */
export function estimateLevel(rtt: number | null, loss: number | null, bitrate: number | null, state: string): number {
  if (state !== "connected") return 0;
  let level = 5;
  if (loss !== null) level -= [1, 3, 6, 12].filter((limit) => loss > limit).length;
  if (rtt !== null) level -= [200, 500].filter((limit) => rtt > limit).length;
  if (bitrate !== null && bitrate < 100) level -= 1;
  return Math.max(level, 1);
}

/** Stats entries as plain objects (an RTCStatsReport is a map). */
export function statsEntries(report: RTCStatsReport): Entry[] {
  const out: Entry[] = [];
  report.forEach((value: unknown) => out.push(value as Entry));
  return out;
}

/** Signaling as the citizen reads it (docs/rtc.md, Signaling): every `rtc.signal_sent` of
 * `rtc:<session>` sorted into what to do with it — the agent's offer, answer and ICE candidates
 * on the call, a request for a new offer, the hub's answer to our recorder offer — or dropped
 * (our own echoes, the agent's recorder link, a supervisor's monitor). Pure: no I/O. */

export type Link = "call" | "recorder" | "monitor";
export type SignalKind = "offer" | "answer" | "candidate" | "renegotiate";

/** The ICE candidate as sent (RTCIceCandidate.toJSON()); null: the end of candidates. */
export interface CandidateJson {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export type SignalAction =
  | { do: "call-offer"; sdp: string }
  | { do: "call-answer"; sdp: string }
  | { do: "call-candidate"; candidate: CandidateJson | null }
  | { do: "call-renegotiate" }
  | { do: "recorder-answer"; sdp: string }
  | { do: "ignore"; why: IgnoreReason };

export type IgnoreReason = "own" | "not-for-me" | "monitor" | "malformed";

const ME = "citizen";

/** What to do with one `rtc.signal_sent`'s data. */
export function routeSignal(data: Record<string, unknown>): SignalAction {
  const from = data.from;
  const to = data.to ?? null;
  const link = data.link;
  const kind = data.kind;
  const sdp = typeof data.sdp === "string" && data.sdp !== "" ? data.sdp : null;
  if (from === ME) return ignore("own");
  if (link === "monitor") return ignore("monitor");
  if (to !== null && to !== ME) return ignore("not-for-me");
  if (link === "recorder") {
    // Our recorder connection's answer comes from the hub, addressed to us; the agent's own
    // recorder link is none of ours.
    if (from !== "hub" || to !== ME) return ignore("not-for-me");
    if (kind !== "answer") return ignore("not-for-me");
    return sdp === null ? ignore("malformed") : { do: "recorder-answer", sdp };
  }
  if (link !== "call" && link !== undefined) return ignore("malformed");
  if (from !== "agent") return ignore("not-for-me");
  switch (kind) {
    case "offer":
      return sdp === null ? ignore("malformed") : { do: "call-offer", sdp };
    case "answer":
      return sdp === null ? ignore("malformed") : { do: "call-answer", sdp };
    case "candidate": {
      const candidate = data.candidate ?? null;
      if (candidate === null) return { do: "call-candidate", candidate: null };
      if (typeof candidate !== "object" || Array.isArray(candidate)) return ignore("malformed");
      const c = candidate as Record<string, unknown>;
      if (typeof c.candidate !== "string") return ignore("malformed");
      // An empty candidate string is the end of candidates, as a browser writes it.
      if (c.candidate === "") return { do: "call-candidate", candidate: null };
      return { do: "call-candidate", candidate: c as CandidateJson };
    }
    case "renegotiate":
      return { do: "call-renegotiate" };
    default:
      return ignore("malformed");
  }
}

function ignore(why: IgnoreReason): SignalAction {
  return { do: "ignore", why };
}

/** The `rtc.signal` command's payload (strict: no keys the hub does not know). */
export function signalPayload(
  sessionId: string,
  link: Link,
  kind: SignalKind,
  body: { sdp?: string; candidate?: CandidateJson | null } = {},
): Record<string, unknown> {
  const payload: Record<string, unknown> = { session_id: sessionId, link, kind };
  if (body.sdp !== undefined) payload.sdp = body.sdp;
  if (kind === "candidate") payload.candidate = body.candidate === undefined ? null : cleanCandidate(body.candidate);
  return payload;
}

function cleanCandidate(candidate: CandidateJson | null): CandidateJson | null {
  if (candidate === null) return null;
  const clean: CandidateJson = { candidate: candidate.candidate ?? "" };
  if (candidate.sdpMid !== undefined) clean.sdpMid = candidate.sdpMid;
  if (candidate.sdpMLineIndex !== undefined) clean.sdpMLineIndex = candidate.sdpMLineIndex;
  if (candidate.usernameFragment !== undefined) clean.usernameFragment = candidate.usernameFragment;
  return clean;
}

/** The DTLS fingerprints of an SDP: one per certificate, i.e. per peer connection. */
export function fingerprints(sdp: string | null | undefined): string[] {
  if (!sdp) return [];
  const found = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    const match = /^a=fingerprint:(\S+)\s+(\S+)/i.exec(line.trim());
    if (match) found.add(`${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`);
  }
  return [...found].sort();
}

/** True when a new offer comes from the same remote peer connection as the current remote
 * description (the same certificate): a renegotiation the current connection can take. A new
 * certificate is a new peer connection (the agent dropped and came back): it needs a new one
 * here too. */
export function sameRemotePeer(currentRemoteSdp: string | null | undefined, offerSdp: string): boolean {
  const before = fingerprints(currentRemoteSdp);
  const after = fingerprints(offerSdp);
  return before.length > 0 && before.length === after.length && before.every((f, i) => f === after[i]);
}

/** Events of `rtc:<session>` to go through again from its snapshot: those after the latest
 * `rtc.call_accepted` (a call's signals sent before this page followed the topic), none when
 * resuming a call after a reload (its old connection is gone: a new offer is asked for). */
export function replayAfterAccept<E extends { type: string; seq: number }>(events: readonly E[], resume: boolean): E[] {
  if (resume) return [];
  const ordered = [...events].sort((a, b) => a.seq - b.seq);
  let start = -1;
  ordered.forEach((event, index) => {
    if (event.type === "rtc.call_accepted" || event.type === "rtc.call_transferred") start = index;
  });
  if (start < 0) return [];
  // After a transfer nothing is replayed until the next agent accepts.
  return ordered[start]!.type === "rtc.call_accepted" ? ordered.slice(start) : [];
}

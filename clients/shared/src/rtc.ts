/** Video customer service (视频客服) documents as the hub sends them (docs/rtc.md), read by the
 * citizen's page and the staff desks alike. */

export type SessionState = "waiting" | "offered" | "active" | "wrap_up" | "ended" | "abandoned" | "callback";
export type Party = "citizen" | "agent";

export interface ChatMessage {
  id: string;
  at: string;
  sender: "citizen" | "agent" | "system";
  sender_name: string;
  text: string;
  image_id: string | null;
  image_type: string | null;
}

export interface TransferRecord {
  at: string;
  from_agent: string;
  to_agent: string | null;
  to_topic: string | null;
  note: string;
}

export interface Rating {
  stars: number;
  comment: string;
  at: string;
}

export interface Recording {
  /** expired: its file was deleted after the retention period. */
  state: "recording" | "done" | "failed" | "refused" | "expired";
  duration_s?: number | null;
  size?: number | null;
  reason?: string;
  started_at?: string | null;
  ended_at?: string | null;
}

export interface QualitySample {
  at: string;
  party: Party;
  rtt_ms: number | null;
  loss_pct: number | null;
  bitrate_kbps: number | null;
  level: number;
}

/** `<session>` of docs/rtc.md; `offered_to` / `offer_expires` are sent too (not in the doc). */
export interface RtcSession {
  id: string;
  citizen_id: string;
  citizen_name: string;
  topic: string;
  topic_name: string;
  state: SessionState;
  created_at: string;
  queued_at: string;
  agent_id: string | null;
  agent_name: string;
  answered_at: string | null;
  ended_at: string | null;
  end_reason: string;
  transfers: TransferRecord[];
  chat: ChatMessage[];
  rating: Rating | null;
  recording: Recording | null;
  /** While waiting (once the hub has placed the request). */
  position?: number;
  estimate_minutes?: number;
  offered_to?: string | null;
  offer_expires?: string | null;
  /** Bumped by every change the hub saves: an older copy never undoes a newer one. */
  version?: number;
  /** Supervisors' view of one session only. */
  quality?: QualitySample[];
  notes?: string;
}

/** `GET /api/v1/rtc/topics` (the hub counts agents online and calls waiting on every answer). */
export interface RtcTopic {
  id: string;
  name: string;
  description: string;
  expected_minutes: number;
  agents_online: number;
  waiting: number;
}

/** A call's chat with `more` messages: in order of time, each message once (a message already
 * there is kept); the same array when nothing is new. */
export function mergeChat(
  messages: readonly ChatMessage[],
  more: readonly (ChatMessage | null | undefined)[],
): ChatMessage[] {
  const known = new Set(messages.map((m) => m.id));
  const added: ChatMessage[] = [];
  for (const message of more) {
    if (!message || known.has(message.id)) continue;
    known.add(message.id);
    added.push(message);
  }
  if (added.length === 0) return messages as ChatMessage[];
  return [...messages, ...added].sort((a, b) => a.at.localeCompare(b.at));
}

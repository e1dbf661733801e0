/** The video customer service (视频客服) resources as the hub sends them (docs/rtc.md). */

export type SessionState = "waiting" | "offered" | "active" | "wrap_up" | "ended" | "abandoned" | "callback";
export type AgentStatus = "offline" | "available" | "busy" | "wrap_up" | "away";
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

export interface Recording {
  state: "recording" | "done" | "failed" | "refused";
  duration_s?: number | null;
  size?: number | null;
  reason?: string;
  started_at?: string | null;
  ended_at?: string | null;
}

export interface Rating {
  stars: number;
  comment: string;
  at: string;
}

export interface QualitySample {
  at: string;
  party: Party;
  rtt_ms: number | null;
  loss_pct: number | null;
  bitrate_kbps: number | null;
  level: number;
}

/** `<session>`; `offered_to` / `offer_expires` are sent too (not in the doc). */
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
  position?: number;
  estimate_minutes?: number;
  offered_to?: string | null;
  offer_expires?: string | null;
  /** Supervisors' view of one session only. */
  quality?: QualitySample[];
  notes?: string;
}

export interface AgentView {
  id: string;
  name: string;
  skills: string[];
  status: AgentStatus;
  status_since: string;
  session_id: string | null;
  present?: boolean;
  idle_since?: string;
  consoles?: number;
}

export interface RtcTopic {
  id: string;
  name: string;
  description: string;
  expected_minutes: number;
  agents_online?: number;
  waiting?: number;
}

/** `rtc.agent_hello`. */
export interface Hello {
  agent: AgentView;
  session: RtcSession | null;
}

/** `rtc.queue_changed` (the hub sends `state` and an `active` list; the doc names `position`). */
export interface QueueChanged {
  waiting: { session_id: string; topic: string; queued_at: string; state?: SessionState; position?: number }[];
  active?: { session_id: string; topic: string; agent_id: string | null }[];
  agents: AgentView[];
}

/** `GET /api/v1/rtc/overview`. */
export interface Overview {
  waiting: RtcSession[];
  active: RtcSession[];
  agents: AgentView[];
}

export interface StatsRow {
  key: string;
  requests: number;
  answered: number;
  abandoned: number;
  callbacks: number;
  mean_wait_s: number | null;
  max_wait_s: number | null;
  mean_talk_s: number | null;
  mean_rating: number | null;
  transfers: number;
}

export type SignalLink = "call" | "recorder" | "monitor";
export type SignalKind = "offer" | "answer" | "candidate" | "renegotiate";

/** `rtc.signal_sent`. */
export interface SignalSent {
  from: "citizen" | "agent" | "hub";
  to: "citizen" | "agent" | "supervisor" | null;
  link: SignalLink;
  kind: SignalKind;
  sdp: string | null;
  candidate: RTCIceCandidateInit | null;
}

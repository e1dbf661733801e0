/** The video customer service (视频客服) resources as the hub sends them (docs/rtc.md); the
 * session and its parts are @hallhub/client's (the citizen's page reads them too). */
import type { RtcSession, SessionState } from "@hallhub/client";

export type {
  ChatMessage,
  Party,
  QualitySample,
  Rating,
  Recording,
  RtcSession,
  RtcTopic,
  SessionState,
  TransferRecord,
} from "@hallhub/client";

export type AgentStatus = "offline" | "available" | "busy" | "wrap_up" | "away";

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

/** `rtc.agent_hello`. */
export interface Hello {
  agent: AgentView;
  session: RtcSession | null;
}

/** `rtc.queue_changed` (the hub sends `state`, the names and an `active` list; the doc names
 * `position`; an older hub sent no names nor answer times). */
export interface QueueChanged {
  waiting: { session_id: string; topic: string; citizen_name?: string; queued_at: string; state?: SessionState; position?: number }[];
  active?: {
    session_id: string;
    topic: string;
    citizen_name?: string;
    agent_id: string | null;
    agent_name?: string;
    answered_at?: string | null;
  }[];
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

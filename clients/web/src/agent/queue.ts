/** The live queue (`rtc.queue_changed`): who waits, in which place of their topic's line, and
 * the agents. */
import type { AgentView, QueueChanged, SessionState } from "./types";

export interface WaitingRow {
  session_id: string;
  topic: string;
  queued_at: string;
  state: SessionState;
  /** 1: next in its topic's line. */
  position: number;
}

export interface QueueView {
  waiting: WaitingRow[];
  agents: AgentView[];
}

export const EMPTY_QUEUE: QueueView = { waiting: [], agents: [] };

/** The waiting requests, oldest first, each with its place in its topic's line (the hub's
 * `position` when it sends one). */
export function waitingRows(waiting: QueueChanged["waiting"]): WaitingRow[] {
  const sorted = [...waiting].sort((a, b) => a.queued_at.localeCompare(b.queued_at) || a.session_id.localeCompare(b.session_id));
  const seen = new Map<string, number>();
  return sorted.map((item) => {
    const place = (seen.get(item.topic) ?? 0) + 1;
    seen.set(item.topic, place);
    return {
      session_id: item.session_id,
      topic: item.topic,
      queued_at: item.queued_at,
      state: item.state ?? "waiting",
      position: typeof item.position === "number" ? item.position : place,
    };
  });
}

export function queueView(changed: QueueChanged): QueueView {
  return { waiting: waitingRows(changed.waiting ?? []), agents: [...(changed.agents ?? [])] };
}

/** Agents a call can be transferred to now: present, free, available, not me. */
export function transferAgents(agents: readonly AgentView[], me: string): AgentView[] {
  return agents.filter(
    (agent) => agent.id !== me && agent.status === "available" && agent.session_id === null && agent.present !== false,
  );
}

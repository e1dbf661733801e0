/** The monitor's live board: waiting requests, active calls and agents, from the overview
 * (`GET /api/v1/rtc/overview`) and then every `rtc.queue_changed`. The event names sessions by
 * id only; details (citizen, answer time) come from the overview, which is reloaded when an
 * event names a session the board has not seen. */
import { waitingRows } from "../agent/queue";
import type { AgentView, Overview, QueueChanged, RtcSession, SessionState } from "../agent/types";

export interface BoardWaiting {
  session_id: string;
  topic: string;
  citizen_name: string;
  queued_at: string;
  state: SessionState;
  position: number;
}

export interface BoardActive {
  session_id: string;
  topic: string;
  citizen_name: string;
  agent_id: string | null;
  agent_name: string;
  answered_at: string | null;
}

export interface Board {
  waiting: BoardWaiting[];
  active: BoardActive[];
  agents: AgentView[];
}

export const EMPTY_BOARD: Board = { waiting: [], active: [], agents: [] };

function activeRow(session: RtcSession): BoardActive {
  return {
    session_id: session.id,
    topic: session.topic,
    citizen_name: session.citizen_name,
    agent_id: session.agent_id,
    agent_name: session.agent_name,
    answered_at: session.answered_at,
  };
}

export function boardFromOverview(overview: Overview): Board {
  const positions = new Map(
    waitingRows(overview.waiting.map((s) => ({ session_id: s.id, topic: s.topic, queued_at: s.queued_at, state: s.state }))).map(
      (row) => [row.session_id, row.position],
    ),
  );
  return {
    waiting: overview.waiting.map((session) => ({
      session_id: session.id,
      topic: session.topic,
      citizen_name: session.citizen_name,
      queued_at: session.queued_at,
      state: session.state,
      position: session.position ?? positions.get(session.id) ?? 0,
    })),
    active: overview.active.map(activeRow),
    agents: [...overview.agents],
  };
}

export interface BoardChange {
  board: Board;
  /** The event names sessions the board knows nothing about: reload the overview. */
  reload: boolean;
}

export function applyQueueChanged(board: Board, data: QueueChanged): BoardChange {
  let reload = false;
  const known = new Map<string, { citizen_name: string }>();
  for (const row of board.waiting) known.set(row.session_id, row);
  for (const row of board.active) known.set(row.session_id, row);
  const waiting = waitingRows(data.waiting ?? []).map((row) => {
    const seen = known.get(row.session_id);
    if (seen === undefined) reload = true;
    return { ...row, citizen_name: seen?.citizen_name ?? "" };
  });
  const agents = [...(data.agents ?? [])];
  const names = new Map(agents.map((agent) => [agent.id, agent.name]));
  let active: BoardActive[];
  if (Array.isArray(data.active)) {
    const current = new Map(board.active.map((row) => [row.session_id, row]));
    active = data.active.map((item) => {
      const seen = current.get(item.session_id);
      // New here (just answered, or its agent changed): its answer time is in the overview.
      if (seen === undefined || seen.agent_id !== item.agent_id) reload = true;
      return {
        session_id: item.session_id,
        topic: item.topic,
        citizen_name: seen?.citizen_name ?? known.get(item.session_id)?.citizen_name ?? "",
        agent_id: item.agent_id,
        agent_name: names.get(item.agent_id ?? "") ?? seen?.agent_name ?? "",
        answered_at: seen && seen.agent_id === item.agent_id ? seen.answered_at : null,
      };
    });
  } else {
    // The documented event has no active calls: the overview tells.
    active = board.active;
    reload = true;
  }
  return { board: { waiting, active, agents }, reload };
}

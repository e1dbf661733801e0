/** The monitor's live board: waiting requests, active calls and agents, from the overview
 * (`GET /api/v1/rtc/overview`) and then every `rtc.queue_changed`, which names each request's
 * caller and each call's agent and answer time. An event without them (an older hub) names
 * sessions by id only: the overview is reloaded when it names one the board has not seen. */
import type { Envelope } from "@hallhub/client";
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
  const known = new Map<string, string>();
  for (const row of [...board.waiting, ...board.active]) known.set(row.session_id, row.citizen_name);
  /** The caller's name as the event tells it, else as the board knows it. */
  const citizen = (sessionId: string, told: string | undefined): string => {
    if (told !== undefined) return told;
    const seen = known.get(sessionId);
    if (seen === undefined) reload = true;
    return seen ?? "";
  };
  const told = new Map((data.waiting ?? []).map((item) => [item.session_id, item.citizen_name]));
  const waiting = waitingRows(data.waiting ?? []).map((row) => ({ ...row, citizen_name: citizen(row.session_id, told.get(row.session_id)) }));
  const agents = [...(data.agents ?? [])];
  const names = new Map(agents.map((agent) => [agent.id, agent.name]));
  let active: BoardActive[];
  if (Array.isArray(data.active)) {
    const current = new Map(board.active.map((row) => [row.session_id, row]));
    active = data.active.map((item) => {
      const seen = current.get(item.session_id);
      const same = seen !== undefined && seen.agent_id === item.agent_id;
      // New here (just answered, or its agent changed) and not told when: the overview tells.
      if (item.answered_at === undefined && !same) reload = true;
      return {
        session_id: item.session_id,
        topic: item.topic,
        citizen_name: citizen(item.session_id, item.citizen_name),
        agent_id: item.agent_id,
        agent_name: item.agent_name ?? names.get(item.agent_id ?? "") ?? seen?.agent_name ?? "",
        answered_at: item.answered_at !== undefined ? item.answered_at : same ? seen.answered_at : null,
      };
    });
  } else {
    // The documented event has no active calls: the overview tells.
    active = board.active;
    reload = true;
  }
  return { board: { waiting, active, agents }, reload };
}

/** What an event of `rtc:queue` does to the board (the topic carries nothing else today). */
export function applyMonitorEvent(board: Board, event: Envelope): BoardChange {
  if (event.type !== "rtc.queue_changed") return { board, reload: false };
  return applyQueueChanged(board, event.data as unknown as QueueChanged);
}

/** The agent console's state as the hub tells it: the agent, the line, the offer and the call
 * with its chat and recording, from `rtc.agent_hello` and the events of `agent:<me>`,
 * `rtc:queue` and `rtc:<call>`. Pure, so the console (useAgentDesk) and the screen-state test
 * (clients/scripts/replay.ts) follow the events with the same code. The browser's part (media,
 * levels, the ringer) and the effects stay in the console. */
import { mergeChat, type Envelope } from "@hallhub/client";
import { IDLE, reduceCall, type CallEvent, type CallState } from "./callState";
import { EMPTY_QUEUE, queueView, type QueueView } from "./queue";
import { rt } from "./text";
import type { AgentView, ChatMessage, Hello, QueueChanged, Recording, RtcSession } from "./types";

export interface AgentConsole {
  agent: AgentView | null;
  queue: QueueView;
  call: CallState;
  /** The call's chat and recording (empty without a call). */
  chat: ChatMessage[];
  recording: Recording | null;
}

export const EMPTY_CONSOLE: AgentConsole = { agent: null, queue: EMPTY_QUEUE, call: IDLE, chat: [], recording: null };

/** The call moved on: a call that is not the one shown brings its own chat and recording. */
export function applyCallEvent(state: AgentConsole, event: CallEvent): AgentConsole {
  const call = reduceCall(state.call, event);
  if (call === state.call) return state;
  const session = call.session;
  if (session?.id === state.call.session?.id) return { ...state, call };
  return { ...state, call, chat: session ? [...session.chat] : [], recording: session?.recording ?? null };
}

/** `rtc.agent_hello` (on every connect, and as a resync): the agent and their call as they are. */
export function applyHello(state: AgentConsole, hello: Hello, me: string): AgentConsole {
  return applyCallEvent({ ...state, agent: hello.agent }, { type: "hello", session: hello.session, me });
}

/** The call's own topic read afresh (`GET /rtc/sessions/{id}`): its chat and recording as saved. */
export function applySession(state: AgentConsole, session: RtcSession, me: string): AgentConsole {
  let next = state;
  if (state.call.session?.id === session.id) {
    next = { ...state, chat: mergeChat(state.chat, session.chat), recording: session.recording };
  }
  return applyCallEvent(next, { type: "session", session, me });
}

/** What an event of `agent:<me>`, `rtc:queue` or the call's topic does to the console (`declining`:
 * the offer this console is declining, whose withdrawal is no news). Signals and quality reports
 * are the call's media: the console handles them. */
export function applyAgentEvent(state: AgentConsole, event: Envelope, me: string, declining: string | null = null): AgentConsole {
  const data = event.data;
  switch (event.type) {
    case "rtc.queue_changed":
      return { ...state, queue: queueView(data as unknown as QueueChanged) };
    case "rtc.agent_updated": {
      const agent = data.agent as AgentView;
      const next = { ...state, agent };
      // As on hello: a call that is no longer the agent's is over (wrapped up, on any console).
      const shown = state.call.session;
      if (shown !== null && agent.session_id !== shown.id) return applyCallEvent(next, { type: "wrapped_up", sessionId: shown.id });
      return next;
    }
    case "rtc.call_offered": {
      const session = data.session as RtcSession;
      const expiresAt = typeof data.expires_at === "string" ? data.expires_at : (session.offer_expires ?? "");
      return applyCallEvent(state, { type: "offered", session, expiresAt });
    }
    case "rtc.offer_withdrawn": {
      const sessionId = String(data.session_id ?? "");
      if (sessionId === declining) return applyCallEvent(state, { type: "declined", sessionId });
      const reason = typeof data.reason === "string" && data.reason ? data.reason : "";
      const notice = reason ? rt.agent.withdrawn.replace("{reason}", reason) : rt.agent.withdrawnNoReason;
      return applyCallEvent(state, { type: "withdrawn", sessionId, reason: notice });
    }
    case "rtc.call_accepted":
    case "rtc.call_transferred":
    case "rtc.call_ended": {
      const session = data.session as RtcSession | undefined;
      if (!session) return state;
      return applyCallEvent(state, { type: "session", session, me });
    }
    case "rtc.chat_posted":
      if (!isCallTopic(state, event)) return state;
      return { ...state, chat: mergeChat(state.chat, [data.message as ChatMessage]) };
    case "rtc.recording_changed":
      if (!isCallTopic(state, event)) return state;
      return { ...state, recording: (data.recording as Recording | null) ?? null };
    default:
      return state;
  }
}

function isCallTopic(state: AgentConsole, event: Envelope): boolean {
  const session = state.call.session;
  return session !== null && event.topic === `rtc:${session.id}`;
}

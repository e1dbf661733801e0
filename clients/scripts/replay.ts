/**
 * Replays events on a screen's snapshot with that screen's own reducer, as the browser does:
 * tests/e2e/test_screen_state.py checks snapshot + events == a fresh snapshot for every screen
 * that keeps state (Zulip's `verify_action`).
 *
 *   echo '{"screen": "board", "snapshot": {…}, "events": [envelope, …]}' | npx tsx scripts/replay.ts
 *
 * Prints {"state": …, "reloads": n}: the state after the last event, and how many events asked
 * for a reload (which a test counts as a failure to follow the events).
 */
import {
  applyBoardEvent,
  applyCounterEvent,
  applyInboxEvent,
  applyTicketEvent,
  inboxFromList,
  type Board,
  type BoardCounter,
  type Envelope,
  type Inbox,
  type InboxList,
  type TicketView,
} from "@hallhub/client";
import { applyDeskEvent, deskOf, deskView } from "../web/src/workstation/desk";
import type { WorkstationSnapshot } from "../web/src/workstation/types";
import { EMPTY_CONSOLE, applyAgentEvent, applyHello, type AgentConsole } from "../web/src/agent/consoleState";
import { queueView } from "../web/src/agent/queue";
import type { Hello, Overview, QueueChanged } from "../web/src/agent/types";
import { applyMonitorEvent, boardFromOverview, type Board as MonitorBoard } from "../web/src/monitor/board";

/** `now`: the hub's time when the fresh snapshot was loaded, for screens whose view depends on
 * the time (a workstation's calling order). */
type Replayer = (snapshot: unknown, events: Envelope[], now: string | undefined) => { state: unknown; reloads: number };

function fold<S>(step: (state: S, event: Envelope) => { state: S; reload: boolean }): Replayer {
  return (snapshot, events) => {
    let state = snapshot as S;
    let reloads = 0;
    for (const event of events) {
      const next = step(state, event);
      state = next.state;
      if (next.reload) reloads += 1;
    }
    return { state, reloads };
  };
}

const SCREENS: Record<string, Replayer> = {
  // The counter workstation keeps tickets and shows a view of them made for a time: the
  // fresh snapshot's, so that both order the queue at the same moment.
  desk: (snapshot, events, now) => {
    const loaded = snapshot as WorkstationSnapshot;
    const replayed = fold(applyDeskEvent)(deskOf(loaded), events, now);
    return { state: deskView(replayed.state as ReturnType<typeof deskOf>, Date.parse(now ?? loaded.now)), reloads: replayed.reloads };
  },
  board: fold<Board>((board, event) => {
    const change = applyBoardEvent(board, event);
    return { state: change.board, reload: change.reload };
  }),
  counter: fold<BoardCounter>((counter, event) => {
    const change = applyCounterEvent(counter, event);
    return { state: change.counter, reload: change.reload };
  }),
  ticket: fold<TicketView>((view, event) => {
    const change = applyTicketEvent(view, event);
    return { state: change.view, reload: change.reload };
  }),
  // The inbox's snapshot is the list `GET /notifier/inbox` answers, made an Inbox as it loads.
  inbox: (snapshot, events, now) =>
    fold<Inbox>((inbox, event) => ({ state: applyInboxEvent(inbox, event).inbox, reload: false }))(
      inboxFromList(snapshot as InboxList),
      events,
      now,
    ),
  // The agent console loads `rtc.agent_hello` and the line's latest `rtc.queue_changed`, and
  // reloads nothing but on a resync.
  agent: (snapshot, events, now) => {
    const { me, hello, queue } = snapshot as { me: string; hello: Hello; queue: QueueChanged | null };
    const loaded: AgentConsole = { ...applyHello(EMPTY_CONSOLE, hello, me), queue: queue ? queueView(queue) : EMPTY_CONSOLE.queue };
    return fold<AgentConsole>((state, event) => ({ state: applyAgentEvent(state, event, me), reload: false }))(loaded, events, now);
  },
  // The supervisors' monitor: its board made from `GET /rtc/overview`, then `rtc:queue`.
  monitor: (snapshot, events, now) =>
    fold<MonitorBoard>((board, event) => {
      const change = applyMonitorEvent(board, event);
      return { state: change.board, reload: change.reload };
    })(boardFromOverview(snapshot as Overview), events, now),
};

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
  screen: string;
  snapshot: unknown;
  events: Envelope[];
  now?: string;
};
const replay = SCREENS[input.screen];
if (replay === undefined) {
  process.stderr.write(`no such screen: ${input.screen}\n`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(replay(input.snapshot, input.events, input.now)));

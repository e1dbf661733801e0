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

type Replayer = (snapshot: unknown, events: Envelope[]) => { state: unknown; reloads: number };

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
  inbox: (snapshot, events) =>
    fold<Inbox>((inbox, event) => ({ state: applyInboxEvent(inbox, event).inbox, reload: false }))(
      inboxFromList(snapshot as InboxList),
      events,
    ),
};

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
  screen: string;
  snapshot: unknown;
  events: Envelope[];
};
const replay = SCREENS[input.screen];
if (replay === undefined) {
  process.stderr.write(`no such screen: ${input.screen}\n`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(replay(input.snapshot, input.events)));

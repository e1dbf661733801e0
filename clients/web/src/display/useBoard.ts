/** The hall board, live: the `GET …/board` snapshot plus the `hall:<id>` events, across
 * reconnects and resyncs. */
import {
  applyBoardEvent,
  type Board,
  type BoardCall,
  type Envelope,
  type EventMeta,
  type HubClient,
  type HubError,
} from "@hallhub/client";
import { useTopic } from "@hallhub/client/vue";
import { shallowRef, type ShallowRef } from "vue";
import { api } from "../hub";

export interface BoardOptions {
  client: HubClient;
  hallId: string;
  /** Called for every live or replayed event, after the board has applied it. */
  onEvent?: (event: Envelope, meta: EventMeta) => void;
  /** Called for `ticket_called` and `ticket_recalled`, after the board has applied it. */
  onCall?: (call: BoardCall, event: Envelope, meta: EventMeta) => void;
}

export interface LiveBoard {
  board: ShallowRef<Board | null>;
  error: ShallowRef<HubError | null>;
  loaded: ShallowRef<boolean>;
}

export function loadBoard(hallId: string): Promise<Board> {
  return api<Board>("GET", `/api/v1/halls/${encodeURIComponent(hallId)}/board`);
}

export function useBoard(options: BoardOptions): LiveBoard {
  const board = shallowRef<Board | null>(null);
  const { error, loaded, restart } = useTopic({
    client: options.client,
    topic: () => `hall:${options.hallId}`,
    loadSnapshot: async () => {
      const snapshot = await loadBoard(options.hallId);
      board.value = snapshot;
      return { seq: snapshot.seq, epoch: snapshot.epoch };
    },
    onEvent: (event, meta) => {
      if (board.value === null) return;
      const change = applyBoardEvent(board.value, event);
      board.value = change.board;
      options.onEvent?.(event, meta);
      if (change.call !== null) options.onCall?.(change.call, event, meta);
      if (change.reload) restart();
    },
  });
  return { board, error, loaded };
}

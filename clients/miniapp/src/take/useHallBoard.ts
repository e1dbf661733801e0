/** A hall's services with their waiting counts, live (the board snapshot, then `hall:<id>`). */
import { applyBoardEvent, type Board, type HubClient, type HubError } from "@hallhub/client";
import { useTopic } from "@hallhub/client/vue";
import { shallowRef, type ShallowRef } from "vue";
import { api } from "../hub";

export interface HallBoard {
  board: ShallowRef<Board | null>;
  error: ShallowRef<HubError | null>;
}

export function useHallBoard(client: HubClient, hallId: string): HallBoard {
  const board = shallowRef<Board | null>(null);
  const { error, restart } = useTopic({
    client,
    topic: () => `hall:${hallId}`,
    loadSnapshot: async () => {
      const snapshot = await api<Board>("GET", `/api/v1/halls/${encodeURIComponent(hallId)}/board`);
      board.value = snapshot;
      return { seq: snapshot.seq, epoch: snapshot.epoch };
    },
    onEvent: (event) => {
      if (board.value === null) return;
      const change = applyBoardEvent(board.value, event);
      board.value = change.board;
      if (change.reload) restart();
    },
  });
  return { board, error };
}

/** One counter, live: its row of the hall board, then the `counter:<id>` events. The board's
 * seq is the hall topic's, so the counter topic's position is read first (GET /events, one
 * event) and the board after it; `counter_updated` carries the whole counter, so an update in
 * between is applied twice harmlessly. */
import {
  applyCounterEvent,
  loadRecentEvents,
  type Board,
  type BoardCounter,
  type HubClient,
  type HubError,
  type Principal,
} from "@hallhub/client";
import { useTopic } from "@hallhub/client/vue";
import { shallowRef, type ShallowRef } from "vue";
import { loadBoard } from "../display/useBoard";
import { api } from "../hub";

export interface LiveCounter {
  counter: ShallowRef<BoardCounter | null>;
  hall: ShallowRef<Board["hall"] | null>;
  /** The hall has no such counter. */
  missing: ShallowRef<boolean>;
  /** Changes with every new call (or recall) pushed live: the number flashes. */
  flashKey: ShallowRef<string>;
  error: ShallowRef<HubError | null>;
}

export function useCounter(client: HubClient, counterId: string, hallParam: string | null): LiveCounter {
  const counter = shallowRef<BoardCounter | null>(null);
  const hall = shallowRef<Board["hall"] | null>(null);
  const missing = shallowRef(false);
  const flashKey = shallowRef("");
  let hallId = hallParam;

  const { error, restart } = useTopic({
    client,
    topic: () => `counter:${counterId}`,
    loadSnapshot: async (topic) => {
      if (hallId === null) hallId = (await api<Principal>("GET", "/api/v1/auth/me")).hall;
      const position = await loadRecentEvents(api, topic, 1);
      const board = hallId === null ? null : await loadBoard(hallId);
      const row = board?.counters.find((c) => c.counter_id === counterId) ?? null;
      hall.value = board?.hall ?? null;
      counter.value = row;
      missing.value = row === null;
      return { seq: position.seq, epoch: position.epoch };
    },
    onEvent: (event, meta) => {
      const before = counter.value;
      if (before === null) return;
      const change = applyCounterEvent(before, event);
      counter.value = change.counter;
      const now = change.counter.current;
      const called = now !== null && now.status === "called";
      const isNew = called && (before.current?.ticket_id !== now.ticket_id || before.current.call_count !== now.call_count);
      if (isNew && !meta.replayed) flashKey.value = `${now.ticket_id}:${now.call_count}:${event.seq}`;
      if (change.reload) restart();
    },
  });
  return { counter, hall, missing, flashKey, error };
}

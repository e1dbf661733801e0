/** The live board: the overview, then `rtc:queue` (snapshot-then-stream, across reconnects). */
import { toHubError, type HubClient, type HubError } from "@hallhub/client";
import { onScopeDispose, shallowRef, type ShallowRef } from "vue";
import { listTopics, loadOverview, topicPosition } from "../agent/api";
import type { RtcTopic } from "../agent/types";
import { EMPTY_BOARD, applyMonitorEvent, boardFromOverview, type Board } from "./board";

const RELOAD_DELAY_MS = 400;
/** The hub does not announce every change on `rtc:queue` (an offer made by routing after a
 * status change, for one): the overview is refreshed this often as well. */
const REFRESH_MS = 10_000;

export interface BoardFeed {
  board: ShallowRef<Board>;
  topics: ShallowRef<RtcTopic[]>;
  loaded: ShallowRef<boolean>;
  error: ShallowRef<HubError | null>;
}

export function useBoard(client: HubClient): BoardFeed {
  const board = shallowRef<Board>(EMPTY_BOARD);
  const topics = shallowRef<RtcTopic[]>([]);
  const loaded = shallowRef(false);
  const error = shallowRef<HubError | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const reload = async (): Promise<void> => {
    const overview = await loadOverview();
    if (!closed) board.value = boardFromOverview(overview);
  };

  const scheduleReload = (): void => {
    if (timer !== null || closed) return;
    timer = setTimeout(() => {
      timer = null;
      reload().catch((thrown: unknown) => {
        error.value = toHubError(thrown);
      });
    }, RELOAD_DELAY_MS);
  };

  const subscription = client.subscribe("rtc:queue", {
    loadSnapshot: async () => {
      const position = await topicPosition("rtc:queue");
      await reload();
      loaded.value = true;
      return { seq: position.seq, epoch: position.epoch };
    },
    onEvent: (event) => {
      const change = applyMonitorEvent(board.value, event);
      board.value = change.board;
      if (change.reload) scheduleReload();
    },
    onError: (failure) => {
      error.value = failure;
    },
    onLive: () => {
      error.value = null;
    },
  });

  const refresh = setInterval(() => {
    if (loaded.value && client.state === "online") scheduleReload();
  }, REFRESH_MS);

  listTopics()
    .then((found) => {
      topics.value = found;
    })
    .catch(() => undefined);

  onScopeDispose(() => {
    closed = true;
    clearInterval(refresh);
    if (timer !== null) clearTimeout(timer);
    subscription.unsubscribe();
  });

  return { board, topics, loaded, error };
}

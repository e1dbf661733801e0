/** The workstation's live state: the snapshot, reloaded (debounced) whenever the counter's or
 * the hall's events say this counter's queue may have changed, across reconnects. */
import { toHubError, type HubClient, type HubError } from "@hallhub/client";
import { onScopeDispose, shallowRef, type ShallowRef } from "vue";
import { loadWorkstation } from "./api";
import { COUNTER_RELOAD_EVENTS, HALL_RELOAD_EVENTS } from "./rules";
import type { WorkstationSnapshot } from "./types";

const RELOAD_DELAY_MS = 300;
/** Without the socket, the snapshot is polled this often (actions go over REST meanwhile). */
const OFFLINE_POLL_MS = 15_000;

export interface DeskFeed {
  snapshot: ShallowRef<WorkstationSnapshot | null>;
  /** When the shown snapshot was loaded (ms since the epoch). */
  loadedAt: ShallowRef<number>;
  /** The last failure to load or follow; null when all is well. */
  error: ShallowRef<HubError | null>;
  /** Load now (after any load in flight); answers the fresh snapshot. */
  reload(): Promise<WorkstationSnapshot>;
  /** Load soon: many events in a burst cause one load. */
  scheduleReload(): void;
}

export function useDeskFeed(client: HubClient, hallId: string, counterId: string): DeskFeed {
  const snapshot = shallowRef<WorkstationSnapshot | null>(null);
  const loadedAt = shallowRef(0);
  const error = shallowRef<HubError | null>(null);
  let running: Promise<WorkstationSnapshot> | null = null;
  let queued: Promise<WorkstationSnapshot> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const fetchOnce = async (): Promise<WorkstationSnapshot> => {
    const next = await loadWorkstation(hallId, counterId);
    if (!closed) {
      snapshot.value = next;
      loadedAt.value = Date.now();
      error.value = null;
    }
    return next;
  };

  // One load at a time; a load asked for meanwhile starts after it (so it sees everything
  // that happened before it was asked for), and every ask in between shares that one.
  const reload = (): Promise<WorkstationSnapshot> => {
    if (running === null) {
      running = fetchOnce().finally(() => {
        running = null;
      });
      return running;
    }
    if (queued === null) {
      queued = running
        .catch(() => undefined)
        .then(() => {
          queued = null;
          return reload();
        });
    }
    return queued;
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

  const follow = (topic: string, kind: "counter" | "hall", reloadOn: ReadonlySet<string>) =>
    client.subscribe(topic, {
      loadSnapshot: async () => {
        const loaded = await reload();
        return { seq: loaded.seq[kind], epoch: loaded.epoch[kind] };
      },
      onEvent: (event) => {
        if (reloadOn.has(event.type)) scheduleReload();
      },
      onError: (failure) => {
        error.value = failure;
      },
    });

  const subscriptions = [
    follow(`counter:${counterId}`, "counter", COUNTER_RELOAD_EVENTS),
    follow(`hall:${hallId}`, "hall", HALL_RELOAD_EVENTS),
  ];

  // Back online after a drop: the topics catch up by themselves; reload once more so that
  // anything the events do not describe (waited minutes, figures) is fresh too.
  let wasOnline = client.state === "online";
  const stopWatching = client.onStateChange((state) => {
    if (state === "online" && !wasOnline && snapshot.value !== null) scheduleReload();
    wasOnline = state === "online";
  });

  // Shown at once, whatever the socket does; the topics reload it again when they are live.
  reload().catch((thrown: unknown) => {
    error.value = toHubError(thrown);
  });
  const poll = setInterval(() => {
    if (client.state !== "online") scheduleReload();
  }, OFFLINE_POLL_MS);

  onScopeDispose(() => {
    closed = true;
    clearInterval(poll);
    if (timer !== null) clearTimeout(timer);
    stopWatching();
    for (const subscription of subscriptions) subscription.unsubscribe();
  });

  return { snapshot, loadedAt, error, reload, scheduleReload };
}

/** The workstation's live state: the snapshot once, then the events of `counter:<id>` and
 * `desk:<hall>` applied by the pure reducer (desk.ts), across reconnects. A snapshot is loaded
 * again only when a topic must resync (RESYNC_REQUIRED: the hub lost its event log) or an event
 * says so (the hall's configuration changed, a new day). The view is made again as time passes:
 * the calling order and the waited minutes move with the clock. */
import { toHubError, type Envelope, type HubClient, type HubError } from "@hallhub/client";
import { onScopeDispose, shallowRef, type ShallowRef } from "vue";
import { loadWorkstation } from "./api";
import { applyDeskEvent, deskOf, deskView, type DeskState } from "./desk";
import type { DeskView, WorkstationSnapshot } from "./types";

/** Without the socket, the snapshot is polled this often (actions go over REST meanwhile). */
const OFFLINE_POLL_MS = 15_000;
/** The view is made again this often (order and waited minutes move with time). */
const TICK_MS = 15_000;
/** Events kept to apply again on a snapshot older than them (a reload racing live events). */
const KEPT_EVENTS = 500;

type Kind = "counter" | "desk";

export interface DeskFeed {
  /** What the workstation shows now; null until the first snapshot. */
  snapshot: ShallowRef<DeskView | null>;
  /** The hub's time minus this browser's (ms), from the last snapshot. */
  clockOffset: ShallowRef<number>;
  /** The last failure to load or follow; null when all is well. */
  error: ShallowRef<HubError | null>;
  /** Load now (after any load in flight); answers the fresh view. */
  reload(): Promise<DeskView>;
}

export function useDeskFeed(client: HubClient, hallId: string, counterId: string): DeskFeed {
  const snapshot = shallowRef<DeskView | null>(null);
  const clockOffset = shallowRef(0);
  const error = shallowRef<HubError | null>(null);
  let state: DeskState | null = null;
  let loaded: WorkstationSnapshot | null = null;
  const kept: { kind: Kind; event: Envelope }[] = [];
  let running: Promise<DeskView> | null = null;
  let queued: Promise<DeskView> | null = null;
  let closed = false;

  const show = (): DeskView | null => {
    if (state === null) return null;
    const view = deskView(state, Date.now() + clockOffset.value);
    snapshot.value = view;
    return view;
  };

  const fetchOnce = async (): Promise<DeskView> => {
    const fresh = await loadWorkstation(hallId, counterId);
    if (loaded !== null) {
      // A new event log (the hub's Redis restarted): the old seqs mean nothing any more.
      for (const kind of ["counter", "desk"] as const) {
        if (fresh.epoch[kind] !== loaded.epoch[kind]) dropKept(kind);
      }
    }
    let next = deskOf(fresh);
    // Events applied while the snapshot was on its way are newer than it: apply them again.
    for (const { kind, event } of kept) {
      if (event.seq > fresh.seq[kind]) next = applyDeskEvent(next, event).state;
    }
    if (!closed) {
      loaded = fresh;
      state = next;
      clockOffset.value = Date.parse(fresh.now) - Date.now();
      error.value = null;
    }
    return show() ?? deskView(next, Date.parse(fresh.now));
  };

  const dropKept = (kind: Kind): void => {
    for (let i = kept.length - 1; i >= 0; i -= 1) if (kept[i]?.kind === kind) kept.splice(i, 1);
  };

  // One load at a time; a load asked for meanwhile starts after it (so it sees everything
  // that happened before it was asked for), and every ask in between shares that one.
  const reload = (): Promise<DeskView> => {
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

  const reloadSoon = (): void => {
    reload().catch((thrown: unknown) => {
      error.value = toHubError(thrown);
    });
  };

  const apply = (kind: Kind, event: Envelope): void => {
    kept.push({ kind, event });
    if (kept.length > KEPT_EVENTS) kept.shift();
    if (state === null) return;
    const change = applyDeskEvent(state, event);
    state = change.state;
    show();
    if (change.reload) reloadSoon();
  };

  const follow = (topic: string, kind: Kind) =>
    client.subscribe(topic, {
      loadSnapshot: async () => {
        await reload();
        if (loaded === null) throw new Error("no snapshot");
        return { seq: loaded.seq[kind], epoch: loaded.epoch[kind] };
      },
      onEvent: (event) => apply(kind, event),
      onError: (failure) => {
        error.value = failure;
      },
    });

  const subscriptions = [follow(`counter:${counterId}`, "counter"), follow(`desk:${hallId}`, "desk")];

  // Shown at once, whatever the socket does; the topics follow from their snapshot.
  reloadSoon();
  const tick = setInterval(() => {
    show();
    if (client.state !== "online" && Date.now() - lastPoll >= OFFLINE_POLL_MS) {
      lastPoll = Date.now();
      reloadSoon();
    }
  }, TICK_MS);
  let lastPoll = Date.now();

  onScopeDispose(() => {
    closed = true;
    clearInterval(tick);
    for (const subscription of subscriptions) subscription.unsubscribe();
  });

  return { snapshot, clockOffset, error, reload };
}

/** The signed-in person's inbox, live (`useInbox` of `@hallhub/client/vue`). */
import { computed, onScopeDispose, shallowRef, watch, type ComputedRef, type ShallowRef } from "vue";
import type { HubClient, Subscription } from "./client";
import { toHubError, type HubError } from "./errors";
import {
  appendOlder,
  applyInboxEvent,
  applyMarked,
  emptyInbox,
  inboxFromList,
  inboxTopic,
  shownItems,
  type Inbox,
  type InboxCounts,
  type InboxItem,
  type InboxState,
} from "./inbox";
import { loadInbox, markInbox, readAllInbox } from "./inboxApi";
import { loadRecentEvents, type Api } from "./rest";
import type { EventMeta } from "./topic";
import type { Envelope, Principal, SnapshotPosition } from "./types";

export interface InboxOptions {
  /** Items per load (default 30). */
  limit?: number;
  /** A message that just arrived, pushed live (not one caught up after a reconnect). */
  onMessage?: (item: InboxItem) => void;
}

export interface InboxHandle {
  /** Who is signed in (`GET /api/v1/auth/me`); null until known. */
  me: ShallowRef<Principal | null>;
  /** Newest first, archived ones left out. */
  items: ComputedRef<InboxItem[]>;
  counts: ComputedRef<InboxCounts>;
  unread: ComputedRef<number>;
  /** True once the list is shown. */
  loaded: ShallowRef<boolean>;
  /** True when older items may be loaded with `loadMore()`. */
  more: ShallowRef<boolean>;
  /** The last failure of loading or following the inbox; cleared when it is live again. */
  error: ShallowRef<HubError | null>;
  /** These reject with a HubError when the hub refuses or cannot be reached. */
  markRead(itemId: string): Promise<void>;
  markAllRead(): Promise<void>;
  archive(itemId: string): Promise<void>;
  loadMore(): Promise<void>;
  reload(): Promise<void>;
}

/**
 * Follow the caller's own topic (`citizen:<sub>` or `user:<sub>`) and keep their inbox: the
 * list is loaded when the topic is subscribed, after a reconnect and on RESYNC; events
 * received while a list is loading are applied again on top of it (they are idempotent).
 */
export function useInbox(client: HubClient, api: Api, options: InboxOptions = {}): InboxHandle {
  const limit = options.limit ?? 30;
  const inbox = shallowRef<Inbox>(emptyInbox());
  const me = shallowRef<Principal | null>(null);
  const loaded = shallowRef(false);
  const more = shallowRef(false);
  const error = shallowRef<HubError | null>(null);
  const topic = computed(() => (me.value ? inboxTopic(me.value) : null));
  /** Events applied while each outstanding load runs. */
  const recorders = new Set<Envelope[]>();
  let latestLoad = 0;
  let subscription: Subscription | null = null;
  let closed = false;

  const apply = (event: Envelope, meta: EventMeta): void => {
    for (const recorder of recorders) recorder.push(event);
    const change = applyInboxEvent(inbox.value, event);
    inbox.value = change.inbox;
    if (change.added !== null && !meta.replayed) options.onMessage?.(change.added);
  };

  const reload = async (): Promise<void> => {
    const run = ++latestLoad;
    const seen: Envelope[] = [];
    recorders.add(seen);
    try {
      const list = await loadInbox(api, { limit });
      if (run !== latestLoad || closed) return; // a newer load answers
      let next = inboxFromList(list);
      for (const event of seen) next = applyInboxEvent(next, event).inbox;
      inbox.value = next;
      more.value = list.items.length >= limit;
      loaded.value = true;
    } finally {
      recorders.delete(seen);
    }
  };

  const loadSnapshot = async (name: string): Promise<SnapshotPosition> => {
    // The topic's position first: what happens while the list loads is applied after it.
    const position = await loadRecentEvents(api, name, 1);
    await reload();
    return { seq: position.seq, epoch: position.epoch };
  };

  const follow = (name: string | null): void => {
    subscription?.unsubscribe();
    subscription = null;
    if (name === null) return;
    subscription = client.subscribe(name, {
      loadSnapshot: () => loadSnapshot(name),
      onEvent: apply,
      onError: (failure) => {
        error.value = failure;
      },
      onLive: () => {
        error.value = null;
      },
    });
  };

  const whoAmI = async (): Promise<void> => {
    try {
      me.value = await api<Principal>("GET", "/api/v1/auth/me");
    } catch (thrown) {
      error.value = toHubError(thrown);
    }
  };

  const stopFollowing = watch(topic, follow, { immediate: true });
  void whoAmI();

  // Back online after a drop: the topic catches up by itself; the list is loaded again too.
  let wasOnline = client.state === "online";
  const stopWatching = client.onStateChange((state) => {
    if (state === "online" && !wasOnline) {
      if (me.value === null) void whoAmI();
      else if (loaded.value) reload().catch((thrown: unknown) => (error.value = toHubError(thrown)));
    }
    wasOnline = state === "online";
  });

  onScopeDispose(() => {
    closed = true;
    stopFollowing();
    stopWatching();
    subscription?.unsubscribe();
    subscription = null;
  });

  const mark = async (itemId: string, state: InboxState): Promise<void> => {
    const marked = await markInbox(client, api, itemId, state);
    inbox.value = applyMarked(inbox.value, itemId, state, marked, new Date().toISOString());
  };

  const items = computed(() => shownItems(inbox.value));
  const counts = computed(() => inbox.value.counts);

  return {
    me,
    items,
    counts,
    unread: computed(() => counts.value.unread),
    loaded,
    more,
    error,
    markRead: async (itemId) => {
      const item = inbox.value.items.find((known) => known.id === itemId);
      if (item !== undefined && item.state !== "unread") return;
      await mark(itemId, "read");
    },
    markAllRead: async () => {
      if (inbox.value.counts.unread === 0) return;
      const marked = await readAllInbox(api);
      inbox.value = applyMarked(inbox.value, null, "read", marked, new Date().toISOString());
    },
    archive: (itemId) => mark(itemId, "archived"),
    loadMore: async () => {
      const oldest = inbox.value.items.at(-1);
      if (oldest === undefined) return reload();
      const list = await loadInbox(api, { limit, before: oldest.created_at });
      inbox.value = appendOlder(inbox.value, list.items);
      more.value = list.items.length >= limit;
    },
    reload,
  };
}

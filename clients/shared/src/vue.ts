/** Vue bindings of the client (`@hallhub/client/vue`): reactive connection state, a live,
 * ordered event list for a topic, and the signed-in person's inbox. The core library does not
 * depend on Vue. */
import { onScopeDispose, shallowRef, watch, type ShallowRef, type WatchSource } from "vue";
import { HubClient, type Subscription } from "./client";
import type { HubError } from "./errors";
import { newestFirst, prependEvent } from "./format";
import { loadRecentEvents, type Api } from "./rest";
import type { EventMeta } from "./topic";
import type { ConnState, Envelope, Refusal, SnapshotPosition } from "./types";

export { useInbox } from "./useInbox";
export type { InboxHandle, InboxOptions } from "./useInbox";

/** A client for this component's lifetime: connected now, closed when the scope ends. */
export function useHubClient(token: string, url?: string): HubClient {
  const client = new HubClient(url === undefined ? { token } : { token, url });
  client.connect();
  onScopeDispose(() => client.close());
  return client;
}

export interface ConnStateRefs {
  state: ShallowRef<ConnState>;
  refusal: ShallowRef<Refusal | null>;
}

export function useConnState(client: HubClient): ConnStateRefs {
  const state = shallowRef<ConnState>(client.state);
  const refusal = shallowRef<Refusal | null>(client.refusal);
  const stop = client.onStateChange((next, why) => {
    state.value = next;
    refusal.value = why;
  });
  onScopeDispose(stop);
  return { state, refusal };
}

export interface TopicFeedOptions {
  client: HubClient;
  api: Api;
  /** The topic to follow; null: none yet (e.g. until the user is known). */
  topic: WatchSource<string | null>;
  /** How many events the list keeps (and the snapshot loads). */
  limit?: number;
  /** More of the screen's state to reload with every snapshot (e.g. the hall's name). */
  loadExtra?: () => Promise<void>;
  /** Called for every live event, after it is in the list. */
  onEvent?: (event: Envelope) => void;
}

export interface TopicFeed {
  /** Newest first. */
  events: ShallowRef<Envelope[]>;
  /** The last subscribe or snapshot failure; cleared when the topic is live again. */
  error: ShallowRef<HubError | null>;
  /** True once a snapshot is shown. */
  loaded: ShallowRef<boolean>;
}

/** A topic's recent events, from its REST snapshot and then live, in order, across reconnects. */
export function useTopicFeed(options: TopicFeedOptions): TopicFeed {
  const limit = options.limit ?? 50;
  const events = shallowRef<Envelope[]>([]);
  const error = shallowRef<HubError | null>(null);
  const loaded = shallowRef(false);
  let subscription: Subscription | null = null;

  const follow = (topic: string | null): void => {
    subscription?.unsubscribe();
    subscription = null;
    events.value = [];
    loaded.value = false;
    error.value = null;
    if (!topic) return;
    subscription = options.client.subscribe(topic, {
      loadSnapshot: async () => {
        const [recent] = await Promise.all([
          loadRecentEvents(options.api, topic, limit),
          options.loadExtra?.(),
        ]);
        events.value = newestFirst(recent.events, limit);
        loaded.value = true;
        return { seq: recent.seq, epoch: recent.epoch };
      },
      onEvent: (event) => {
        events.value = prependEvent(events.value, event, limit);
        options.onEvent?.(event);
      },
      onError: (failure) => {
        error.value = failure;
      },
      onLive: () => {
        error.value = null;
      },
    });
  };

  watch(options.topic, follow, { immediate: true });
  onScopeDispose(() => subscription?.unsubscribe());
  return { events, error, loaded };
}

export interface TopicOptions {
  client: HubClient;
  /** The topic to follow; null: none (yet). A new value leaves the old topic. */
  topic: WatchSource<string | null>;
  /** (Re)build the screen's state from REST; answer the seq (and epoch) it matches. */
  loadSnapshot: (topic: string) => Promise<SnapshotPosition>;
  /** Every event after the snapshot, in order. */
  onEvent: (event: Envelope, meta: EventMeta) => void;
}

export interface TopicStatus {
  /** The last subscribe or snapshot failure; cleared when the topic is live again. */
  error: ShallowRef<HubError | null>;
  /** True once a snapshot is loaded. */
  loaded: ShallowRef<boolean>;
  /** Follow the topic afresh: subscribe again, reload the snapshot, continue from its seq (when
   * an event says the screen's state cannot be followed any more). */
  restart: () => void;
}

/** Follow a topic whose state the screen keeps itself (snapshot-then-stream, across reconnects
 * and resyncs). */
export function useTopic(options: TopicOptions): TopicStatus {
  const error = shallowRef<HubError | null>(null);
  const loaded = shallowRef(false);
  let subscription: Subscription | null = null;

  const follow = (topic: string | null): void => {
    subscription?.unsubscribe();
    subscription = null;
    loaded.value = false;
    error.value = null;
    if (!topic) return;
    subscription = options.client.subscribe(topic, {
      loadSnapshot: async () => {
        const position = await options.loadSnapshot(topic);
        loaded.value = true;
        return position;
      },
      onEvent: (event, meta) => options.onEvent(event, meta),
      onError: (failure) => {
        error.value = failure;
      },
      onLive: () => {
        error.value = null;
      },
    });
  };

  const stop = watch(options.topic, follow, { immediate: true });
  onScopeDispose(() => {
    stop();
    subscription?.unsubscribe();
    subscription = null;
  });
  return { error, loaded, restart: () => follow(subscription?.topic ?? null) };
}

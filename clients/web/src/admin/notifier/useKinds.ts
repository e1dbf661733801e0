/** The kinds of message, loaded when a section opens. */
import { toHubError, type HubError } from "@hallhub/client";
import { onMounted, shallowRef, type ShallowRef } from "vue";
import { listKinds } from "./api";
import type { Kind } from "./types";

export interface Kinds {
  kinds: ShallowRef<Kind[]>;
  error: ShallowRef<HubError | null>;
  load: () => Promise<void>;
  /** One kind changed (its sample saved). */
  replace: (kind: Kind) => void;
}

export function useKinds(): Kinds {
  const kinds = shallowRef<Kind[]>([]);
  const error = shallowRef<HubError | null>(null);
  const load = async (): Promise<void> => {
    try {
      kinds.value = await listKinds();
      error.value = null;
    } catch (thrown) {
      error.value = toHubError(thrown);
    }
  };
  onMounted(load);
  return {
    kinds,
    error,
    load,
    replace: (kind) => {
      kinds.value = kinds.value.map((k) => (k.id === kind.id ? kind : k));
    },
  };
}

/** The current time (ms), refreshed every `everyMs` while the component lives. */
import { onScopeDispose, shallowRef, type ShallowRef } from "vue";

export function useNow(everyMs = 1000): ShallowRef<number> {
  const now = shallowRef(Date.now());
  const timer = setInterval(() => {
    now.value = Date.now();
  }, everyMs);
  onScopeDispose(() => clearInterval(timer));
  return now;
}

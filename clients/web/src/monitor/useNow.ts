import { onScopeDispose, shallowRef, type ShallowRef } from "vue";

/** Now (ms), ticking every second. */
export function useNow(everyMs = 1000): ShallowRef<number> {
  const now = shallowRef(Date.now());
  const timer = setInterval(() => {
    now.value = Date.now();
  }, everyMs);
  onScopeDispose(() => clearInterval(timer));
  return now;
}

import { onScopeDispose, shallowRef, type ShallowRef } from "vue";

/** The current time, updated on every second boundary. */
export function useNow(): ShallowRef<Date> {
  const now = shallowRef(new Date());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = (): void => {
    now.value = new Date();
    timer = setTimeout(tick, 1000 - (now.value.getTime() % 1000) + 5);
  };
  tick();
  onScopeDispose(() => clearTimeout(timer));
  return now;
}

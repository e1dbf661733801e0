import { onScopeDispose, shallowRef, type ShallowRef } from "vue";

export interface Countdown {
  /** Seconds left; 0 when not running. */
  left: ShallowRef<number>;
  /** (Re)start from `seconds`; `done` runs when it reaches 0. */
  start(seconds: number, done: () => void): void;
  stop(): void;
}

export function useCountdown(): Countdown {
  const left = shallowRef(0);
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
    left.value = 0;
  };
  const start = (seconds: number, done: () => void): void => {
    stop();
    left.value = seconds;
    timer = setInterval(() => {
      left.value -= 1;
      if (left.value <= 0) {
        stop();
        done();
      }
    }, 1000);
  };
  onScopeDispose(stop);
  return { left, start, stop };
}

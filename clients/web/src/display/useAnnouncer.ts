/** The hall display's voice: which calls are announced, in what words, through the queue that
 * never cuts a call off, and the one-time click browsers want before they make a sound. */
import {
  AnnouncementQueue,
  ServerClock,
  shouldAnnounce,
  type BoardCall,
  type Envelope,
  type EventMeta,
} from "@hallhub/client";
import { onScopeDispose, shallowRef, type ShallowRef } from "vue";
import { fmt, t } from "../i18n";
import { BrowserSound } from "./sound";

declare global {
  interface Window {
    /** Test hook: every announcement text, pushed once when queued. */
    hallhubAnnouncer?: { log: string[] };
  }
}

/** Set once someone enabled sound on this screen: no overlay again, a tap anywhere will do. */
const AUDIO_CHOICE_KEY = "hallhub.display.audio";
/** How long after start the audio context may still be starting up. */
const AUDIO_SETTLE_MS = 1500;

export interface Announcer {
  /** Note an event's stamp (learns the hub's clock from live events). */
  observe(event: Envelope, meta: EventMeta): void;
  /** Queue a call's announcement if it is to be announced. Answers whether it was. */
  announce(call: BoardCall, event: Envelope, meta: EventMeta): boolean;
  /** The text being announced now. */
  current: ShallowRef<string | null>;
  /** Show the 「点击启用语音播报」 button. */
  needsGesture: ShallowRef<boolean>;
  /** Sound is held back by the browser (after the choice was made once: a tap anywhere fixes it). */
  muted: ShallowRef<boolean>;
  /** From the button: enable sound, remember the choice. */
  enable(): Promise<void>;
}

export function announcementText(call: BoardCall): string {
  const { number, counter_number: counter, counter_name: name } = call.row;
  return counter !== null
    ? fmt(t.display.announce, { number, counter })
    : fmt(t.display.announceNamed, { number, counter: name });
}

export function useAnnouncer(): Announcer {
  const current = shallowRef<string | null>(null);
  const needsGesture = shallowRef(false);
  const muted = shallowRef(false);
  const clock = new ServerClock();
  const sound = new BrowserSound(() => blocked());
  const queue = new AnnouncementQueue(sound);
  queue.onChange((text) => {
    current.value = text;
  });
  window.hallhubAnnouncer = { log: queue.log };

  const unlockOnTouch = (): void => {
    removeTouchListeners();
    void sound.unlock().then(() => {
      muted.value = sound.blocked;
    });
  };
  const removeTouchListeners = (): void => {
    window.removeEventListener("pointerdown", unlockOnTouch);
    window.removeEventListener("keydown", unlockOnTouch);
  };

  function blocked(): void {
    if (!sound.blocked) return;
    if (remembered()) {
      muted.value = true;
      window.addEventListener("pointerdown", unlockOnTouch);
      window.addEventListener("keydown", unlockOnTouch);
    } else {
      needsGesture.value = true;
    }
  }

  const settle = setTimeout(blocked, AUDIO_SETTLE_MS);
  onScopeDispose(() => {
    clearTimeout(settle);
    removeTouchListeners();
    queue.close();
    sound.close();
  });

  return {
    current,
    needsGesture,
    muted,
    observe(event, meta) {
      if (!meta.replayed) clock.observe(event.ts, Date.now());
    },
    announce(call, event, meta) {
      if (!shouldAnnounce(event, meta, clock.now(Date.now()))) return false;
      queue.enqueue(announcementText(call), call.repeat);
      return true;
    },
    async enable() {
      needsGesture.value = false;
      remember();
      await sound.unlock();
      muted.value = sound.blocked;
    },
  };
}

function remembered(): boolean {
  try {
    return window.localStorage.getItem(AUDIO_CHOICE_KEY) === "on";
  } catch {
    return false;
  }
}

function remember(): void {
  try {
    window.localStorage.setItem(AUDIO_CHOICE_KEY, "on");
  } catch {
    // storage disabled: the overlay may come back after a reload
  }
}

/** The hall display's voice: which calls are announced, in what words, through the queue that
 * never cuts a call off (but drops a call that is over), and the one-time click or key press
 * browsers want before they make a sound (none with the kiosk flags, docs/devices.md). */
import {
  AnnouncementQueue,
  ServerClock,
  shouldAnnounce,
  standingCall,
  type Announcement,
  type Board,
  type BoardCall,
  type CallRow,
  type Envelope,
  type EventMeta,
} from "@hallhub/client";
import { onScopeDispose, shallowRef, type ShallowRef } from "vue";
import { fmt, t } from "../i18n";
import { BrowserSound } from "./sound";

declare global {
  interface Window {
    /** Test hook: every announcement text, pushed once when queued; the one playing now. */
    hallhubAnnouncer?: { log: string[]; current: () => Announcement | null };
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
  /** Drop the announcements of calls that no longer stand on `board` (cut the one playing). */
  revise(board: Board): void;
  /** The announcement being played now (its key: the called ticket's id). */
  current: ShallowRef<Announcement | null>;
  /** Show the 「点击启用语音播报」 button. */
  needsGesture: ShallowRef<boolean>;
  /** Sound is held back by the browser (after the choice was made once: a tap anywhere fixes it). */
  muted: ShallowRef<boolean>;
  /** Whether this browser lets the screen make sound: "on" with no click at all in kiosk mode
   * (docs/devices.md), "blocked" until someone presses a key, "unknown" while starting. */
  audio: ShallowRef<AudioState>;
  /** From the button: enable sound, remember the choice. */
  enable(): Promise<void>;
}

/** 「请A003号到5号窗口办理」: what is said, and shown under the number, for a call. */
export type AudioState = "unknown" | "on" | "blocked";

export function announcementText(row: CallRow): string {
  const { number, counter_number: counter, counter_name: name } = row;
  return counter !== null
    ? fmt(t.display.announce, { number, counter })
    : fmt(t.display.announceNamed, { number, counter: name });
}

export function useAnnouncer(): Announcer {
  const current = shallowRef<Announcement | null>(null);
  const needsGesture = shallowRef(false);
  const muted = shallowRef(false);
  const audio = shallowRef<AudioState>("unknown");
  const clock = new ServerClock();
  const sound = new BrowserSound(() => blocked());
  const queue = new AnnouncementQueue(sound);
  queue.onChange((_, announcement) => {
    current.value = announcement;
  });
  window.hallhubAnnouncer = { log: queue.log, current: () => queue.announcement };

  const unlockOnTouch = (): void => {
    void enable();
  };
  async function enable(): Promise<void> {
    removeTouchListeners();
    needsGesture.value = false;
    remember();
    await sound.unlock();
    muted.value = sound.blocked;
    audio.value = sound.blocked ? "blocked" : "on";
  }
  const removeTouchListeners = (): void => {
    window.removeEventListener("pointerdown", unlockOnTouch);
    window.removeEventListener("keydown", unlockOnTouch);
  };

  function blocked(): void {
    audio.value = sound.blocked ? "blocked" : "on";
    if (!sound.blocked) return;
    if (remembered()) {
      muted.value = true;
    } else {
      needsGesture.value = true;
    }
    // a TV has no mouse: any key of its remote (or a tap) will do
    window.addEventListener("pointerdown", unlockOnTouch);
    window.addEventListener("keydown", unlockOnTouch);
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
    audio,
    observe(event, meta) {
      if (!meta.replayed) clock.observe(event.ts, Date.now());
    },
    announce(call, event, meta) {
      if (!shouldAnnounce(event, meta, clock.now(Date.now()))) return false;
      queue.enqueue(announcementText(call.row), call.repeat, call.row.ticket_id);
      return true;
    },
    revise(board) {
      queue.withdraw((ticketId) => standingCall(board, ticketId) !== null);
    },
    enable,
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

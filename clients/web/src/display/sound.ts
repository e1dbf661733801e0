/** The hall display's sound: Mandarin speech (Web Speech API) and a generated two-tone chime
 * (Web Audio API). Browsers keep both silent until someone touches the page; `blocked` says so
 * and `unlock()` (from a click) lifts it. */
import type { AnnouncementOutput } from "@hallhub/client";

const CHIME_MS = 1700;
/** Speech that never reports its end (a browser bug) is given up after this long per character. */
const SPEECH_MS_PER_CHAR = 700;
const SPEECH_MIN_MS = 6000;

export type BlockedListener = () => void;

export class BrowserSound implements AnnouncementOutput {
  readonly #audio: AudioContext | null;
  readonly #speech: SpeechSynthesis | null;
  readonly #onBlocked: BlockedListener;
  #voice: SpeechSynthesisVoice | null = null;
  #speechBlocked = false;

  constructor(onBlocked: BlockedListener) {
    this.#onBlocked = onBlocked;
    this.#audio = createAudioContext();
    this.#speech = typeof window.speechSynthesis === "undefined" ? null : window.speechSynthesis;
    if (this.#speech !== null) {
      this.#pickVoice();
      this.#speech.addEventListener("voiceschanged", () => this.#pickVoice());
    }
  }

  /** True when the browser holds sound back until a user gesture. */
  get blocked(): boolean {
    return this.#speechBlocked || this.#audio?.state === "suspended";
  }

  /** Call from a click or key press: lets audio and speech play from now on. */
  async unlock(): Promise<void> {
    this.#speechBlocked = false;
    if (this.#speech !== null) {
      const silent = new SpeechSynthesisUtterance(" ");
      silent.volume = 0;
      this.#speech.speak(silent);
    }
    if (this.#audio !== null && this.#audio.state === "suspended") {
      try {
        await this.#audio.resume();
      } catch {
        // stays blocked; the chime is skipped and the text still shows
      }
    }
  }

  chime(): Promise<void> {
    const audio = this.#audio;
    if (audio === null) return Promise.resolve();
    if (audio.state !== "running") {
      if (audio.state === "suspended") this.#onBlocked();
      return Promise.resolve();
    }
    const start = audio.currentTime + 0.03;
    tone(audio, 880, start, 0.9); // 叮
    tone(audio, 659.25, start + 0.5, 1.15); // 咚
    return wait(CHIME_MS);
  }

  speak(text: string): Promise<boolean> {
    const speech = this.#speech;
    const voice = this.#voice;
    if (speech === null || voice === null || this.#speechBlocked) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;
      let settled = false;
      const done = (spoken: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        resolve(spoken);
      };
      const watchdog = setTimeout(
        () => done(true),
        Math.max(SPEECH_MIN_MS, text.length * SPEECH_MS_PER_CHAR),
      );
      utterance.onend = () => done(true);
      utterance.onerror = (event) => {
        if (event.error === "not-allowed") {
          this.#speechBlocked = true;
          this.#onBlocked();
        }
        done(false);
      };
      speech.speak(utterance);
    });
  }

  wait(ms: number): Promise<void> {
    return wait(ms);
  }

  /** Cut off what is being said (its call is over). */
  stop(): void {
    this.#speech?.cancel();
  }

  close(): void {
    void this.#audio?.close().catch(() => undefined);
  }

  #pickVoice(): void {
    const voices = this.#speech?.getVoices() ?? [];
    const chinese = voices.filter((v) => /^zh/i.test(v.lang));
    this.#voice =
      chinese.find((v) => /^zh[-_]CN$/i.test(v.lang) && v.localService) ??
      chinese.find((v) => /^zh[-_]CN$/i.test(v.lang)) ??
      chinese.find((v) => /^zh[-_](Hans|SG)/i.test(v.lang)) ??
      chinese[0] ??
      null;
  }
}

function createAudioContext(): AudioContext | null {
  try {
    return typeof AudioContext === "undefined" ? null : new AudioContext();
  } catch {
    return null;
  }
}

/** One bell-like note: a sine with a soft octave, struck and fading out. */
function tone(audio: AudioContext, hz: number, at: number, seconds: number): void {
  const gain = audio.createGain();
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.4, at + 0.015);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
  gain.connect(audio.destination);
  for (const [multiple, level] of [
    [1, 1],
    [2, 0.25],
  ] as const) {
    const osc = audio.createOscillator();
    const partial = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = hz * multiple;
    partial.gain.value = level;
    osc.connect(partial).connect(gain);
    osc.start(at);
    osc.stop(at + seconds + 0.05);
  }
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

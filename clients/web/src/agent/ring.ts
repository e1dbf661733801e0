/** A short ring for an incoming call, made with WebAudio (no sound files): two soft tones
 * every two and a half seconds while the offer lasts. Browsers start audio only after the
 * person has used the page; `unlock()` on the first click makes later rings audible. */

export class Ringer {
  #context: AudioContext | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;

  /** Call from a click or key press: the audio context may start then. */
  unlock(): void {
    const context = this.#ensure();
    if (context && context.state === "suspended") void context.resume().catch(() => undefined);
  }

  get audible(): boolean {
    return this.#context?.state === "running";
  }

  start(): void {
    if (this.#timer !== null) return;
    this.unlock();
    this.#ring();
    this.#timer = setInterval(() => this.#ring(), 2500);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  close(): void {
    this.stop();
    void this.#context?.close().catch(() => undefined);
    this.#context = null;
  }

  #ensure(): AudioContext | null {
    if (this.#context !== null) return this.#context;
    const Context = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Context) return null;
    try {
      this.#context = new Context();
    } catch {
      this.#context = null;
    }
    return this.#context;
  }

  #ring(): void {
    const context = this.#context;
    if (context === null || context.state !== "running") return;
    const start = context.currentTime + 0.02;
    for (const [index, frequency] of [880, 660, 880, 660].entries()) {
      const at = start + index * 0.22;
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0, at);
      gain.gain.linearRampToValueAtTime(0.18, at + 0.02);
      gain.gain.setValueAtTime(0.18, at + 0.16);
      gain.gain.linearRampToValueAtTime(0, at + 0.2);
      tone.connect(gain).connect(context.destination);
      tone.start(at);
      tone.stop(at + 0.21);
    }
  }
}

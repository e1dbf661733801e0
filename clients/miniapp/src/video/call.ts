/** One call's media for the citizen (docs/rtc.md, Signaling): the camera and microphone, the
 * call's peer connection with the agent (the agent offers, we answer; ICE candidates trickled
 * both ways), a send-only connection to the hub's recorder (offered once ICE gathering is
 * complete; the hub answers), quality reports every 5 s, and coming back after a dropped
 * connection (a new offer asked for; every offer from a new peer is a new connection here).
 * Not tied to Vue: the page reads `CallSnapshot`s. */
import { toHubError } from "@hallhub/client";
import { mediaProblemOf, openMedia, stopMedia, type MediaProblem, type MediaWanted } from "./media";
import type { Recording } from "./model";
import {
  qualityLevel,
  qualityPayload,
  reportedState,
  sampleOf,
  totalsOf,
  type QualitySample,
  type QualityState,
  type StatsTotals,
} from "./quality";
import { routeSignal, sameRemotePeer, signalPayload, type CandidateJson, type Link, type SignalAction, type SignalKind } from "./signals";

export type CallPhase = "media" | "connecting" | "connected" | "reconnecting" | "closed";
export type RecorderState = "off" | "connecting" | "on" | "refused";

/** What the call screen shows. */
export interface CallSnapshot {
  phase: CallPhase;
  localStream: MediaStream | null;
  remoteStream: MediaStream | null;
  muted: boolean;
  cameraOff: boolean;
  /** The local stream has a camera / a microphone. */
  hasVideo: boolean;
  hasAudio: boolean;
  /** Why the camera or microphone could not be opened (while `phase` is "media"). */
  mediaProblem: MediaProblem | null;
  /** What was asked for last: both, or the microphone alone (after a refused camera). */
  mediaWanted: MediaWanted;
  /** 0–5 from our own stats; null before the first measurement. */
  level: number | null;
  recorder: RecorderState;
}

export interface CallLinkOptions {
  sessionId: string;
  /** The page was reloaded during the call: its old connection is gone, ask for a new offer. */
  resume: boolean;
  /** The recording's state as known now (`recording`: offer our media to the recorder). */
  recording: Recording["state"] | null;
  iceServers: () => Promise<RTCIceServer[]>;
  /** A hub command (resolves with the ack's data, rejects with a HubError). */
  command: <T>(name: string, payload: Record<string, unknown>) => Promise<T>;
  onChange: (snapshot: CallSnapshot) => void;
}

/** How often quality is measured and reported. */
export const QUALITY_EVERY_MS = 5_000;
/** A connection "disconnected" this long is given up: a new one is asked for. */
const DISCONNECTED_GRACE_MS = 4_000;
/** No offer this long after the camera opened, or a new connection not up this long: ask again. */
const FIRST_OFFER_MS = 10_000;
const CONNECT_MS = 15_000;
const RETRY_MS = 8_000;
/** Offered media: ICE gathering given this long before the recorder offer goes anyway. */
const GATHER_MS = 5_000;
const RECORDER_ATTEMPTS = 3;
/** A signal that could not be sent (socket down) is retried this often, this many times. */
const SEND_RETRY_MS = 1_000;
const SEND_ATTEMPTS = 30;
/** Codes after which a signal is not worth sending again. */
const FINAL_CODES = new Set(["NOT_IN_CALL", "SESSION_NOT_FOUND", "SESSION_FORBIDDEN", "INVALID_PAYLOAD", "RECORDER_BUSY"]);

export class CallLink {
  readonly sessionId: string;
  readonly #options: CallLinkOptions;
  #closed = false;
  #phase: CallPhase = "media";
  #local: MediaStream | null = null;
  #remote: MediaStream | null = null;
  #muted = false;
  #cameraOff = false;
  #mediaProblem: MediaProblem | null = null;
  #mediaWanted: MediaWanted = "audio-video";
  #level: number | null = null;
  #recording: Recording["state"] | null;
  #recorderState: RecorderState = "off";

  #ice: RTCIceServer[] = [];
  #ready: Promise<void>;
  #mediaDone!: () => void;
  /** Signals are handled one at a time, in the order they came. */
  #work: Promise<void> = Promise.resolve();
  /** Signals are sent one at a time, in order (an answer before its candidates). */
  #outbox: Promise<unknown> = Promise.resolve();

  #pc: RTCPeerConnection | null = null;
  /** Our description of the current connection is on its way: candidates may follow it. */
  #described = false;
  #heldCandidates: (CandidateJson | null)[] = [];
  #everConnected = false;
  #lastTotals: StatsTotals | null = null;

  #recorder: RTCPeerConnection | null = null;
  #recorderBusy = false;
  readonly #recorderAnswered = new WeakSet<RTCPeerConnection>();
  #recorderAttempts = 0;

  #watchdog: ReturnType<typeof setTimeout> | null = null;
  #qualityTimer: ReturnType<typeof setInterval> | null = null;
  #lastRenegotiate = 0;

  constructor(options: CallLinkOptions) {
    this.sessionId = options.sessionId;
    this.#options = options;
    this.#recording = options.recording;
    const media = new Promise<void>((resolve) => {
      this.#mediaDone = resolve;
    });
    const ice = options
      .iceServers()
      .then((servers) => {
        this.#ice = servers;
      })
      .catch(() => {
        this.#ice = []; // host candidates still work on the intranet
      });
    this.#ready = Promise.all([media, ice]).then(() => undefined);
  }

  get snapshot(): CallSnapshot {
    const local = this.#local;
    return {
      phase: this.#phase,
      localStream: local,
      remoteStream: this.#remote,
      muted: this.#muted,
      cameraOff: this.#cameraOff,
      hasVideo: (local?.getVideoTracks().length ?? 0) > 0,
      hasAudio: (local?.getAudioTracks().length ?? 0) > 0,
      mediaProblem: this.#mediaProblem,
      mediaWanted: this.#mediaWanted,
      level: this.#level,
      recorder: this.#recorderState,
    };
  }

  /** Open the camera and microphone; the call proceeds once they are (or the person chose
   * to go on without some). */
  start(): Promise<void> {
    this.#qualityTimer = setInterval(() => void this.#measure(), QUALITY_EVERY_MS);
    return this.#acquire("audio-video");
  }

  retryMedia(): Promise<void> {
    return this.#acquire(this.#mediaWanted);
  }

  /** The microphone alone (the camera refused or missing). */
  audioOnly(): Promise<void> {
    return this.#acquire("audio");
  }

  /** Go on with no camera or microphone: the person sees and hears the agent. */
  withoutMedia(): void {
    if (this.#closed || this.#local !== null) return;
    this.#local = new MediaStream();
    this.#mediaProblem = null;
    this.#mediaReady();
  }

  async #acquire(wanted: MediaWanted): Promise<void> {
    if (this.#closed || this.#local !== null) return;
    this.#mediaWanted = wanted;
    this.#mediaProblem = null;
    this.#emit();
    try {
      const stream = await openMedia(wanted);
      if (this.#closed || this.#local !== null) {
        stopMedia(stream);
        return;
      }
      this.#local = stream;
      this.#applyTrackSwitches();
      this.#mediaReady();
    } catch (error) {
      if (this.#closed) return;
      this.#mediaProblem = mediaProblemOf(error);
      this.#emit();
    }
  }

  #mediaReady(): void {
    this.#phase = "connecting";
    this.#emit();
    this.#mediaDone();
    void this.#ready.then(() => {
      if (this.#closed) return;
      if (this.#options.resume) this.#renegotiate();
      else if (this.#pc === null) this.#arm(FIRST_OFFER_MS);
      void this.#ensureRecorder();
    });
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
    this.#applyTrackSwitches();
    this.#emit();
  }

  setCameraOff(off: boolean): void {
    this.#cameraOff = off;
    this.#applyTrackSwitches();
    this.#emit();
  }

  #applyTrackSwitches(): void {
    for (const track of this.#local?.getAudioTracks() ?? []) track.enabled = !this.#muted;
    for (const track of this.#local?.getVideoTracks() ?? []) track.enabled = !this.#cameraOff;
  }

  /** The recording's state changed (`rtc.recording_changed`). */
  setRecording(state: Recording["state"] | null): void {
    this.#recording = state;
    if (state === "recording") void this.#ensureRecorder();
    else if (state === "refused") this.#setRecorder("refused");
  }

  /** One `rtc.signal_sent` of the session's topic. */
  signal(data: Record<string, unknown>): void {
    const action = routeSignal(data);
    if (action.do === "ignore" || this.#closed) return;
    this.#work = this.#work
      .then(() => this.#ready)
      .then(() => (this.#closed ? undefined : this.#act(action)))
      .catch((error: unknown) => console.warn("[video] signal failed", action.do, error));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    if (this.#qualityTimer !== null) clearInterval(this.#qualityTimer);
    this.#qualityTimer = null;
    this.#pc?.close();
    this.#pc = null;
    this.#recorder?.close();
    this.#recorder = null;
    stopMedia(this.#local);
    this.#local = null;
    this.#remote = null;
    this.#phase = "closed";
    this.#mediaDone(); // let waiting work end
    this.#emit();
  }

  // -- signaling ----------------------------------------------------------------------------

  async #act(action: SignalAction): Promise<void> {
    switch (action.do) {
      case "call-offer":
        return this.#answer(action.sdp);
      case "call-answer": {
        const pc = this.#pc;
        if (pc !== null && pc.signalingState === "have-local-offer") {
          await pc.setRemoteDescription({ type: "answer", sdp: action.sdp });
        }
        return;
      }
      case "call-candidate": {
        const pc = this.#pc;
        if (pc === null || pc.remoteDescription === null) return;
        try {
          if (action.candidate === null) await pc.addIceCandidate();
          else await pc.addIceCandidate(action.candidate as RTCIceCandidateInit);
        } catch (error) {
          // a candidate of a connection already replaced, or one the browser cannot use
          console.debug("[video] candidate not added", error);
        }
        return;
      }
      case "call-renegotiate":
        // The agent lost its connection and asks us to offer.
        return this.#offer();
      case "recorder-answer":
        return this.#recorderAnswer(action.sdp);
      case "ignore":
        return;
    }
  }

  /** The agent's offer: answered on the current connection when it comes from the same peer
   * (a renegotiation), else on a new one (the old is dropped). */
  async #answer(sdp: string): Promise<void> {
    const current = this.#pc;
    if (
      current !== null &&
      current.signalingState === "stable" &&
      current.connectionState !== "failed" &&
      current.connectionState !== "closed" &&
      sameRemotePeer(current.remoteDescription?.sdp, sdp)
    ) {
      await current.setRemoteDescription({ type: "offer", sdp });
      await current.setLocalDescription(await current.createAnswer());
      if (current === this.#pc && current.localDescription) {
        void this.#send("call", "answer", { sdp: current.localDescription.sdp });
      }
      return;
    }
    const pc = this.#newConnection();
    await pc.setRemoteDescription({ type: "offer", sdp });
    for (const track of this.#local?.getTracks() ?? []) pc.addTrack(track, this.#local!);
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc !== this.#pc || !pc.localDescription) return;
    this.#describe("answer", pc.localDescription.sdp);
    this.#arm(CONNECT_MS);
  }

  /** Our own offer on a new connection (asked for by the agent). */
  async #offer(): Promise<void> {
    const pc = this.#newConnection();
    const local = this.#local;
    for (const track of local?.getTracks() ?? []) pc.addTrack(track, local!);
    // Always ready to receive the agent's sound and picture.
    if ((local?.getAudioTracks().length ?? 0) === 0) pc.addTransceiver("audio", { direction: "recvonly" });
    if ((local?.getVideoTracks().length ?? 0) === 0) pc.addTransceiver("video", { direction: "recvonly" });
    await pc.setLocalDescription(await pc.createOffer());
    if (pc !== this.#pc || !pc.localDescription) return;
    this.#describe("offer", pc.localDescription.sdp);
    this.#arm(CONNECT_MS);
  }

  /** Send our description, then the candidates found meanwhile. */
  #describe(kind: "offer" | "answer", sdp: string): void {
    this.#described = true;
    void this.#send("call", kind, { sdp });
    const held = this.#heldCandidates;
    this.#heldCandidates = [];
    for (const candidate of held) void this.#send("call", "candidate", { candidate });
  }

  #newConnection(): RTCPeerConnection {
    this.#pc?.close();
    const pc = new RTCPeerConnection({ iceServers: this.#ice });
    this.#pc = pc;
    this.#described = false;
    this.#heldCandidates = [];
    this.#lastTotals = null;
    this.#remote = null;
    pc.onicecandidate = (event) => {
      if (pc !== this.#pc) return;
      const candidate = event.candidate ? (event.candidate.toJSON() as CandidateJson) : null;
      if (this.#described) void this.#send("call", "candidate", { candidate });
      else this.#heldCandidates.push(candidate);
    };
    pc.ontrack = (event) => {
      if (pc !== this.#pc) return;
      // One stream of everything the agent sends (a new object: the <video> takes it anew).
      const tracks = [...(this.#remote?.getTracks() ?? []), event.track].filter(
        (track, index, all) => all.indexOf(track) === index,
      );
      this.#remote = new MediaStream(tracks);
      this.#emit();
    };
    pc.onconnectionstatechange = () => this.#onConnectionState(pc);
    return pc;
  }

  #onConnectionState(pc: RTCPeerConnection): void {
    if (pc !== this.#pc || this.#closed) return;
    switch (pc.connectionState) {
      case "connected": {
        const back = this.#everConnected;
        this.#everConnected = true;
        this.#phase = "connected";
        this.#disarm();
        this.#emit();
        void this.#ensureRecorder();
        // Counters from now on (the first packets' glitches are not the call's quality); back
        // after a drop: the hub is told at once (its grace period stops).
        void this.#baseline();
        if (back) this.#report({ rtt_ms: null, loss_pct: null, bitrate_kbps: null }, "connected");
        return;
      }
      case "disconnected":
        // Often back by itself within a few seconds; else a new connection is asked for.
        this.#phase = "reconnecting";
        this.#emit();
        void this.#measure();
        this.#arm(DISCONNECTED_GRACE_MS);
        return;
      case "failed":
        this.#phase = "reconnecting";
        this.#emit();
        void this.#measure();
        this.#renegotiate();
        return;
      default:
        return;
    }
  }

  /** Ask the agent for a new offer (not more often than every few seconds), and again later
   * if the call is still not up. */
  #renegotiate(): void {
    if (this.#closed) return;
    const now = Date.now();
    if (now - this.#lastRenegotiate >= 3_000) {
      this.#lastRenegotiate = now;
      if (this.#everConnected || this.#options.resume) this.#phase = "reconnecting";
      this.#emit();
      void this.#send("call", "renegotiate", {});
    }
    this.#arm(RETRY_MS);
  }

  #arm(ms: number): void {
    this.#disarm();
    this.#watchdog = setTimeout(() => {
      this.#watchdog = null;
      if (this.#closed || this.#pc?.connectionState === "connected") return;
      this.#renegotiate();
    }, ms);
  }

  #disarm(): void {
    if (this.#watchdog !== null) clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }

  /** Queue a signal: sent in order, again after a socket drop; answers the ack's data. */
  #send<T = unknown>(link: Link, kind: SignalKind, body: { sdp?: string; candidate?: CandidateJson | null }): Promise<T> {
    const payload = signalPayload(this.sessionId, link, kind, body);
    const sent = this.#outbox.then(() => this.#deliver<T>(payload));
    this.#outbox = sent.catch(() => undefined);
    return sent;
  }

  async #deliver<T>(payload: Record<string, unknown>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#options.command<T>("rtc.signal", payload);
      } catch (thrown) {
        const error = toHubError(thrown);
        if (this.#closed || FINAL_CODES.has(error.code) || !error.transient || attempt >= SEND_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, SEND_RETRY_MS));
      }
    }
  }

  // -- the recorder -------------------------------------------------------------------------

  async #ensureRecorder(): Promise<void> {
    if (this.#closed || this.#recording !== "recording" || this.#local === null || this.#recorderBusy) return;
    if (this.#recorderState === "refused") return;
    const existing = this.#recorder;
    if (existing !== null && existing.connectionState !== "failed" && existing.connectionState !== "closed") return;
    const tracks = this.#local.getTracks();
    if (tracks.length === 0 || this.#recorderAttempts >= RECORDER_ATTEMPTS) return;
    this.#recorderAttempts += 1;
    this.#recorderBusy = true;
    existing?.close();
    const pc = new RTCPeerConnection({ iceServers: this.#ice });
    this.#recorder = pc;
    this.#setRecorder("connecting");
    try {
      for (const track of tracks) pc.addTransceiver(track, { direction: "sendonly", streams: [this.#local] });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc, GATHER_MS);
      if (pc !== this.#recorder || this.#closed || !pc.localDescription) return;
      pc.onconnectionstatechange = () => {
        if (pc !== this.#recorder) return;
        if (pc.connectionState === "connected") this.#setRecorder("on");
        else if (pc.connectionState === "failed") {
          this.#setRecorder("off");
          if (this.#phase === "connected") void this.#ensureRecorder();
        }
      };
      const ack = await this.#send<{ sdp?: string }>("recorder", "offer", { sdp: pc.localDescription.sdp });
      if (typeof ack?.sdp === "string") await this.#recorderAnswer(ack.sdp);
    } catch (thrown) {
      // Not recorded this time (RECORDER_BUSY: the hub records no more calls now): the call
      // goes on without it.
      const error = toHubError(thrown);
      console.info("[video] recorder refused", error.code, error.message);
      if (pc === this.#recorder) {
        pc.close();
        this.#recorder = null;
      }
      this.#setRecorder(error.code === "RECORDER_BUSY" || error.code === "NOT_IN_CALL" ? "refused" : "off");
    } finally {
      this.#recorderBusy = false;
    }
  }

  /** The hub's answer: it comes twice (the command's ack and the `signal_sent` event); the
   * first applies. */
  async #recorderAnswer(sdp: string): Promise<void> {
    const pc = this.#recorder;
    if (pc === null || pc.signalingState !== "have-local-offer" || this.#recorderAnswered.has(pc)) return;
    this.#recorderAnswered.add(pc);
    await pc.setRemoteDescription({ type: "answer", sdp });
  }

  #setRecorder(state: RecorderState): void {
    if (this.#recorderState === state) return;
    this.#recorderState = state;
    this.#emit();
  }

  // -- quality ------------------------------------------------------------------------------

  async #measure(): Promise<void> {
    const pc = this.#pc;
    if (pc === null || this.#closed) return;
    const state = reportedState(pc.connectionState, this.#everConnected);
    if (state === null) return;
    let sample: QualitySample = { rtt_ms: null, loss_pct: null, bitrate_kbps: null };
    if (state === "connected") {
      try {
        const report = await pc.getStats();
        const totals = totalsOf(report.values() as Iterable<Record<string, unknown>>, performance.now());
        sample = sampleOf(this.#lastTotals, totals);
        this.#lastTotals = totals;
      } catch {
        return;
      }
    }
    if (pc !== this.#pc || this.#closed) return;
    this.#level = qualityLevel(sample, state);
    this.#emit();
    this.#report(sample, state);
  }

  #report(sample: QualitySample, state: QualityState): void {
    const payload = qualityPayload(this.sessionId, sample, state);
    console.debug("[video] quality", JSON.stringify(payload), this.#level);
    this.#options.command("rtc.quality", payload).catch(() => undefined);
  }

  async #baseline(): Promise<void> {
    const pc = this.#pc;
    if (pc === null) return;
    try {
      const report = await pc.getStats();
      if (pc === this.#pc) this.#lastTotals = totalsOf(report.values() as Iterable<Record<string, unknown>>, performance.now());
    } catch {
      // measured from the next reading on
    }
  }

  #emit(): void {
    this.#options.onChange(this.snapshot);
  }
}

/** Until the connection's ICE gathering is complete (or `ms` passed). */
function gathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = (): void => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, ms);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

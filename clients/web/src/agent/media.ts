/** The agent's WebRTC connections: the call to the citizen (the agent offers; a new connection
 * after a drop, since the hub's peers cannot restart ICE) and a send-only one to the hub's
 * recorder. Signaling goes through `rtc.signal`; what comes back is fed in by the console. */
import { toHubError } from "@hallhub/client";
import type { MediaState } from "./callState";
import type { SignalKind, SignalLink } from "./types";

export interface SignalPayload {
  session_id: string;
  link: SignalLink;
  kind: SignalKind;
  sdp?: string;
  candidate?: RTCIceCandidateInit | null;
  /** A monitor connection: whose audio and video it carries. */
  party?: "citizen" | "agent";
}

/** `rtc.signal`'s answer: the hub answers an offer to it (recorder, monitor) with its SDP. */
export interface SignalAck {
  relayed?: boolean;
  sdp?: string;
}

export type SendSignal = (payload: SignalPayload) => Promise<SignalAck>;

/** Until the connection has gathered its candidates (the hub's peer takes none trickled), or
 * `timeoutMs` passed. */
export function gatheringComplete(pc: RTCPeerConnection, timeoutMs = 5000): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      pc.removeEventListener("icegatheringstatechange", check);
      clearTimeout(timer);
      resolve();
    };
    const check = (): void => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** Waits for an answer that comes as an event (when the command's ack carries none). */
class AnswerSlot {
  #resolve: ((sdp: string) => void) | null = null;
  #early: string | null = null;

  open(): void {
    this.#resolve = null;
    this.#early = null;
  }

  give(sdp: string): void {
    if (this.#resolve) {
      const resolve = this.#resolve;
      this.#resolve = null;
      resolve(sdp);
    } else {
      this.#early = sdp;
    }
  }

  wait(timeoutMs: number): Promise<string> {
    if (this.#early !== null) {
      const sdp = this.#early;
      this.#early = null;
      return Promise.resolve(sdp);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#resolve = null;
        reject(new Error("no answer"));
      }, timeoutMs);
      this.#resolve = (sdp) => {
        clearTimeout(timer);
        resolve(sdp);
      };
    });
  }
}

export interface CallMediaOptions {
  sessionId: string;
  send: SendSignal;
  iceServers: RTCIceServer[];
  local: MediaStream | null;
  /** Called just before an offer goes out (the signal filter's cue). */
  onOffer: () => void;
  /** An offer could not be sent. */
  onOfferFailed: () => void;
  onState: (state: MediaState) => void;
  onRemote: (stream: MediaStream) => void;
}

const RESTART_GAP_MS = 3000;
const DISCONNECTED_GRACE_MS = 5000;
/** An offer not answered with a working connection in this time is made again (the citizen
 * may have missed it, e.g. subscribed to the session late, or reloaded). */
const CONNECT_TIMEOUT_MS = 15_000;

/** The call's peer connection (one at a time; a new one for every new offer). */
export class CallMedia {
  readonly #options: CallMediaOptions;
  #pc: RTCPeerConnection | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #pendingLocal: (RTCIceCandidateInit | null)[] = [];
  #offerQueued = false;
  #pendingRemote: (RTCIceCandidateInit | null)[] = [];
  #lastOfferAt = 0;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  #graceTimer: ReturnType<typeof setTimeout> | null = null;
  #connectTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  /** How many connections were made (1: the first). */
  generation = 0;

  constructor(options: CallMediaOptions) {
    this.#options = options;
  }

  get pc(): RTCPeerConnection | null {
    return this.#pc;
  }

  /** A new connection and its offer (the previous one closed). */
  async offer(): Promise<void> {
    if (this.#closed) return;
    this.#lastOfferAt = Date.now();
    this.#dropConnection();
    const pc = new RTCPeerConnection({ iceServers: this.#options.iceServers });
    this.#pc = pc;
    this.generation += 1;
    this.#offerQueued = false;
    this.#pendingLocal = [];
    this.#pendingRemote = [];
    const local = this.#options.local;
    const kinds = new Set<string>();
    if (local) {
      for (const track of local.getTracks()) {
        pc.addTrack(track, local);
        kinds.add(track.kind);
      }
    }
    // Without a camera or microphone we still see and hear the citizen.
    for (const kind of ["audio", "video"]) {
      if (!kinds.has(kind)) pc.addTransceiver(kind, { direction: "recvonly" });
    }
    const remote = new MediaStream();
    pc.ontrack = (event) => {
      if (pc !== this.#pc) return;
      if (!remote.getTracks().includes(event.track)) remote.addTrack(event.track);
      this.#options.onRemote(remote);
    };
    pc.onicecandidate = (event) => {
      if (pc !== this.#pc) return;
      const candidate = event.candidate ? event.candidate.toJSON() : null;
      if (this.#offerQueued) this.#sendCandidate(candidate);
      else this.#pendingLocal.push(candidate);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.#pc) return;
      this.#connectionChanged(pc.connectionState);
    };
    this.#options.onState("new");
    try {
      await pc.setLocalDescription(await pc.createOffer());
    } catch {
      if (pc === this.#pc) this.restart();
      return;
    }
    if (pc !== this.#pc || this.#closed) return;
    const sdp = pc.localDescription?.sdp ?? "";
    this.#options.onOffer();
    this.#enqueue({ session_id: this.#options.sessionId, link: "call", kind: "offer", sdp }, () => {
      this.#options.onOfferFailed();
      if (pc === this.#pc) this.restart();
    });
    this.#offerQueued = true;
    for (const candidate of this.#pendingLocal) this.#sendCandidate(candidate);
    this.#pendingLocal = [];
    this.#options.onState("connecting");
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = null;
      if (pc === this.#pc && pc.connectionState !== "connected") this.restart();
    }, CONNECT_TIMEOUT_MS);
  }

  /** The citizen's answer to our current offer. */
  async applyAnswer(sdp: string): Promise<void> {
    const pc = this.#pc;
    if (pc === null || pc.signalingState !== "have-local-offer") return;
    try {
      await pc.setRemoteDescription({ type: "answer", sdp });
    } catch {
      if (pc === this.#pc) this.restart();
      return;
    }
    const pending = this.#pendingRemote;
    this.#pendingRemote = [];
    for (const candidate of pending) await this.addCandidate(candidate);
  }

  /** One of the citizen's candidates (null: no more). */
  async addCandidate(candidate: RTCIceCandidateInit | null): Promise<void> {
    const pc = this.#pc;
    if (pc === null) return;
    if (pc.remoteDescription === null) {
      this.#pendingRemote.push(candidate);
      return;
    }
    if (candidate === null || !candidate.candidate) return; // end of candidates: nothing to do
    try {
      await pc.addIceCandidate(candidate);
    } catch {
      // a candidate for another generation or an unknown m-line: harmless
    }
  }

  /** Make a new connection soon (at most one every few seconds). */
  restart(): void {
    if (this.#closed || this.#restartTimer !== null) return;
    const wait = Math.max(0, this.#lastOfferAt + RESTART_GAP_MS - Date.now());
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      void this.offer();
    }, wait);
  }

  close(): void {
    this.#closed = true;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    this.#dropConnection();
    this.#options.onState("closed");
  }

  #connectionChanged(state: RTCPeerConnectionState): void {
    if (this.#graceTimer !== null) clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    this.#options.onState(state);
    if (state === "failed") this.restart();
    if (state === "disconnected") {
      // Often back by itself within a few seconds; else a new connection.
      this.#graceTimer = setTimeout(() => {
        this.#graceTimer = null;
        if (this.#pc?.connectionState !== "connected") this.restart();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  #sendCandidate(candidate: RTCIceCandidateInit | null): void {
    this.#enqueue({ session_id: this.#options.sessionId, link: "call", kind: "candidate", candidate });
  }

  /** Signals go out one after another, in the order made. */
  #enqueue(payload: SignalPayload, failed?: () => void): void {
    this.#chain = this.#chain
      .then(() => this.#options.send(payload))
      .catch(() => failed?.());
  }

  #dropConnection(): void {
    if (this.#graceTimer !== null) clearTimeout(this.#graceTimer);
    this.#graceTimer = null;
    if (this.#connectTimer !== null) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    const pc = this.#pc;
    this.#pc = null;
    if (pc !== null) {
      pc.ontrack = null;
      pc.onicecandidate = null;
      pc.onconnectionstatechange = null;
      pc.close();
    }
  }
}

export type RecorderState = "off" | "pending" | "on" | "busy" | "failed";

export interface RecorderOptions {
  sessionId: string;
  send: SendSignal;
  iceServers: RTCIceServer[];
  local: MediaStream;
  onState: (state: RecorderState) => void;
}

const RECORDER_RETRY_MS = 5000;

/** The send-only connection to the hub's recorder: the same local tracks, offered once ICE
 * gathering is complete; the hub answers (in the command's ack, and as an event). */
export class RecorderLink {
  readonly #options: RecorderOptions;
  readonly #answers = new AnswerSlot();
  #pc: RTCPeerConnection | null = null;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | null = null;

  constructor(options: RecorderOptions) {
    this.#options = options;
  }

  /** The hub's answer arrived as an event (`from: hub, to: agent, link: recorder`). */
  hubAnswer(sdp: string): void {
    this.#answers.give(sdp);
  }

  async start(): Promise<void> {
    if (this.#closed) return;
    this.#drop();
    const pc = new RTCPeerConnection({ iceServers: this.#options.iceServers });
    this.#pc = pc;
    const local = this.#options.local;
    for (const track of local.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [local] });
    pc.onconnectionstatechange = () => {
      if (pc !== this.#pc) return;
      if (pc.connectionState === "connected") this.#options.onState("on");
      if (pc.connectionState === "failed") {
        this.#options.onState("failed");
        this.#later();
      }
    };
    this.#options.onState("pending");
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gatheringComplete(pc);
      if (pc !== this.#pc) return;
      this.#answers.open();
      const ack = await this.#options.send({
        session_id: this.#options.sessionId,
        link: "recorder",
        kind: "offer",
        sdp: pc.localDescription?.sdp ?? "",
      });
      const sdp = typeof ack?.sdp === "string" && ack.sdp ? ack.sdp : await this.#answers.wait(10_000);
      if (pc !== this.#pc || pc.signalingState !== "have-local-offer") return;
      await pc.setRemoteDescription({ type: "answer", sdp });
    } catch (thrown) {
      if (pc !== this.#pc) return;
      const code = toHubError(thrown).code;
      if (code === "RECORDER_BUSY") {
        this.#options.onState("busy");
        this.#drop();
        return;
      }
      if (code === "NOT_IN_CALL") {
        this.#options.onState("off");
        this.#drop();
        return;
      }
      this.#options.onState("failed");
      this.#later();
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    this.#drop();
  }

  #later(): void {
    if (this.#closed || this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.start();
    }, RECORDER_RETRY_MS);
  }

  #drop(): void {
    const pc = this.#pc;
    this.#pc = null;
    if (pc !== null) {
      pc.onconnectionstatechange = null;
      pc.close();
    }
  }
}

export { AnswerSlot };

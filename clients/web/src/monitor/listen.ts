/** Silent monitoring: receive-only connections from the hub's relay of the call, one per
 * party (the citizen's audio and video, the agent's), each offered once ICE gathering is
 * complete (link "monitor" with the party); the hub answers in the command's answer. */
import { toHubError } from "@hallhub/client";
import { gatheringComplete, type SendSignal } from "../agent/media";

export type ListenState = "connecting" | "connected" | "failed" | "closed";

/** The parties, in the order their pictures are shown. */
export const PARTIES = ["citizen", "agent"] as const;
export type Party = (typeof PARTIES)[number];

export interface MonitorOptions {
  sessionId: string;
  send: SendSignal;
  iceServers: RTCIceServer[];
  /** The parties' media: the citizen's stream first, then the agent's. */
  onStreams: (streams: MediaStream[]) => void;
  onState: (state: ListenState, message?: string) => void;
}

/** The state of the whole monitor from its connections': connected once any party is,
 * failed when every one has failed. */
export function overallState(states: readonly ListenState[]): ListenState {
  if (states.some((s) => s === "connected")) return "connected";
  if (states.length > 0 && states.every((s) => s === "failed")) return "failed";
  if (states.every((s) => s === "closed")) return "closed";
  return "connecting";
}

export class MonitorLink {
  readonly #options: MonitorOptions;
  readonly #streams = PARTIES.map(() => new MediaStream());
  readonly #states: ListenState[] = PARTIES.map((): ListenState => "connecting");
  #pcs: (RTCPeerConnection | null)[] = PARTIES.map(() => null);
  #closed = false;

  constructor(options: MonitorOptions) {
    this.#options = options;
  }

  /** Kept for callers that pass on the hub's signal events: the answers come in the acks. */
  hubAnswer(_sdp: string): void {}

  async start(): Promise<void> {
    this.#options.onState("connecting");
    await Promise.all(PARTIES.map((party, index) => this.#listen(party, index)));
  }

  #report(index: number, state: ListenState, message?: string): void {
    this.#states[index] = state;
    const overall = overallState(this.#states);
    this.#options.onState(overall, overall === "failed" ? message : undefined);
  }

  async #listen(party: Party, index: number): Promise<void> {
    const pc = new RTCPeerConnection({ iceServers: this.#options.iceServers });
    this.#pcs[index] = pc;
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (event) => {
      if (pc !== this.#pcs[index]) return;
      const stream = this.#streams[index];
      if (stream && !stream.getTracks().includes(event.track)) stream.addTrack(event.track);
      this.#options.onStreams([...this.#streams]);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.#pcs[index]) return;
      if (pc.connectionState === "connected") this.#report(index, "connected");
      if (pc.connectionState === "failed") this.#report(index, "failed");
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gatheringComplete(pc);
      if (this.#closed) return;
      const ack = await this.#options.send({
        session_id: this.#options.sessionId,
        link: "monitor",
        kind: "offer",
        party,
        sdp: pc.localDescription?.sdp ?? "",
      });
      const sdp = typeof ack?.sdp === "string" ? ack.sdp : "";
      if (!sdp || this.#closed || pc.signalingState !== "have-local-offer") return;
      await pc.setRemoteDescription({ type: "answer", sdp });
    } catch (thrown) {
      if (!this.#closed) this.#report(index, "failed", toHubError(thrown).message);
    }
  }

  close(): void {
    this.#closed = true;
    const pcs = this.#pcs;
    this.#pcs = PARTIES.map(() => null);
    for (const pc of pcs) {
      if (!pc) continue;
      pc.ontrack = null;
      pc.onconnectionstatechange = null;
      pc.close();
    }
    for (const stream of this.#streams) for (const track of stream.getTracks()) track.stop();
    this.#options.onState("closed");
  }
}

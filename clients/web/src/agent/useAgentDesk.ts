/** The agent console's live state and actions: presence (`rtc.agent_hello` on every connect),
 * status and skills, the queue, offers, and the call (media, signaling, chat, recording,
 * quality), following `agent:<sub>`, `rtc:queue` and `rtc:<session>` across reconnects and
 * reloads. */
import {
  ServerClock,
  mergeChat,
  type Envelope,
  type EventMeta,
  type HubClient,
  type Principal,
  type Subscription,
} from "@hallhub/client";
import { computed, onScopeDispose, shallowRef, type ComputedRef, type ShallowRef } from "vue";
import { getSession, iceServers, postImage, topicPosition, listTopics } from "./api";
import { IDLE, phaseOf, type CallEvent, type CallPhase, type CallState } from "./callState";
import { applyAgentEvent, applyCallEvent, applyHello, applySession, type AgentConsole } from "./consoleState";
import { ATTEMPTS, deviceNotice, deviceProblem, devicesHint, type DeviceOutcome } from "./devices";
import { rtcErrorText } from "./format";
import { CallMedia, RecorderLink, type RecorderState, type SignalAck, type SignalPayload } from "./media";
import { reportedState, statsEntries, summarizeStats, type StatsMark } from "./quality";
import { EMPTY_QUEUE, queueView, type QueueView } from "./queue";
import { Ringer } from "./ring";
import { SignalFilter } from "./signals";
import { rt } from "./text";
import type { AgentView, ChatMessage, Hello, QueueChanged, Recording, RtcSession, RtcTopic } from "./types";

const QUALITY_EVERY_MS = 5000;
const QUEUE_TOPIC = "rtc:queue";

export interface AgentDesk {
  agent: ShallowRef<AgentView | null>;
  topics: ShallowRef<RtcTopic[]>;
  queue: ShallowRef<QueueView>;
  call: ShallowRef<CallState>;
  phase: ComputedRef<CallPhase>;
  chat: ShallowRef<ChatMessage[]>;
  recording: ShallowRef<Recording | null>;
  recorder: ShallowRef<RecorderState>;
  myLevel: ShallowRef<number | null>;
  peerLevel: ShallowRef<number | null>;
  localStream: ShallowRef<MediaStream | null>;
  remoteStream: ShallowRef<MediaStream | null>;
  micOn: ShallowRef<boolean>;
  cameraOn: ShallowRef<boolean>;
  /** What is wrong with the camera or microphone in this call, in Chinese, or "". */
  mediaError: ShallowRef<string>;
  /** How bad it is: "warning" (a voice-only call), "error" (the citizen cannot hear), "". */
  mediaLevel: ShallowRef<"" | "warning" | "error">;
  /** Before a call: a camera or microphone this computer lacks, in Chinese, or "". */
  devicesNote: ShallowRef<string>;
  /** The hub's time now (ms), ticking. */
  now: ShallowRef<number>;
  ringer: Ringer;
  setStatus(status: "available" | "away" | "wrap_up"): Promise<void>;
  setSkills(skills: string[]): Promise<void>;
  accept(): Promise<void>;
  decline(): Promise<void>;
  hangUp(): Promise<void>;
  wrapUp(notes: string): Promise<void>;
  transfer(target: { to_agent?: string; to_topic?: string }, note: string): Promise<void>;
  sendText(text: string): Promise<void>;
  sendImage(file: File): Promise<void>;
  toggleMic(): void;
  toggleCamera(): void;
  clearNotice(): void;
}

export interface DeskHooks {
  /** A failure or a notice worth a toast. */
  onError(text: string): void;
  onInfo(text: string): void;
}

export function useAgentDesk(client: HubClient, me: Principal, hooks: DeskHooks): AgentDesk {
  const meId = me.sub;
  const agent = shallowRef<AgentView | null>(null);
  const topics = shallowRef<RtcTopic[]>([]);
  const queue = shallowRef<QueueView>(EMPTY_QUEUE);
  const call = shallowRef<CallState>(IDLE);
  const phase = computed(() => phaseOf(call.value));
  const chat = shallowRef<ChatMessage[]>([]);
  const recording = shallowRef<Recording | null>(null);
  const recorder = shallowRef<RecorderState>("off");
  const myLevel = shallowRef<number | null>(null);
  const peerLevel = shallowRef<number | null>(null);
  const localStream = shallowRef<MediaStream | null>(null);
  const remoteStream = shallowRef<MediaStream | null>(null);
  const micOn = shallowRef(true);
  const cameraOn = shallowRef(true);
  const mediaError = shallowRef("");
  const mediaLevel = shallowRef<"" | "warning" | "error">("");
  const devicesNote = shallowRef("");
  const clock = new ServerClock();
  const now = shallowRef(Date.now());
  const ringer = new Ringer();

  let closed = false;
  /** The session this console follows (`rtc:<id>` subscribed), active or in wrap-up. */
  let joined: string | null = null;
  let sessionSub: Subscription | null = null;
  let sessionLive: Promise<void> = Promise.resolve();
  let media: CallMedia | null = null;
  let recorderLink: RecorderLink | null = null;
  let mediaStarted = false;
  let filter = new SignalFilter("agent");
  let ice: RTCIceServer[] | null = null;
  let qualityTimer: ReturnType<typeof setInterval> | null = null;
  let statsMark: StatsMark | null = null;
  let statsPc: RTCPeerConnection | null = null;
  /** The offer this console is declining: its withdrawal is no news. */
  let declining: string | null = null;

  /** A failure to tell the person (and, with its real cause, the console). */
  const report = (failure: unknown): void => {
    console.warn("[rtc]", failure);
    hooks.onError(rtcErrorText(failure));
  };

  const ticker = setInterval(() => {
    now.value = clock.now(Date.now());
  }, 500);

  // -- the call's state and what follows from it --------------------------------------------

  /** The console's state as consoleState keeps it (the hub's part: no media). */
  const current = (): AgentConsole => ({
    agent: agent.value,
    queue: queue.value,
    call: call.value,
    chat: chat.value,
    recording: recording.value,
  });

  /** A new state: each part that changed, and what follows from the call. */
  function update(next: AgentConsole): void {
    agent.value = next.agent;
    queue.value = next.queue;
    chat.value = next.chat;
    recording.value = next.recording;
    if (next.call === call.value) return;
    call.value = next.call;
    react(next.call);
  }

  const dispatch = (event: CallEvent): void => update(applyCallEvent(current(), event));

  /** An event of the console's topics into its state, and what the person is told of it. */
  function take(event: Envelope, meta: EventMeta): void {
    const before = call.value;
    update(applyAgentEvent(current(), event, meId, declining));
    if (!meta.replayed) tell(event, before, call.value);
  }

  function tell(event: Envelope, before: CallState, after: CallState): void {
    const data = event.data;
    switch (event.type) {
      case "rtc.offer_withdrawn": {
        const sessionId = String(data.session_id ?? "");
        if (sessionId !== declining && before.offer?.session.id === sessionId) hooks.onInfo(after.notice);
        return;
      }
      case "rtc.call_transferred":
      case "rtc.call_ended": {
        const session = data.session as RtcSession | undefined;
        if (!session || before.session?.id !== session.id || after.session !== null) return;
        if (event.type === "rtc.call_transferred") hooks.onInfo(rt.agent.transferred);
        else hooks.onInfo(rt.agent.ended.replace("{reason}", session.end_reason));
        return;
      }
      default:
        return;
    }
  }

  function react(state: CallState): void {
    if (state.offer !== null && state.session === null) ringer.start();
    else ringer.stop();
    const session = state.session;
    if (session === null) {
      if (joined !== null) leave();
      return;
    }
    if (joined !== session.id) {
      if (joined !== null) leave();
      follow(session);
    }
    if (session.state === "active") {
      if (!mediaStarted) void startMedia(session.id);
    } else {
      stopMedia();
    }
  }

  /** Follow the call's topic: signals, chat, quality, recording. */
  function follow(session: RtcSession): void {
    joined = session.id;
    filter = new SignalFilter("agent");
    myLevel.value = null;
    peerLevel.value = null;
    const id = session.id;
    const topic = `rtc:${id}`;
    let live: () => void = () => undefined;
    sessionLive = new Promise<void>((resolve) => {
      live = resolve;
    });
    sessionSub = client.subscribe(topic, {
      loadSnapshot: async () => {
        const position = await topicPosition(topic);
        const fresh = await getSession(id).catch(() => null);
        if (fresh !== null && joined === id) update(applySession(current(), fresh, meId));
        return { seq: position.seq, epoch: position.epoch };
      },
      onEvent: (event, meta) => onSessionEvent(id, event, meta),
      onLive: () => live(),
      onError: report,
    });
  }

  function leave(): void {
    stopMedia();
    sessionSub?.unsubscribe();
    sessionSub = null;
    joined = null;
    myLevel.value = null;
    peerLevel.value = null;
  }

  async function startMedia(id: string): Promise<void> {
    mediaStarted = true;
    recorder.value = "off";
    const [, stream, servers] = await Promise.all([sessionLive, ensureLocal(), ensureIce()]);
    if (closed || joined !== id || !mediaStarted) return;
    const current: CallMedia = new CallMedia({
      sessionId: id,
      send: signal,
      iceServers: servers,
      local: stream,
      onOffer: () => filter.offerSent(),
      onOfferFailed: () => filter.offerFailed(),
      onState: (state) => {
        if (media === current) dispatch({ type: "media", state });
      },
      onRemote: (remote) => {
        if (media === current) remoteStream.value = remote;
      },
    });
    media = current;
    await current.offer();
    startQuality(id);
    maybeRecord();
  }

  function stopMedia(): void {
    mediaStarted = false;
    // Cleared before closing: closing reports a last state, which comes back here.
    const closing = media;
    const link = recorderLink;
    media = null;
    recorderLink = null;
    closing?.close();
    link?.close();
    if (qualityTimer !== null) clearInterval(qualityTimer);
    qualityTimer = null;
    statsMark = null;
    statsPc = null;
    for (const track of localStream.value?.getTracks() ?? []) track.stop();
    localStream.value = null;
    remoteStream.value = null;
    micOn.value = true;
    cameraOn.value = true;
  }

  /** Camera and microphone, or what works of them (devices.ts): the call goes on either way,
   * and the agent is told in Chinese what is missing and what to do. */
  async function ensureLocal(): Promise<MediaStream | null> {
    if (localStream.value !== null) return localStream.value;
    mediaError.value = "";
    mediaLevel.value = "";
    const outcome: DeviceOutcome = { audio: false, video: false, both: null, microphone: null };
    let stream: MediaStream | null = null;
    for (const [index, constraints] of ATTEMPTS.entries()) {
      try {
        // No mediaDevices on an insecure page: the TypeError says so (deviceProblem).
        stream = await navigator.mediaDevices.getUserMedia(constraints);
        outcome.audio = constraints.audio === true;
        outcome.video = constraints.video !== false;
        break;
      } catch (thrown) {
        console.warn("[rtc] getUserMedia", constraints, thrown);
        const problem = deviceProblem(thrown);
        if (index === 0) outcome.both = problem;
        if (index === 1) outcome.microphone = problem;
        if (problem === "insecure") break;
      }
    }
    const notice = deviceNotice(outcome);
    mediaError.value = notice.text;
    mediaLevel.value = notice.level;
    localStream.value = stream;
    return stream;
  }

  async function ensureIce(): Promise<RTCIceServer[]> {
    if (ice !== null) return ice;
    try {
      ice = await iceServers();
    } catch {
      return []; // host candidates still work on an intranet
    }
    return ice;
  }

  const signal = (payload: SignalPayload): Promise<SignalAck> => client.command<SignalAck>("rtc.signal", { ...payload });

  /** Send to the recorder once the hub records this call (and we have something to send). */
  function maybeRecord(): void {
    const id = joined;
    const stream = localStream.value;
    if (id === null || media === null || call.value.session?.state !== "active") return;
    const state = recording.value?.state;
    if (state === "refused") {
      recorder.value = "busy";
      return;
    }
    if (state !== "recording" || recorderLink !== null) return;
    if (stream === null || stream.getTracks().length === 0) {
      recorder.value = "off";
      return;
    }
    recorderLink = new RecorderLink({
      sessionId: id,
      send: signal,
      iceServers: ice ?? [],
      local: stream,
      onState: (next) => {
        recorder.value = next;
      },
    });
    void recorderLink.start();
  }

  // -- quality --------------------------------------------------------------------------------

  function startQuality(id: string): void {
    if (qualityTimer !== null) clearInterval(qualityTimer);
    qualityTimer = setInterval(() => void sampleQuality(id), QUALITY_EVERY_MS);
  }

  async function sampleQuality(id: string): Promise<void> {
    const pc = media?.pc ?? null;
    if (pc === null || joined !== id || client.state !== "online") return;
    if (pc !== statsPc) {
      statsPc = pc;
      statsMark = null;
    }
    let summary;
    try {
      summary = summarizeStats(statsEntries(await pc.getStats()), Date.now(), statsMark);
    } catch {
      return;
    }
    statsMark = summary.mark;
    // Before the first connection there is nothing to report (and "reconnecting" would start
    // the hub's grace period).
    if (!call.value.everConnected) return;
    const state = reportedState(pc.connectionState);
    try {
      const answer = await client.command<{ level: number }>("rtc.quality", {
        session_id: id,
        rtt_ms: summary.rtt_ms,
        loss_pct: summary.loss_pct,
        bitrate_kbps: summary.bitrate_kbps,
        state,
      });
      if (joined === id) myLevel.value = answer.level;
    } catch {
      // the next sample tries again
    }
  }

  // -- events ---------------------------------------------------------------------------------

  function observe(event: Envelope, meta: EventMeta): void {
    if (!meta.replayed) clock.observe(event.ts, Date.now());
  }

  function onSessionEvent(id: string, event: Envelope, meta: EventMeta): void {
    observe(event, meta);
    if (joined !== id) return;
    const data = event.data;
    switch (event.type) {
      case "rtc.signal_sent": {
        const action = filter.take(data);
        if (action === null) return;
        if (action.kind === "call-answer") void media?.applyAnswer(action.sdp);
        else if (action.kind === "call-candidate") void media?.addCandidate(action.candidate);
        else if (action.kind === "renegotiate") {
          hooks.onInfo(rt.agent.call.renegotiated);
          dispatch({ type: "renegotiating" });
          media?.restart();
        } else if (action.link === "recorder") recorderLink?.hubAnswer(action.sdp);
        return;
      }
      case "rtc.quality_reported":
        if (data.party === "citizen") {
          peerLevel.value = typeof data.level === "number" ? data.level : null;
          const state = data.state === "connected" || data.state === "reconnecting" || data.state === "failed" ? data.state : "unknown";
          dispatch({ type: "peer", state });
        }
        return;
      default:
        take(event, meta);
        if (event.type === "rtc.recording_changed") maybeRecord();
        return;
    }
  }

  function onAgentEvent(event: Envelope, meta: EventMeta): void {
    observe(event, meta);
    take(event, meta);
  }

  /** New messages into the chat (in order, each once; unchanged when none is new). */
  function addChat(messages: readonly ChatMessage[]): void {
    chat.value = mergeChat(chat.value, messages);
  }

  // -- presence and topics --------------------------------------------------------------------

  async function hello(): Promise<void> {
    try {
      const answer = await client.command<Hello>("rtc.agent_hello", {});
      if (closed) return;
      update(applyHello(current(), answer, meId));
    } catch (thrown) {
      report(thrown);
    }
  }

  // On every connect, reconnects too: the hub counts this console as present.
  const stopWatching = client.onStateChange((state) => {
    if (state === "online") void hello();
  });

  const agentTopic = `agent:${meId}`;
  let agentLoads = 0;
  const agentSub = client.subscribe(agentTopic, {
    loadSnapshot: async () => {
      const position = await topicPosition(agentTopic);
      // The first load follows the connect's hello; a resync needs a fresh one.
      if (agentLoads++ > 0) await hello();
      return { seq: position.seq, epoch: position.epoch };
    },
    onEvent: onAgentEvent,
    onError: report,
  });

  const queueSub = client.subscribe(QUEUE_TOPIC, {
    loadSnapshot: async () => {
      // The latest queue_changed is the whole queue as of its seq.
      const recent = await topicPosition(QUEUE_TOPIC, 5);
      const last = [...recent.events].filter((event) => event.type === "rtc.queue_changed").sort((a, b) => b.seq - a.seq)[0];
      if (last) queue.value = queueView(last.data as unknown as QueueChanged);
      return { seq: recent.seq, epoch: recent.epoch };
    },
    onEvent: (event, meta) => {
      observe(event, meta);
      take(event, meta);
    },
    onError: report,
  });

  listTopics()
    .then((found) => {
      topics.value = found;
    })
    .catch(report);

  // Before any call: which devices this computer has (an agent without a camera or microphone
  // knows before answering), again when one is plugged in or out.
  const devices = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
  const listDevices = async (): Promise<void> => {
    try {
      const found = await devices?.enumerateDevices();
      devicesNote.value = devicesHint(found ? found.map((device) => device.kind) : null);
    } catch {
      devicesNote.value = "";
    }
  };
  void listDevices();
  devices?.addEventListener("devicechange", listDevices);

  onScopeDispose(() => {
    closed = true;
    devices?.removeEventListener("devicechange", listDevices);
    clearInterval(ticker);
    stopWatching();
    agentSub.unsubscribe();
    queueSub.unsubscribe();
    leave();
    ringer.close();
  });

  // -- actions --------------------------------------------------------------------------------

  const command = <T>(name: string, payload: Record<string, unknown>): Promise<T> => client.command<T>(name, payload);

  return {
    agent,
    topics,
    queue,
    call,
    phase,
    chat,
    recording,
    recorder,
    myLevel,
    peerLevel,
    localStream,
    remoteStream,
    micOn,
    cameraOn,
    mediaError,
    mediaLevel,
    devicesNote,
    now,
    ringer,
    async setStatus(status) {
      const answer = await command<{ agent: AgentView }>("rtc.set_status", { status });
      agent.value = answer.agent;
    },
    async setSkills(skills) {
      const answer = await command<{ agent: AgentView }>("rtc.set_skills", { skills });
      agent.value = answer.agent;
    },
    async accept() {
      const offer = call.value.offer;
      if (offer === null) return;
      ringer.stop();
      try {
        const session = await command<RtcSession>("rtc.accept", { session_id: offer.session.id });
        dispatch({ type: "accepted", session });
      } catch (thrown) {
        dispatch({ type: "declined", sessionId: offer.session.id });
        throw thrown;
      }
    },
    async decline() {
      const offer = call.value.offer;
      if (offer === null) return;
      ringer.stop();
      declining = offer.session.id;
      try {
        await command("rtc.decline", { session_id: offer.session.id });
      } finally {
        declining = null;
        dispatch({ type: "declined", sessionId: offer.session.id });
      }
    },
    async hangUp() {
      const session = call.value.session;
      if (session === null) return;
      const ended = await command<RtcSession>("rtc.hang_up", { session_id: session.id });
      dispatch({ type: "session", session: ended, me: meId });
    },
    async wrapUp(notes) {
      const session = call.value.session;
      if (session === null) return;
      await command("rtc.wrap_up", { session_id: session.id, notes });
      dispatch({ type: "wrapped_up", sessionId: session.id });
    },
    async transfer(target, note) {
      const session = call.value.session;
      if (session === null) return;
      const moved = await command<RtcSession>("rtc.transfer", { session_id: session.id, ...target, note });
      dispatch({ type: "session", session: moved, me: meId });
    },
    async sendText(text) {
      const id = joined;
      if (id === null) return;
      const answer = await command<{ message: ChatMessage }>("rtc.chat", { session_id: id, text });
      addChat([answer.message]);
    },
    async sendImage(file) {
      const id = joined;
      if (id === null) return;
      addChat([await postImage(id, file)]);
    },
    toggleMic() {
      const next = !micOn.value;
      for (const track of localStream.value?.getAudioTracks() ?? []) track.enabled = next;
      micOn.value = next;
    },
    toggleCamera() {
      const next = !cameraOn.value;
      for (const track of localStream.value?.getVideoTracks() ?? []) track.enabled = next;
      cameraOn.value = next;
    },
    clearNotice() {
      dispatch({ type: "clear_notice" });
    },
  };
}

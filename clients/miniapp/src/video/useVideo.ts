/** The citizen's video consultation, live: who they are, their open consultation (found again
 * after a reload), the events of `citizen:<sub>` and `rtc:<session>`, the call's media, the
 * chat, and the commands of each screen. */
import { toHubError, type Envelope, type HubClient, type HubError, type Principal } from "@hallhub/client";
import { useTopic } from "@hallhub/client/vue";
import { computed, onScopeDispose, shallowRef, type ComputedRef, type ShallowRef } from "vue";
import {
  askCallback,
  hangUp,
  leaveQueue,
  loadIceServers,
  loadMine,
  postImage,
  rateCall,
  recentEvents,
  requestCall,
  sendChat,
  whoAmI,
} from "./api";
import { CallLink, type CallSnapshot } from "./call";
import {
  CALL_ACCEPTED,
  CALL_ENDED,
  CALL_TRANSFERRED,
  CHAT_POSTED,
  INITIAL_VIEW,
  RECORDING_CHANGED,
  SIGNAL_SENT,
  applySession,
  applySnapshot,
  applyVideoEvent,
  isOpen,
  mergeChat,
  messageOf,
  unratedCall,
  viewOfSnapshot,
  type ChatMessage,
  type Recording,
  type RtcSession,
  type VideoChange,
  type VideoView,
} from "./model";
import { rememberImage } from "./images";
import { replayAfterAccept } from "./signals";

/** The citizen topic's recent events read with its snapshot (a call-back offer among them). */
const CITIZEN_RECENT = 100;
/** The session topic's recent events read with its snapshot (a call's first signals). */
const SESSION_RECENT = 300;
const KEEP_WAITING_KEY = "hallhub.video.keepWaiting";

export interface VideoHandle {
  me: ShallowRef<Principal | null>;
  view: ShallowRef<VideoView>;
  call: ShallowRef<CallSnapshot | null>;
  chat: ShallowRef<ChatMessage[]>;
  /** An answered call not rated yet (shown on the topics screen). */
  unrated: ShallowRef<RtcSession | null>;
  /** Why the page cannot follow the hub (token refused, sync failed), or null. */
  syncError: ComputedRef<HubError | null>;
  request(topic: string): Promise<void>;
  leave(): Promise<void>;
  callback(phone: string): Promise<void>;
  keepWaiting(): void;
  hangUp(): Promise<void>;
  rate(stars: number, comment: string): Promise<void>;
  sendText(text: string): Promise<void>;
  sendPicture(file: File): Promise<void>;
  again(): void;
  rateLater(session: RtcSession): void;
  /** The call's media controls. */
  link(): CallLink | null;
}

export function useVideo(client: HubClient): VideoHandle {
  const me = shallowRef<Principal | null>(null);
  const meError = shallowRef<HubError | null>(null);
  const view = shallowRef<VideoView>(INITIAL_VIEW);
  const call = shallowRef<CallSnapshot | null>(null);
  const chat = shallowRef<ChatMessage[]>([]);
  const unrated = shallowRef<RtcSession | null>(null);
  let chatOf: string | null = null;
  let link: CallLink | null = null;
  /** The page opened on a call in progress: its connection is to be made anew. */
  let resumeCall = false;
  let recording: Recording["state"] | null = null;
  let disposed = false;

  // -- who -----------------------------------------------------------------------------------

  async function loadMe(attempt = 0): Promise<void> {
    try {
      me.value = await whoAmI();
      meError.value = null;
    } catch (thrown) {
      const error = toHubError(thrown);
      meError.value = error;
      if (error.transient && !disposed) setTimeout(() => void loadMe(attempt + 1), Math.min(15_000, 1_000 * 2 ** attempt));
    }
  }
  void loadMe();

  // -- the state machine ---------------------------------------------------------------------

  function apply(change: VideoChange): void {
    const before = view.value;
    view.value = keptWaiting(change.view);
    const session = change.view.session;
    if (session !== null && session.id !== chatOf) {
      chatOf = session.id;
      chat.value = [];
    }
    if (session !== null && session !== before.session) chat.value = mergeChat(chat.value, session.chat ?? []);
    if (change.effect === "start") startCall();
    else if (change.effect === "stop") stopCall();
  }

  function keptWaiting(next: VideoView): VideoView {
    if (next.callbackOffer === null || next.session === null) return next;
    return readKeep() === next.session.id ? { ...next, callbackOffer: null } : next;
  }

  function startCall(): void {
    const session = view.value.session;
    if (session === null) return;
    link?.close();
    recording = session.recording?.state ?? recording;
    const current = new CallLink({
      sessionId: session.id,
      resume: resumeCall,
      recording,
      iceServers: loadIceServers,
      command: (name, payload) => client.command(name, payload),
      onChange: (snapshot) => {
        if (link === current) call.value = snapshot;
      },
    });
    link = current;
    call.value = current.snapshot;
    void current.start();
  }

  function stopCall(): void {
    link?.close();
    link = null;
    call.value = null;
    resumeCall = false;
    recording = null;
  }

  // -- citizen:<sub> -------------------------------------------------------------------------

  const citizen = useTopic({
    client,
    topic: () => (me.value ? `citizen:${me.value.sub}` : null),
    loadSnapshot: async (topic) => {
      const recent = await recentEvents(topic, CITIZEN_RECENT);
      const mine = await loadMine();
      if (view.value.stage === "loading" && viewOfSnapshot(mine, recent.events).stage === "call") resumeCall = true;
      unrated.value = unratedCall(mine, new Date());
      apply(applySnapshot(view.value, mine, recent.events));
      return { seq: recent.seq, epoch: recent.epoch };
    },
    onEvent: (event) => {
      if (event.type.startsWith("rtc.")) apply(applyVideoEvent(view.value, event));
    },
  });

  // -- rtc:<session> -------------------------------------------------------------------------

  const sessionTopic = computed(() => {
    const session = view.value.session;
    return session !== null && isOpen(session) ? `rtc:${session.id}` : null;
  });
  /** The latest event of the session topic handled (a snapshot's replay skips those). */
  let handled = { topic: "", epoch: "", seq: 0 };

  const session = useTopic({
    client,
    topic: sessionTopic,
    loadSnapshot: async (topic) => {
      const recent = await recentEvents(topic, SESSION_RECENT);
      if (handled.topic !== topic || handled.epoch !== recent.epoch) handled = { topic, epoch: recent.epoch, seq: 0 };
      if (resumeCall) {
        // The old connection's signals are history: the new connection starts from now.
        handled.seq = Math.max(handled.seq, recent.seq);
      } else {
        for (const event of replayAfterAccept(recent.events, false)) onSessionEvent(topic, event);
      }
      handled.seq = Math.max(handled.seq, recent.seq);
      return { seq: recent.seq, epoch: recent.epoch };
    },
    onEvent: (event) => onSessionEvent(event.topic, event),
  });

  function onSessionEvent(topic: string, event: Envelope): void {
    if (handled.topic === topic && event.seq <= handled.seq) return;
    if (handled.topic === topic) handled.seq = event.seq;
    switch (event.type) {
      case SIGNAL_SENT:
        link?.signal(event.data);
        return;
      case CHAT_POSTED: {
        const message = messageOf(event.data);
        if (message !== null) chat.value = mergeChat(chat.value, [message]);
        return;
      }
      case RECORDING_CHANGED: {
        const data = event.data.recording;
        const state = typeof data === "object" && data !== null ? (data as Recording).state : null;
        recording = state;
        link?.setRecording(state);
        return;
      }
      case CALL_ACCEPTED:
      case CALL_TRANSFERRED:
      case CALL_ENDED:
        apply(applyVideoEvent(view.value, event));
        return;
      default:
        return;
    }
  }

  // -- commands ------------------------------------------------------------------------------

  function currentSession(): RtcSession {
    const current = view.value.session;
    if (current === null) throw new Error("no consultation");
    return current;
  }

  async function request(topic: string): Promise<void> {
    try {
      apply(applySession(view.value, await requestCall(client, topic)));
      unrated.value = null;
    } catch (thrown) {
      const error = toHubError(thrown);
      // Already waiting (another tab): show that one.
      if (error.code === "ALREADY_WAITING") citizen.restart();
      throw error;
    }
  }

  async function leave(): Promise<void> {
    apply(applySession(view.value, await leaveQueue(client, currentSession().id)));
  }

  async function callback(phone: string): Promise<void> {
    const answer = await askCallback(client, currentSession().id, phone);
    apply(applySession(view.value, answer));
    view.value = { ...view.value, callbackPhone: phone };
  }

  function keepWaiting(): void {
    const current = view.value.session;
    if (current !== null) writeKeep(current.id);
    view.value = { ...view.value, callbackOffer: null };
  }

  async function doHangUp(): Promise<void> {
    const current = currentSession();
    try {
      apply(applySession(view.value, await hangUp(client, current.id)));
    } catch (thrown) {
      const error = toHubError(thrown);
      // Ended already (by the agent, or the hub after a drop): the end event follows.
      if (error.code !== "NOT_IN_CALL") throw error;
      citizen.restart();
    }
  }

  async function rate(stars: number, comment: string): Promise<void> {
    apply(applySession(view.value, await rateCall(client, currentSession().id, stars, comment.trim())));
    unrated.value = null;
  }

  async function sendText(text: string): Promise<void> {
    const message = await sendChat(client, currentSession().id, text);
    chat.value = mergeChat(chat.value, [message]);
  }

  async function sendPicture(file: File): Promise<void> {
    const message = await postImage(currentSession().id, file);
    if (message.image_id) rememberImage(message.image_id, file);
    chat.value = mergeChat(chat.value, [message]);
  }

  function again(): void {
    view.value = { ...INITIAL_VIEW, stage: "topics" };
  }

  function rateLater(ended: RtcSession): void {
    unrated.value = null;
    view.value = { ...INITIAL_VIEW, stage: "ended", session: ended };
    chatOf = ended.id;
    chat.value = ended.chat ?? [];
  }

  onScopeDispose(() => {
    disposed = true;
    stopCall();
  });

  const syncError = computed(() => meError.value ?? citizen.error.value ?? session.error.value);

  return {
    me,
    view,
    call,
    chat,
    unrated,
    syncError,
    request,
    leave,
    callback,
    keepWaiting,
    hangUp: doHangUp,
    rate,
    sendText,
    sendPicture,
    again,
    rateLater,
    link: () => link,
  };
}

function readKeep(): string | null {
  try {
    return window.sessionStorage.getItem(KEEP_WAITING_KEY);
  } catch {
    return null;
  }
}

function writeKeep(sessionId: string): void {
  try {
    window.sessionStorage.setItem(KEEP_WAITING_KEY, sessionId);
  } catch {
    // storage disabled: the offer shows again after a reload
  }
}

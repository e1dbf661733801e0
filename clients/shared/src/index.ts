export { HubClient } from "./client";
export type { HubClientOptions, StateListener, Subscription } from "./client";
export { AUTH_REFUSAL_CODES, HubError, toHubError } from "./errors";
export type { HubErrorOptions } from "./errors";
export { MESSAGES } from "./messages";
export { TopicSequencer } from "./sequencer";
export type { CatchUp, SequencerLimits, SequencerPhase, Sequenced, Step } from "./sequencer";
export { TopicSubscription } from "./topic";
export type { Commander, EventMeta, Timers, TopicHandlers } from "./topic";
export { createSocket } from "./socket";
export type { ConnectError, HubSocket } from "./socket";
export { RECONNECT, backoffDelay } from "./backoff";
export { RETRY_SAFE_CODES, SEND_ATTEMPTS, newRequestId, sendOnce } from "./once";
export type { SendOptions } from "./once";
export { bearerHeaders, createApi, fetchRaw, loadRecentEvents, problemError } from "./rest";
export type { Api, ApiOptions, HttpMethod, ProblemOptions, RawRequestOptions } from "./rest";
export { clearToken, saveToken, takeToken } from "./token";
export type { TokenPlace } from "./token";
export {
  HALL_TIME_ZONE,
  fmt,
  formatClock,
  formatDateTime,
  formatShortClock,
  formatStamp,
  localDay,
  newestFirst,
  prependEvent,
  summarizeData,
  waitMinutes,
} from "./format";
export type { SummaryLabels } from "./format";
export { isEnvelope, isSubscribeAck } from "./types";
export type {
  ConnState,
  Envelope,
  Principal,
  RecentEvents,
  Refusal,
  Role,
  SnapshotPosition,
  SubscribeAck,
} from "./types";
export {
  COUNTER_STATUSES,
  TICKET_STATUSES,
  hallOfTicket,
  isAppointmentCall,
  isCounterStatus,
  isTicketStatus,
  num,
  rec,
  str,
} from "./queueing";
export type {
  Board,
  BoardCounter,
  BoardService,
  CallRow,
  Channel,
  CitizenInput,
  CitizenTag,
  CounterStatus,
  TakenTicket,
  TicketStatus,
  TicketView,
} from "./queueing";
export { mergeChat } from "./rtc";
export type {
  ChatMessage,
  Party,
  QualitySample,
  Rating,
  Recording,
  RtcSession,
  RtcTopic,
  SessionState,
  TransferRecord,
} from "./rtc";
export { APPOINTMENT_STATES, checkInPhase, checkInWindowParts } from "./appointments";
export type { Appointment, AppointmentState, CheckInPhase, CheckInResult } from "./appointments";
export {
  BOARD_CALLS,
  applyBoardEvent,
  applyCounterEvent,
  newestStandingCall,
  spotlightCall,
  standingCall,
} from "./board";
export { EVENT_TYPES, isEvent } from "./events";
export type { EventData, EventOf, EventType } from "./events";
export type { BoardCall, BoardChange, CounterChange } from "./board";
export { OPEN_TICKET_STATUSES, applyTicketEvent, ticketEnded } from "./ticket";
export type { TicketAlert, TicketAlertKind, TicketChange } from "./ticket";
export { AnnouncementQueue, REPLAY_ANNOUNCE_MS, ServerClock, shouldAnnounce } from "./announcer";
export type { Announcement, AnnouncementOutput, AnnouncerListener, AnnouncerOptions } from "./announcer";
export {
  INBOX_CHANGED,
  INBOX_KEEP,
  INBOX_STATES,
  MESSAGE_RECEIVED,
  appendOlder,
  applyInboxEvent,
  applyMarked,
  emptyInbox,
  inboxFromList,
  inboxTopic,
  shownItems,
} from "./inbox";
export type { Inbox, InboxChange, InboxCounts, InboxItem, InboxList, InboxMarked, InboxState } from "./inbox";
export { loadInbox, loadPreferences, markInbox, readAllInbox, savePreferences } from "./inboxApi";
export type { InboxQuery } from "./inboxApi";
export {
  DEFAULT_QUIET_HOURS,
  OPTIONAL_CHANNELS,
  clockTime,
  optionalKinds,
  preferencesBody,
  shortTime,
  wants,
  withChannel,
} from "./preferences";
export type { NotifierChannel, NotifierKind, OptOuts, Preferences, PreferencesView, QuietHours } from "./preferences";

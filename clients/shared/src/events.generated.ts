/* Generated from the hub's event models (hub/events/types.py): do not edit.
 * Regenerate: .venv/bin/hallhub events-schema | node clients/shared/scripts/gen-events.mjs
 *   > clients/shared/src/events.generated.ts */

/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "AppointmentState".
 */
export type AppointmentState = "pending" | "booked" | "checked_in" | "cancelled" | "no_show" | "failed";
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "InboxState".
 */
export type InboxState = "unread" | "read" | "archived";
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CounterStatus".
 */
export type CounterStatus = "closed" | "open" | "paused";
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketStatus".
 */
export type TicketStatus = "waiting" | "called" | "serving" | "finished" | "no_show" | "cancelled" | "parked";
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "Channel".
 */
export type Channel = "kiosk" | "miniapp" | "qr" | "staff" | "appointment";
/**
 * The rule of the calling policy that chose a ticket (`domain.choose_next`).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "Reason".
 */
export type Reason = "appointment" | "overdue" | "priority" | "normal";
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "AgentStatus".
 */
export type AgentStatus = "offline" | "available" | "busy" | "wrap_up" | "away";
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "SessionState".
 */
export type SessionState = "waiting" | "offered" | "active" | "wrap_up" | "ended" | "abandoned" | "callback";

export interface EventData {
  "appointments.appointment_booked": AppointmentBooked;
  "appointments.appointment_cancelled": AppointmentCancelled;
  "appointments.appointment_changed": AppointmentChanged;
  "appointments.appointment_checked_in": AppointmentCheckedIn;
  "appointments.no_show_recorded": NoShowRecorded;
  "appointments.person_blacklisted": PersonBlacklisted;
  "appointments.reminder_sent": ReminderSent;
  "appointments.slots_released": SlotsReleased;
  "notifier.inbox_changed": InboxChanged;
  "notifier.message_received": MessageReceived;
  "queueing.counter_closed": CounterClosed;
  "queueing.counter_opened": CounterOpened;
  "queueing.counter_paused": CounterPaused;
  "queueing.counter_resumed": CounterResumed;
  "queueing.counter_updated": CounterUpdated;
  "queueing.desk_ticket_changed": DeskTicketChanged;
  "queueing.hall_updated": HallUpdated;
  "queueing.notice_changed": NoticeChanged;
  "queueing.phone_code_issued": PhoneCodeIssued;
  "queueing.position_changed": QueueingPositionChanged;
  "queueing.ticket_called": TicketCalled;
  "queueing.ticket_cancelled": TicketCancelled;
  "queueing.ticket_finished": TicketFinished;
  "queueing.ticket_issued": TicketIssued;
  "queueing.ticket_no_show": TicketNoShow;
  "queueing.ticket_parked": TicketParked;
  "queueing.ticket_recalled": TicketRecalled;
  "queueing.ticket_requeued": TicketRequeued;
  "queueing.ticket_started": TicketStarted;
  "queueing.ticket_transferred": TicketTransferred;
  "queueing.ticket_unparked": TicketUnparked;
  "queueing.turn_near": TurnNear;
  "queueing.wait_exceeded": WaitExceeded;
  "queueing.waiting_changed": WaitingChanged;
  "rtc.agent_updated": AgentUpdated;
  "rtc.call_accepted": CallAccepted;
  "rtc.call_ended": CallEnded;
  "rtc.call_offered": CallOffered;
  "rtc.call_transferred": CallTransferred;
  "rtc.callback_offered": CallbackOffered;
  "rtc.callback_requested": CallbackRequested;
  "rtc.chat_posted": ChatPosted;
  "rtc.offer_withdrawn": OfferWithdrawn;
  "rtc.position_changed": RtcPositionChanged;
  "rtc.quality_reported": QualityReported;
  "rtc.queue_changed": QueueChanged;
  "rtc.recording_changed": RecordingChanged;
  "rtc.signal_sent": SignalSent;
}
/**
 * A slot was booked.
 *
 * The booker's copy also carries what the message center needs to send the booking's SMS:
 * the booker's account (`citizen_id`, whose `citizen:<id>` is the topic) and, when the booking
 * asked for SMS (`notify_sms`), the mobile number as typed (`sms_phone`). Only the booker's
 * topic gets them.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "AppointmentBooked".
 */
export interface AppointmentBooked {
  hall_id: string;
  service_id: string;
  day: string;
  /**
   * the hall's copy: the touched slots' places now
   */
  slots?: SlotPlaces[] | null;
  /**
   * the booker's copy: the booking
   */
  id?: string | null;
  /**
   * the booker's copy: the number the citizen shows ("Y0012")
   */
  code?: string | null;
  /**
   * the booker's copy: the code with its day ("11月27日 Y0012")
   */
  code_text?: string | null;
  /**
   * the booker's copy
   */
  slot_start?: string | null;
  /**
   * the booker's copy
   */
  slot_end?: string | null;
  /**
   * the booker's copy: the check-in window opens
   */
  checkin_from?: string | null;
  /**
   * the booker's copy: the check-in window closes
   */
  checkin_until?: string | null;
  /**
   * the booker's copy (masked)
   */
  name?: string | null;
  /**
   * the booker's copy (masked)
   */
  id_number?: string | null;
  /**
   * the booker's copy (masked)
   */
  phone?: string | null;
  /**
   * the booker's copy
   */
  state?: AppointmentState | null;
  /**
   * the booker's copy
   */
  created_at?: string | null;
  /**
   * the booker's copy
   */
  reason?: string | null;
  /**
   * the booker's copy: the booker wants SMS messages
   */
  notify_sms?: boolean | null;
  /**
   * the booker's copy: the slot in the hall's words
   */
  slot_text?: string | null;
  /**
   * the booker's copy: the check-in window in words
   */
  checkin_text?: string | null;
  /**
   * the booker's copy
   */
  hall_name?: string | null;
  /**
   * the booker's copy
   */
  hall_address?: string | null;
  /**
   * the booker's copy
   */
  service_name?: string | null;
  /**
   * the booker's copy: the booker's account
   */
  citizen_id?: string | null;
  /**
   * the booker's copy, with notify_sms: the mobile to send the SMS to
   */
  sms_phone?: string | null;
}
/**
 * One slot's places now, as anyone viewing the day sees them (absolute numbers: applying
 * the same event twice changes nothing).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "SlotPlaces".
 */
export interface SlotPlaces {
  /**
   * the slot's id, as in the day's slots
   */
  id: string;
  /**
   * bookable places now (0 once handed to walk-ins)
   */
  free: number;
  /**
   * places handed to walk-ins; set: the slot takes no more bookings
   */
  walkin_released: number | null;
}
/**
 * A booking was cancelled: its place is bookable again (or a walk-in's, once released).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "AppointmentCancelled".
 */
export interface AppointmentCancelled {
  hall_id: string;
  service_id: string;
  day: string;
  /**
   * the hall's copy: the touched slots' places now
   */
  slots?: SlotPlaces[] | null;
  /**
   * the booker's copy: the booking
   */
  id?: string | null;
  /**
   * the booker's copy: the number the citizen shows ("Y0012")
   */
  code?: string | null;
  /**
   * the booker's copy: the code with its day ("11月27日 Y0012")
   */
  code_text?: string | null;
  /**
   * the booker's copy
   */
  slot_start?: string | null;
  /**
   * the booker's copy
   */
  slot_end?: string | null;
  /**
   * the booker's copy: the check-in window opens
   */
  checkin_from?: string | null;
  /**
   * the booker's copy: the check-in window closes
   */
  checkin_until?: string | null;
  /**
   * the booker's copy (masked)
   */
  name?: string | null;
  /**
   * the booker's copy (masked)
   */
  id_number?: string | null;
  /**
   * the booker's copy (masked)
   */
  phone?: string | null;
  /**
   * the booker's copy
   */
  state?: AppointmentState | null;
  /**
   * the booker's copy
   */
  created_at?: string | null;
  /**
   * the booker's copy
   */
  reason?: string | null;
  /**
   * the booker's copy: the booker wants SMS messages
   */
  notify_sms?: boolean | null;
  /**
   * the booker's copy: the slot in the hall's words
   */
  slot_text?: string | null;
  /**
   * the booker's copy: the check-in window in words
   */
  checkin_text?: string | null;
  /**
   * the booker's copy
   */
  hall_name?: string | null;
  /**
   * the booker's copy
   */
  hall_address?: string | null;
  /**
   * the booker's copy
   */
  service_name?: string | null;
}
/**
 * A booking moved to another slot of the same service.
 *
 * The hall gets one copy per day touched: the old slot's day and the new one's.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "AppointmentChanged".
 */
export interface AppointmentChanged {
  hall_id: string;
  service_id: string;
  day: string;
  /**
   * the hall's copy: the touched slots' places now
   */
  slots?: SlotPlaces[] | null;
  /**
   * the booker's copy: the booking
   */
  id?: string | null;
  /**
   * the booker's copy: the number the citizen shows ("Y0012")
   */
  code?: string | null;
  /**
   * the booker's copy: the code with its day ("11月27日 Y0012")
   */
  code_text?: string | null;
  /**
   * the booker's copy
   */
  slot_start?: string | null;
  /**
   * the booker's copy
   */
  slot_end?: string | null;
  /**
   * the booker's copy: the check-in window opens
   */
  checkin_from?: string | null;
  /**
   * the booker's copy: the check-in window closes
   */
  checkin_until?: string | null;
  /**
   * the booker's copy (masked)
   */
  name?: string | null;
  /**
   * the booker's copy (masked)
   */
  id_number?: string | null;
  /**
   * the booker's copy (masked)
   */
  phone?: string | null;
  /**
   * the booker's copy
   */
  state?: AppointmentState | null;
  /**
   * the booker's copy
   */
  created_at?: string | null;
  /**
   * the booker's copy
   */
  reason?: string | null;
  /**
   * the booker's copy: the booker wants SMS messages
   */
  notify_sms?: boolean | null;
  /**
   * the booker's copy: the slot in the hall's words
   */
  slot_text?: string | null;
  /**
   * the booker's copy: the check-in window in words
   */
  checkin_text?: string | null;
  /**
   * the booker's copy
   */
  hall_name?: string | null;
  /**
   * the booker's copy
   */
  hall_address?: string | null;
  /**
   * the booker's copy
   */
  service_name?: string | null;
}
/**
 * A booking was checked in at the hall and became a ticket (`ticket_id`, `ticket_code`).
 *
 * `reason` is set when the booker came late and got an ordinary walk-in ticket.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "AppointmentCheckedIn".
 */
export interface AppointmentCheckedIn {
  id: string;
  /**
   * the number the citizen shows ("Y0012"), unique in the hall's day
   */
  code: string;
  /**
   * the code with its day, as the citizen is told it ("11月27日 Y0012")
   */
  code_text: string;
  hall_id: string;
  service_id: string;
  day: string;
  slot_start: string;
  slot_end: string;
  /**
   * the check-in window opens (the plan's setting)
   */
  checkin_from: string;
  /**
   * the check-in window closes
   */
  checkin_until: string;
  /**
   * masked
   */
  name: string;
  /**
   * masked
   */
  id_number: string;
  /**
   * masked
   */
  phone: string;
  state: AppointmentState;
  ticket_id: string | null;
  ticket_code: string | null;
  checked_in_at: string | null;
  created_at: string;
  reason: string;
  notify_sms: boolean;
  /**
   * the slot as people in the hall say it ("11月27日 09:30")
   */
  slot_text: string;
  /**
   * the check-in window in the hall's words ("11月27日 09:00–09:45")
   */
  checkin_text: string;
  hall_name: string;
  hall_address: string;
  service_name: string;
}
/**
 * A booking was not checked in by the end of its window: a no-show, recorded against the
 * person.
 *
 * The booker's copy says (`warning`) when one more no-show would suspend their booking.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "NoShowRecorded".
 */
export interface NoShowRecorded {
  hall_id: string;
  service_id: string;
  day: string;
  /**
   * the hall's copy: the touched slots' places now
   */
  slots?: SlotPlaces[] | null;
  /**
   * the booker's copy: the booking
   */
  id?: string | null;
  /**
   * the booker's copy: the number the citizen shows ("Y0012")
   */
  code?: string | null;
  /**
   * the booker's copy: the code with its day ("11月27日 Y0012")
   */
  code_text?: string | null;
  /**
   * the booker's copy
   */
  slot_start?: string | null;
  /**
   * the booker's copy
   */
  slot_end?: string | null;
  /**
   * the booker's copy: the check-in window opens
   */
  checkin_from?: string | null;
  /**
   * the booker's copy: the check-in window closes
   */
  checkin_until?: string | null;
  /**
   * the booker's copy (masked)
   */
  name?: string | null;
  /**
   * the booker's copy (masked)
   */
  id_number?: string | null;
  /**
   * the booker's copy (masked)
   */
  phone?: string | null;
  /**
   * the booker's copy
   */
  state?: AppointmentState | null;
  /**
   * the booker's copy
   */
  created_at?: string | null;
  /**
   * the booker's copy
   */
  reason?: string | null;
  /**
   * the booker's copy: the booker wants SMS messages
   */
  notify_sms?: boolean | null;
  /**
   * the booker's copy: the slot in the hall's words
   */
  slot_text?: string | null;
  /**
   * the booker's copy: the check-in window in words
   */
  checkin_text?: string | null;
  /**
   * the booker's copy
   */
  hall_name?: string | null;
  /**
   * the booker's copy
   */
  hall_address?: string | null;
  /**
   * the booker's copy
   */
  service_name?: string | null;
  /**
   * the booker's copy: one more suspends booking
   */
  warning?: boolean | null;
}
/**
 * The booker's booking is suspended (no-shows, cancellations or too many bookings of one
 * matter); walk-in tickets are not refused for it.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "PersonBlacklisted".
 */
export interface PersonBlacklisted {
  until: string;
  reason: string;
  /**
   * how long the suspension lasts
   */
  days: number;
}
/**
 * A booking's slot is near (the plan's `reminder_hours` before): remind the booker.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "ReminderSent".
 */
export interface ReminderSent {
  id: string;
  /**
   * the number the citizen shows ("Y0012"), unique in the hall's day
   */
  code: string;
  /**
   * the code with its day, as the citizen is told it ("11月27日 Y0012")
   */
  code_text: string;
  hall_id: string;
  service_id: string;
  day: string;
  slot_start: string;
  slot_end: string;
  /**
   * the check-in window opens (the plan's setting)
   */
  checkin_from: string;
  /**
   * the check-in window closes
   */
  checkin_until: string;
  /**
   * masked
   */
  name: string;
  /**
   * masked
   */
  id_number: string;
  /**
   * masked
   */
  phone: string;
  state: AppointmentState;
  ticket_id: string | null;
  ticket_code: string | null;
  checked_in_at: string | null;
  created_at: string;
  reason: string;
  notify_sms: boolean;
  /**
   * the slot as people in the hall say it ("11月27日 09:30")
   */
  slot_text: string;
  /**
   * the check-in window in the hall's words ("11月27日 09:00–09:45")
   */
  checkin_text: string;
  hall_name: string;
  hall_address: string;
  service_name: string;
}
/**
 * Places became bookable or went to walk-ins.
 *
 * `why`: `opened` (a day opened, 放号), `backup` (held-back places released), `walkin` (free
 * places handed to walk-ins shortly before their slot).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "SlotsReleased".
 */
export interface SlotsReleased {
  hall_id: string;
  service_id: string;
  day: string;
  why: "opened" | "backup" | "walkin";
  slots: SlotPlaces[];
}
/**
 * One of the person's messages (or, with no `item_id`, every unread one) was read,
 * marked unread or archived, on any of their screens.
 *
 * `read_at` is the read time the hub stored on the messages it changed when `state` is
 * `read` (the same instant `GET /api/v1/notifier/inbox` answers); otherwise null: a message
 * marked unread has no read time any more, an archived one keeps its own.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "InboxChanged".
 */
export interface InboxChanged {
  counts: InboxCounts;
  item_id: string | null;
  state: InboxState;
  read_at: string | null;
}
/**
 * How many of the person's messages are in each state.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "InboxCounts".
 */
export interface InboxCounts {
  unread: number;
  read: number;
  archived: number;
}
/**
 * A message arrived in the person's in-app inbox.
 *
 * `unread` is the number of unread messages once it is in (a repeat of the event, after a
 * crash, carries the same item).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "MessageReceived".
 */
export interface MessageReceived {
  item: InboxEntry;
  unread: number;
}
/**
 * One message in an inbox, as `GET /api/v1/notifier/inbox` lists it.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "InboxEntry".
 */
export interface InboxEntry {
  id: string;
  recipient: string;
  message_id: string;
  kind: string;
  body: string;
  created_at: string;
  state: InboxState;
  read_at: string | null;
}
/**
 * The clerk signed out: the counter is closed.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CounterClosed".
 */
export interface CounterClosed {
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  status: CounterStatus;
  pause_reason: string;
  staff_id: string | null;
  staff_name: string;
  current_ticket_id: string | null;
}
/**
 * A clerk signed in at a counter: it is open.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CounterOpened".
 */
export interface CounterOpened {
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  status: CounterStatus;
  pause_reason: string;
  staff_id: string | null;
  staff_name: string;
  current_ticket_id: string | null;
}
/**
 * The counter paused, with a reason (暂停服务).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CounterPaused".
 */
export interface CounterPaused {
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  status: CounterStatus;
  pause_reason: string;
  staff_id: string | null;
  staff_name: string;
  current_ticket_id: string | null;
}
/**
 * A paused counter is open again.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CounterResumed".
 */
export interface CounterResumed {
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  status: CounterStatus;
  pause_reason: string;
  staff_id: string | null;
  staff_name: string;
  current_ticket_id: string | null;
}
/**
 * A counter's status or the ticket it holds changed (its own display and workstation).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CounterUpdated".
 */
export interface CounterUpdated {
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  status: CounterStatus;
  pause_reason: string;
  staff_id: string | null;
  staff_name: string;
  current_ticket_id: string | null;
  /**
   * normal tickets called since the last priority one (the calling order)
   */
  normal_streak: number;
  current?: CurrentTicket;
}
/**
 * the ticket it holds, when it holds one
 */
export interface CurrentTicket {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  status: TicketStatus;
  call_count: number;
  /**
   * when it was last called
   */
  called_at: string | null;
}
/**
 * A ticket of the hall changed (issued, called, served, set aside, moved, cancelled): the
 * workstations apply it whole.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "DeskTicketChanged".
 */
export interface DeskTicketChanged {
  ticket: DeskTicket;
}
/**
 * A ticket as a counter workstation keeps it: everything its lists, its calling order and
 * its clerk's figures are made of (`views.desk_ticket`).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "DeskTicket".
 */
export interface DeskTicket {
  ticket_id: string;
  number: string;
  /**
   * the number within its service and day (A003: 3)
   */
  serial: number;
  day: string;
  service_id: string;
  service_name: string;
  status: TicketStatus;
  channel: Channel;
  tags: string[];
  priority: number;
  citizen: DeskCitizen;
  appointment: DeskAppointment | null;
  issued_at: string;
  /**
   * its place in the queue (kept through transfers)
   */
  queue_time: string;
  call_count: number;
  called_at: string | null;
  last_called_at: string | null;
  serving_at: string | null;
  finished_at: string | null;
  parked_at: string | null;
  case_id: string | null;
  transferred: boolean;
  /**
   * times it was put back in the queue after a no-show
   */
  requeued: number;
  /**
   * the counter holding it, or that parked it
   */
  counter_id: string | null;
  /**
   * transferred to this counter only
   */
  target_counter_id: string | null;
  /**
   * the counters that called it
   */
  called_at_counters: string[];
  /**
   * the clerk who called it last
   */
  staff_id: string | null;
}
/**
 * The citizen as counter staff see them: masked.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "DeskCitizen".
 */
export interface DeskCitizen {
  name: string;
  id_number: string;
  phone: string;
}
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "DeskAppointment".
 */
export interface DeskAppointment {
  slot_start: string;
  slot_end: string;
}
/**
 * The hall's configuration changed (services, counters, policy): reload the snapshot.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "HallUpdated".
 */
export interface HallUpdated {
  hall_id: string;
  name: string;
}
/**
 * The hall's notice (shown on its screens) changed.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "NoticeChanged".
 */
export interface NoticeChanged {
  hall_id: string;
  notice: string;
}
/**
 * A walk-in asked to verify their phone before taking a ticket (码上取号 without an
 * account): the message center sends the code by SMS. Published on the phone's own
 * `citizen:walkin-<keyed hash>` topic, which no token can follow, so the code reaches the
 * phone and nobody else.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "PhoneCodeIssued".
 */
export interface PhoneCodeIssued {
  hall_id: string;
  hall_name: string;
  /**
   * the mobile number to send the code to (as typed, checked)
   */
  phone: string;
  code: string;
  /**
   * the code is valid this long
   */
  minutes: number;
}
/**
 * The ticket's place in the queue or its estimated wait changed.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "QueueingPositionChanged".
 */
export interface QueueingPositionChanged {
  ticket_id: string;
  number: string;
  /**
   * people called before this ticket
   */
  ahead: number;
  /**
   * the estimated wait
   */
  estimate_minutes: number;
}
/**
 * A counter called a ticket: show it and announce it `repeat` times (请 A003 号到 5 号窗口).
 *
 * The ticket's own topics also get this type when the counter calls it again (on the hall:
 * ticket_recalled), without `reason`.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketCalled".
 */
export interface TicketCalled {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  /**
   * calls of this ticket so far, this one included
   */
  call_count: number;
  /**
   * when this call was made (as boards show it)
   */
  called_at: string;
  /**
   * how many times to announce the call
   */
  repeat: number;
  /**
   * why this ticket: the calling policy's rule, or chosen (called by number)
   */
  reason?: Reason | "chosen";
}
/**
 * A waiting or parked ticket was cancelled (by its holder or the staff).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketCancelled".
 */
export interface TicketCancelled {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
}
/**
 * The counter finished serving the ticket (办结).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketFinished".
 */
export interface TicketFinished {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  /**
   * the case it opened, when given (the ticket's own topics)
   */
  case_id?: string;
}
/**
 * A ticket was taken (kiosk, H5 app, QR code, counter or a booking's check-in).
 *
 * The ticket's own topics also get its place in the queue when it was issued.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketIssued".
 */
export interface TicketIssued {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  channel: Channel;
  /**
   * people ahead when issued (the ticket's own topics)
   */
  ahead?: number;
  /**
   * the estimated wait (the ticket's own topics)
   */
  estimate_minutes?: number;
}
/**
 * The citizen did not come after enough calls (过号).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketNoShow".
 */
export interface TicketNoShow {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
}
/**
 * The counter set the ticket aside (the citizen fetches a document); it calls it back
 * later.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketParked".
 */
export interface TicketParked {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
}
/**
 * A counter called its current ticket again: announce it again.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketRecalled".
 */
export interface TicketRecalled {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  call_count: number;
  called_at: string;
  repeat: number;
}
/**
 * A no-show ticket whose holder came back was put back in the queue by a clerk (过号重新排队),
 * behind the tickets the hall's policy says; the counter fields name that clerk's counter.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketRequeued".
 */
export interface TicketRequeued {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  /**
   * tickets of its service called before it now
   */
  queued_behind: number;
}
/**
 * The citizen came to the counter: serving (办理中).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketStarted".
 */
export interface TicketStarted {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
}
/**
 * The ticket was sent to another service or counter and waits again, keeping its place.
 *
 * `service_id` and `service_name` are the new service's; the counter fields name the counter
 * that sent it.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketTransferred".
 */
export interface TicketTransferred {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  counter_id: string;
  counter_number: number;
  counter_name: string;
  from_service_id: string;
  /**
   * the counter it was sent to, if one
   */
  to_counter_number?: number;
  /**
   * the counter it was sent to, if one
   */
  to_counter_name?: string;
}
/**
 * A parked ticket went back into the queue, at its place, for the counter that parked it.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TicketUnparked".
 */
export interface TicketUnparked {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
}
/**
 * The ticket's turn is near: come close to the counters (told once).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "TurnNear".
 */
export interface TurnNear {
  ticket_id: string;
  number: string;
  /**
   * people called before this ticket
   */
  ahead: number;
  /**
   * the estimated wait
   */
  estimate_minutes: number;
}
/**
 * A ticket has waited longer than the hall allows (an alert to the hall's staff, once).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "WaitExceeded".
 */
export interface WaitExceeded {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  hall_id: string;
  waited_minutes: number;
}
/**
 * The number of people waiting changed.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "WaitingChanged".
 */
export interface WaitingChanged {
  hall_id: string;
  /**
   * people waiting per service id
   */
  waiting: {
    [k: string]: number | undefined;
  };
  total: number;
}
/**
 * An agent's status, skills or current call changed.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "AgentUpdated".
 */
export interface AgentUpdated {
  agent: AgentView;
}
/**
 * An agent as the consoles and the line show them.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "AgentView".
 */
export interface AgentView {
  id: string;
  name: string;
  skills: string[];
  status: AgentStatus;
  status_since: string;
  idle_since: string;
  session_id: string | null;
  consoles: number;
  present: boolean;
}
/**
 * An agent took the call: the parties start the call's peer connection.
 *
 * The session already says whether the call is recorded (`recording.state`).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CallAccepted".
 */
export interface CallAccepted {
  session: SessionView;
}
/**
 * `<session>` of docs/rtc.md: a consultation as its parties and supervisors see it (not
 * who declined it, the call-back number, quality samples or the agent's notes).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "SessionView".
 */
export interface SessionView {
  id: string;
  citizen_id: string;
  citizen_name: string;
  topic: string;
  topic_name: string;
  state: SessionState;
  created_at: string;
  queued_at: string;
  offered_to: string | null;
  offer_expires: string | null;
  agent_id: string | null;
  agent_name: string;
  answered_at: string | null;
  ended_at: string | null;
  end_reason: string;
  transfers: Transfer[];
  chat: ChatMessage[];
  rating: Rating | null;
  recording: RecordingView | null;
  earlier_recordings: RecordingView[];
  version: number;
  position?: number | null;
  estimate_minutes?: number | null;
}
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "Transfer".
 */
export interface Transfer {
  at: string;
  from_agent: string;
  to_agent?: string | null;
  to_topic?: string | null;
  note?: string;
}
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "ChatMessage".
 */
export interface ChatMessage {
  id: string;
  at: string;
  sender: "citizen" | "agent" | "system";
  sender_name: string;
  text?: string;
  image_id?: string | null;
  image_type?: string | null;
}
/**
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "Rating".
 */
export interface Rating {
  stars: number;
  comment?: string;
  at: string;
}
/**
 * A recording as the screens see it (where its file lies is the hub's business).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "RecordingView".
 */
export interface RecordingView {
  state: "recording" | "done" | "failed" | "refused" | "expired";
  started_at?: string | null;
  ended_at?: string | null;
  duration_s?: number | null;
  size?: number | null;
  reason?: string;
}
/**
 * A consultation ended: hung up, left before an answer, or a party did not come back.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CallEnded".
 */
export interface CallEnded {
  session: SessionView;
}
/**
 * A waiting consultation is offered to one agent, to accept before `expires_at`.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CallOffered".
 */
export interface CallOffered {
  session: SessionView;
  expires_at: string;
}
/**
 * The agent passed the call on: to the line of another topic, or offered to one agent.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CallTransferred".
 */
export interface CallTransferred {
  session: SessionView;
}
/**
 * A citizen waited long: the page offers a call-back or a message instead.
 *
 * Told once per consultation.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CallbackOffered".
 */
export interface CallbackOffered {
  session_id: string;
  waited_minutes: number;
}
/**
 * A citizen left the line asking to be called back on a phone number.
 *
 * The message center listens: it confirms to the citizen by SMS and in-app, keeps the number
 * as the citizen's SMS address (`citizen:<citizen_id>`), and tells the video service's
 * supervisors whom to call. Published once, on the citizen's topic only (the number goes
 * to no agent's console).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CallbackRequested".
 */
export interface CallbackRequested {
  session_id: string;
  citizen_id: string;
  citizen_name: string;
  phone: string;
  topic_name: string;
}
/**
 * A text or a picture in the call's chat.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "ChatPosted".
 */
export interface ChatPosted {
  message: ChatMessage;
}
/**
 * The call offered to the agent is no longer theirs.
 *
 * Declined, timed out, the citizen left, the agent went away or offline: `reason` says.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "OfferWithdrawn".
 */
export interface OfferWithdrawn {
  session_id: string;
  reason: string;
}
/**
 * A waiting citizen's place in their topic's line, or the expected wait, changed.
 *
 * Told only when it changed.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "RtcPositionChanged".
 */
export interface RtcPositionChanged {
  session_id: string;
  position: number;
  estimate_minutes: number;
}
/**
 * A party's connection quality: 0 (no connection) to 5 (excellent).
 *
 * A citizen whose page closed during the call is reported at level 0, `reconnecting`.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "QualityReported".
 */
export interface QualityReported {
  party: "citizen" | "agent";
  level: number;
  state: "connected" | "reconnecting" | "failed";
}
/**
 * The line changed: who waits (first come first), who is in a call, and every agent.
 *
 * Each request and call with what the monitor's board shows of it (the caller's name, the
 * agent's, when the call was answered): the board follows the line without reloading.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "QueueChanged".
 */
export interface QueueChanged {
  waiting: WaitingEntry[];
  active: ActiveEntry[];
  agents: AgentView[];
}
/**
 * A request in the line, with what the monitor's board shows of it (no reload needed).
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "WaitingEntry".
 */
export interface WaitingEntry {
  session_id: string;
  topic: string;
  citizen_name: string;
  state: SessionState;
  queued_at: string;
}
/**
 * A call in progress, with what the monitor's board shows of it.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "ActiveEntry".
 */
export interface ActiveEntry {
  session_id: string;
  topic: string;
  citizen_name: string;
  agent_id: string | null;
  agent_name: string;
  answered_at: string | null;
}
/**
 * The call's recording was closed: done (with its length and size) or failed.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "RecordingChanged".
 */
export interface RecordingChanged {
  recording: RecordingView;
}
/**
 * A signaling message relayed to the other party, or the hub's answer to a recorder offer.
 *
 * The hub's answer has `from: "hub"` and `to`: the party who offered. Each party drops its
 * own.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "SignalSent".
 */
export interface SignalSent {
  from: "citizen" | "agent" | "hub";
  to: ("citizen" | "agent") | null;
  link: "call" | "recorder" | "monitor";
  kind: "offer" | "answer" | "candidate" | "renegotiate";
  sdp: string | null;
  candidate: {
    [k: string]: (string | number | null) | undefined;
  } | null;
}
/**
 * The ticket a counter holds, as its counter display shows it.
 *
 * This interface was referenced by `EventData`'s JSON-Schema
 * via the `definition` "CurrentTicket".
 */
export interface CurrentTicket1 {
  ticket_id: string;
  /**
   * the ticket code people see and hear ("A003")
   */
  number: string;
  service_id: string;
  service_name: string;
  /**
   * a priority ticket (elderly, disabled, …)
   */
  priority: boolean;
  /**
   * a checked-in booking's ticket (预约)
   */
  appointment: boolean;
  status: TicketStatus;
  call_count: number;
  /**
   * when it was last called
   */
  called_at: string | null;
}

/** Every event type the hub publishes. */
export type EventType = keyof EventData;
export const EVENT_TYPES: readonly EventType[] = ["appointments.appointment_booked","appointments.appointment_cancelled","appointments.appointment_changed","appointments.appointment_checked_in","appointments.no_show_recorded","appointments.person_blacklisted","appointments.reminder_sent","appointments.slots_released","notifier.inbox_changed","notifier.message_received","queueing.counter_closed","queueing.counter_opened","queueing.counter_paused","queueing.counter_resumed","queueing.counter_updated","queueing.desk_ticket_changed","queueing.hall_updated","queueing.notice_changed","queueing.phone_code_issued","queueing.position_changed","queueing.ticket_called","queueing.ticket_cancelled","queueing.ticket_finished","queueing.ticket_issued","queueing.ticket_no_show","queueing.ticket_parked","queueing.ticket_recalled","queueing.ticket_requeued","queueing.ticket_started","queueing.ticket_transferred","queueing.ticket_unparked","queueing.turn_near","queueing.wait_exceeded","queueing.waiting_changed","rtc.agent_updated","rtc.call_accepted","rtc.call_ended","rtc.call_offered","rtc.call_transferred","rtc.callback_offered","rtc.callback_requested","rtc.chat_posted","rtc.offer_withdrawn","rtc.position_changed","rtc.quality_reported","rtc.queue_changed","rtc.recording_changed","rtc.signal_sent"];

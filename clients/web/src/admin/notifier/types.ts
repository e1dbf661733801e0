/** The message center's back-office resources (`/api/v1/notifier/…`). */
import type { NotifierChannel, NotifierKind, OptOuts, QuietHours } from "@hallhub/client";

export type Channel = NotifierChannel;
export type Kind = NotifierKind;

export const CHANNELS: readonly Channel[] = ["in_app", "sms", "email"];

export type DeliveryState = "queued" | "sent" | "delivered" | "failed" | "suppressed";

export const DELIVERY_STATES: readonly DeliveryState[] = ["queued", "sent", "delivered", "failed", "suppressed"];

/** One version of a template. */
export interface Template {
  id: string;
  kind: string;
  channel: Channel;
  locale: string;
  version: number;
  subject: string;
  text: string;
  html: string;
  created_at: string;
  /** The account that saved it, or "defaults" (the starting templates). */
  created_by: string;
  created_by_name: string;
}

/** What a new version (or a preview) is made of. */
export interface TemplateDraft {
  kind: string;
  channel: Channel;
  locale: string;
  subject: string;
  text: string;
  html: string;
}

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export interface Preview {
  rendered: Rendered;
  data: Record<string, unknown>;
}

export interface Rule {
  id: string;
  event_type: string;
  kind: string;
  recipients: string[];
  channels: Channel[];
  fallback: Partial<Record<Channel, Channel>>;
  delay_minutes: number;
  digest_minutes: number;
  /** A channel here is used only when the event's named field is true ({sms: "notify_sms"}). */
  when: Partial<Record<Channel, string>>;
  enabled: boolean;
}

export type Outcome = "sent" | "temporary" | "permanent";

export interface Attempt {
  at: string;
  provider: string;
  outcome: Outcome | null;
  code: string;
  detail: string;
  provider_message_id: string;
}

/** One message on one channel. */
export interface Delivery {
  id: string;
  key: string;
  message_id: string;
  kind: string;
  channel: Channel;
  recipient: string;
  address: string;
  state: DeliveryState;
  critical: boolean;
  due_at: string;
  attempts: Attempt[];
  provider_message_id: string;
  rendered: Rendered | null;
  template_version: number;
  digest_key: string;
  fallback: Channel | null;
  fallback_of: string;
  created_at: string;
  updated_at: string;
  final_at: string | null;
  receipt: string;
  reason: string;
}

export interface Message {
  id: string;
  kind: string;
  recipient: string;
  data: Record<string, unknown>;
  source: string;
  channels: Channel[];
  critical: boolean;
  created_at: string;
  send_at: string;
}

/** `GET /api/v1/notifier/messages/{message_id}`. */
export interface Timeline {
  message: Message;
  deliveries: Delivery[];
  /** The recipient's name, when one is kept. */
  names: Record<string, string>;
}

/** `GET /api/v1/notifier/messages` and `/dead-letters`: deliveries and their recipients' names. */
export interface DeliveryPage {
  deliveries: Delivery[];
  names: Record<string, string>;
}

export interface DeliveryQuery {
  recipient: string;
  kind: string;
  channel: Channel | "";
  state: DeliveryState | "";
  /** ISO 8601, or "". */
  since: string;
  until: string;
  limit: number;
  skip: number;
}

export interface ChannelStats {
  channel: string;
  states: Record<string, number>;
  success_rate: number | null;
}

/** `GET /api/v1/notifier/stats`. */
export interface NotifierStats {
  since: string;
  channels: ChannelStats[];
}

export interface Contact {
  id: string;
  name: string;
  phone: string;
  email: string;
  locale: string;
  timezone: string;
  opted_out: OptOuts;
  quiet_hours: QuietHours | null;
  groups: string[];
}

/** What `PUT /api/v1/notifier/contacts/{recipient}` takes. */
export type ContactInput = Pick<Contact, "name" | "phone" | "email" | "locale" | "timezone" | "groups">;

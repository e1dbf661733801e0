/** The message center's back-office requests. */
import { api } from "../../hub";
import type {
  Contact,
  ContactInput,
  Delivery,
  DeliveryPage,
  DeliveryQuery,
  Kind,
  NotifierStats,
  Preview,
  Rule,
  Template,
  TemplateDraft,
  Timeline,
} from "./types";

const BASE = "/api/v1/notifier";
const part = encodeURIComponent;

export function listKinds(): Promise<Kind[]> {
  return api<Kind[]>("GET", `${BASE}/kinds`);
}

export function saveKind(kind: Kind): Promise<Kind> {
  return api<Kind>("PUT", `${BASE}/kinds/${part(kind.id)}`, kind);
}

export function listTemplates(): Promise<Template[]> {
  return api<Template[]>("GET", `${BASE}/templates`);
}

export function templateVersions(kind: string, channel: string, locale: string): Promise<Template[]> {
  return api<Template[]>("GET", `${BASE}/templates/${part(kind)}/${part(channel)}/${part(locale)}`);
}

export function saveTemplate(draft: TemplateDraft): Promise<Template> {
  return api<Template>("POST", `${BASE}/templates`, draft);
}

export function previewTemplate(draft: TemplateDraft, data: Record<string, unknown>): Promise<Preview> {
  return api<Preview>("POST", `${BASE}/templates/preview`, { ...draft, data });
}

export function listRules(): Promise<Rule[]> {
  return api<Rule[]>("GET", `${BASE}/rules`);
}

export function saveRule(rule: Rule): Promise<Rule> {
  return api<Rule>("PUT", `${BASE}/rules/${part(rule.id)}`, rule);
}

export function deleteRule(ruleId: string): Promise<unknown> {
  return api<unknown>("DELETE", `${BASE}/rules/${part(ruleId)}`);
}

/** The search's query string: only the filters that are set. */
export function deliveryParams(query: DeliveryQuery): string {
  const params = new URLSearchParams();
  for (const key of ["recipient", "kind", "channel", "state", "since", "until"] as const) {
    const value = query[key].trim();
    if (value) params.set(key, value);
  }
  params.set("limit", String(query.limit));
  if (query.skip > 0) params.set("skip", String(query.skip));
  return params.toString();
}

/** Deliveries found, with their recipients' names (张三 rather than citizen:…). */
export function searchDeliveries(query: DeliveryQuery): Promise<DeliveryPage> {
  return api<DeliveryPage>("GET", `${BASE}/messages?${deliveryParams(query)}`);
}

export function deadLetters(limit: number, skip: number): Promise<DeliveryPage> {
  return api<DeliveryPage>("GET", `${BASE}/dead-letters?limit=${limit}&skip=${skip}`);
}

export function messageTimeline(messageId: string): Promise<Timeline> {
  return api<Timeline>("GET", `${BASE}/messages/${part(messageId)}`);
}

export function resendDelivery(deliveryId: string): Promise<Delivery> {
  return api<Delivery>("POST", `${BASE}/deliveries/${part(deliveryId)}/resend`);
}

export function loadNotifierStats(days: number): Promise<NotifierStats> {
  return api<NotifierStats>("GET", `${BASE}/stats?days=${days}`);
}

/** People by name, some digits of their phone, or their recipient id. */
export async function findContacts(text: string): Promise<Contact[]> {
  const answer = await api<{ contacts: Contact[] }>("GET", `${BASE}/contacts?q=${part(text)}`);
  return answer.contacts;
}

export function loadContact(recipient: string): Promise<Contact> {
  return api<Contact>("GET", `${BASE}/contacts/${part(recipient)}`);
}

export function saveContact(recipient: string, contact: ContactInput): Promise<Contact> {
  return api<Contact>("PUT", `${BASE}/contacts/${part(recipient)}`, contact);
}

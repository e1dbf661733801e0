/** Contacts as the back office edits them. Pure. */
import { shortTime, type OptOuts, type QuietHours } from "@hallhub/client";
import { t } from "../../i18n";
import { channelText, kindTitle } from "./deliveries";
import type { Contact, ContactInput, Kind } from "./types";

const RECIPIENT_ID = /^(citizen|user):[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isRecipientId(value: string): boolean {
  return RECIPIENT_ID.test(value);
}

export function blankContact(): ContactInput {
  return { name: "", phone: "", email: "", locale: "zh-CN", timezone: "Asia/Shanghai", groups: [] };
}

export function contactInput(contact: Contact): ContactInput {
  const { name, phone, email, locale, timezone, groups } = contact;
  return { name, phone, email, locale, timezone, groups: [...groups] };
}

/** The form as sent: trimmed, groups once each. */
export function cleanContact(input: ContactInput): ContactInput {
  return {
    name: input.name.trim(),
    phone: input.phone.trim(),
    email: input.email.trim(),
    locale: input.locale.trim() || "zh-CN",
    timezone: input.timezone.trim() || "Asia/Shanghai",
    groups: [...new Set(input.groups.map((g) => g.trim()).filter(Boolean))],
  };
}

/** "即将叫号提醒：短信、邮件；通知公告：短信", or the "all" text. */
export function optOutText(optedOut: OptOuts, kinds: readonly Kind[]): string {
  const parts = Object.entries(optedOut)
    .filter(([, channels]) => channels.length > 0)
    .map(([kind, channels]) => `${kind === "*" ? t.admin.notifier.messages.all : kindTitle(kinds, kind)}：${channels.map(channelText).join("、")}`);
  return parts.length > 0 ? parts.join("；") : t.admin.notifier.contacts.optedOutNone;
}

export function quietText(quiet: QuietHours | null): string {
  return quiet ? `${shortTime(quiet.start)}–${shortTime(quiet.end)}` : t.admin.notifier.contacts.quietHoursNone;
}

/** Deliveries as the back office shows them. Pure. */
import { formatClock, formatDateTime } from "@hallhub/client";
import { t } from "../../i18n";
import type { Attempt, Delivery, DeliveryQuery, DeliveryState, Kind } from "./types";

export type TagType = "success" | "warning" | "danger" | "info" | "primary";

const STATE_TAGS: Record<DeliveryState, TagType> = {
  queued: "warning",
  sent: "primary",
  delivered: "success",
  failed: "danger",
  suppressed: "info",
};

export function stateTag(state: string): TagType {
  return STATE_TAGS[state as DeliveryState] ?? "info";
}

export function stateText(state: string): string {
  return t.admin.notifier.states[state] ?? state;
}

export function channelText(channel: string): string {
  return t.admin.notifier.channels[channel] ?? channel;
}

export function outcomeTag(outcome: Attempt["outcome"]): TagType {
  if (outcome === "sent") return "success";
  if (outcome === "temporary") return "warning";
  if (outcome === "permanent") return "danger";
  return "info";
}

export function outcomeText(outcome: Attempt["outcome"]): string {
  return t.admin.notifier.outcomes[outcome ?? "unknown"] ?? String(outcome);
}

/** A kind's title ("叫号通知"), else its id. */
export function kindTitle(kinds: readonly Kind[], kind: string): string {
  return kinds.find((k) => k.id === kind)?.title ?? kind;
}

/** "2026-11-26 13:18:05" in the halls' time zone; "—" without a time. */
export function stamp(moment: string | null | undefined): string {
  if (!moment) return t.staffUi.empty;
  const day = formatDateTime(moment);
  return day ? `${day.slice(0, 10)} ${formatClock(moment)}` : t.staffUi.empty;
}

/** Where a message came from: a sending rule (an event), or another system's request. */
export function sourceText(source: string): string {
  const s = t.admin.notifier.timeline.sources;
  if (source.startsWith("event:")) return s.event;
  if (source.startsWith("api:")) return s.api;
  return s.other;
}

const HAS_CHINESE = /[\u4e00-\u9fff]/;

/** Why a delivery is as it is, for hall staff: the center's own Chinese reasons, without the
 * ids some carry; a provider's English error or receipt said in Chinese (its detail stays in
 * the delivery's timeline). */
export function reasonText(delivery: Pick<Delivery, "reason" | "receipt">): string {
  const r = t.admin.notifier.reasons;
  const reason = delivery.reason.trim();
  if (reason.startsWith("重发自")) return r.resent;
  if (reason.startsWith("合并发送")) return r.digested;
  if (reason === "permanent") return r.permanent;
  if (reason) return HAS_CHINESE.test(reason) ? reason : r.provider;
  const receipt = delivery.receipt.trim();
  if (receipt) return r.receipts[receipt] ?? r.provider;
  return t.staffUi.empty;
}

export interface DeliveryFilters {
  recipient: string;
  kind: string;
  channel: DeliveryQuery["channel"];
  state: DeliveryQuery["state"];
  /** [from, to] as picked (Date objects), or null. */
  range: [Date, Date] | null;
}

export function blankFilters(): DeliveryFilters {
  return { recipient: "", kind: "", channel: "", state: "", range: null };
}

/** The search for a page of the results (`size` a page). */
export function deliveryQuery(filters: DeliveryFilters, page: number, size: number): DeliveryQuery {
  const [from, to] = filters.range ?? [null, null];
  return {
    recipient: filters.recipient.trim(),
    kind: filters.kind,
    channel: filters.channel,
    state: filters.state,
    since: from ? from.toISOString() : "",
    until: to ? to.toISOString() : "",
    limit: size,
    skip: Math.max(0, page - 1) * size,
  };
}

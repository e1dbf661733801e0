/** How the rtc screens write durations, times and counts down. */
import { fmt, formatClock, formatDateTime, toHubError } from "@hallhub/client";
import { staffErrorText } from "../staff/errors";
import { rt } from "./text";

/** Whole seconds from `since` (ISO) to `nowMs`; 0 when `since` is missing or in the future. */
export function secondsSince(since: string | null | undefined, nowMs: number): number {
  if (!since) return 0;
  const start = Date.parse(since);
  if (!Number.isFinite(start)) return 0;
  return Math.max(0, Math.floor((nowMs - start) / 1000));
}

/** How long an agent has to accept an offer (rtc/domain.py OFFER_SECONDS; docs/rtc.md). */
export const OFFER_SECONDS = 20;

/** Whole seconds left until `deadline` (ISO), rounded up, never below 0 nor above `most`. */
export function secondsLeft(deadline: string | null | undefined, nowMs: number, most = Number.POSITIVE_INFINITY): number {
  if (!deadline) return 0;
  const end = Date.parse(deadline);
  if (!Number.isFinite(end)) return 0;
  return Math.min(most, Math.max(0, Math.ceil((end - nowMs) / 1000)));
}

/** What part of an offer's time is left (1 → 0), for a progress ring. */
export function fractionLeft(deadline: string | null | undefined, nowMs: number, totalSeconds = OFFER_SECONDS): number {
  if (!deadline) return 0;
  const end = Date.parse(deadline);
  if (!Number.isFinite(end) || totalSeconds <= 0) return 0;
  return Math.min(1, Math.max(0, (end - nowMs) / (totalSeconds * 1000)));
}

/** "45秒", "3分05秒", "1小时02分"; "—" when unknown. */
export function durationText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return rt.empty;
  const whole = Math.floor(seconds);
  if (whole < 60) return fmt(rt.seconds, { s: whole });
  if (whole < 3600) {
    return fmt(rt.minutesSeconds, { m: Math.floor(whole / 60), s: String(whole % 60).padStart(2, "0") });
  }
  return fmt(rt.hoursMinutes, { h: Math.floor(whole / 3600), m: String(Math.floor((whole % 3600) / 60)).padStart(2, "0") });
}

/** "12:05:09" in the halls' time zone; "—" without a time. */
export function clockText(moment: string | null | undefined): string {
  return moment ? formatClock(moment) : rt.empty;
}

/** "2026-11-26 12:05"; "—" without a time. */
export function stampText(moment: string | null | undefined): string {
  return moment ? formatDateTime(moment) : rt.empty;
}

/** Seconds between two ISO moments (null when either is missing). */
export function secondsBetween(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
  return Math.max(0, (b - a) / 1000);
}

/** When this agent's part of the call began: the answer, or the latest transfer after it (the
 * hub keeps the first answer time across transfers). */
export function talkSince(session: { answered_at: string | null; transfers: readonly { at: string }[] }): string | null {
  let since = session.answered_at;
  for (const transfer of session.transfers) {
    if (since === null || transfer.at > since) since = transfer.at;
  }
  return since;
}

/** What to tell a person about a failed rtc request (the rtc codes first, then the staff ones). */
export function rtcErrorText(thrown: unknown): string {
  const error = toHubError(thrown);
  const own = rt.errors[error.code];
  if (own !== undefined) return own;
  return staffErrorText(error);
}

/** A person's message preferences (`GET|PUT /api/v1/notifier/preferences`): which kinds they
 * do not want on which channels, and quiet hours. Pure: no I/O. */

export type NotifierChannel = "in_app" | "sms" | "email";

/** A kind of message; `sample` is the data previews render with. */
export interface NotifierKind {
  id: string;
  title: string;
  /** Critical kinds ignore opt-outs and quiet hours. */
  critical: boolean;
  sample: Record<string, unknown>;
}

/** "21:00:00"–"08:00:00"; a start after the end spans midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

/** kind → the channels the person does not want it on. */
export type OptOuts = Record<string, NotifierChannel[]>;

export interface Preferences {
  opted_out: OptOuts;
  quiet_hours: QuietHours | null;
}

/** `GET /api/v1/notifier/preferences`. */
export interface PreferencesView extends Preferences {
  kinds: NotifierKind[];
}

/** The channels a person may switch off (in-app messages always arrive). */
export const OPTIONAL_CHANNELS: readonly NotifierChannel[] = ["sms", "email"];

/** The quiet hours a switch turns on first. */
export const DEFAULT_QUIET_HOURS: QuietHours = { start: "21:00:00", end: "08:00:00" };

/** True when the person gets `kind` on `channel` (a critical kind always). */
export function wants(prefs: Preferences, kind: NotifierKind, channel: NotifierChannel): boolean {
  if (kind.critical) return true;
  return !(prefs.opted_out[kind.id] ?? []).includes(channel);
}

/** The opt-outs with `channel` of `kind` switched on or off (a kind with none left is dropped). */
export function withChannel(optedOut: OptOuts, kindId: string, channel: NotifierChannel, on: boolean): OptOuts {
  const current = optedOut[kindId] ?? [];
  const next = on ? current.filter((c) => c !== channel) : [...new Set([...current, channel])];
  const out: OptOuts = { ...optedOut };
  if (next.length === 0) delete out[kindId];
  else out[kindId] = next;
  return out;
}

/** The kinds whose switches are shown (not the critical ones, which cannot be turned off). */
export function optionalKinds(kinds: readonly NotifierKind[]): NotifierKind[] {
  return kinds.filter((kind) => !kind.critical);
}

/** What `PUT /api/v1/notifier/preferences` takes: opt-outs of kinds that exist and are not
 * critical, on channels that can be switched off. */
export function preferencesBody(prefs: Preferences, kinds: readonly NotifierKind[]): Preferences {
  const allowed = new Set(optionalKinds(kinds).map((kind) => kind.id));
  const optedOut: OptOuts = {};
  for (const [kindId, channels] of Object.entries(prefs.opted_out)) {
    const kept = channels.filter((c) => OPTIONAL_CHANNELS.includes(c));
    if (allowed.has(kindId) && kept.length > 0) optedOut[kindId] = [...new Set(kept)];
  }
  return { opted_out: optedOut, quiet_hours: prefs.quiet_hours };
}

/** "21:00" of "21:00:00". */
export function shortTime(time: string): string {
  return /^\d{1,2}:\d{2}/.exec(time)?.[0]?.padStart(5, "0") ?? time;
}

/** "21:00:00" of an hour and a minute ("21", "00"). */
export function clockTime(hour: string, minute: string): string {
  return `${hour.padStart(2, "0")}:${minute.padStart(2, "0")}:00`;
}

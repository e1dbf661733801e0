/** The inbox's requests: over the socket when it is up (answered in order with the events),
 * else over REST. */
import type { HubClient } from "./client";
import type { InboxList, InboxMarked, InboxState } from "./inbox";
import type { Preferences, PreferencesView } from "./preferences";
import type { Api } from "./rest";

const INBOX = "/api/v1/notifier/inbox";
const PREFERENCES = "/api/v1/notifier/preferences";

export interface InboxQuery {
  state?: InboxState;
  limit?: number;
  /** Older than this (ISO 8601): the next page. */
  before?: string;
}

export function loadInbox(api: Api, query: InboxQuery = {}): Promise<InboxList> {
  const params = new URLSearchParams();
  if (query.state) params.set("state", query.state);
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  if (query.before) params.set("before", query.before);
  const search = params.toString();
  return api<InboxList>("GET", search ? `${INBOX}?${search}` : INBOX);
}

const COMMANDS: Partial<Record<InboxState, string>> = {
  read: "notifier.mark_read",
  archived: "notifier.archive",
};

const PATHS: Record<InboxState, string> = { read: "read", unread: "unread", archived: "archive" };

/** Mark one item read, unread or archived. */
export function markInbox(client: HubClient, api: Api, itemId: string, state: InboxState): Promise<InboxMarked> {
  const command = COMMANDS[state];
  if (command !== undefined && client.state === "online") {
    return client.command<InboxMarked>(command, { item_id: itemId });
  }
  return api<InboxMarked>("POST", `${INBOX}/${encodeURIComponent(itemId)}/${PATHS[state]}`);
}

/** Mark every unread item read. */
export function readAllInbox(api: Api): Promise<InboxMarked> {
  return api<InboxMarked>("POST", `${INBOX}/read-all`);
}

export function loadPreferences(api: Api): Promise<PreferencesView> {
  return api<PreferencesView>("GET", PREFERENCES);
}

export function savePreferences(api: Api, preferences: Preferences): Promise<Preferences> {
  return api<Preferences>("PUT", PREFERENCES, preferences);
}

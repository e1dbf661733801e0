/** Running the clerk's actions: one at a time, errors as Chinese messages. The events of a
 * change update the screen; a snapshot is loaded after an action only when they cannot (the
 * socket is down and the action went over REST) or a refusal says the screen was wrong. */
import { AUTH_REFUSAL_CODES, fmt, toHubError, type HubClient } from "@hallhub/client";
import { shallowRef, type ShallowRef } from "vue";
import { t } from "../i18n";
import { staffErrorText } from "../staff/errors";
import { counterAction } from "./api";
import type { DeskFeed } from "./useDeskFeed";

/** Refusals that mean the screen showed something the hub no longer holds. */
const STALE_SCREEN: ReadonlySet<string> = new Set([
  "COUNTER_BUSY",
  "NO_CURRENT_TICKET",
  "NOT_YOUR_COUNTER",
  "TICKET_NOT_FOUND",
  "INVALID_TRANSITION",
  "CONCURRENT_CHANGE",
  "NO_TICKET_WAITING",
]);

export interface DeskActions {
  /** The action in flight, or null. */
  busy: ShallowRef<string | null>;
  /** The latest error as people read it ("" after a success). */
  error: ShallowRef<string>;
  /** The latest success ("已呼叫 A003"). */
  done: ShallowRef<string>;
  /** Send `queueing.<name>`; answers whether it succeeded. */
  send(name: string, payload?: Record<string, unknown>): Promise<boolean>;
  /** Show why something cannot be done, without asking the hub. */
  refuse(message: string): void;
  /** Show something done outside the counter actions (a check-in). */
  report(message: string): void;
}

export interface DeskActionOptions {
  client: HubClient;
  hallId: string;
  counterId: string;
  feed: DeskFeed;
  /** The hub no longer accepts the token. */
  onSignedOut: () => void;
}

export function useDeskActions(options: DeskActionOptions): DeskActions {
  const busy = shallowRef<string | null>(null);
  const error = shallowRef("");
  const done = shallowRef("");

  const send = async (name: string, payload: Record<string, unknown> = {}): Promise<boolean> => {
    if (busy.value !== null) return false;
    busy.value = name;
    let answer: Awaited<ReturnType<typeof counterAction>>;
    try {
      answer = await counterAction(options.client, options.hallId, options.counterId, name, payload);
    } catch (thrown) {
      busy.value = null;
      const failure = toHubError(thrown);
      done.value = "";
      error.value = staffErrorText(failure);
      if (failure.status === 401 || AUTH_REFUSAL_CODES.has(failure.code)) options.onSignedOut();
      // The screen disagreed with the hub (COUNTER_BUSY, NO_CURRENT_TICKET, …): show the truth.
      else if (STALE_SCREEN.has(failure.code)) options.feed.reload().catch(() => undefined);
      return false;
    }
    // Answered: free for the next key at once (F2 then F5 in quick succession); the change's
    // events follow on their own.
    busy.value = null;
    error.value = "";
    const template = t.workstation.done[name];
    done.value = template ? fmt(template, { number: answer.number ?? "" }) : "";
    if (options.client.state !== "online") await options.feed.reload().catch(() => undefined);
    return true;
  };

  const refuse = (message: string): void => {
    done.value = "";
    error.value = message;
  };

  const report = (message: string): void => {
    error.value = "";
    done.value = message;
  };

  return { busy, error, done, send, refuse, report };
}

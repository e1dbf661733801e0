/** Running the clerk's actions: one at a time, errors as Chinese messages, the snapshot
 * reloaded after every answer (at once on success, soon on a refusal). */
import { AUTH_REFUSAL_CODES, fmt, toHubError, type HubClient } from "@hallhub/client";
import { shallowRef, type ShallowRef } from "vue";
import { t } from "../i18n";
import { staffErrorText } from "../staff/errors";
import { counterAction } from "./api";
import type { DeskFeed } from "./useDeskFeed";

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
      // The screen was out of date (CONCURRENT_CHANGE, COUNTER_BUSY, …): show the truth.
      else if (failure.code !== "OFFLINE") options.feed.scheduleReload();
      return false;
    }
    // Answered: free for the next key at once (F2 then F5 in quick succession); the fresh
    // snapshot follows on its own.
    busy.value = null;
    error.value = "";
    const template = t.workstation.done[name];
    done.value = template ? fmt(template, { number: answer.number ?? "" }) : "";
    await options.feed.reload().catch(() => undefined);
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

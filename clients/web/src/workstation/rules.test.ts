import { describe, expect, it } from "vitest";
import {
  ACTIONS,
  HOTKEY_OF,
  actionState,
  buttonsFor,
  actionStates,
  callsNeeded,
  decideKey,
  hotkeyAction,
  isHotkey,
  pauseReason,
  requeueState,
  transferTarget,
  type DeskState,
  type KeyPress,
} from "./rules";

const open: DeskState = { status: "open", current: null, waiting: 3, selected: false, noShowMinCalls: 2 };
const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({
  key,
  repeat: false,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  shiftKey: false,
  ...extra,
});

function enabled(state: DeskState): string[] {
  const states = actionStates(state);
  return ACTIONS.filter((a) => states[a].enabled);
}

describe("hotkeys", () => {
  it("maps F1–F8 to the actions, F7 by the counter's status", () => {
    expect(hotkeyAction("F1", "open")).toBe("call_next");
    expect(hotkeyAction("F2", "open")).toBe("recall");
    expect(hotkeyAction("F3", "open")).toBe("start");
    expect(hotkeyAction("F4", "open")).toBe("finish");
    expect(hotkeyAction("F5", "open")).toBe("no_show");
    expect(hotkeyAction("F6", "open")).toBe("transfer");
    expect(hotkeyAction("F7", "open")).toBe("pause");
    expect(hotkeyAction("F7", "paused")).toBe("resume");
    expect(hotkeyAction("F8", "open")).toBe("call_ticket");
    expect(hotkeyAction("F9", "open")).toBe("check_in");
    expect(hotkeyAction("F9", "closed")).toBe("check_in");
    expect(hotkeyAction("F10", "open")).toBe("park");
    expect(hotkeyAction("F11", "open")).toBeNull();
    expect(hotkeyAction("Enter", "open")).toBeNull();
  });

  it("shows on each button the key that runs it: every action has one (挂起 F10)", () => {
    for (const action of ACTIONS) {
      const key = HOTKEY_OF[action];
      expect([hotkeyAction(key, "open"), hotkeyAction(key, "paused")]).toContain(action);
    }
    expect(HOTKEY_OF.park).toBe("F10");
    expect(isHotkey("F10")).toBe(true);
  });

  it("has one F7 button: 暂停服务 on an open counter, 恢复服务 on a paused one", () => {
    const open = buttonsFor("open");
    const paused = buttonsFor("paused");
    expect(open.filter((a) => HOTKEY_OF[a] === "F7")).toEqual(["pause"]);
    expect(paused.filter((a) => HOTKEY_OF[a] === "F7")).toEqual(["resume"]);
    expect(open.indexOf("pause")).toBe(paused.indexOf("resume"));
    expect(new Set(open.map((a) => HOTKEY_OF[a])).size).toBe(open.length);
  });

  it("keeps every F1–F8 from the browser, even when it does nothing", () => {
    expect(isHotkey("F5")).toBe(true);
    expect(decideKey(press("F5"), "open", false)).toEqual({ prevent: true, action: "no_show" });
    expect(decideKey(press("F5"), "open", true)).toEqual({ prevent: true, action: null });
    expect(decideKey(press("F5", { ctrlKey: true }), "open", false)).toEqual({ prevent: true, action: null });
    expect(decideKey(press("F1", { repeat: true }), "open", false)).toEqual({ prevent: true, action: null });
  });

  it("opens the check-in with F9 (kept from the browser, not while a dialog is open)", () => {
    expect(isHotkey("F9")).toBe(true);
    expect(decideKey(press("F9"), "paused", false)).toEqual({ prevent: true, action: "check_in" });
    expect(decideKey(press("F9"), "open", true)).toEqual({ prevent: true, action: null });
  });

  it("leaves other keys alone", () => {
    expect(decideKey(press("a"), "open", false)).toEqual({ prevent: false, action: null });
    expect(decideKey(press("F12"), "open", false)).toEqual({ prevent: false, action: null });
  });
});

describe("which actions make sense", () => {
  it("a closed counter can do nothing", () => {
    expect(enabled({ ...open, status: "closed" })).toEqual([]);
    expect(actionState("call_next", { ...open, status: "closed" }).reason).toBe("COUNTER_CLOSED");
  });

  it("a free open counter calls and pauses", () => {
    expect(enabled(open)).toEqual(["call_next", "pause"]);
    expect(enabled({ ...open, selected: true })).toEqual(["call_next", "pause", "call_ticket"]);
    expect(actionState("call_ticket", open).reason).toBe("NO_SELECTION");
    expect(actionState("finish", open).reason).toBe("NO_CURRENT_TICKET");
    expect(actionState("resume", open).reason).toBe("NOT_PAUSED");
  });

  it("an empty queue has no one to call", () => {
    expect(actionState("call_next", { ...open, waiting: 0 })).toMatchObject({ enabled: false, reason: "NO_TICKET_WAITING" });
  });

  it("a paused counter only resumes", () => {
    const paused: DeskState = { ...open, status: "paused", selected: true };
    expect(enabled(paused)).toEqual(["resume"]);
    expect(actionState("call_next", paused).reason).toBe("COUNTER_PAUSED");
  });

  it("a called ticket: recall, start, finish, transfer, park; no-show after enough calls", () => {
    const called: DeskState = { ...open, current: { status: "called", call_count: 1 } };
    expect(enabled(called)).toEqual(["recall", "start", "finish", "transfer", "park"]);
    expect(actionState("no_show", called)).toEqual({
      enabled: false,
      reason: "TOO_FEW_CALLS",
      values: { calls: 1, needed: 2 },
    });
    expect(actionState("call_next", called).reason).toBe("COUNTER_BUSY");
    expect(actionState("pause", called).reason).toBe("COUNTER_BUSY");
    const twice: DeskState = { ...called, current: { status: "called", call_count: 2 } };
    expect(enabled(twice)).toContain("no_show");
  });

  it("a ticket being served: finish, transfer, park", () => {
    const serving: DeskState = { ...open, current: { status: "serving", call_count: 3 } };
    expect(enabled(serving)).toEqual(["finish", "transfer", "park"]);
    expect(actionState("recall", serving).reason).toBe("NOT_CALLED");
    expect(actionState("no_show", serving).reason).toBe("NOT_CALLED");
  });

  it("puts a no-show back in the queue as often as the hall allows", () => {
    expect(requeueState({ requeued: 0 }, 1, "open")).toEqual({ enabled: true, reason: null, values: {} });
    expect(requeueState({ requeued: 0 }, 1, "paused").enabled).toBe(true);
    expect(requeueState({ requeued: 1 }, 1, "open")).toEqual({ enabled: false, reason: "REQUEUE_LIMIT", values: { limit: 1 } });
    expect(requeueState({ requeued: 0 }, 0, "open").reason).toBe("REQUEUE_OFF");
    expect(requeueState({ requeued: 0 }, 2, "closed").reason).toBe("COUNTER_CLOSED");
  });

  it("counts the calls still needed for a no-show", () => {
    expect(callsNeeded(null, 2)).toBe(0);
    expect(callsNeeded({ call_count: 1 }, 3)).toBe(2);
    expect(callsNeeded({ call_count: 4 }, 3)).toBe(0);
  });
});

describe("dialogs", () => {
  it("composes the pause reason", () => {
    expect(pauseReason("午休", "", "其他")).toBe("午休");
    expect(pauseReason("午休", " 13:30 回来 ", "其他")).toBe("午休：13:30 回来");
    expect(pauseReason("其他", "培训", "其他")).toBe("培训");
    expect(pauseReason("其他", "  ", "其他")).toBeNull();
    expect(pauseReason("业务咨询", "x".repeat(100), "其他")?.length).toBe(60);
  });

  it("sends exactly one transfer target", () => {
    expect(transferTarget("service", "huji", "w2")).toEqual({ service_id: "huji" });
    expect(transferTarget("counter", "huji", "w2")).toEqual({ to_counter_id: "w2" });
    expect(transferTarget("service", "", "w2")).toBeNull();
    expect(transferTarget("counter", "huji", "")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import {
  clockTime,
  optionalKinds,
  preferencesBody,
  shortTime,
  wants,
  withChannel,
  type NotifierKind,
} from "../src/preferences";

const near: NotifierKind = { id: "ticket_near", title: "即将叫号提醒", critical: false, sample: {} };
const called: NotifierKind = { id: "ticket_called", title: "叫号通知", critical: true, sample: {} };

describe("preferences", () => {
  it("switches a channel of a kind off and on again", () => {
    const off = withChannel({}, "ticket_near", "sms", false);
    expect(off).toEqual({ ticket_near: ["sms"] });
    expect(withChannel(off, "ticket_near", "sms", false)).toEqual({ ticket_near: ["sms"] });
    const both = withChannel(off, "ticket_near", "email", false);
    expect(both).toEqual({ ticket_near: ["sms", "email"] });
    expect(withChannel(withChannel(both, "ticket_near", "sms", true), "ticket_near", "email", true)).toEqual({});
  });

  it("tells what a person gets; critical kinds always", () => {
    const prefs = { opted_out: { ticket_near: ["sms" as const], ticket_called: ["sms" as const] }, quiet_hours: null };
    expect(wants(prefs, near, "sms")).toBe(false);
    expect(wants(prefs, near, "email")).toBe(true);
    expect(wants(prefs, called, "sms")).toBe(true);
    expect(optionalKinds([near, called])).toEqual([near]);
  });

  it("sends only opt-outs that can hold", () => {
    const body = preferencesBody(
      {
        opted_out: { ticket_near: ["sms", "in_app"], ticket_called: ["sms"], gone: ["email"] },
        quiet_hours: { start: "21:00:00", end: "08:00:00" },
      },
      [near, called],
    );
    expect(body).toEqual({ opted_out: { ticket_near: ["sms"] }, quiet_hours: { start: "21:00:00", end: "08:00:00" } });
  });

  it("writes times both ways", () => {
    expect(shortTime("21:00:00")).toBe("21:00");
    expect(shortTime("8:30")).toBe("08:30");
    expect(clockTime("8", "5")).toBe("08:05:00");
  });
});

import { describe, expect, it } from "vitest";
import { checkInPhase, checkInWindowParts } from "../src/appointments";

const window = { checkin_from: "2026-11-27T01:00:00Z", checkin_until: "2026-11-27T01:45:00Z" };

describe("a booking's check-in window (the hub's, from its plan's setting)", () => {
  it("is in the hall's time zone, for any screen to put in its words", () => {
    expect(checkInWindowParts(window)).toEqual({ day: "2026-11-27", from: "09:00", until: "09:45", untilDay: "2026-11-27" });
    expect(checkInWindowParts({ checkin_from: "2026-11-27T15:45:00Z", checkin_until: "2026-11-27T16:15:00Z" })).toEqual({
      day: "2026-11-27",
      from: "23:45",
      until: "00:15",
      untilDay: "2026-11-28",
    });
  });

  it("says whether check-in is not open yet, open, or past", () => {
    expect(checkInPhase(window, new Date("2026-11-27T00:59:59Z"))).toBe("early");
    expect(checkInPhase(window, new Date("2026-11-27T01:00:00Z"))).toBe("open");
    expect(checkInPhase(window, new Date("2026-11-27T01:45:00Z"))).toBe("open");
    expect(checkInPhase(window, new Date("2026-11-27T01:45:01Z"))).toBe("late");
  });
});

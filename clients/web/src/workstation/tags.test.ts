import { describe, expect, it } from "vitest";
import { ticketTags } from "./tags";

describe("ticket tags", () => {
  it("names every priority tag in Chinese", () => {
    const tags = ticketTags({ tags: ["elderly", "disabled", "pregnant", "military", "green_channel"], appointment: null });
    expect(tags.map((tag) => tag.label)).toEqual(["老年人", "残疾人", "孕妇", "军人", "绿色通道"]);
    expect(new Set(tags.map((tag) => tag.color)).size).toBe(5);
  });

  it("shows an appointment with its slot in the hall's time", () => {
    const tags = ticketTags(
      { tags: [], appointment: { slot_start: "2026-11-26T01:00:00Z", slot_end: "2026-11-26T01:30:00Z" } },
      "Asia/Shanghai",
    );
    expect(tags).toEqual([{ key: "appointment", label: "预约 09:00–09:30", color: "#7c3aed" }]);
  });

  it("marks a no-show put back in the queue", () => {
    const [tag] = ticketTags({ tags: [], appointment: null, requeued: 1 });
    expect(tag?.label).toBe("过号重排");
  });
});

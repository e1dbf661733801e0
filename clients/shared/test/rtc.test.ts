import { describe, expect, it } from "vitest";
import { mergeChat, type ChatMessage } from "../src/rtc";

const message = (id: string, at: string, text = ""): ChatMessage => ({
  id,
  at,
  sender: "citizen",
  sender_name: "张*",
  text,
  image_id: null,
  image_type: null,
});

describe("mergeChat", () => {
  it("keeps each message once, in order of time, the first copy kept", () => {
    const first = [message("c", "2026-11-26T03:00:03Z")];
    const merged = mergeChat(first, [
      message("b", "2026-11-26T03:00:02Z"),
      null,
      message("a", "2026-11-26T03:00:01Z"),
      message("b", "2026-11-26T03:00:02Z", "again"),
    ]);
    expect(merged.map((m) => m.id)).toEqual(["a", "b", "c"]);
    expect(merged[1]!.text).toBe("");
    expect(mergeChat(merged, [message("c", "x", "changed"), undefined])).toBe(merged);
  });
});

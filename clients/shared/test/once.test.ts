import { describe, expect, it } from "vitest";
import { HubError } from "../src/errors";
import { newRequestId, sendOnce } from "../src/once";

const noSleep = { sleep: async () => undefined };

describe("sendOnce", () => {
  it("sends the same request id again after failures a retry mends", async () => {
    const ids: string[] = [];
    const answers = [new HubError("OFFLINE", "x"), new HubError("STORE_UNAVAILABLE", "x"), new HubError("REQUEST_IN_PROGRESS", "x")];
    const made = await sendOnce(async (id) => {
      ids.push(id);
      const next = answers.shift();
      if (next) throw next;
      return "A0007";
    }, noSleep);
    expect(made).toBe("A0007");
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("stops at a refusal a retry will not mend, and after its attempts", async () => {
    let sent = 0;
    const refused = sendOnce(async () => {
      sent += 1;
      throw new HubError("DAILY_CAP_REACHED", "今日号已取完");
    }, noSleep);
    await expect(refused).rejects.toMatchObject({ code: "DAILY_CAP_REACHED" });
    expect(sent).toBe(1);
    sent = 0;
    const down = sendOnce(async () => {
      sent += 1;
      throw new HubError("NODE_SHUTTING_DOWN", "x");
    }, { ...noSleep, attempts: 3 });
    await expect(down).rejects.toMatchObject({ code: "NODE_SHUTTING_DOWN" });
    expect(sent).toBe(3);
  });

  it("makes a new id per action", () => {
    expect(newRequestId()).not.toBe(newRequestId());
  });
});

import { describe, expect, it } from "vitest";
import vectors from "../../../../tests/queueing/calling_order.json";
import { callingOrder, type CallingPolicy, type Orderable } from "./callingOrder";

interface Vector {
  name: string;
  policy: CallingPolicy;
  counter: { counter_id: string; weights: Record<string, number> };
  normal_streak: number;
  now: string;
  tickets: Orderable[];
  order: string[];
}

// The same cases run against the hub's own policy (tests/queueing/test_calling_order.py): the
// workstation lists tickets in exactly the order F1 will call them.
describe("the calling order agrees with the hub's", () => {
  for (const v of vectors as Vector[]) {
    it(v.name, () => {
      const order = callingOrder(v.tickets, v.counter, v.normal_streak, v.policy, Date.parse(v.now));
      expect(order.map((t) => t.ticket_id)).toEqual(v.order);
    });
  }

  it("whatever order the tickets come in", () => {
    for (const v of vectors as Vector[]) {
      const reversed = [...v.tickets].reverse();
      expect(callingOrder(reversed, v.counter, v.normal_streak, v.policy, Date.parse(v.now)).map((t) => t.ticket_id)).toEqual(v.order);
    }
  });
});

import { localDay, type Appointment, type Envelope } from "@hallhub/client";
import { describe, expect, it } from "vitest";
import {
  applyAvailabilityEvent,
  availabilityOf,
  bookable,
  changeable,
  chosenAfterChange,
  hallOfCode,
  idNumberProblem,
  laterBookings,
  mineForList,
  normalizeIdNumber,
  slotState,
  todaysBookings,
  validIdNumber,
  validPhone,
  type DaySlots,
  type Slot,
} from "../src/appointments/model";

function slot(id: string, extra: Partial<Slot> = {}): Slot {
  return {
    id: `xc-01:huji:${id}`,
    start: "2026-11-27T01:00:00Z",
    end: "2026-11-27T01:30:00Z",
    free: 2,
    capacity: 3,
    state: "open",
    opens_at: null,
    ...extra,
  };
}

function day(slots: Slot[], extra: Partial<DaySlots> = {}): DaySlots {
  return {
    hall_id: "xc-01",
    service_id: "huji",
    day: "2026-11-27",
    working_day: true,
    opens_at: "2026-11-20T08:00:00+08:00",
    slots,
    ...extra,
  };
}

function event(type: string, data: Record<string, unknown>, seq = 7): Envelope {
  return { type, topic: "hall:xc-01", seq, ts: "2026-11-26T03:00:00Z", data, ctx: "c" };
}

function booking(extra: Partial<Appointment> = {}): Appointment {
  return {
    id: "a1",
    code: "Y0001",
    code_text: "11月27日 Y0001",
    hall_id: "xc-01",
    service_id: "huji",
    day: "2026-11-27",
    slot_start: "2026-11-27T01:00:00Z",
    slot_end: "2026-11-27T01:30:00Z",
    checkin_from: "2026-11-27T00:30:00Z",
    checkin_until: "2026-11-27T01:15:00Z",
    name: "张*",
    id_number: "1101**********1233",
    phone: "138****0000",
    state: "booked",
    ticket_id: null,
    ticket_code: null,
    checked_in_at: null,
    created_at: "2026-11-26T02:00:00Z",
    reason: "",
    notify_sms: true,
    ...extra,
  };
}

describe("ID numbers (GB 11643)", () => {
  it("accepts right ones, with an x in either case and spaces around", () => {
    expect(validIdNumber("11010519491231002X")).toBe(true);
    expect(validIdNumber("11010519491231002x")).toBe(true);
    expect(validIdNumber(" 110101199003071233 ")).toBe(true);
    expect(validIdNumber("440304198510124565")).toBe(true);
    expect(normalizeIdNumber(" 11010519491231002x")).toBe("11010519491231002X");
  });

  it("says what is wrong", () => {
    expect(idNumberProblem("")).toBe("empty");
    expect(idNumberProblem("1101011990030712")).toBe("length");
    expect(idNumberProblem("11010119900307123A")).toBe("format");
    expect(idNumberProblem("X10101199003071233")).toBe("format");
    expect(idNumberProblem("110101199002301233")).toBe("birth"); // 30 February
    expect(idNumberProblem("110101189912311233")).toBe("birth"); // before 1900
    expect(idNumberProblem("110101199003071234")).toBe("check"); // one digit off
    expect(idNumberProblem("110101199003071232")).toBe("check");
  });

  it("checks mobile numbers", () => {
    expect(validPhone("13812340000")).toBe(true);
    expect(validPhone("138 1234 0000")).toBe(true);
    expect(validPhone("12812340000")).toBe(false);
    expect(validPhone("1381234000")).toBe(false);
  });
});

describe("slot states", () => {
  it("keeps the hub's state, consistent with the free places", () => {
    expect(slotState({ state: "open", free: 2 })).toBe("open");
    expect(slotState({ state: "open", free: 0 })).toBe("full");
    expect(slotState({ state: "full", free: 0 })).toBe("full");
    expect(slotState({ state: "full", free: 1 })).toBe("open");
    expect(slotState({ state: "not_open", free: 0 })).toBe("not_open");
    expect(slotState({ state: "closed", free: 0 })).toBe("closed");
    expect(bookable({ state: "open", free: 1 })).toBe(true);
    expect(bookable({ state: "full", free: 0 })).toBe(false);
    expect(bookable({ state: "closed", free: 3 })).toBe(false);
  });
});

describe("live availability", () => {
  const view = day([slot("a"), slot("b", { free: 1 }), slot("c", { state: "closed", free: 0 }), slot("d", { state: "not_open", free: 0, capacity: 0, opens_at: "2026-11-27T08:00:00+08:00" })]);

  it("updates the named slots of the same service and day", () => {
    const next = applyAvailabilityEvent(
      view,
      event("appointments.appointment_booked", {
        service_id: "huji",
        day: "2026-11-27",
        slots: [{ id: "xc-01:huji:b", free: 0, walkin_released: null }],
      }),
    );
    expect(next).not.toBe(view);
    expect(next.slots[1]).toMatchObject({ free: 0, state: "full" });
    expect(next.slots[0]).toBe(view.slots[0]);
  });

  it("opens a full slot again when a place comes back (cancelled, changed away)", () => {
    const full = day([slot("a", { free: 0, state: "full" })]);
    const next = applyAvailabilityEvent(
      full,
      event("appointments.appointment_cancelled", {
        service_id: "huji",
        day: "2026-11-27",
        slots: [{ id: "xc-01:huji:a", free: 1, walkin_released: null }],
      }),
    );
    expect(next.slots[0]).toMatchObject({ free: 1, state: "open" });
  });

  it("closes a slot whose places went to walk-ins", () => {
    const next = applyAvailabilityEvent(
      view,
      event("appointments.slots_released", {
        service_id: "huji",
        day: "2026-11-27",
        why: "walkin",
        slots: [{ id: "xc-01:huji:a", free: 0, walkin_released: 2 }],
      }),
    );
    expect(next.slots[0]).toMatchObject({ free: 0, state: "closed" });
  });

  it("opens a slot released on its opening day (放号)", () => {
    const next = applyAvailabilityEvent(
      view,
      event("appointments.slots_released", {
        service_id: "huji",
        day: "2026-11-27",
        why: "opened",
        slots: [{ id: "xc-01:huji:d", free: 4, walkin_released: null }],
      }),
    );
    expect(next.slots[3]).toMatchObject({ free: 4, capacity: 4, state: "open", opens_at: null });
  });

  it("does not reopen a slot past its booking time", () => {
    const next = applyAvailabilityEvent(
      view,
      event("appointments.appointment_cancelled", {
        service_id: "huji",
        day: "2026-11-27",
        slots: [{ id: "xc-01:huji:c", free: 1, walkin_released: null }],
      }),
    );
    expect(next).toBe(view);
  });

  it("ignores other services, other days, other events and bad data", () => {
    const row = [{ id: "xc-01:huji:a", free: 0, walkin_released: null }];
    expect(applyAvailabilityEvent(view, event("appointments.appointment_booked", { service_id: "shebao", day: "2026-11-27", slots: row }))).toBe(view);
    expect(applyAvailabilityEvent(view, event("appointments.appointment_booked", { service_id: "huji", day: "2026-11-30", slots: row }))).toBe(view);
    expect(applyAvailabilityEvent(view, event("queueing.ticket_issued", { service_id: "huji", day: "2026-11-27", slots: row }))).toBe(view);
    expect(applyAvailabilityEvent(view, event("appointments.appointment_booked", { service_id: "huji", day: "2026-11-27" }))).toBe(view);
    expect(availabilityOf(event("appointments.appointment_booked", { service_id: "huji", day: "2026-11-27", slots: [{ id: 3 }, null, { id: "x", free: 1 }] }))).toEqual({
      serviceId: "huji",
      day: "2026-11-27",
      slots: [{ id: "x", free: 1, walkin_released: null }],
    });
  });

  it("is idempotent (an event applied again after a reload changes nothing)", () => {
    const e = event("appointments.appointment_booked", {
      service_id: "huji",
      day: "2026-11-27",
      slots: [{ id: "xc-01:huji:a", free: 1, walkin_released: null }],
    });
    const once = applyAvailabilityEvent(view, e);
    expect(applyAvailabilityEvent(once, e)).toBe(once);
  });
});

describe("today's bookings at a hall (check-in)", () => {
  // 2026-11-26 23:30 in Beijing is still the 26th there, the 26th 15:30 UTC.
  const lateEvening = new Date("2026-11-26T15:30:00Z");
  // 2026-11-27 00:30 in Beijing is the 27th there but still the 26th in UTC.
  const afterMidnight = new Date("2026-11-26T16:30:00Z");
  const list = [
    booking({ id: "today-late", day: "2026-11-27", slot_start: "2026-11-27T07:00:00Z" }),
    booking({ id: "today-early", day: "2026-11-27", slot_start: "2026-11-27T01:00:00Z", state: "checked_in" }),
    booking({ id: "cancelled", day: "2026-11-27", state: "cancelled" }),
    booking({ id: "other-hall", day: "2026-11-27", hall_id: "dc-02" }),
    booking({ id: "tomorrow", day: "2026-11-28", slot_start: "2026-11-28T01:00:00Z" }),
    booking({ id: "on-the-26th", day: "2026-11-26", slot_start: "2026-11-26T01:00:00Z" }),
  ];

  it("takes the day in Asia/Shanghai", () => {
    expect(localDay(afterMidnight)).toBe("2026-11-27");
    expect(localDay(lateEvening)).toBe("2026-11-26");
    expect(localDay(afterMidnight, "UTC")).toBe("2026-11-26");
  });

  it("lists booked and checked-in ones of today at this hall, earliest first", () => {
    expect(todaysBookings(list, "xc-01", afterMidnight).map((a) => a.id)).toEqual(["today-early", "today-late"]);
    expect(todaysBookings(list, "xc-01", lateEvening).map((a) => a.id)).toEqual(["on-the-26th"]);
    expect(todaysBookings(list, "dc-02", afterMidnight).map((a) => a.id)).toEqual(["other-hall"]);
  });

  it("lists later ones apart", () => {
    expect(laterBookings(list, "xc-01", afterMidnight).map((a) => a.id)).toEqual(["tomorrow"]);
  });

  it("reads the hall from the QR code", () => {
    expect(hallOfCode("xc-01.8b40d0c078c25d5a")).toBe("xc-01");
    expect(hallOfCode("xc-01.a.b")).toBe("xc-01");
    expect(hallOfCode("xc-01")).toBeNull();
    expect(hallOfCode(".abc")).toBeNull();
    expect(hallOfCode("XC 01.abc")).toBeNull();
    expect(hallOfCode(null)).toBeNull();
  });
});

describe("我的预约", () => {
  it("shows upcoming bookings first, then the rest newest first, without failed ones", () => {
    const shown = mineForList([
      booking({ id: "old", state: "cancelled", slot_start: "2026-11-20T01:00:00Z" }),
      booking({ id: "later", slot_start: "2026-11-30T01:00:00Z" }),
      booking({ id: "failed", state: "failed" }),
      booking({ id: "soon", slot_start: "2026-11-27T01:00:00Z" }),
      booking({ id: "missed", state: "no_show", slot_start: "2026-11-25T01:00:00Z" }),
    ]);
    expect(shown.map((a) => a.id)).toEqual(["soon", "later", "missed", "old"]);
  });

  it("offers cancel and change for booked ones before their slot (and deadline, when known)", () => {
    const now = new Date("2026-11-27T00:00:00Z");
    expect(changeable(booking(), now)).toBe(true);
    expect(changeable(booking({ state: "checked_in" }), now)).toBe(false);
    expect(changeable(booking({ slot_start: "2026-11-26T23:00:00Z" }), now)).toBe(false);
    expect(changeable(booking(), now, 60)).toBe(true);
    expect(changeable(booking(), now, 120)).toBe(false);
  });
});

describe("the chosen slot while places change live", () => {
  it("lets a slot others booked out go, and keeps one with places left", () => {
    expect(chosenAfterChange(slot("a", { free: 0, state: "full" }), "idle")).toEqual({ outcome: "gone" });
    expect(chosenAfterChange(slot("a", { free: 1 }), "idle")).toEqual({ outcome: "keep", slot: slot("a", { free: 1 }) });
    expect(chosenAfterChange(undefined, "idle")).toEqual({ outcome: "ignore" });
  });

  it("never calls the slot gone when this page's own booking filled it", () => {
    // The hall's event of the booking can come before the booking's answer, or after it.
    const filled = applyAvailabilityEvent(
      day([slot("a", { free: 1 })]),
      event("appointments.appointment_booked", { hall_id: "xc-01", service_id: "huji", day: "2026-11-27", slots: [{ id: "xc-01:huji:a", free: 0, walkin_released: null }] }),
    ).slots[0];
    expect(filled?.state).toBe("full");
    expect(chosenAfterChange(filled, "sending")).toEqual({ outcome: "ignore" });
    expect(chosenAfterChange(filled, "done")).toEqual({ outcome: "ignore" });
  });
});

/** The data of each event type as the hub's models say (events.generated.ts, made from
 * /api/v1/events.json): code that reads an event's fields through these types stops compiling
 * when the hub changes them. */
import type { EventData, EventType } from "./events.generated";
import type { Envelope } from "./types";

export type { EventData, EventType } from "./events.generated";
export { EVENT_TYPES } from "./events.generated";

/** An envelope of one type, its data typed. */
export type EventOf<T extends EventType> = Omit<Envelope, "type" | "data"> & {
  type: T;
  data: EventData[T];
};

/** Narrows an envelope to one type (the hub checked its data against the type's model). */
export function isEvent<T extends EventType>(event: Envelope, type: T): event is EventOf<T> & Envelope {
  return event.type === type;
}

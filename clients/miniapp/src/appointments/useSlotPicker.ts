/** A service's bookable days and one day's slots, live: the calendar and slots from REST, then
 * the `appointments.*` events of `hall:<id>` applied to the shown slots. */
import { toHubError, type Envelope, type HubClient, type HubError } from "@hallhub/client";
import { useTopic } from "@hallhub/client/vue";
import { computed, shallowRef, watch, type ComputedRef, type ShallowRef, type WatchSource } from "vue";
import { loadCalendar, loadSlots, topicPosition } from "./api";
import { applyAvailabilityEvent, availabilityOf, type BookingCalendar, type DaySlots } from "./model";

export interface SlotPicker {
  calendar: ShallowRef<BookingCalendar | null>;
  /** The day shown ("YYYY-MM-DD"), or null before the calendar is known. */
  day: ShallowRef<string | null>;
  slots: ShallowRef<DaySlots | null>;
  /** True while the calendar or the day's slots load. */
  loading: ComputedRef<boolean>;
  /** The last failure of loading or following; cleared by the next success. */
  error: ComputedRef<HubError | null>;
  pickDay(day: string): void;
  /** Load the shown day's slots again (e.g. after a slot turned out to be full). */
  refresh(): Promise<void>;
}

export interface SlotPickerOptions {
  client: HubClient;
  hallId: WatchSource<string | null>;
  serviceId: WatchSource<string | null>;
  /** The day to show first when it can be booked (default: the first bookable day). */
  initialDay?: () => string | null;
}

export function useSlotPicker(options: SlotPickerOptions): SlotPicker {
  const calendar = shallowRef<BookingCalendar | null>(null);
  const day = shallowRef<string | null>(null);
  const slots = shallowRef<DaySlots | null>(null);
  const loadingDays = shallowRef(false);
  const loadingSlots = shallowRef(false);
  const failure = shallowRef<HubError | null>(null);
  const hall = shallowRef<string | null>(null);
  const service = shallowRef<string | null>(null);
  /** Events seen while each outstanding slot load runs: applied again on top of its answer. */
  const recorders = new Set<Envelope[]>();
  let daysRun = 0;
  let slotsRun = 0;

  const current = (h: string | null, s: string | null, d?: string | null): boolean =>
    h === hall.value && s === service.value && (d === undefined || d === day.value);

  async function loadDay(): Promise<void> {
    const [h, s, d] = [hall.value, service.value, day.value];
    if (!h || !s || !d) return;
    const run = ++slotsRun;
    const seen: Envelope[] = [];
    recorders.add(seen);
    loadingSlots.value = true;
    try {
      let view = await loadSlots(h, s, d);
      for (const event of seen) view = applyAvailabilityEvent(view, event);
      if (run !== slotsRun || !current(h, s, d)) return;
      slots.value = view;
      failure.value = null;
    } catch (thrown) {
      if (run === slotsRun) failure.value = toHubError(thrown);
    } finally {
      recorders.delete(seen);
      if (run === slotsRun) loadingSlots.value = false;
    }
  }

  async function loadDays(): Promise<void> {
    const [h, s] = [hall.value, service.value];
    const run = ++daysRun;
    calendar.value = null;
    day.value = null;
    slots.value = null;
    if (!h || !s) {
      loadingDays.value = false;
      return;
    }
    loadingDays.value = true;
    try {
      const answer = await loadCalendar(h, s);
      if (run !== daysRun) return;
      calendar.value = answer;
      const wanted = options.initialDay?.() ?? null;
      day.value = wanted && answer.days.includes(wanted) ? wanted : (answer.days[0] ?? null);
      failure.value = null;
    } catch (thrown) {
      if (run === daysRun) failure.value = toHubError(thrown);
    } finally {
      if (run === daysRun) loadingDays.value = false;
    }
    if (run === daysRun) await loadDay();
  }

  async function refreshCalendar(): Promise<void> {
    const [h, s] = [hall.value, service.value];
    if (!h || !s) return;
    try {
      const answer = await loadCalendar(h, s);
      if (current(h, s)) calendar.value = answer;
    } catch {
      // keep the days shown
    }
  }

  const topic = useTopic({
    client: options.client,
    topic: () => (hall.value && service.value ? `hall:${hall.value}` : null),
    loadSnapshot: async (name) => {
      // The log's position first: the slots loaded after it hold every event up to it, and
      // the later ones are applied again on top (they carry absolute numbers).
      const position = await topicPosition(name);
      await loadDay();
      return position;
    },
    onEvent: (event) => {
      for (const recorder of recorders) recorder.push(event);
      if (slots.value !== null) slots.value = applyAvailabilityEvent(slots.value, event);
      const change = availabilityOf(event);
      const shown = calendar.value;
      if (
        change !== null &&
        shown !== null &&
        event.type === "appointments.slots_released" &&
        event.data.why === "opened" &&
        change.serviceId === service.value &&
        !shown.days.includes(change.day)
      ) {
        void refreshCalendar(); // a new day opened (放号) while the page was open
      }
    },
  });

  watch(
    [options.hallId, options.serviceId],
    ([h, s]) => {
      if (current(h, s) && calendar.value !== null) return;
      hall.value = h;
      service.value = s;
      void loadDays();
    },
    { immediate: true },
  );

  return {
    calendar,
    day,
    slots,
    loading: computed(() => loadingDays.value || loadingSlots.value),
    error: computed(() => failure.value ?? topic.error.value),
    pickDay(next: string): void {
      if (next === day.value) return;
      day.value = next;
      slots.value = null;
      void loadDay();
    },
    refresh: loadDay,
  };
}

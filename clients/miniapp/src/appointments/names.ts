/** Hall and service names for bookings (`/mine` answers ids): looked up once per hall. */
import { shallowRef } from "vue";
import { loadHallDetail, type HallNames } from "./api";

const known = shallowRef<ReadonlyMap<string, HallNames>>(new Map());
const asked = new Set<string>();

/** Look up the halls not known yet (failures are asked again next time). */
export async function ensureHallNames(hallIds: Iterable<string>): Promise<void> {
  const wanted = [...new Set(hallIds)].filter((id) => !asked.has(id));
  await Promise.all(
    wanted.map(async (id) => {
      asked.add(id);
      try {
        const detail = await loadHallDetail(id);
        known.value = new Map([...known.value, [id, detail]]);
      } catch {
        asked.delete(id);
      }
    }),
  );
}

export function hallName(hallId: string): string {
  return known.value.get(hallId)?.hall.name ?? hallId;
}

export function hallZone(hallId: string): string | undefined {
  return known.value.get(hallId)?.hall.timezone || undefined;
}

export function serviceName(hallId: string, serviceId: string): string {
  return known.value.get(hallId)?.services.find((s) => s.id === serviceId)?.name ?? serviceId;
}

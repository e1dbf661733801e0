/** Choosing a hall: the halls the hub lists (names, districts, addresses, where they are),
 * nearest first when the phone may say where it is, else by district. Pure, but for the
 * request and the geolocation at the end. */
import { publicApi } from "./hub";

export interface GeoPoint {
  lat: number;
  lng: number;
}

/** `GET /api/v1/halls` (public: anyone choosing a hall). */
export interface HallSummary {
  id: string;
  name: string;
  address: string;
  district: string;
  location: GeoPoint | null;
  timezone: string;
  services: number;
  counters: number;
}

export interface NearbyHall {
  hall: HallSummary;
  /** Kilometres from the phone (great-circle); null for a hall with no location. */
  km: number | null;
}

export interface DistrictGroup {
  district: string;
  halls: HallSummary[];
}

const EARTH_KM = 6371.0088;

function radians(degrees: number): number {
  return (degrees * Math.PI) / 180;
}

/** Great-circle distance in kilometres (haversine). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = radians(b.lat - a.lat);
  const dLng = radians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Every hall, nearest first; halls with no location last, by name. */
export function byDistance(halls: readonly HallSummary[], here: GeoPoint): NearbyHall[] {
  const rows = halls.map((hall) => ({ hall, km: hall.location ? distanceKm(here, hall.location) : null }));
  return rows.sort((a, b) => {
    if (a.km === null || b.km === null) return a.km === null ? (b.km === null ? byName(a.hall, b.hall) : 1) : -1;
    return a.km - b.km || byName(a.hall, b.hall);
  });
}

function byName(a: HallSummary, b: HallSummary): number {
  return a.name.localeCompare(b.name, "zh-CN");
}

/** The halls by district (districts and halls in name order; halls with none last, under
 * `other`). */
export function byDistrict(halls: readonly HallSummary[], other: string): DistrictGroup[] {
  const groups = new Map<string, HallSummary[]>();
  for (const hall of halls) {
    const district = hall.district.trim();
    const list = groups.get(district) ?? [];
    list.push(hall);
    groups.set(district, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b, "zh-CN")))
    .map(([district, list]) => ({ district: district || other, halls: [...list].sort(byName) }));
}

/** "850 米", "1.2 公里", "35 公里". */
export function formatDistance(km: number, labels: { meters: string; km: string }): string {
  if (km < 1) return labels.meters.replace("{n}", String(Math.max(10, Math.round((km * 1000) / 10) * 10)));
  const shown = km < 10 ? km.toFixed(1) : String(Math.round(km));
  return labels.km.replace("{n}", shown);
}

export function listHalls(): Promise<HallSummary[]> {
  return publicApi<HallSummary[]>("GET", "/api/v1/halls");
}

export type Permission = "granted" | "prompt" | "denied" | "unavailable";

/** Whether the page may ask where the phone is, without asking yet. */
export async function geolocationPermission(): Promise<Permission> {
  if (typeof navigator === "undefined" || !("geolocation" in navigator) || !window.isSecureContext) return "unavailable";
  try {
    const status = await navigator.permissions.query({ name: "geolocation" });
    return status.state;
  } catch {
    return "prompt"; // no Permissions API (older WebViews): asking is the only way to know
  }
}

/** Where the phone is (the browser may ask the person first); null when refused or unknown. */
export function locate(timeoutMs = 10_000): Promise<GeoPoint | null> {
  return new Promise((resolve) => {
    try {
      navigator.geolocation.getCurrentPosition(
        (position) => resolve({ lat: position.coords.latitude, lng: position.coords.longitude }),
        () => resolve(null),
        { enableHighAccuracy: false, timeout: timeoutMs, maximumAge: 5 * 60_000 },
      );
    } catch {
      resolve(null);
    }
  });
}

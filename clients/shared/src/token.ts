/** Where a page's token lives: `?token=` in the address (a device link), else localStorage. */

interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface AddressBar {
  readonly href: string;
}

interface PageHistory {
  readonly state: unknown;
  replaceState(data: unknown, unused: string, url?: string | URL | null): void;
}

export interface TokenPlace {
  /** localStorage key; each app keeps its own. */
  key: string;
  storage?: KeyValueStore;
  location?: AddressBar;
  history?: PageHistory;
}

/**
 * The token from `?token=` (then stored, and taken out of the address bar so it is not
 * bookmarked or shared), else the stored one, else null.
 */
export function takeToken(place: TokenPlace): string | null {
  const loc = place.location ?? window.location;
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    saveToken(place, fromUrl);
    url.searchParams.delete("token");
    const history = place.history ?? window.history;
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    return fromUrl;
  }
  try {
    return storageOf(place).getItem(place.key);
  } catch {
    return null; // storage disabled (private mode, kiosk policy)
  }
}

export function saveToken(place: TokenPlace, token: string): void {
  try {
    storageOf(place).setItem(place.key, token);
  } catch {
    // storage disabled: the token lives as long as the page
  }
}

export function clearToken(place: TokenPlace): void {
  try {
    storageOf(place).removeItem(place.key);
  } catch {
    // nothing stored
  }
}

function storageOf(place: TokenPlace): KeyValueStore {
  return place.storage ?? window.localStorage;
}

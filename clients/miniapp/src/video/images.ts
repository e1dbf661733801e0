/** Chat pictures as object URLs (fetched once each with the bearer token; kept for the page's
 * life: a call shows a handful). */
import { fetchImage } from "./api";

const cache = new Map<string, Promise<string>>();

export function imageUrl(imageId: string): Promise<string> {
  let found = cache.get(imageId);
  if (found === undefined) {
    found = fetchImage(imageId);
    // A failure is not kept: the next look tries again.
    found.catch(() => cache.delete(imageId));
    cache.set(imageId, found);
  }
  return found;
}

/** A picture just sent: shown from the file itself while it is known by its id. */
export function rememberImage(imageId: string, blob: Blob): void {
  if (!cache.has(imageId)) cache.set(imageId, Promise.resolve(URL.createObjectURL(blob)));
}

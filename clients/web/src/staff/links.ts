/** Addresses of the staff pages (relative to /web/). */

export function workstationUrl(hallId: string): string {
  return `workstation.html?hall=${encodeURIComponent(hallId)}`;
}

export function adminUrl(hallId: string): string {
  return `admin.html?hall=${encodeURIComponent(hallId)}`;
}

/** The `?hall=` of the page's address, or null. */
export function hallFromAddress(href: string = window.location.href): string | null {
  return new URL(href).searchParams.get("hall") || null;
}

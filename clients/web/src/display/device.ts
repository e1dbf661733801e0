/** What every device page (hall display, counter screen, kiosk) starts from: its token (from
 * `?token=` or stored on this browser) and the parameters of its address. */
import { takeToken } from "@hallhub/client";
import { TOKEN_PLACE, setToken } from "../hub";

export interface DeviceLink {
  token: string | null;
  /** A query parameter of the page's address, or null. */
  param(name: string): string | null;
}

export function deviceLink(): DeviceLink {
  const params = new URLSearchParams(window.location.search);
  const token = takeToken(TOKEN_PLACE);
  setToken(token);
  return { token, param: (name) => params.get(name) || null };
}

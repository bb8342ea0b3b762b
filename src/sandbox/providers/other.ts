/**
 * Simulated custom API: any method on any path answers 200 `{"ok":true}` to a valid
 * `Authorization: Bearer` token and 401 otherwise. Also holds the Bearer parsing the other
 * Bearer-token simulators (HubSpot, Salesforce, Google Calendar, QuickBooks, Xero) share.
 */
import { isInvalidCredential, simulator } from "../lib.ts";

export const other = simulator();

/** The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive). */
export function bearerToken(header: string | undefined): string | null {
  return header?.match(/^Bearer +(\S+)$/i)?.[1] ?? null;
}

/** The token when the header holds a usable one: Bearer scheme, not the sandbox's refused credential. */
export function validBearer(header: string | undefined): string | null {
  const token = bearerToken(header);
  return token && !isInvalidCredential(token) ? token : null;
}

other.all("*", (c) => {
  if (!validBearer(c.req.header("authorization"))) {
    return c.json({ ok: false, error: "unauthorized" }, 401, { "www-authenticate": 'Bearer realm="api"' });
  }
  return c.json({ ok: true });
});

/**
 * Simulated custom API: any method on any path answers 200 `{"ok":true}` to a valid
 * `Authorization: Bearer` token and 401 otherwise (quoting the refused key when it contains
 * "echo", as some APIs do). Also holds the Bearer parsing the other
 * Bearer-token simulators (HubSpot, Salesforce, Google Calendar, QuickBooks, Xero) share.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
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

other.all("*", async (c, next) => {
  if (!validBearer(c.req.header("authorization"))) {
    // Some APIs quote a refused key back ("Incorrect API key provided: sk-…"); a refused key
    // containing "echo" gets that answer, so tests can show the hub never stores or shows it.
    const token = bearerToken(c.req.header("authorization"));
    if (token && /echo/i.test(token)) {
      return c.json(
        {
          error: {
            message: `Incorrect API key provided: ${token}. Check the key sent in Authorization: Bearer ${token}`,
            type: "invalid_request_error",
            code: "invalid_api_key",
          },
        },
        401,
        { "www-authenticate": 'Bearer realm="api", error="invalid_token"' },
      );
    }
    return c.json({ ok: false, error: "unauthorized" }, 401, { "www-authenticate": 'Bearer realm="api"' });
  }
  await next();
});

/** Calls per `key` to `/_flaky`. */
const flaky = new Map<string, number>();

/**
 * Test aid: `/_flaky?key=K&status=429&times=1&retry_after=1` answers `status` (with Retry-After)
 * to the first `times` calls of key K, then 200 with the number of calls.
 */
other.all("/_flaky", (c) => {
  const key = c.req.query("key") ?? "";
  const calls = (flaky.get(key) ?? 0) + 1;
  flaky.set(key, calls);
  if (calls <= Number(c.req.query("times") ?? "1")) {
    const status = Number(c.req.query("status") ?? "503") as ContentfulStatusCode;
    return c.json({ ok: false, error: "flaky" }, status, {
      "retry-after": c.req.query("retry_after") ?? "1",
    });
  }
  return c.json({ ok: true, calls });
});

/** Test aid: what arrived (method, path, query, content type, body, header names; no values). */
other.all("/_echo", async (c) => {
  const url = new URL(c.req.url);
  return c.json({
    ok: true,
    method: c.req.method,
    path: url.pathname,
    query: url.search,
    content_type: c.req.header("content-type") ?? null,
    body: await c.req.text(),
    headers: [...c.req.raw.headers.keys()].sort(),
  });
});

other.all("*", (c) => c.json({ ok: true }));

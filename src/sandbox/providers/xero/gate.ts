/**
 * What every records call passes first: armed `_faults`, the Bearer token and tenant header
 * (failing as Xero's problem details), and Xero's per-tenant limits of 60 calls a minute and
 * 5,000 a day, reported in the X-*-Limit-Remaining headers.
 */
import type { Context } from "hono";
import { countRequest, takeFault, windowRetryAfter } from "../../dataset.ts";
import { validBearer } from "../other.ts";
import { xeroAccount } from "./entities.ts";

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const problem = (status: 401 | 403): Response =>
  Response.json(
    {
      Type: null,
      Title: status === 401 ? "Unauthorized" : "Forbidden",
      Status: status,
      Detail: "AuthenticationUnsuccessful",
      Instance: crypto.randomUUID(),
      Extensions: {},
    },
    {
      status,
      headers: status === 401 ? { "www-authenticate": 'Bearer error="invalid_token"' } : {},
    },
  );

const MINUTE = 60_000;
const DAY_LIMIT = 5000;
const minuteCalls = new Map<string, number[]>();
const dayCalls = new Map<string, { day: string; count: number }>();

function limitHeaders(account: string): Record<string, string> {
  const now = Date.now();
  const minute = (minuteCalls.get(account) ?? []).filter((t) => t > now - MINUTE).length;
  const day = dayCalls.get(account)?.count ?? 0;
  return {
    "x-minlimit-remaining": String(Math.max(0, 60 - minute)),
    "x-daylimit-remaining": String(Math.max(0, DAY_LIMIT - day)),
    "x-appminlimit-remaining": "9999",
  };
}

function rateLimited(account: string, retryAfter: number, which: "minute" | "day") {
  return Response.json(
    { Title: "Too Many Requests", Status: 429, Detail: `You have exceeded the ${which} rate limit` },
    {
      status: 429,
      headers: { ...limitHeaders(account), "retry-after": String(retryAfter), "x-rate-limit-problem": which },
    },
  );
}

/** An armed `_faults` status as Xero answers it. */
export function armedFault(status: number, retryAfter: number, account: string): Response {
  if (status === 429) return rateLimited(account, retryAfter, "minute");
  if (status === 401 || status === 403) return problem(status);
  if (status >= 500) {
    return Response.json(
      {
        Title: status === 503 ? "Service Unavailable" : "An error occurred",
        Status: status,
        Detail:
          "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.",
      },
      { status },
    );
  }
  return Response.json(
    {
      ErrorNumber: 10,
      Type: "ValidationException",
      Message: "A validation exception occurred",
      Elements: [],
    },
    { status },
  );
}

/** Faults, auth and the rate limits of one records call; a Response when it must stop there. */
export function gate(c: Context): { account: string; headers: Record<string, string> } | Response {
  const tenant = c.req.header("xero-tenant-id") ?? "";
  const armed = takeFault("xero");
  if (armed) return armedFault(armed.status, armed.retryAfter, xeroAccount(tenant));
  if (!validBearer(c.req.header("authorization"))) return problem(401);
  if (!UUID_RE.test(tenant)) return problem(403);
  const account = xeroAccount(tenant);
  if (countRequest("xero", account, 60, MINUTE)) {
    return rateLimited(account, windowRetryAfter("xero", account, MINUTE), "minute");
  }
  const today = new Date().toISOString().slice(0, 10);
  const day = dayCalls.get(account);
  const count = day?.day === today ? day.count : 0;
  if (count >= DAY_LIMIT) {
    const midnight = Date.parse(`${today}T00:00:00Z`) + 86_400_000;
    return rateLimited(account, Math.ceil((midnight - Date.now()) / 1000), "day");
  }
  dayCalls.set(account, { day: today, count: count + 1 });
  const now = Date.now();
  minuteCalls.set(account, [...(minuteCalls.get(account) ?? []).filter((t) => t > now - MINUTE), now]);
  return { account, headers: limitHeaders(account) };
}

/**
 * Authentication and authorization.
 * - Organization routes: `Authorization: Bearer <api key>`; the organization comes from the key.
 *   `member` keys read; writing needs `admin`. An `org_id` / `X-Org-ID` / `organization_slug`
 *   in the request must name the key's organization.
 * - Operator routes: `Authorization: Bearer $ADMIN_TOKEN`.
 * - Failed authentications are throttled per client address (CF-Connecting-IP) and per API key
 *   prefix with the RATE_LIMIT_AUTH binding; only failures count. Past the limit every attempt
 *   from that address or for that prefix, right or wrong, is 429 with Retry-After until the
 *   window ends, so a right guess cannot be told from the others.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, OrgAuth } from "../context.ts";
import { timingSafeEqualStrings } from "../crypto/hash.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { isApiKey, PREFIX_LEN } from "../services/organizations.ts";

function bearer(c: Context<AppEnv>): string | null {
  const h = c.req.header("authorization");
  const m = h?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1] ?? null;
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The RATE_LIMIT_AUTH window (wrangler.toml `simple.period`): how long a throttle lasts. */
export const AUTH_FAILURE_WINDOW_SECONDS = 60;
const MAX_BLOCKS = 10_000;

/**
 * Addresses and prefixes over their limit, until when. The binding says when a failure is one
 * too many; this remembers it so that the next attempt is refused before its key is checked
 * (the binding has no way to ask without counting).
 */
const blockedUntil = new Map<string, number>();

/** What a failure counts against: the client address and, for an API key, its prefix. */
function throttleKeys(c: Context<AppEnv>, token: string): string[] {
  const address = c.req.header("cf-connecting-ip")?.trim().slice(0, 64) || "unknown";
  const keys = [`ip:${address}`];
  if (isApiKey(token)) keys.push(`key:${token.slice(0, PREFIX_LEN)}`);
  return keys;
}

function throttled(retryAfter: number): ApiError {
  return new ApiError(
    ErrorCode.RATE_LIMITED,
    `Too many failed authentications from this address or for this key; retry in ${retryAfter} s`,
    { headers: { "Retry-After": String(retryAfter) } },
  );
}

/** Refuses an attempt from a throttled address or for a throttled prefix. */
function refuseIfThrottled(keys: string[], now = Date.now()) {
  let until = 0;
  for (const k of keys) {
    const t = blockedUntil.get(k);
    if (t === undefined) continue;
    if (t <= now) blockedUntil.delete(k);
    else until = Math.max(until, t);
  }
  if (until > now) throw throttled(Math.max(1, Math.ceil((until - now) / 1000)));
}

/**
 * Counts one failed authentication; throws 429 when it is one too many for the address or the
 * prefix. A binding that cannot answer lets the failure through as a 401 (the key check stands).
 */
async function countFailure(c: Context<AppEnv>, keys: string[]) {
  const limiter = c.env.RATE_LIMIT_AUTH;
  if (!limiter) return;
  let outcomes: boolean[];
  try {
    outcomes = await Promise.all(keys.map(async (key) => (await limiter.limit({ key })).success));
  } catch (e) {
    c.get("log").warn("auth rate limit unavailable", { reason: String(e) });
    return;
  }
  const over = keys.filter((_, i) => outcomes[i] === false);
  if (!over.length) return;
  if (blockedUntil.size >= MAX_BLOCKS) blockedUntil.clear();
  const until = Date.now() + AUTH_FAILURE_WINDOW_SECONDS * 1000;
  for (const k of over) blockedUntil.set(k, until);
  throw throttled(AUTH_FAILURE_WINDOW_SECONDS);
}

export const requireOrgKey = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c);
  if (!token)
    throw new ApiError(ErrorCode.UNAUTHORIZED, "Missing API key: send Authorization: Bearer <api key>");
  const keys = throttleKeys(c, token);
  refuseIfThrottled(keys);
  const { organizations } = c.get("services");
  const key = await organizations.authenticate(token);
  if (!key) {
    await countFailure(c, keys);
    throw new ApiError(ErrorCode.UNAUTHORIZED, "Invalid or revoked API key");
  }
  c.executionCtx.waitUntil(
    organizations
      .touchKey(key)
      .catch((e) => c.get("log").warn("last_used_at update failed", { reason: String(e) })),
  );
  const auth: OrgAuth = {
    kind: "org",
    orgId: key.orgId,
    orgSlug: key.orgSlug,
    role: key.role,
    keyId: key.keyId,
    actor: `api_key:${key.keyId}`,
  };
  if (!READ_METHODS.has(c.req.method) && auth.role !== "admin") {
    throw new ApiError(
      ErrorCode.FORBIDDEN,
      "This API key is read-only (role member); writing needs an admin key",
    );
  }
  assertOrgMatches(auth, {
    orgId: c.req.query("org_id") ?? c.req.header("x-org-id"),
    slug: c.req.query("organization_slug"),
  });
  c.set("auth", auth);
  await next();
});

/** Refuses a request that names another organization than its key's. */
export function assertOrgMatches(auth: OrgAuth, named: { orgId?: unknown; slug?: unknown }) {
  if (named.orgId !== undefined && named.orgId !== null && named.orgId !== "" && named.orgId !== auth.orgId) {
    throw new ApiError(ErrorCode.FORBIDDEN, "org_id does not match the API key's organization");
  }
  if (named.slug !== undefined && named.slug !== null && named.slug !== "" && named.slug !== auth.orgSlug) {
    throw new ApiError(ErrorCode.FORBIDDEN, "organization_slug does not match the API key's organization");
  }
}

export const requireAdminToken = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected || expected.length < 16) {
    throw new ApiError(ErrorCode.NOT_CONFIGURED, "ADMIN_TOKEN is not set (16 characters at least)");
  }
  const token = bearer(c);
  if (!token)
    throw new ApiError(
      ErrorCode.UNAUTHORIZED,
      "Missing operator token: send Authorization: Bearer <ADMIN_TOKEN>",
    );
  const keys = throttleKeys(c, token).filter((k) => k.startsWith("ip:"));
  refuseIfThrottled(keys);
  if (!(await timingSafeEqualStrings(token, expected))) {
    await countFailure(c, keys);
    throw new ApiError(ErrorCode.UNAUTHORIZED, "Invalid operator token");
  }
  c.set("auth", { kind: "admin" });
  await next();
});

export function orgAuth(c: Context<AppEnv>): OrgAuth {
  const auth = c.get("auth");
  if (auth.kind !== "org") throw new ApiError(ErrorCode.UNAUTHORIZED, "Organization API key required");
  return auth;
}

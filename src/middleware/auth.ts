/**
 * Authentication and authorization.
 * - Organization routes: `Authorization: Bearer <api key>`; the organization comes from the key.
 *   `member` keys read; writing needs `admin`. An `org_id` / `X-Org-ID` / `organization_slug`
 *   in the request must name the key's organization.
 * - Operator routes: `Authorization: Bearer $ADMIN_TOKEN`.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, OrgAuth } from "../context.ts";
import { timingSafeEqualStrings } from "../crypto/hash.ts";
import { ApiError, ErrorCode } from "../errors.ts";

function bearer(c: Context<AppEnv>): string | null {
  const h = c.req.header("authorization");
  const m = h?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1] ?? null;
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const requireOrgKey = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c);
  if (!token)
    throw new ApiError(ErrorCode.UNAUTHORIZED, "Missing API key: send Authorization: Bearer <api key>");
  const { organizations } = c.get("services");
  const key = await organizations.authenticate(token);
  if (!key) throw new ApiError(ErrorCode.UNAUTHORIZED, "Invalid or revoked API key");
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
  if (!(await timingSafeEqualStrings(token, expected)))
    throw new ApiError(ErrorCode.UNAUTHORIZED, "Invalid operator token");
  c.set("auth", { kind: "admin" });
  await next();
});

export function orgAuth(c: Context<AppEnv>): OrgAuth {
  const auth = c.get("auth");
  if (auth.kind !== "org") throw new ApiError(ErrorCode.UNAUTHORIZED, "Organization API key required");
  return auth;
}

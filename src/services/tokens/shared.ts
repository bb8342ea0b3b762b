/**
 * What the parts of the tokens service share: the refresh timings, the results of its methods,
 * its dependencies, which providers the hub keeps fresh, when a row needs a refresh, and how a
 * failed call to a provider's token or revocation endpoint becomes a ProviderError.
 */
import { eq, isNull } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import type { Settings } from "../../config.ts";
import type { Vault } from "../../crypto/vault.ts";
import type { Db } from "../../db/client.ts";
import type { IntegrationRow, integrations } from "../../db/schema.ts";
import { ApiError } from "../../errors.ts";
import type { Logger } from "../../lib/log.ts";
import { OutboundTimeout } from "../../lib/outbound.ts";
import { PROVIDERS } from "../../providers/registry.ts";
import { type HttpClient, ProviderError, retryAfterSeconds } from "../../providers/runtime.ts";
import type { Provider } from "../../providers/types.ts";
import type { Activity } from "../activity.ts";
import type { Events } from "../events.ts";
import type { Integrations } from "../integrations.ts";
import type { DeploymentApps, OAuthProvider } from "../oauth-client.ts";

/** Refresh when the access token expires within this (or half its lifetime, if shorter). */
export const EXPIRY_MARGIN_MS = 60_000;
/** How long a refresh may hold the row before another caller may take over. */
export const LEASE_MS = 30_000;
/** How often a caller waiting for another's refresh reads the row. */
export const POLL_MS = 100;
/** The cron refreshes tokens that expire within this. */
export const CRON_WINDOW_MS = 15 * 60_000;
/** Refreshes the cron runs at once. */
export const CRON_CONCURRENCY = 4;

export interface FreshCredentials {
  /** The integration as stored after any refresh. */
  row: IntegrationRow;
  /** Its decrypted secrets, with a valid access token. */
  secrets: Record<string, string>;
}

export interface RefreshDueResult {
  due: number;
  refreshed: number;
  /** Refreshed meanwhile by another caller, or leased by one. */
  skipped: number;
  /** Refused for good (`invalid_grant`, ...): marked `error`. */
  failed: number;
  /** 5xx, 429, network: left as is for the next run. */
  retryable: number;
}

/** Why a refresh runs, as recorded in the activity log. */
export type RefreshReason = "on_demand" | "forced" | "cron" | "session_expired";

/** What every part of the tokens service is built from. */
export interface TokensDeps {
  db: Db;
  activity: Activity;
  integrations: Integrations;
  events: Events;
  vault: () => Promise<Vault>;
  settings: Settings;
  http: HttpClient;
  /** The deployment's OAuth apps; throws a clear ApiError when OAUTH_APPS is malformed. */
  deploymentApps: () => DeploymentApps;
  log: Logger;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the provider issues refresh tokens the hub keeps fresh. */
export function refreshable(provider: Provider): provider is OAuthProvider {
  return Boolean(provider.oauth?.refreshTokens || provider.oauth?.refreshAccessToken);
}

/** The secret a refresh spends: the refresh token, or the access token that renews itself (Instagram). */
export const grantField = (provider: OAuthProvider) =>
  provider.oauth.refreshTokens ? "refresh_token" : "access_token";

export const REFRESHABLE_IDS = Object.values(PROVIDERS)
  .filter((p) => refreshable(p))
  .map((p) => p.id);

/** `last_error` of an integration whose refresh token the provider refused for good. */
export const isRefusedGrant = (lastError: string | null | undefined) =>
  Boolean(lastError?.includes("(invalid_grant)"));

export const refusedMessage = (provider: Provider) =>
  `${provider.displayName} refused the refresh token (invalid_grant); connect again`;

/** Whether the row's access token must be refreshed before use. */
export function needsRefresh(row: IntegrationRow, now = Date.now()): boolean {
  if (!row.tokenExpiresAt) return false;
  const expires = Date.parse(row.tokenExpiresAt);
  if (!Number.isFinite(expires)) return true;
  // A token issued with a lifetime shorter than twice the margin is refreshed at half-life,
  // so a 60-second token is not refreshed on every use (updated_at is at most its issue time).
  const issued = Date.parse(row.updatedAt);
  const lifetime = Number.isFinite(issued) ? expires - issued : Number.POSITIVE_INFINITY;
  const margin = lifetime > 0 ? Math.min(EXPIRY_MARGIN_MS, lifetime / 2) : EXPIRY_MARGIN_MS;
  return expires - now <= margin;
}

/** A compare-and-set condition on a column that may be null. */
export const sameOrNull = <T extends string | number>(
  column: typeof integrations.secrets | typeof integrations.keyVersion | typeof integrations.tokenExpiresAt,
  value: T | null,
) => (value === null ? isNull(column) : eq(column, value));

/** Maps what a token endpoint call threw (oauth4webapi, the outbound path) to a ProviderError. */
export function classify(
  provider: Provider,
  e: unknown,
  what: string,
): ProviderError & { invalidGrant?: boolean } {
  const name = provider.displayName;
  if (e instanceof ProviderError) return e;
  if (e instanceof ApiError) return new ProviderError("permanent", e.message);
  if (e instanceof OutboundTimeout) return new ProviderError("transient", `${name} ${what}: ${e.message}`);
  if (e instanceof oauth.ResponseBodyError) {
    const status = e.status;
    const retryAfter = retryAfterSeconds(e.response.headers.get("retry-after"));
    const described = `${e.error}${e.error_description ? `: ${e.error_description}` : ""}`;
    if (e.error === "invalid_grant") {
      return Object.assign(
        new ProviderError("auth", refusedMessage(provider), { status, code: "invalid_grant" }),
        { invalidGrant: true },
      );
    }
    if (status === 429)
      return new ProviderError("rate_limited", `${name} ${what}: rate limited (${described})`, {
        status,
        retryAfterSeconds: retryAfter,
        code: e.error,
      });
    if (status >= 500)
      return new ProviderError("transient", `${name} ${what}: ${status} (${described})`, {
        status,
        retryAfterSeconds: retryAfter,
        code: e.error,
      });
    return new ProviderError("auth", `${name} ${what} refused (${described})`, { status, code: e.error });
  }
  if (e instanceof oauth.WWWAuthenticateChallengeError) {
    return new ProviderError("auth", `${name} ${what}: the OAuth app's client credentials were refused`, {
      status: e.status,
      code: "invalid_client",
    });
  }
  if (e instanceof oauth.OperationProcessingError && e.cause instanceof Response) {
    const status = e.cause.status;
    const retryAfter = retryAfterSeconds(e.cause.headers.get("retry-after"));
    if (status === 429)
      return new ProviderError("rate_limited", `${name} ${what}: rate limited`, {
        status,
        retryAfterSeconds: retryAfter,
      });
    if (status >= 500)
      return new ProviderError("transient", `${name} ${what}: HTTP ${status}`, {
        status,
        retryAfterSeconds: retryAfter,
      });
    return new ProviderError("permanent", `${name} ${what}: unexpected HTTP ${status}`, { status });
  }
  if (e instanceof oauth.OperationProcessingError || e instanceof oauth.UnsupportedOperationError) {
    // A 200 whose body is not a token response: the provider misbehaved; try again later.
    return new ProviderError("transient", `${name} ${what}: malformed response (${e.message})`);
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new ProviderError("transient", `${name} ${what}: network error (${reason})`);
}

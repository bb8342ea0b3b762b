/**
 * Keeping OAuth 2.0 access tokens fresh: on demand before a provider call, by the cron ahead of
 * expiry, and when an operator forces it; and revoking tokens at the provider on disconnect.
 *
 * - One refresh per expiry: a caller takes a lease on the row with a compare-and-set
 *   (`refresh_lease_until`, only while no live lease exists and `token_expires_at` is still
 *   what it read). The winner calls the provider; everyone else polls the row until the new
 *   expiry appears (or the lease lapses) and uses the stored token. So fifty callers racing on
 *   an expired connection make one request to the provider.
 * - The new access token, its expiry and a rotated refresh token (Xero, QuickBooks) are saved in
 *   one UPDATE of the vault ciphertext, compare-and-set on the ciphertext and key version the
 *   refresh started from; when an organization key rotation (or another write) got there
 *   first, the row is read again and the merge is retried once.
 * - `invalid_grant` is final: the integration goes to `error` with a readable `last_error`, the
 *   host app gets `integration.error`, and no refresh is attempted again until it is connected
 *   again (which resets the status). 5xx, 429 and network failures are retryable ProviderErrors
 *   and leave the integration as it was.
 *
 * The protocol is oauth4webapi's (refresh grant, revocation); requests go through the hub's
 * HTTP client, so with the sandbox on they reach the simulated authorization servers in-process.
 */
import { and, eq, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import type { Settings } from "../config.ts";
import type { Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import { type IntegrationRow, integrations } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { redactText, secretValues } from "../lib/redact.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { type HttpClient, ProviderError, retryAfterSeconds } from "../providers/runtime.ts";
import type { Provider } from "../providers/types.ts";
import type { Activity } from "./activity.ts";
import type { Events } from "./events.ts";
import { type Integrations, providerOf, type WriteContext } from "./integrations.ts";
import {
  authorizationServer,
  clientAuth,
  type DeploymentApps,
  type OAuthProvider,
  oauthApp,
  oauthEndpoint,
  requestOptions,
} from "./oauth-client.ts";

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

// ---- helpers ---------------------------------------------------------------------------------

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the provider issues refresh tokens the hub keeps fresh. */
export function refreshable(provider: Provider): provider is OAuthProvider {
  return Boolean(provider.oauth?.refreshTokens || provider.oauth?.refreshAccessToken);
}

/** The secret a refresh spends: the refresh token, or the access token that renews itself (Instagram). */
const grantField = (provider: OAuthProvider) =>
  provider.oauth.refreshTokens ? "refresh_token" : "access_token";

const REFRESHABLE_IDS = Object.values(PROVIDERS)
  .filter((p) => refreshable(p))
  .map((p) => p.id);

/** `last_error` of an integration whose refresh token the provider refused for good. */
export const isRefusedGrant = (lastError: string | null | undefined) =>
  Boolean(lastError?.includes("(invalid_grant)"));

const refusedMessage = (provider: Provider) =>
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

const sameOrNull = <T extends string | number>(
  column: typeof integrations.secrets | typeof integrations.keyVersion | typeof integrations.tokenExpiresAt,
  value: T | null,
) => (value === null ? isNull(column) : eq(column, value));

/** Maps what oauth4webapi threw for a token endpoint call to a ProviderError. */
function classify(provider: Provider, e: unknown, what: string): ProviderError & { invalidGrant?: boolean } {
  const name = provider.displayName;
  if (e instanceof ProviderError) return e;
  if (e instanceof ApiError) return new ProviderError("permanent", e.message);
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

// ---- the service -----------------------------------------------------------------------------

export class Tokens {
  private readonly log: Logger;

  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly events: Events,
    private readonly vault: () => Promise<Vault>,
    private readonly settings: Settings,
    private readonly http: HttpClient,
    /** The deployment's OAuth apps; throws a clear ApiError when OAUTH_APPS is malformed. */
    private readonly deploymentApps: () => DeploymentApps,
    log?: Logger,
  ) {
    this.log = (log ?? createLogger()).with({ service: "tokens" });
  }

  /**
   * The row and its secrets with an access token that is valid now: refreshed first when it
   * expires within the margin. Non-OAuth integrations, and those without a refresh token or a
   * known expiry, come back as they are.
   */
  async fresh(row: IntegrationRow): Promise<FreshCredentials> {
    const provider = providerOf(row);
    const secrets = await this.integrations.secretsOf(row);
    if (!refreshable(provider) || !secrets[grantField(provider)] || !needsRefresh(row))
      return { row, secrets };
    if (row.status === "error" && isRefusedGrant(row.lastError)) {
      throw new ProviderError("auth", row.lastError ?? refusedMessage(provider), { code: "invalid_grant" });
    }
    return this.refreshRow(row, "on_demand", "system");
  }

  /** Forces a refresh now (the refresh-token route), under the same lease. */
  async refresh(orgId: string, integrationId: string, actor: string): Promise<FreshCredentials> {
    const row = await this.integrations.get(orgId, integrationId);
    const provider = providerOf(row);
    if (!refreshable(provider)) {
      throw new ApiError(ErrorCode.BAD_REQUEST, `${provider.displayName} connections have no refresh token`);
    }
    if (!row.secretFields.includes(grantField(provider))) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        `This ${provider.displayName} integration has no refresh token; connect it with OAuth first`,
      );
    }
    return this.refreshRow(row, "forced", actor);
  }

  /**
   * The cron: refreshes integrations whose token expires within 15 minutes (refreshable
   * providers, not in error, not disconnected), a few at a time.
   */
  async refreshDue(limit = 100): Promise<RefreshDueResult> {
    const now = Date.now();
    const cutoff = new Date(now + CRON_WINDOW_MS).toISOString();
    const rows = await this.db
      .select()
      .from(integrations)
      .where(
        and(
          inArray(integrations.provider, REFRESHABLE_IDS),
          sql`${integrations.tokenExpiresAt} IS NOT NULL`,
          sql`julianday(${integrations.tokenExpiresAt}) <= julianday(${cutoff})`,
          ne(integrations.status, "error"),
          isNull(integrations.disconnectedAt),
          sql`${integrations.secretFields} LIKE '%"refresh_token"%'`,
          or(isNull(integrations.refreshLeaseUntil), lt(integrations.refreshLeaseUntil, now)),
        ),
      )
      .orderBy(integrations.tokenExpiresAt)
      .limit(limit);
    const result: RefreshDueResult = { due: rows.length, refreshed: 0, skipped: 0, failed: 0, retryable: 0 };
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < rows.length; i = next++) {
        const row = rows[i] as IntegrationRow;
        try {
          const out = await this.refreshRow(row, "cron", "cron", true);
          if (out.row.tokenExpiresAt !== row.tokenExpiresAt && out.refreshedHere) result.refreshed++;
          else result.skipped++;
        } catch (e) {
          if (e instanceof ProviderError && e.retryable) result.retryable++;
          else result.failed++;
          this.log.warn("scheduled token refresh failed", {
            integration_id: row.id,
            org_id: row.orgId,
            provider: row.provider,
            reason: e instanceof Error ? e.message : String(e),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CRON_CONCURRENCY, rows.length) }, worker));
    if (rows.length) this.log.info("scheduled token refresh", { ...result });
    return result;
  }

  /**
   * Disconnects a provider's integration (004): the grant is revoked at the provider first (a
   * failure is logged, not fatal), then its credentials are wiped.
   */
  async disconnect(orgId: string, providerId: string, ctx: WriteContext, integrationId?: string) {
    const row = await this.integrations.findByProvider(orgId, providerId, integrationId);
    if (row?.secrets) await this.revoke(row);
    await this.integrations.disconnect(orgId, providerId, ctx, integrationId);
  }

  /**
   * Revokes the integration's grant at the provider (the refresh token, else the access token)
   * when the provider has a revocation endpoint. Never throws: a failure is logged.
   */
  async revoke(row: IntegrationRow): Promise<{ revoked: boolean; message: string }> {
    const provider = providerOf(row);
    if (!provider.oauth?.revokeUrl && !provider.oauth?.revoke)
      return { revoked: false, message: "the provider has no revocation endpoint" };
    const p = provider as OAuthProvider;
    let message: string;
    try {
      const secrets = await this.integrations.secretsOf(row);
      const token = secrets.refresh_token ?? secrets.access_token;
      if (!token) return { revoked: false, message: "no token to revoke" };
      if (p.oauth.revoke) {
        await p.oauth.revoke({
          ...(secrets.access_token ? { accessToken: secrets.access_token } : {}),
          ...(secrets.refresh_token ? { refreshToken: secrets.refresh_token } : {}),
          endpoint: (url) => oauthEndpoint(this.settings, p, url),
          http: this.http,
        });
      } else {
        const app = oauthApp(this.settings, this.deploymentApps(), p, row.config, secrets);
        if (!app) return { revoked: false, message: "no OAuth app configured to revoke with" };
        const as = authorizationServer(this.settings, p);
        const res = await oauth.revocationRequest(
          as,
          { client_id: app.clientId },
          clientAuth(p, app),
          token,
          {
            ...requestOptions(this.settings, this.http),
            signal: AbortSignal.timeout(this.settings.PROVIDER_TIMEOUT_MS),
            additionalParameters: {
              token_type_hint: secrets.refresh_token ? "refresh_token" : "access_token",
            },
          },
        );
        await oauth.processRevocationResponse(res);
      }
      message = `Tokens revoked at ${provider.displayName}`;
      await this.db.batch([
        this.activity.logStatement({
          orgId: row.orgId,
          integrationId: row.id,
          action: "token_revoked",
          message,
        }),
      ]);
      return { revoked: true, message };
    } catch (e) {
      message = `Revoking at ${provider.displayName} failed: ${classify(provider, e, "revocation").message}`;
      this.log.warn("token revocation failed", {
        integration_id: row.id,
        org_id: row.orgId,
        provider: row.provider,
        reason: message,
      });
      await this.db
        .batch([
          this.activity.logStatement({
            orgId: row.orgId,
            integrationId: row.id,
            level: "warn",
            action: "token_revoked",
            message,
          }),
        ])
        .catch(() => undefined);
      return { revoked: false, message };
    }
  }

  // ---- the lease -------------------------------------------------------------------------------

  /**
   * Refreshes under the lease, or waits for whoever holds it. `skipIfLeased` (the cron) gives up
   * at once when another caller holds the lease or refreshed meanwhile.
   */
  private async refreshRow(
    row: IntegrationRow,
    reason: "on_demand" | "forced" | "cron",
    actor: string,
    skipIfLeased = false,
  ): Promise<FreshCredentials & { refreshedHere: boolean }> {
    let current = row;
    for (let attempt = 0; attempt < 3; attempt++) {
      const expiresRead = current.tokenExpiresAt;
      const now = Date.now();
      const [leased] = await this.db
        .update(integrations)
        .set({ refreshLeaseUntil: now + LEASE_MS })
        .where(
          and(
            eq(integrations.orgId, current.orgId),
            eq(integrations.id, current.id),
            or(isNull(integrations.refreshLeaseUntil), lt(integrations.refreshLeaseUntil, now)),
            sameOrNull(integrations.tokenExpiresAt, expiresRead),
          ),
        )
        .returning();
      if (leased) {
        const fresh = await this.refreshLeased(leased, reason, actor);
        return { ...fresh, refreshedHere: true };
      }
      if (skipIfLeased) {
        const cur = await this.integrations.get(current.orgId, current.id);
        return { row: cur, secrets: {}, refreshedHere: false };
      }
      const waited = await this.waitForRefresh(current, expiresRead);
      if (waited)
        return { row: waited, secrets: await this.integrations.secretsOf(waited), refreshedHere: false };
      // The holder's lease lapsed without a refresh: take it over.
      current = await this.integrations.get(current.orgId, current.id);
    }
    throw new ProviderError(
      "transient",
      `${providerOf(row).displayName}: the token refresh did not complete; retry`,
    );
  }

  /**
   * Polls the row until another caller's refresh shows (a new expiry: the row is returned) or
   * its lease lapses (null: the caller may take over). A refusal or a failed refresh throws.
   */
  private async waitForRefresh(
    row: IntegrationRow,
    expiresRead: string | null,
  ): Promise<IntegrationRow | null> {
    const provider = providerOf(row);
    const deadline = Date.now() + LEASE_MS + 1000;
    for (let first = true; Date.now() < deadline; first = false) {
      if (!first) await sleep(POLL_MS);
      const cur = await this.integrations.get(row.orgId, row.id);
      if (cur.tokenExpiresAt !== expiresRead) return cur;
      // Refreshed to the same (unknown) expiry: the lease is gone and the ciphertext changed.
      if (cur.refreshLeaseUntil === null && cur.secrets !== row.secrets && !first) return cur;
      if (cur.status === "error" && isRefusedGrant(cur.lastError)) {
        throw new ProviderError("auth", cur.lastError ?? refusedMessage(provider), { code: "invalid_grant" });
      }
      if (cur.refreshLeaseUntil === null) {
        // The holder gave up (the provider failed transiently): don't pile on.
        if (!first)
          throw new ProviderError("transient", `${provider.displayName}: the token refresh failed; retry`);
        return null;
      }
      if (cur.refreshLeaseUntil < Date.now()) return null;
    }
    return null;
  }

  private async release(row: IntegrationRow) {
    await this.db
      .update(integrations)
      .set({ refreshLeaseUntil: null })
      .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id)));
  }

  /** The lease holder: calls the token endpoint and saves the outcome. */
  private async refreshLeased(
    leased: IntegrationRow,
    reason: "on_demand" | "forced" | "cron",
    actor: string,
  ): Promise<FreshCredentials> {
    const provider = providerOf(leased) as OAuthProvider;
    let tokens: oauth.TokenEndpointResponse;
    let secrets: Record<string, string>;
    try {
      secrets = await this.integrations.secretsOf(leased);
      const renew = provider.oauth.refreshAccessToken;
      if (renew) {
        const accessToken = secrets.access_token;
        if (!accessToken)
          throw new ProviderError("permanent", `${provider.displayName}: no access token; connect again`);
        const renewed = await renew({
          accessToken,
          endpoint: (url) => oauthEndpoint(this.settings, provider, url),
          http: this.http,
        });
        tokens = { ...renewed, token_type: "bearer" } as oauth.TokenEndpointResponse;
      } else {
        tokens = await this.refreshGrant(provider, leased, secrets);
      }
    } catch (e) {
      if (e instanceof ApiError) {
        await this.release(leased);
        throw e;
      }
      const err = classify(provider, e, "token refresh");
      if (
        err.invalidGrant ||
        err.opts.code === "invalid_grant" ||
        (err.kind === "auth" && !(e instanceof ProviderError))
      ) {
        await this.markRefused(leased, err, reason, actor);
      } else {
        await this.release(leased);
        this.log.warn("token refresh failed", {
          integration_id: leased.id,
          org_id: leased.orgId,
          provider: leased.provider,
          reason: err.message,
          kind: err.kind,
        });
      }
      throw err;
    }
    return this.save(leased, secrets, tokens, reason, actor);
  }

  /** A refresh-token grant at the provider's token endpoint. */
  private async refreshGrant(
    provider: OAuthProvider,
    leased: IntegrationRow,
    secrets: Record<string, string>,
  ): Promise<oauth.TokenEndpointResponse> {
    const refreshToken = secrets.refresh_token;
    if (!refreshToken) {
      throw new ProviderError("permanent", `${provider.displayName}: no refresh token; connect again`);
    }
    const app = oauthApp(this.settings, this.deploymentApps(), provider, leased.config, secrets);
    if (!app) {
      throw new ProviderError(
        "permanent",
        `${provider.displayName}: no OAuth app to refresh with (set the integration's client_id and client_secret, or OAUTH_APPS)`,
      );
    }
    const as = authorizationServer(this.settings, provider);
    const client = { client_id: app.clientId };
    const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth(provider, app), refreshToken, {
      ...requestOptions(this.settings, this.http),
      signal: AbortSignal.timeout(this.settings.PROVIDER_TIMEOUT_MS),
    });
    return oauth.processRefreshTokenResponse(as, client, res);
  }

  /**
   * Saves the refreshed tokens: one UPDATE of the ciphertext, expiry and lease, compare-and-set
   * on the ciphertext and key version read; on a lost race the row is read again and the new
   * tokens merged into its secrets once more.
   */
  private async save(
    leased: IntegrationRow,
    secretsRead: Record<string, string>,
    tokens: oauth.TokenEndpointResponse,
    reason: string,
    actor: string,
  ): Promise<FreshCredentials> {
    const provider = providerOf(leased);
    const usedRefreshToken = secretsRead.refresh_token;
    const rotated = Boolean(tokens.refresh_token && tokens.refresh_token !== usedRefreshToken);
    const expiresAt =
      typeof tokens.expires_in === "number"
        ? new Date(Date.now() + tokens.expires_in * 1000).toISOString()
        : null;
    let base = leased;
    let secrets = secretsRead;
    for (let attempt = 0; attempt < 2; attempt++) {
      const merged: Record<string, string> = {
        ...secrets,
        access_token: tokens.access_token,
        ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
      };
      const vault = await this.vault();
      const enc = await vault.encrypt(base.orgId, base.id, merged);
      const [saved] = await this.db
        .update(integrations)
        .set({
          secrets: enc.ciphertext,
          keyVersion: enc.keyVersion,
          secretFields: Object.keys(merged).sort(),
          tokenExpiresAt: expiresAt,
          refreshLeaseUntil: null,
          updatedAt: new Date(Math.max(Date.now(), Date.parse(base.updatedAt) + 1)).toISOString(),
        })
        .where(
          and(
            eq(integrations.orgId, base.orgId),
            eq(integrations.id, base.id),
            sameOrNull(integrations.secrets, base.secrets),
            sameOrNull(integrations.keyVersion, base.keyVersion),
          ),
        )
        .returning();
      if (saved) {
        await this.db.batch([
          this.activity.logStatement({
            orgId: saved.orgId,
            integrationId: saved.id,
            action: "token_refreshed",
            message: `Access token refreshed${rotated ? " (new refresh token saved)" : ""}`,
            details: { reason, actor, rotated, token_expires_at: expiresAt },
          }),
        ]);
        return { row: saved, secrets: merged };
      }
      // Lost a race with another write (an organization key rotation, a reconnect): read again.
      const cur = await this.integrations.get(base.orgId, base.id);
      const curSecrets = await this.integrations.secretsOf(cur);
      if (cur.disconnectedAt || !curSecrets.refresh_token) {
        await this.release(cur);
        throw new ProviderError(
          "permanent",
          `${provider.displayName}: disconnected while the token was refreshed`,
        );
      }
      if (curSecrets.refresh_token !== usedRefreshToken) {
        // Connected again meanwhile: those tokens are newer than ours.
        await this.release(cur);
        return { row: { ...cur, refreshLeaseUntil: null }, secrets: curSecrets };
      }
      base = cur;
      secrets = curSecrets;
    }
    await this.release(base);
    throw new ProviderError(
      "transient",
      `${provider.displayName}: the refreshed token could not be saved; retry`,
    );
  }

  /** The provider refused the grant for good: `error` with a readable reason, and the event. */
  private async markRefused(row: IntegrationRow, refused: ProviderError, reason: string, actor: string) {
    // A token endpoint's error may quote the refresh token or client secret it was sent.
    const secrets = await this.integrations.secretsOf(row).catch(() => ({}));
    const err = new ProviderError(
      refused.kind,
      redactText(refused.message, secretValues(secrets)),
      refused.opts,
    );
    const now = new Date().toISOString();
    await this.db.batch([
      this.db
        .update(integrations)
        .set({
          status: "error",
          lastError: err.message,
          errorCount: sql`${integrations.errorCount} + 1`,
          refreshLeaseUntil: null,
          updatedAt: now,
        })
        .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id))),
      this.activity.logStatement({
        orgId: row.orgId,
        integrationId: row.id,
        level: "error",
        action: "token_refresh",
        message: err.message,
        details: { reason, actor, code: err.opts.code ?? null, status: err.opts.status ?? null },
      }),
    ]);
    this.log.error("token refresh refused", {
      integration_id: row.id,
      org_id: row.orgId,
      provider: row.provider,
      reason: err.message,
    });
    await this.events.emit(
      row.orgId,
      "integration.error",
      {
        integration_id: row.id,
        provider: row.provider,
        name: row.name,
        status: "error",
        error: err.message,
        action: "token_refresh",
      },
      { key: `${row.id}:token_refresh:${row.tokenExpiresAt ?? "none"}:${row.updatedAt}` },
    );
  }
}

/**
 * The single-flight refresh against the provider. A caller takes a lease on the row with a
 * compare-and-set (`refresh_lease_until`, only while no live lease exists and
 * `token_expires_at` is still what it read). The winner calls the provider's token endpoint (or
 * the provider's own renewal hook) within the provider timeout; everyone else polls the row
 * until the new expiry appears (or the lease lapses) and uses the stored token. So fifty callers
 * racing on an expired connection make one request to the provider.
 */
import { and, eq, isNull, lt, or } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import { type IntegrationRow, integrations } from "../../db/schema.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { withTimeout } from "../../lib/outbound.ts";
import { ProviderError } from "../../providers/runtime.ts";
import { forgetIntegration } from "../integration-cache.ts";
import { providerOf } from "../integrations.ts";
import {
  authorizationServer,
  clientAuth,
  type OAuthProvider,
  oauthApp,
  oauthEndpoint,
  requestOptions,
} from "../oauth-client.ts";
import {
  classify,
  type FreshCredentials,
  grantField,
  isRefusedGrant,
  LEASE_MS,
  needsRefresh,
  POLL_MS,
  type RefreshReason,
  refreshable,
  refusedMessage,
  sameOrNull,
  sleep,
  type TokensDeps,
} from "./shared.ts";
import type { TokenStore } from "./store.ts";

export class TokenRefresh {
  constructor(
    private readonly deps: TokensDeps,
    private readonly store: TokenStore,
  ) {}

  /**
   * The row and its secrets with an access token that is valid now: refreshed first when it
   * expires within the margin. Non-OAuth integrations, and those without a refresh token or a
   * known expiry, come back as they are.
   */
  async fresh(row: IntegrationRow): Promise<FreshCredentials> {
    const provider = providerOf(row);
    const secrets = await this.deps.integrations.secretsOf(row);
    if (!refreshable(provider) || !secrets[grantField(provider)] || !needsRefresh(row))
      return { row, secrets };
    if (row.status === "error" && isRefusedGrant(row.lastError)) {
      throw new ProviderError("auth", row.lastError ?? refusedMessage(provider), { code: "invalid_grant" });
    }
    return this.refreshRow(row, "on_demand", "system");
  }

  /** Forces a refresh now (the refresh-token route), under the same lease. */
  async refresh(orgId: string, integrationId: string, actor: string): Promise<FreshCredentials> {
    const row = await this.deps.integrations.get(orgId, integrationId);
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
   * Refreshes under the lease, or waits for whoever holds it. `skipIfLeased` (the cron) gives up
   * at once when another caller holds the lease or refreshed meanwhile.
   */
  async refreshRow(
    row: IntegrationRow,
    reason: RefreshReason,
    actor: string,
    skipIfLeased = false,
  ): Promise<FreshCredentials & { refreshedHere: boolean }> {
    const { db, integrations: integrationsService } = this.deps;
    let current = row;
    for (let attempt = 0; attempt < 3; attempt++) {
      const expiresRead = current.tokenExpiresAt;
      const now = Date.now();
      const [leased] = await db
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
      forgetIntegration(current.id);
      if (leased) {
        const fresh = await this.refreshLeased(leased, reason, actor);
        return { ...fresh, refreshedHere: true };
      }
      if (skipIfLeased) {
        const cur = await integrationsService.get(current.orgId, current.id);
        return { row: cur, secrets: {}, refreshedHere: false };
      }
      const waited = await this.waitForRefresh(current, expiresRead);
      if (waited)
        return { row: waited, secrets: await integrationsService.secretsOf(waited), refreshedHere: false };
      // The holder's lease lapsed without a refresh: take it over.
      current = await integrationsService.get(current.orgId, current.id);
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
      const cur = await this.deps.integrations.get(row.orgId, row.id);
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

  /** The lease holder: calls the token endpoint and saves the outcome. */
  private async refreshLeased(
    leased: IntegrationRow,
    reason: RefreshReason,
    actor: string,
  ): Promise<FreshCredentials> {
    const { settings, http } = this.deps;
    const provider = providerOf(leased) as OAuthProvider;
    let tokens: oauth.TokenEndpointResponse;
    let secrets: Record<string, string>;
    try {
      secrets = await this.deps.integrations.secretsOf(leased);
      const renew = provider.oauth.refreshAccessToken;
      if (renew) {
        const accessToken = secrets.access_token;
        if (!accessToken)
          throw new ProviderError("permanent", `${provider.displayName}: no access token; connect again`);
        const renewed = await renew({
          accessToken,
          endpoint: (url) => oauthEndpoint(settings, provider, url),
          http,
        });
        tokens = { ...renewed, token_type: "bearer" } as oauth.TokenEndpointResponse;
      } else {
        tokens = await this.refreshGrant(provider, leased, secrets);
      }
    } catch (e) {
      if (e instanceof ApiError) {
        await this.store.release(leased);
        throw e;
      }
      const err = classify(provider, e, "token refresh");
      if (
        err.invalidGrant ||
        err.opts.code === "invalid_grant" ||
        (err.kind === "auth" && !(e instanceof ProviderError))
      ) {
        await this.store.markRefused(leased, err, reason, actor);
      } else {
        await this.store.release(leased);
        this.deps.log.warn("token refresh failed", {
          integration_id: leased.id,
          org_id: leased.orgId,
          provider: leased.provider,
          reason: err.message,
          kind: err.kind,
        });
      }
      throw err;
    }
    return this.store.save(leased, secrets, tokens, reason, actor);
  }

  /**
   * A refresh-token grant at the provider's token endpoint. The request and the reading of its
   * answer share the provider timeout; when it runs out the request is aborted and an
   * OutboundTimeout is thrown (a transient failure).
   */
  private async refreshGrant(
    provider: OAuthProvider,
    leased: IntegrationRow,
    secrets: Record<string, string>,
  ): Promise<oauth.TokenEndpointResponse> {
    const { settings, http } = this.deps;
    const refreshToken = secrets.refresh_token;
    if (!refreshToken) {
      throw new ProviderError("permanent", `${provider.displayName}: no refresh token; connect again`);
    }
    const app = oauthApp(settings, this.deps.deploymentApps(), provider, leased.config, secrets);
    if (!app) {
      throw new ProviderError(
        "permanent",
        `${provider.displayName}: no OAuth app to refresh with (set the integration's client_id and client_secret, or OAUTH_APPS)`,
      );
    }
    const as = authorizationServer(settings, provider);
    const client = { client_id: app.clientId };
    return withTimeout(settings.PROVIDER_TIMEOUT_MS, async (signal) => {
      const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth(provider, app), refreshToken, {
        ...requestOptions(settings, http),
        signal,
      });
      return oauth.processRefreshTokenResponse(as, client, res);
    });
  }
}

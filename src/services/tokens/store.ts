/**
 * Writing the outcome of a refresh to the integration's row: the new token set saved through
 * the vault (one compare-and-set UPDATE of the ciphertext, expiry and lease, merged again once
 * when another write got there first), the lease released when a refresh gives up, and a grant
 * the provider refused for good recorded as `error` with the host app told.
 */

import { and, eq, sql } from "drizzle-orm";
import type * as oauth from "oauth4webapi";
import { batchAcross } from "../../db/batch.ts";
import { type IntegrationRow, integrations } from "../../db/schema.ts";
import { redactText, secretValues } from "../../lib/redact.ts";
import type { OAuthTokens } from "../../providers/oauth.ts";
import { ProviderError } from "../../providers/runtime.ts";
import { forgetIntegration } from "../integration-cache.ts";
import { providerOf } from "../integrations.ts";
import { type FreshCredentials, sameOrNull, type TokensDeps } from "./shared.ts";

export class TokenStore {
  constructor(private readonly deps: TokensDeps) {}

  /** Gives up the refresh lease on the row, so the next caller may refresh. */
  async release(row: IntegrationRow) {
    await this.deps.db
      .update(integrations)
      .set({ refreshLeaseUntil: null })
      .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id)));
    forgetIntegration(row.id);
  }

  /**
   * Saves the refreshed tokens: one UPDATE of the ciphertext, expiry and lease, compare-and-set
   * on the ciphertext and key version read; on a lost race the row is read again and the new
   * tokens merged into its secrets once more.
   */
  async save(
    leased: IntegrationRow,
    secretsRead: Record<string, string>,
    tokens: oauth.TokenEndpointResponse,
    reason: string,
    actor: string,
  ): Promise<FreshCredentials> {
    const { db, activity, integrations: integrationsService } = this.deps;
    const provider = providerOf(leased);
    const usedRefreshToken = secretsRead.refresh_token;
    const rotated = Boolean(tokens.refresh_token && tokens.refresh_token !== usedRefreshToken);
    const expiresAt =
      typeof tokens.expires_in === "number"
        ? new Date(Date.now() + tokens.expires_in * 1000).toISOString()
        : null;
    // Settings the token response names (Salesforce's instance_url), merged into the config.
    const named = (provider.oauth?.tokenSettings?.(tokens as OAuthTokens) ?? {}) as Record<string, unknown>;
    const config = Object.keys(named).length
      ? { config: sql`json_patch(${integrations.config}, ${JSON.stringify(named)})` }
      : {};
    let base = leased;
    let secrets = secretsRead;
    for (let attempt = 0; attempt < 2; attempt++) {
      const merged: Record<string, string> = {
        ...secrets,
        access_token: tokens.access_token,
        ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
      };
      const vault = await this.deps.vault();
      const enc = await vault.encrypt(base.orgId, base.id, merged);
      const [saved] = await db
        .update(integrations)
        .set({
          secrets: enc.ciphertext,
          keyVersion: enc.keyVersion,
          secretFields: Object.keys(merged).sort(),
          tokenExpiresAt: expiresAt,
          refreshLeaseUntil: null,
          ...config,
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
      forgetIntegration(base.id);
      if (saved) {
        await activity.log({
          orgId: saved.orgId,
          integrationId: saved.id,
          action: "token_refreshed",
          message: `Access token refreshed${rotated ? " (new refresh token saved)" : ""}`,
          details: { reason, actor, rotated, token_expires_at: expiresAt },
        });
        return { row: saved, secrets: merged };
      }
      // Lost a race with another write (an organization key rotation, a reconnect): read again.
      const cur = await integrationsService.get(base.orgId, base.id);
      const curSecrets = await integrationsService.secretsOf(cur);
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
  async markRefused(row: IntegrationRow, refused: ProviderError, reason: string, actor: string) {
    const { db, activity, log } = this.deps;
    // A token endpoint's error may quote the refresh token or client secret it was sent.
    const secrets = await this.deps.integrations.secretsOf(row).catch(() => ({}));
    const err = new ProviderError(
      refused.kind,
      redactText(refused.message, secretValues(secrets)),
      refused.opts,
    );
    const now = new Date().toISOString();
    await batchAcross(db, [
      db
        .update(integrations)
        .set({
          status: "error",
          lastError: err.message,
          errorCount: sql`${integrations.errorCount} + 1`,
          refreshLeaseUntil: null,
          updatedAt: now,
        })
        .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id))),
      activity.logStatement({
        orgId: row.orgId,
        integrationId: row.id,
        level: "error",
        action: "token_refresh",
        message: err.message,
        details: { reason, actor, code: err.opts.code ?? null, status: err.opts.status ?? null },
      }),
    ]);
    forgetIntegration(row.id);
    log.error("token refresh refused", {
      integration_id: row.id,
      org_id: row.orgId,
      provider: row.provider,
      reason: err.message,
    });
    await this.deps.events.emit(
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

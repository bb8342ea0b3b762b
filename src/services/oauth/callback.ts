/**
 * Completing a connection from the provider's redirect: the state is consumed with a
 * compare-and-set (a replay loses), provider errors become readable messages, the code is
 * exchanged, the tokens are stored in the vault and the extras the provider declares in the
 * integration's config, and the integration is activated, logged and audited (never a secret).
 * The answer says where to send the browser back and whether it worked.
 */

import { and, eq, gt, isNull } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import { sha256Hex } from "../../crypto/hash.ts";
import { batchAcross } from "../../db/batch.ts";
import { integrations, type OAuthStateRow, oauthStates } from "../../db/schema.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import type { ConnectedSettings, OAuthTokens } from "../../providers/oauth.ts";
import { ProviderError } from "../../providers/runtime.ts";
import { forgetIntegration } from "../integration-cache.ts";
import type { IntegrationWrite, WriteContext } from "../integrations.ts";
import { authorizationServer, type OAuthProvider } from "../oauth-client.ts";
import { exchangeCode, tokenErrorMessage } from "./exchange.ts";
import type { OAuthOrigins } from "./origins.ts";
import { callbackConfig, connectedSettings, connectedTokens } from "./quirks.ts";
import { appFor, type CallbackResult, type OAuthDeps, oauthProvider } from "./shared.ts";

export class OAuthCallback {
  constructor(
    private readonly deps: OAuthDeps,
    private readonly origins: OAuthOrigins,
  ) {}

  /**
   * Completes a connection from the provider's redirect. A state that is missing or unknown has
   * no trustworthy return URL: that is thrown (400). Everything else is answered with where to
   * send the browser and whether it worked.
   */
  async callback(
    providerId: string,
    query: URLSearchParams,
    opts: { publicUrl?: string } = {},
  ): Promise<CallbackResult> {
    const { db } = this.deps;
    const state = query.get("state");
    if (!state) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        "This authorization response has no state, so it cannot be matched to a connection. Start the connection again.",
      );
    }
    const id = await sha256Hex(state);
    const rows = await db.select().from(oauthStates).where(eq(oauthStates.id, id)).limit(1);
    const st = rows[0];
    if (!st) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        "This connection link is unknown or no longer valid. Start the connection again from the application.",
      );
    }
    const fail = (error: string, integrationId = st.integrationId ?? undefined): CallbackResult => ({
      returnTo: st.returnTo ?? `${this.origins.publicUrl(opts.publicUrl)}/integrations`,
      success: false,
      provider: st.provider,
      ...(integrationId ? { integrationId } : {}),
      error,
    });
    if (st.provider !== providerId) {
      return fail("This authorization response came back for another provider than it was started for.");
    }
    const provider = oauthProvider(st.provider);
    if (!provider) return fail(`${st.provider} does not connect with OAuth`);
    const name = provider.displayName;
    const now = Date.now();
    if (st.usedAt !== null)
      return fail(`This ${name} authorization was already used. Start the connection again.`);
    if (st.expiresAt <= now) {
      return fail(`The ${name} authorization took too long (over 10 minutes). Start the connection again.`);
    }
    const taken = await db
      .update(oauthStates)
      .set({ usedAt: now })
      .where(and(eq(oauthStates.id, id), isNull(oauthStates.usedAt), gt(oauthStates.expiresAt, now)))
      .run();
    if (taken.meta.changes !== 1) {
      return fail(`This ${name} authorization was already used. Start the connection again.`);
    }

    const result = await this.complete(provider, st, state, query, opts.publicUrl);
    if (!result.success && st.integrationId) {
      await this.deps.activity
        .log({
          orgId: st.orgId,
          integrationId: st.integrationId,
          level: "error",
          action: "oauth_failed",
          message: `OAuth connection failed: ${result.error}`,
          details: { provider: provider.id },
        })
        .catch(() => undefined);
    }
    return result;
  }

  private async complete(
    provider: OAuthProvider,
    st: OAuthStateRow,
    state: string,
    query: URLSearchParams,
    publicUrl?: string,
  ): Promise<CallbackResult> {
    const { db, activity, settings, http } = this.deps;
    const name = provider.displayName;
    const fail = (error: string): CallbackResult => ({
      returnTo: st.returnTo ?? `${this.origins.publicUrl(publicUrl)}/integrations`,
      success: false,
      provider: provider.id,
      ...(st.integrationId ? { integrationId: st.integrationId } : {}),
      error,
    });

    let row = null;
    if (st.integrationId) {
      try {
        row = await this.deps.integrations.get(st.orgId, st.integrationId);
      } catch {
        return fail(`The ${name} integration this connection was started for no longer exists.`);
      }
    }
    const app = appFor(this.deps, provider, row, row ? await this.deps.integrations.secretsOf(row) : {});
    if (!app) return fail(`No OAuth app is configured for ${name} any more.`);

    const as = authorizationServer(settings, provider);
    const client: oauth.Client = { client_id: app.clientId };
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, client, query, state);
    } catch (e) {
      if (e instanceof oauth.AuthorizationResponseError) {
        return fail(
          e.error === "access_denied"
            ? `You declined access at ${name}.`
            : `${name} refused the authorization: ${e.error_description ?? e.error}`,
        );
      }
      return fail(`${name} sent back an invalid authorization response.`);
    }

    let tokens: OAuthTokens;
    try {
      tokens = await exchangeCode({
        settings,
        http,
        provider,
        app,
        as,
        client,
        params,
        redirectUri: this.origins.redirectUri(provider.id, publicUrl),
        codeVerifier: st.codeVerifier,
      });
    } catch (e) {
      return fail(await tokenErrorMessage(name, e));
    }

    let extras: ConnectedSettings;
    try {
      extras = await connectedSettings(settings, http, provider, tokens, row, app);
    } catch (e) {
      const msg = e instanceof ProviderError ? e.message : "the connection's details could not be read";
      return fail(`Connected to ${name}, but ${msg.replace(new RegExp(`^${name}: `), "")}`);
    }

    const { values, tokenExpiresAt } = connectedTokens(provider, tokens, extras);
    const write = {
      values,
      config: { ...callbackConfig(provider, query), ...(extras.config ?? {}) },
      status: "active" as const,
      isActive: true,
      tokenExpiresAt,
      ...(extras.apiBaseUrl ? { apiBaseUrl: extras.apiBaseUrl } : {}),
    };
    const ctx: WriteContext = {
      actor: st.actor,
      publicUrl: this.origins.publicUrl(publicUrl),
      dialect: "rest",
    };

    let integrationId: string;
    try {
      if (row) {
        await this.deps.integrations.update(st.orgId, row.id, write, ctx, "connected");
        integrationId = row.id;
      } else {
        integrationId = await this.createUnique(st.orgId, provider, write, ctx);
      }
    } catch (e) {
      const msg = e instanceof ApiError ? e.message : "the tokens could not be saved";
      return fail(`Connected to ${name}, but ${msg}`);
    }

    await batchAcross(db, [
      db
        .update(integrations)
        .set({ lastError: null })
        .where(and(eq(integrations.orgId, st.orgId), eq(integrations.id, integrationId))),
      activity.logStatement({
        orgId: st.orgId,
        integrationId,
        action: "oauth_connected",
        message: `Connected to ${name} through OAuth`,
        details: {
          provider: provider.id,
          app: app.source,
          scope: typeof tokens.scope === "string" ? tokens.scope : undefined,
          offline_access: Boolean(tokens.refresh_token),
          expires_at: tokenExpiresAt,
          settings: Object.keys(write.config),
        },
      }),
      activity.auditStatement({
        orgId: st.orgId,
        actor: st.actor,
        action: "integration.oauth_connected",
        targetType: "integration",
        targetId: integrationId,
        details: { provider: provider.id, app: app.source, created: !row },
      }),
    ]);
    forgetIntegration(integrationId);
    return {
      returnTo: st.returnTo ?? `${this.origins.publicUrl(publicUrl)}/integrations`,
      success: true,
      provider: provider.id,
      integrationId,
    };
  }

  /** Creates the integration, named after the provider (made unique: "HubSpot 2", ...). */
  private async createUnique(
    orgId: string,
    provider: OAuthProvider,
    write: IntegrationWrite,
    ctx: WriteContext,
  ): Promise<string> {
    const { db } = this.deps;
    for (let attempt = 0; attempt < 5; attempt++) {
      const taken = new Set(
        (
          await db
            .select({ name: integrations.name })
            .from(integrations)
            .where(and(eq(integrations.orgId, orgId), eq(integrations.provider, provider.id)))
        ).map((r) => r.name),
      );
      let name = provider.displayName;
      for (let n = 2; taken.has(name); n++) name = `${provider.displayName} ${n}`;
      try {
        const row = await this.deps.integrations.create(orgId, provider, { ...write, name }, ctx);
        return row.id;
      } catch (e) {
        // Another connection took the name meanwhile: pick again.
        if (e instanceof ApiError && e.code === ErrorCode.CONFLICT) continue;
        throw e;
      }
    }
    throw new ApiError(ErrorCode.CONFLICT, "could not pick a free integration name; retry");
  }
}

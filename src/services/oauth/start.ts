/**
 * Starting a connection: checks the provider, the integration and the return URL, resolves the
 * OAuth app, stores a single-use `state` (only its SHA-256, bound to the organization, provider,
 * integration, return URL and PKCE verifier; 10 minutes) and builds the provider's authorize URL.
 */
import { lt } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import { sha256Hex } from "../../crypto/hash.ts";
import { oauthStates } from "../../db/schema.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { getProvider } from "../../providers/registry.ts";
import { authorizationServer, type OAuthProvider } from "../oauth-client.ts";
import type { OAuthOrigins } from "./origins.ts";
import { appFor, type OAuthDeps, STATE_RETENTION_MS, STATE_TTL_MS, type StartOptions } from "./shared.ts";

export class OAuthStart {
  constructor(
    private readonly deps: OAuthDeps,
    private readonly origins: OAuthOrigins,
  ) {}

  /** Starts a connection: returns the provider's authorize URL to send the browser to. */
  async start(
    orgId: string,
    providerId: string,
    opts: StartOptions,
  ): Promise<{ url: string; expiresAt: number }> {
    const { db, integrations } = this.deps;
    const provider = getProvider(providerId);
    if (!provider) {
      throw new ApiError(ErrorCode.UNKNOWN_PROVIDER, `Unknown provider "${providerId}"`, {
        issues: [{ path: "provider", message: "unknown provider" }],
      });
    }
    if (!provider.oauth) {
      throw new ApiError(ErrorCode.BAD_REQUEST, `${provider.displayName} does not connect with OAuth`);
    }
    const p = provider as OAuthProvider;
    let row = null;
    if (opts.integrationId) {
      row = await integrations.get(orgId, opts.integrationId);
      if (row.provider !== p.id) throw new ApiError(ErrorCode.NOT_FOUND, "Integration not found");
    }
    const returnTo = this.origins.checkReturnTo(opts.returnTo, opts.publicUrl);
    const app = appFor(this.deps, p, row, row ? await integrations.secretsOf(row) : {});
    if (!app) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        `No OAuth app for ${p.displayName}: set client_id and client_secret on the integration, ` +
          `or configure OAUTH_APPS.${p.id} for the deployment`,
      );
    }
    const state = oauth.generateRandomState();
    const verifier = p.oauth.pkce ? oauth.generateRandomCodeVerifier() : null;
    const now = Date.now();
    const expiresAt = now + STATE_TTL_MS;
    await db.batch([
      db.delete(oauthStates).where(lt(oauthStates.expiresAt, now - STATE_RETENTION_MS)),
      db.insert(oauthStates).values({
        id: await sha256Hex(state),
        orgId,
        provider: p.id,
        integrationId: row?.id ?? null,
        returnTo,
        codeVerifier: verifier,
        actor: opts.actor,
        expiresAt,
      }),
    ]);

    const as = authorizationServer(this.deps.settings, p);
    const url = new URL(as.authorization_endpoint as string);
    for (const [k, v] of Object.entries(p.oauth.authorizeParams ?? {})) url.searchParams.set(k, v);
    url.searchParams.set("client_id", app.clientId);
    url.searchParams.set("redirect_uri", this.origins.redirectUri(p.id, opts.publicUrl));
    url.searchParams.set("response_type", "code");
    if (p.oauth.scopes.length)
      url.searchParams.set("scope", p.oauth.scopes.join(p.oauth.scopeSeparator ?? " "));
    url.searchParams.set("state", state);
    if (verifier) {
      url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
      url.searchParams.set("code_challenge_method", "S256");
    }
    return { url: url.toString(), expiresAt };
  }
}

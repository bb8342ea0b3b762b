/**
 * The OAuth 2.0 connection flow (authorization code with PKCE), protocol by oauth4webapi:
 * - `start` checks the provider, the integration and the return URL (no open redirects),
 *   resolves the OAuth app, stores a single-use `state` (only its SHA-256, bound to the
 *   organization, provider, integration, return URL and PKCE verifier; 10 minutes) and builds
 *   the provider's authorize URL.
 * - `callback` consumes the state with a compare-and-set (a replay loses), turns provider errors
 *   into readable messages, exchanges the code, stores the tokens in the vault and the extras
 *   the provider declares (QuickBooks' realm id, Salesforce's instance URL, Xero's tenant) in the
 *   integration's config, activates it, logs and audits it (never a secret), and answers where
 *   to send the browser back.
 */
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import type { Settings } from "../config.ts";
import { sha256Hex } from "../crypto/hash.ts";
import type { Db } from "../db/client.ts";
import { integrations, type OAuthStateRow, oauthStates } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { providerBaseUrl } from "../providers/base-url.ts";
import type { ConnectedSettings, OAuthTokens } from "../providers/oauth.ts";
import { getProvider } from "../providers/registry.ts";
import { type HttpClient, ProviderError } from "../providers/runtime.ts";
import type { Activity } from "./activity.ts";
import type { Integrations, IntegrationWrite, WriteContext } from "./integrations.ts";
import {
  authorizationServer,
  clientAuth,
  type DeploymentApps,
  type OAuthApp,
  type OAuthProvider,
  oauthApp,
  oauthEndpoint,
  requestOptions,
} from "./oauth-client.ts";

export const STATE_TTL_MS = 10 * 60 * 1000;
/** Used and expired states stay this long, so a late replay still gets a precise message. */
const STATE_RETENTION_MS = 24 * 60 * 60 * 1000;
/** A code exchange is one user-facing call; it may take longer than an ordinary provider call. */
const EXCHANGE_TIMEOUT_MS = 15_000;

export interface StartOptions {
  integrationId?: string;
  returnTo?: string;
  actor: string;
  /** Public origin of the hub when PUBLIC_URL is not set (the request's origin). */
  publicUrl?: string;
}

export interface CallbackResult {
  returnTo: string;
  success: boolean;
  provider: string;
  integrationId?: string;
  error?: string;
}

/** The providers that connect with OAuth. */
export function oauthProvider(providerId: string): OAuthProvider | undefined {
  const p = getProvider(providerId);
  return p?.oauth ? (p as OAuthProvider) : undefined;
}

const invalid = (path: string, message: string) =>
  new ApiError(ErrorCode.INVALID_FIELD, `${path}: ${message}`, { issues: [{ path, message }] });

/**
 * The hub's public origin, for OAuth redirect URIs, return URL checks, connect links and webhook
 * URLs: PUBLIC_URL. The request's own origin comes from its Host header, which the client
 * chooses, so only a development deployment (SANDBOX_ENABLED) without PUBLIC_URL falls back to
 * it; production without PUBLIC_URL is a clear 503.
 */
export function publicOrigin(settings: Settings, requestOrigin?: string): string {
  const url = settings.PUBLIC_URL ?? (settings.SANDBOX_ENABLED ? requestOrigin : undefined);
  if (!url) {
    throw new ApiError(
      ErrorCode.NOT_CONFIGURED,
      "PUBLIC_URL is not set: OAuth redirect URIs, connect links and webhook URLs need this deployment's public origin (set the PUBLIC_URL var)",
    );
  }
  return url.replace(/\/+$/, "");
}

export class OAuthFlows {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly settings: Settings,
    private readonly http: HttpClient,
    /** The deployment's OAuth apps; throws a clear ApiError when OAUTH_APPS is malformed. */
    private readonly deploymentApps: () => DeploymentApps,
    /** `OAUTH_RETURN_ORIGINS`, comma-separated. */
    private readonly returnOriginsList?: string,
  ) {}

  /** The hub's public origin (see publicOrigin). */
  publicUrl(requestOrigin?: string): string {
    return publicOrigin(this.settings, requestOrigin);
  }

  /** Where the provider sends the browser back: register this URL with the provider's app. */
  redirectUri(providerId: string, publicUrl?: string): string {
    return `${this.publicUrl(publicUrl)}/api/integrations/${providerId}/callback`;
  }

  /** Origins a flow may return the browser to: PUBLIC_URL's and OAUTH_RETURN_ORIGINS. */
  returnOrigins(publicUrl?: string): Set<string> {
    const out = new Set<string>([new URL(this.publicUrl(publicUrl)).origin]);
    for (const raw of (this.returnOriginsList ?? "").split(",")) {
      const s = raw.trim();
      if (!s) continue;
      try {
        out.add(new URL(s).origin);
      } catch {
        // A malformed entry allows nothing.
      }
    }
    return out;
  }

  /**
   * Checks a return URL: absolute http(s), on an allowed origin. Returns it normalized, or the
   * default (`${PUBLIC_URL}/integrations`) when none is given; throws 400 otherwise.
   */
  checkReturnTo(returnTo: string | undefined | null, publicUrl?: string, path = "return_to"): string {
    if (returnTo === undefined || returnTo === null || returnTo === "")
      return `${this.publicUrl(publicUrl)}/integrations`;
    let url: URL;
    try {
      url = new URL(returnTo);
    } catch {
      throw invalid(path, "must be an absolute URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw invalid(path, "must be an http(s) URL");
    if (url.username || url.password) throw invalid(path, "must not carry credentials");
    if (!this.returnOrigins(publicUrl).has(url.origin)) {
      throw invalid(
        path,
        `origin ${url.origin} is not allowed; use this deployment's origin or one listed in OAUTH_RETURN_ORIGINS`,
      );
    }
    return url.toString();
  }

  private async appFor(
    provider: OAuthProvider,
    row: { config: Record<string, unknown> } | null,
    secrets: Record<string, string>,
  ): Promise<OAuthApp | null> {
    return oauthApp(this.settings, this.deploymentApps(), provider, row?.config ?? {}, secrets);
  }

  /** Starts a connection: returns the provider's authorize URL to send the browser to. */
  async start(
    orgId: string,
    providerId: string,
    opts: StartOptions,
  ): Promise<{ url: string; expiresAt: number }> {
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
      row = await this.integrations.get(orgId, opts.integrationId);
      if (row.provider !== p.id) throw new ApiError(ErrorCode.NOT_FOUND, "Integration not found");
    }
    const returnTo = this.checkReturnTo(opts.returnTo, opts.publicUrl);
    const app = await this.appFor(p, row, row ? await this.integrations.secretsOf(row) : {});
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
    await this.db.batch([
      this.db.delete(oauthStates).where(lt(oauthStates.expiresAt, now - STATE_RETENTION_MS)),
      this.db.insert(oauthStates).values({
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

    const as = authorizationServer(this.settings, p);
    const url = new URL(as.authorization_endpoint as string);
    for (const [k, v] of Object.entries(p.oauth.authorizeParams ?? {})) url.searchParams.set(k, v);
    url.searchParams.set("client_id", app.clientId);
    url.searchParams.set("redirect_uri", this.redirectUri(p.id, opts.publicUrl));
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
    const state = query.get("state");
    if (!state) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        "This authorization response has no state, so it cannot be matched to a connection. Start the connection again.",
      );
    }
    const id = await sha256Hex(state);
    const rows = await this.db.select().from(oauthStates).where(eq(oauthStates.id, id)).limit(1);
    const st = rows[0];
    if (!st) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        "This connection link is unknown or no longer valid. Start the connection again from the application.",
      );
    }
    const fail = (error: string, integrationId = st.integrationId ?? undefined): CallbackResult => ({
      returnTo: st.returnTo ?? `${this.publicUrl(opts.publicUrl)}/integrations`,
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
    const taken = await this.db
      .update(oauthStates)
      .set({ usedAt: now })
      .where(and(eq(oauthStates.id, id), isNull(oauthStates.usedAt), gt(oauthStates.expiresAt, now)))
      .run();
    if (taken.meta.changes !== 1) {
      return fail(`This ${name} authorization was already used. Start the connection again.`);
    }

    const result = await this.complete(provider, st, state, query, opts.publicUrl);
    if (!result.success && st.integrationId) {
      await this.activity
        .logStatement({
          orgId: st.orgId,
          integrationId: st.integrationId,
          level: "error",
          action: "oauth_failed",
          message: `OAuth connection failed: ${result.error}`,
          details: { provider: provider.id },
        })
        .run()
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
    const name = provider.displayName;
    const fail = (error: string): CallbackResult => ({
      returnTo: st.returnTo ?? `${this.publicUrl(publicUrl)}/integrations`,
      success: false,
      provider: provider.id,
      ...(st.integrationId ? { integrationId: st.integrationId } : {}),
      error,
    });

    let row = null;
    if (st.integrationId) {
      try {
        row = await this.integrations.get(st.orgId, st.integrationId);
      } catch {
        return fail(`The ${name} integration this connection was started for no longer exists.`);
      }
    }
    const app = await this.appFor(provider, row, row ? await this.integrations.secretsOf(row) : {});
    if (!app) return fail(`No OAuth app is configured for ${name} any more.`);

    const as = authorizationServer(this.settings, provider);
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
      const options = {
        ...requestOptions(this.settings, withTokenType(this.http, provider.oauth.defaultTokenType)),
        signal: AbortSignal.timeout(Math.max(this.settings.PROVIDER_TIMEOUT_MS, EXCHANGE_TIMEOUT_MS)),
      };
      const res = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth(provider, app),
        params,
        this.redirectUri(provider.id, publicUrl),
        st.codeVerifier ?? oauth.nopkce,
        options,
      );
      tokens = (await oauth.processAuthorizationCodeResponse(as, client, res)) as OAuthTokens;
    } catch (e) {
      return fail(await tokenErrorMessage(name, e));
    }

    let extras: ConnectedSettings = {};
    const callbackConfig: Record<string, unknown> = {};
    for (const [param, setting] of Object.entries(provider.oauth.callbackSettings ?? {})) {
      const v = query.get(param);
      if (v) callbackConfig[setting] = v;
    }
    if (provider.oauth.connected) {
      try {
        extras = await provider.oauth.connected({
          tokens,
          baseUrl: providerBaseUrl(provider, this.settings, row?.apiBaseUrl, row?.config ?? {}),
          endpoint: (url) => oauthEndpoint(this.settings, provider, url),
          http: this.http,
          app: { clientId: app.clientId, clientSecret: app.clientSecret },
        });
      } catch (e) {
        const msg = e instanceof ProviderError ? e.message : "the connection's details could not be read";
        return fail(`Connected to ${name}, but ${msg.replace(new RegExp(`^${name}: `), "")}`);
      }
    }

    const hasRefreshField = provider.fields.some((f) => f.name === "refresh_token");
    const values: Record<string, unknown> = {
      access_token: extras.token?.access_token ?? tokens.access_token,
    };
    if (hasRefreshField) values.refresh_token = tokens.refresh_token ?? null;
    const expiresIn = extras.token
      ? (extras.token.expires_in ?? undefined)
      : typeof tokens.expires_in === "number"
        ? tokens.expires_in
        : undefined;
    const tokenExpiresAt =
      expiresIn !== undefined ? new Date(Date.now() + expiresIn * 1000).toISOString() : null;
    const write = {
      values,
      config: { ...callbackConfig, ...(extras.config ?? {}) },
      status: "active" as const,
      isActive: true,
      tokenExpiresAt,
      ...(extras.apiBaseUrl ? { apiBaseUrl: extras.apiBaseUrl } : {}),
    };
    const ctx: WriteContext = { actor: st.actor, publicUrl: this.publicUrl(publicUrl), dialect: "rest" };

    let integrationId: string;
    try {
      if (row) {
        await this.integrations.update(st.orgId, row.id, write, ctx, "connected");
        integrationId = row.id;
      } else {
        integrationId = await this.createUnique(st.orgId, provider, write, ctx);
      }
    } catch (e) {
      const msg = e instanceof ApiError ? e.message : "the tokens could not be saved";
      return fail(`Connected to ${name}, but ${msg}`);
    }

    await this.db.batch([
      this.db
        .update(integrations)
        .set({ lastError: null })
        .where(and(eq(integrations.orgId, st.orgId), eq(integrations.id, integrationId))),
      this.activity.logStatement({
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
      this.activity.auditStatement({
        orgId: st.orgId,
        actor: st.actor,
        action: "integration.oauth_connected",
        targetType: "integration",
        targetId: integrationId,
        details: { provider: provider.id, app: app.source, created: !row },
      }),
    ]);
    return {
      returnTo: st.returnTo ?? `${this.publicUrl(publicUrl)}/integrations`,
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
    for (let attempt = 0; attempt < 5; attempt++) {
      const taken = new Set(
        (
          await this.db
            .select({ name: integrations.name })
            .from(integrations)
            .where(and(eq(integrations.orgId, orgId), eq(integrations.provider, provider.id)))
        ).map((r) => r.name),
      );
      let name = provider.displayName;
      for (let n = 2; taken.has(name); n++) name = `${provider.displayName} ${n}`;
      try {
        const row = await this.integrations.create(orgId, provider, { ...write, name }, ctx);
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

/**
 * A provider that omits `token_type` (RFC 6749 requires it and oauth4webapi checks it) declares
 * the one its tokens have (`OAuthSettings.defaultTokenType`): a successful JSON token response
 * without one gets it. Other providers' responses pass as they are.
 */
function withTokenType(http: HttpClient, tokenType: string | undefined): HttpClient {
  if (!tokenType) return http;
  return async (req) => {
    const res = await http(req);
    if (res.status !== 200 || !/json/i.test(res.headers.get("content-type") ?? "")) return res;
    let body: unknown;
    try {
      body = await res.clone().json();
    } catch {
      return res;
    }
    if (
      body &&
      typeof body === "object" &&
      !Array.isArray(body) &&
      typeof (body as Record<string, unknown>).access_token === "string" &&
      (body as Record<string, unknown>).token_type === undefined
    ) {
      return Response.json(
        { ...body, token_type: tokenType },
        { status: 200, headers: { "cache-control": "no-store" } },
      );
    }
    return res;
  };
}

/** A readable reason for a failed code exchange; never echoes a secret. */
async function tokenErrorMessage(name: string, e: unknown): Promise<string> {
  let error: string | undefined;
  let description: string | undefined;
  let response: Response | undefined;
  if (e instanceof oauth.ResponseBodyError) {
    error = e.error;
    description = e.error_description;
  } else if (e instanceof oauth.WWWAuthenticateChallengeError) {
    response = e.response;
  } else if (e instanceof oauth.OperationProcessingError && e.cause instanceof Response) {
    response = e.cause;
  }
  if (response && !error) {
    try {
      const body = (await response.clone().json()) as Record<string, unknown>;
      const graph =
        body.error && typeof body.error === "object" ? (body.error as Record<string, unknown>) : null;
      if (typeof body.error === "string") {
        error = body.error;
        description = typeof body.error_description === "string" ? body.error_description : undefined;
      } else if (graph && typeof graph.message === "string") {
        description = graph.message;
      } else if (typeof body.error_message === "string") {
        description = body.error_message;
      }
    } catch {
      // Not JSON: the status says enough.
    }
    if (!error && !description) description = `HTTP ${response.status}`;
  }
  const detail = description ? ` (${description})` : "";
  if (error === "invalid_grant") {
    return `${name} did not accept the authorization${detail}. Start the connection again.`;
  }
  if (error === "invalid_client" || error === "unauthorized_client") {
    return `${name} did not accept the OAuth app's client id or secret${detail}.`;
  }
  if (error) return `${name} refused the token request: ${error}${detail}.`;
  if (description) return `${name} refused the token request${detail}.`;
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) {
    return `${name} did not answer in time. Try connecting again.`;
  }
  if (e instanceof TypeError) return `${name} could not be reached. Try connecting again.`;
  return `${name} sent an unexpected answer to the token request.`;
}

/**
 * What provider modules declare about their OAuth (`OAuthSettings`) and the flow applies: the
 * `token_type` a provider's token responses omit, the callback query parameters kept as
 * settings (QuickBooks' realm id), the settings read after the exchange (Xero's tenant,
 * Salesforce's instance URL) and which tokens the integration keeps.
 */
import type { Settings } from "../../config.ts";
import type { IntegrationRow } from "../../db/schema.ts";
import { providerBaseUrl } from "../../providers/base-url.ts";
import type { ConnectedSettings, OAuthTokens } from "../../providers/oauth.ts";
import type { HttpClient } from "../../providers/runtime.ts";
import { type OAuthApp, type OAuthProvider, oauthEndpoint } from "../oauth-client.ts";

/**
 * A provider that omits `token_type` (RFC 6749 requires it and oauth4webapi checks it) declares
 * the one its tokens have (`OAuthSettings.defaultTokenType`): a successful JSON token response
 * without one gets it. Other providers' responses pass as they are.
 */
export function withTokenType(http: HttpClient, tokenType: string | undefined): HttpClient {
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

/** The callback's query parameters the provider keeps as settings (`callbackSettings`). */
export function callbackConfig(provider: OAuthProvider, query: URLSearchParams): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [param, setting] of Object.entries(provider.oauth.callbackSettings ?? {})) {
    const v = query.get(param);
    if (v) config[setting] = v;
  }
  return config;
}

/**
 * The settings the token response names (`tokenSettings`), and the provider's `connected` hook
 * run with the new tokens, when it declares one: the settings, API base or exchanged token it
 * reads. Throws what the hook throws.
 */
export async function connectedSettings(
  settings: Settings,
  http: HttpClient,
  provider: OAuthProvider,
  tokens: OAuthTokens,
  row: IntegrationRow | null,
  app: OAuthApp,
): Promise<ConnectedSettings> {
  const fromTokens = provider.oauth.tokenSettings?.(tokens) ?? {};
  const named = Object.keys(fromTokens).length ? { config: fromTokens } : {};
  if (!provider.oauth.connected) return named;
  const extras = await provider.oauth.connected({
    tokens,
    baseUrl: providerBaseUrl(provider, settings, row?.apiBaseUrl, row?.config ?? {}),
    endpoint: (url) => oauthEndpoint(settings, provider, url),
    http,
    app: { clientId: app.clientId, clientSecret: app.clientSecret },
  });
  return { ...extras, config: { ...fromTokens, ...(extras.config ?? {}) } };
}

/**
 * The secret values the integration keeps from the exchange (the access token, and the refresh
 * token when the provider has that field) and when the access token expires; a token the
 * `connected` hook exchanged for (a long-lived one) replaces the code's.
 */
export function connectedTokens(
  provider: OAuthProvider,
  tokens: OAuthTokens,
  extras: ConnectedSettings,
): { values: Record<string, unknown>; tokenExpiresAt: string | null } {
  const values: Record<string, unknown> = {
    access_token: extras.token?.access_token ?? tokens.access_token,
  };
  if (provider.fields.some((f) => f.name === "refresh_token"))
    values.refresh_token = tokens.refresh_token ?? null;
  Object.assign(values, extras.secrets ?? {});
  const expiresIn = extras.token
    ? (extras.token.expires_in ?? undefined)
    : typeof tokens.expires_in === "number"
      ? tokens.expires_in
      : undefined;
  const tokenExpiresAt =
    expiresIn !== undefined ? new Date(Date.now() + expiresIn * 1000).toISOString() : null;
  return { values, tokenExpiresAt };
}

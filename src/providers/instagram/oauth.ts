/**
 * Instagram API with Instagram Login (providers.md §1c): the code gives a short-lived token
 * (1 hour), exchanged at once for a long-lived one (60 days, `ig_exchange_token`); the token
 * response's `user_id` is the account the integration sends as. There are no refresh tokens:
 * the long-lived token renews itself (`ig_refresh_token`) while it is still valid.
 */

import type { OAuthSettings } from "../oauth.ts";
import { field, ProviderError } from "../runtime.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: "https://www.instagram.com/oauth/authorize",
  tokenUrl: "https://api.instagram.com/oauth/access_token",
  scopes: ["instagram_business_basic", "instagram_business_manage_messages"],
  scopeSeparator: ",",
  pkce: false,
  clientAuth: "client_secret_post",
  refreshTokens: false,
  rotatesRefreshToken: false,
  // The token endpoint omits `token_type`; its tokens are bearer tokens.
  defaultTokenType: "bearer",
  async refreshAccessToken({ accessToken, endpoint, http }) {
    const url = new URL(endpoint("https://graph.instagram.com/refresh_access_token"));
    url.searchParams.set("grant_type", "ig_refresh_token");
    url.searchParams.set("access_token", accessToken);
    const res = await http(new Request(url, { headers: { accept: "application/json" } }));
    const body: unknown = await res.json().catch(() => undefined);
    const token = field(body, "access_token");
    if (res.ok && typeof token === "string") {
      const expiresIn = field(body, "expires_in");
      return { access_token: token, ...(typeof expiresIn === "number" ? { expires_in: expiresIn } : {}) };
    }
    const message = field(body, "error", "message") ?? field(body, "error_message") ?? `HTTP ${res.status}`;
    if (res.status >= 500 || res.status === 429)
      throw new ProviderError(
        res.status === 429 ? "rate_limited" : "transient",
        `Instagram token refresh: ${message}`,
      );
    // Graph's 190: the token is no longer valid, so it can never be renewed.
    throw new ProviderError("auth", "Instagram refused the token (invalid_grant); connect again", {
      status: res.status,
      code: "invalid_grant",
    });
  },
  async connected({ tokens, endpoint, http, app }) {
    const url = new URL(endpoint("https://graph.instagram.com/access_token"));
    url.searchParams.set("grant_type", "ig_exchange_token");
    url.searchParams.set("client_secret", app.clientSecret);
    url.searchParams.set("access_token", tokens.access_token);
    const res = await http(new Request(url, { headers: { accept: "application/json" } }));
    const body: unknown = await res.json().catch(() => undefined);
    const long = field(body, "access_token");
    if (!res.ok || typeof long !== "string") {
      const message = field(body, "error", "message") ?? field(body, "error_message");
      throw new ProviderError(
        "permanent",
        `Instagram: the long-lived token exchange failed (${typeof message === "string" ? message : `HTTP ${res.status}`})`,
      );
    }
    const expiresIn = field(body, "expires_in");
    const id = tokens.user_id;
    return {
      ...(typeof id === "string" || typeof id === "number"
        ? { config: { instagram_scoped_id: String(id) } }
        : {}),
      token: { access_token: long, expires_in: typeof expiresIn === "number" ? expiresIn : null },
    };
  },
};

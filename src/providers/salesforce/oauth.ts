/**
 * Salesforce OAuth (providers.md §16): the token response's `instance_url` is the connection's
 * API base, kept from the code exchange and from every refresh (it changes when the org moves to
 * another instance); refresh tokens need the `refresh_token` scope and rotate only where the app
 * says so. The token response has no `expires_in`: a session ends when Salesforce says so, with
 * 401 INVALID_SESSION_ID (see `sessionExpired` in index.ts).
 */
import type { OAuthSettings } from "../oauth.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: "https://login.salesforce.com/services/oauth2/authorize",
  tokenUrl: "https://login.salesforce.com/services/oauth2/token",
  revokeUrl: "https://login.salesforce.com/services/oauth2/revoke",
  scopes: ["api", "refresh_token"],
  pkce: true,
  clientAuth: "client_secret_post",
  authorizeParams: { prompt: "consent" },
  refreshTokens: true,
  rotatesRefreshToken: false,
  tokenSettings(tokens) {
    const instance = typeof tokens.instance_url === "string" ? tokens.instance_url : undefined;
    return instance ? { instance_url: instance } : {};
  },
};

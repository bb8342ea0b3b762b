/**
 * Salesforce OAuth (providers.md §16): the token response's `instance_url` is the connection's
 * API base; refresh tokens need the `refresh_token` scope and rotate only where the app says so.
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
  async connected({ tokens }) {
    const instance = typeof tokens.instance_url === "string" ? tokens.instance_url : undefined;
    return instance ? { config: { instance_url: instance } } : {};
  },
};

/**
 * Instagram API with Instagram Login (providers.md §1c): a short-lived token from the code,
 * refreshed (not by a refresh token) before its 60 days run out.
 */
import type { OAuthSettings } from "../oauth.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: "https://www.instagram.com/oauth/authorize",
  tokenUrl: "https://api.instagram.com/oauth/access_token",
  scopes: ["instagram_business_basic", "instagram_business_manage_messages"],
  scopeSeparator: ",",
  pkce: false,
  clientAuth: "client_secret_post",
  refreshTokens: false,
  rotatesRefreshToken: false,
  // The code exchange names the account: it is the integration's Instagram account id.
  async connected({ tokens }) {
    const id = tokens.user_id;
    return typeof id === "string" || typeof id === "number"
      ? { config: { instagram_scoped_id: String(id) } }
      : {};
  },
};

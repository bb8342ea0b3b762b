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
};

/** Google OAuth (providers.md §14): offline access and consent for a refresh token, which does not rotate. */
import type { OAuthSettings } from "../oauth.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
  tokenUrl: "https://oauth2.googleapis.com/token",
  revokeUrl: "https://oauth2.googleapis.com/revoke",
  scopes: ["https://www.googleapis.com/auth/calendar"],
  pkce: true,
  clientAuth: "client_secret_post",
  authorizeParams: { access_type: "offline", prompt: "consent", include_granted_scopes: "true" },
  refreshTokens: true,
  rotatesRefreshToken: false,
};

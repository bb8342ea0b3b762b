/**
 * QuickBooks Online OAuth (providers.md §18): Basic client auth at the token endpoint, the
 * company's `realmId` on the callback, and a refresh token that can change on every refresh.
 */
import type { OAuthSettings } from "../oauth.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: "https://appcenter.intuit.com/connect/oauth2",
  tokenUrl: "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
  revokeUrl: "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
  scopes: ["com.intuit.quickbooks.accounting"],
  pkce: true,
  clientAuth: "client_secret_basic",
  refreshTokens: true,
  rotatesRefreshToken: true,
  callbackSettings: { realmId: "realm_id" },
};

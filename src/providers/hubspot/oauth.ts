/** HubSpot OAuth (providers.md §15): 30-minute access tokens, a long-lived refresh token. */
import type { OAuthSettings } from "../oauth.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: "https://app.hubspot.com/oauth/authorize",
  tokenUrl: "https://api.hubapi.com/oauth/v3/token",
  scopes: ["oauth", "crm.objects.contacts.read", "crm.objects.companies.read"],
  pkce: true,
  clientAuth: "client_secret_post",
  refreshTokens: true,
  // Rotation is unconfirmed; whatever a refresh returns is saved.
  rotatesRefreshToken: false,
};

/** HubSpot OAuth (providers.md §15): 30-minute access tokens, a long-lived refresh token. */
import type { OAuthSettings } from "../oauth.ts";
import { ProviderError } from "../runtime.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: "https://app.hubspot.com/oauth/authorize",
  tokenUrl: "https://api.hubapi.com/oauth/v3/token",
  scopes: ["oauth", "crm.objects.contacts.read", "crm.objects.companies.read"],
  pkce: true,
  clientAuth: "client_secret_post",
  refreshTokens: true,
  // Rotation is unconfirmed; whatever a refresh returns is saved.
  rotatesRefreshToken: false,
  // HubSpot revokes a refresh token (and the app's access for it) with a DELETE of the token.
  async revoke({ refreshToken, endpoint, http }) {
    if (!refreshToken) return;
    const url = endpoint(
      `https://api.hubapi.com/oauth/v1/refresh-tokens/${encodeURIComponent(refreshToken)}`,
    );
    const res = await http(new Request(url, { method: "DELETE" }));
    if (!res.ok && res.status !== 404)
      throw new ProviderError(
        res.status >= 500 ? "transient" : "permanent",
        `HubSpot answered ${res.status}`,
      );
  },
};

/**
 * Xero OAuth (providers.md §19): 30-minute access tokens, a refresh token that rotates on every
 * use, and the tenant (organisation) read from the connections endpoint after connecting.
 */

import type { OAuthSettings } from "../oauth.ts";
import { field, ProviderError } from "../runtime.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: "https://login.xero.com/identity/connect/authorize",
  tokenUrl: "https://identity.xero.com/connect/token",
  revokeUrl: "https://identity.xero.com/connect/revocation",
  // Xero's ID tokens (the openid scope) are issued by identity.xero.com, not the login host.
  issuer: "https://identity.xero.com",
  scopes: ["openid", "profile", "email", "offline_access", "accounting.transactions", "accounting.contacts"],
  pkce: true,
  clientAuth: "client_secret_basic",
  refreshTokens: true,
  rotatesRefreshToken: true,
  async connected({ tokens, endpoint, http }) {
    const res = await http(
      new Request(endpoint("https://api.xero.com/connections"), {
        headers: { authorization: `Bearer ${tokens.access_token}`, accept: "application/json" },
      }),
    );
    const list: unknown = res.ok ? await res.json() : undefined;
    const first = Array.isArray(list) ? list[0] : undefined;
    const tenantId = field(first, "tenantId");
    if (typeof tenantId !== "string")
      throw new ProviderError(
        "permanent",
        "Xero: the connection has no organisation (connections answered none)",
      );
    const name = field(first, "tenantName");
    return { config: { tenant_id: tenantId, ...(typeof name === "string" ? { tenant_name: name } : {}) } };
  },
};

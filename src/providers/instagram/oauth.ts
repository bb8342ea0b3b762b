/**
 * Instagram API with Instagram Login (providers.md §1c): the code gives a short-lived token
 * (1 hour), exchanged at once for a long-lived one (60 days, `ig_exchange_token`); the token
 * response's `user_id` is the account the integration sends as.
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

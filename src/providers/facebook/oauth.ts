/**
 * Facebook Login (providers.md §1): the dialog and token endpoint of the pinned Graph version.
 * There are no refresh tokens. After the code exchange the short-lived user token is exchanged
 * for a long-lived one (`fb_exchange_token`), and the Page token is read from `GET /me/accounts`:
 * a Page token obtained with a long-lived user token does not expire, and it is what Messenger
 * sends and Lead Ads reads need. The first Page is used until the user chooses another; the
 * long-lived user token is kept (`user_access_token`) to list them.
 */

import type { ConnectedContext, OAuthSettings } from "../oauth.ts";
import { field, ProviderError } from "../runtime.ts";
import { GRAPH_VERSION } from "./graph.ts";

const GRAPH = `https://graph.facebook.com/${GRAPH_VERSION}`;

async function graphGet(ctx: ConnectedContext, path: string, query: Record<string, string>) {
  const url = new URL(ctx.endpoint(`${GRAPH}${path}`));
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await ctx.http(new Request(url, { headers: { accept: "application/json" } }));
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const message = field(body, "error", "message");
    throw new ProviderError(
      "permanent",
      `Facebook: ${typeof message === "string" ? message : `HTTP ${res.status}`}`,
    );
  }
  return body;
}

export const oauth: OAuthSettings = {
  authorizeUrl: `https://www.facebook.com/${GRAPH_VERSION}/dialog/oauth`,
  tokenUrl: `${GRAPH}/oauth/access_token`,
  scopes: ["pages_show_list", "pages_messaging", "pages_manage_metadata", "leads_retrieval"],
  scopeSeparator: ",",
  pkce: false,
  clientAuth: "client_secret_post",
  refreshTokens: false,
  rotatesRefreshToken: false,
  // Removing the app's permissions ends the login and every Page token it led to.
  async revoke({ accessToken, endpoint, http }) {
    if (!accessToken) return;
    const res = await http(
      new Request(endpoint(`${GRAPH}/me/permissions`), {
        method: "DELETE",
        headers: { authorization: `Bearer ${accessToken}` },
      }),
    );
    if (!res.ok)
      throw new ProviderError(
        res.status >= 500 ? "transient" : "permanent",
        `Facebook answered ${res.status}`,
      );
  },
  async connected(ctx) {
    const long = await graphGet(ctx, "/oauth/access_token", {
      grant_type: "fb_exchange_token",
      client_id: ctx.app.clientId,
      client_secret: ctx.app.clientSecret,
      fb_exchange_token: ctx.tokens.access_token,
    });
    const userToken = field(long, "access_token");
    if (typeof userToken !== "string")
      throw new ProviderError("permanent", "Facebook: no long-lived token came back");
    const pages = field(await graphGet(ctx, "/me/accounts", { access_token: userToken }), "data");
    const page = Array.isArray(pages) ? pages[0] : undefined;
    const pageId = field(page, "id");
    const pageToken = field(page, "access_token");
    if (typeof pageId !== "string" || typeof pageToken !== "string")
      throw new ProviderError("permanent", "Facebook: the account manages no Page this app may use");
    const name = field(page, "name");
    // The first Page to begin with; the user token stays to list the others (`accounts`).
    return {
      config: { page_id: pageId, ...(typeof name === "string" ? { page_name: name } : {}) },
      token: { access_token: pageToken, expires_in: null },
      secrets: { user_access_token: userToken },
    };
  },
};

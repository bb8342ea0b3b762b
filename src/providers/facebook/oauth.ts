/**
 * Facebook Login (providers.md §1): the dialog and token endpoint of the pinned Graph version.
 * There are no refresh tokens; a user token is exchanged for a long-lived one.
 */
import type { OAuthSettings } from "../oauth.ts";
import { GRAPH_VERSION } from "./graph.ts";

export const oauth: OAuthSettings = {
  authorizeUrl: `https://www.facebook.com/${GRAPH_VERSION}/dialog/oauth`,
  tokenUrl: `https://graph.facebook.com/${GRAPH_VERSION}/oauth/access_token`,
  scopes: ["pages_show_list", "pages_messaging", "pages_manage_metadata", "leads_retrieval"],
  scopeSeparator: ",",
  pkce: false,
  clientAuth: "client_secret_post",
  refreshTokens: false,
  rotatesRefreshToken: false,
};

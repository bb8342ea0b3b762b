/**
 * Facebook Login: `/{v}/dialog/oauth`, `GET or POST /{v}/oauth/access_token` (the code exchange,
 * and `fb_exchange_token` for a long-lived token), `DELETE /{v}/me/permissions`. No refresh tokens.
 */
import type { Context } from "hono";
import { isInvalidCredential } from "../../lib.ts";
import { OAuthError, redeemCode, requestParams } from "../../oauth/server.ts";
import { count, hex, issueAccess, liveAccess, revokeToken } from "../../oauth/state.ts";
import type { SimulatedOAuth } from "../../oauth/types.ts";
import { VERSION } from "./graph.ts";

/** Graph's OAuth errors, as its token endpoints answer them. */
export const oauthGraphError = (
  message: string,
  code: number,
  extra: Record<string, unknown> = {},
  status = 400,
) =>
  Response.json(
    { error: { message, type: "OAuthException", code, ...extra, fbtrace_id: `A${hex(10)}` } },
    { status },
  );

async function facebookToken(c: Context) {
  const p = await requestParams(c);
  const exchange = p.grant_type === "fb_exchange_token";
  count(p.client_id, exchange ? "refresh_requests" : "token_requests");
  if (!p.client_id || isInvalidCredential(p.client_id)) {
    return oauthGraphError("Error validating application. Invalid application ID.", 101);
  }
  if (isInvalidCredential(p.client_secret)) return oauthGraphError("Error validating client secret.", 1);
  if (exchange) {
    const live = liveAccess(p.fb_exchange_token);
    if (live?.grant.oauth !== facebookOAuth || live.grant.clientId !== p.client_id) {
      return oauthGraphError("Invalid OAuth access token - Cannot parse access token", 190);
    }
    const access = issueAccess(live.grant, true);
    return c.json({ access_token: access.token, token_type: "bearer", expires_in: access.expiresIn });
  }
  if (!p.redirect_uri) return oauthGraphError("Missing redirect_uri parameter.", 191);
  try {
    const grant = await redeemCode(facebookOAuth, p, p.client_id);
    const access = issueAccess(grant);
    return c.json({ access_token: access.token, token_type: "bearer", expires_in: access.expiresIn });
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    return oauthGraphError(
      /used/.test(e.description) ? "This authorization code has been used." : e.description,
      100,
      {
        error_subcode: 36009,
      },
    );
  }
}

/**
 * Facebook Login: `/{v}/dialog/oauth`, `GET or POST /{v}/oauth/access_token` (the code exchange,
 * and `fb_exchange_token` for a long-lived token), `DELETE /{v}/me/permissions`. No refresh
 * tokens.
 */
export const facebookOAuth: SimulatedOAuth = {
  id: "facebook",
  name: "Facebook",
  authorize: `/${VERSION}/dialog/oauth`,
  scopeSeparator: /[\s,]+/,
  accessTtl: 3600,
  refresh: "never",
  grace: 0,
  offline: () => false,
  denied: {
    error: "access_denied",
    error_code: "200",
    error_description: "Permissions error",
    error_reason: "user_denied",
  },
  routes(app) {
    // Graph takes the exchange as a GET with query parameters or as a form POST.
    app.on(["GET", "POST"], `/${VERSION}/oauth/access_token`, facebookToken);
    app.delete(`/${VERSION}/me/permissions`, (c) => {
      const token =
        (c.req.header("authorization") ?? "").match(/^(?:Bearer|OAuth)\s+(\S+)$/i)?.[1] ??
        c.req.query("access_token");
      if (!liveAccess(token))
        return oauthGraphError("Invalid OAuth access token - Cannot parse access token", 190);
      revokeToken(token);
      return c.json({ success: true });
    });
  },
};

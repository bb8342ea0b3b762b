/**
 * Simulated Instagram API with Instagram Login (graph.instagram.com): `GET /{version}/me` and the
 * Send API `POST /{version}/{me|ig-id}/messages`, with Graph's token checks and error bodies
 * (shared with the Facebook simulator).
 */
import type { Context } from "hono";
import { isInvalidCredential, simulator } from "../lib.ts";
import { OAuthError, redeemCode, requestParams } from "../oauth/server.ts";
import { count, issueAccess, liveAccess } from "../oauth/state.ts";
import type { SimulatedOAuth } from "../oauth/types.ts";
import {
  graphError,
  invalidParam,
  oauthGraphError,
  pick,
  randomToken,
  rejectAuth,
  sendApi,
  unknownPaths,
  usageHeader,
  VERSION,
} from "./facebook.ts";

export const instagram = simulator();

// The professional account an Instagram user token stands for.
const ACCOUNT = { user_id: "17841400000000001", username: "sandbox_shop", id: "9000000000000001" };

instagram.get(`/${VERSION}/me`, (c) => rejectAuth(c, "me") ?? Response.json(pick(c, ACCOUNT)));

instagram.post(
  `/${VERSION}/:node/messages`,
  sendApi({
    provider: "instagram",
    // Instagram limits text to 1,000 bytes of UTF-8.
    maxText: 1000,
    textLength: (text) => new TextEncoder().encode(text).length,
    requireMessagingType: false,
    failures: {
      rateLimit: () =>
        graphError(
          400,
          { message: "(#613) Calls to this api have exceeded the rate limit.", code: 613 },
          usageHeader("instagram"),
        ),
      rejection: () => invalidParam("No matching user found", { error_subcode: 2534014 }),
    },
    // Instagram message ids are base64 strings starting "aWdf" ("ig_").
    newMessageId: () => `aWdfZAG1f${randomToken(48)}`,
  }),
);

unknownPaths(instagram, "instagram");

// ---- Instagram Login ------------------------------------------------------------------------

const igError = (message: string) =>
  Response.json({ error_type: "OAuthException", code: 400, error_message: message }, { status: 400 });

async function instagramToken(c: Context) {
  const p = await requestParams(c);
  count(p.client_id, "token_requests");
  if (!p.client_id || isInvalidCredential(p.client_id)) return igError("Invalid platform app");
  if (isInvalidCredential(p.client_secret)) return igError("Error validating client secret.");
  if (p.grant_type !== "authorization_code") return igError("Unsupported grant_type");
  try {
    const grant = await redeemCode(instagramOAuth, p, p.client_id);
    const access = issueAccess(grant);
    return c.json({ access_token: access.token, user_id: ACCOUNT.user_id, permissions: grant.scopes });
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    return igError(/used/.test(e.description) ? "This authorization code has been used" : e.description);
  }
}

function instagramLongLived(grantType: "ig_exchange_token" | "ig_refresh_token") {
  return (c: Context) => {
    const q = c.req.query();
    const live = liveAccess(q.access_token);
    count(live?.grant.clientId ?? q.client_id, "refresh_requests");
    if (q.grant_type !== grantType)
      return oauthGraphError(`Unsupported grant_type, expected ${grantType}`, 100);
    if (grantType === "ig_exchange_token" && isInvalidCredential(q.client_secret)) {
      return oauthGraphError("Error validating client secret.", 1);
    }
    if (live?.grant.oauth !== instagramOAuth) {
      return oauthGraphError("Invalid OAuth access token - Cannot parse access token", 190);
    }
    if (grantType === "ig_refresh_token" && !live.record.longLived) {
      return oauthGraphError("Only long-lived tokens can be refreshed", 190);
    }
    const access = issueAccess(live.grant, true);
    return c.json({ access_token: access.token, token_type: "bearer", expires_in: access.expiresIn });
  };
}

/**
 * Instagram Login: `/oauth/authorize`, `POST /oauth/access_token` (the code exchange), then
 * `GET /access_token` (`ig_exchange_token`: a long-lived token) and `GET /refresh_access_token`
 * (`ig_refresh_token`, long-lived tokens only). No refresh tokens.
 */
export const instagramOAuth: SimulatedOAuth = {
  id: "instagram",
  name: "Instagram",
  authorize: "/oauth/authorize",
  scopeSeparator: /[\s,]+/,
  accessTtl: 3600,
  refresh: "never",
  grace: 0,
  offline: () => false,
  denied: {
    error: "access_denied",
    error_reason: "user_denied",
    error_description: "The user denied your request.",
  },
  routes(app) {
    app.post("/oauth/access_token", instagramToken);
    app.get("/access_token", instagramLongLived("ig_exchange_token"));
    app.get("/refresh_access_token", instagramLongLived("ig_refresh_token"));
  },
};

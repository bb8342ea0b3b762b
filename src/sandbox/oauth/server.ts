/**
 * Simulated OAuth 2.0 authorization servers, one per provider that declares a `SimulatedOAuth`
 * (in its file under src/sandbox/providers/), served under the provider's simulator prefix at
 * the real provider's paths. The server knows no provider: paths, lifetimes, refresh rotation,
 * client authentication, answer shapes and extra routes are the declaration's.
 *
 * Behaviour, strict like the real servers:
 * - Authorize needs `response_type=code`, a `client_id`, an absolute http(s) `redirect_uri`;
 *   `state` is passed through; PKCE `code_challenge` with `code_challenge_method=S256` is bound
 *   to the code (any other method is refused). A client id containing `invalid`, or a bad
 *   redirect URI, gets an error page (never a redirect). Otherwise a consent page whose Approve
 *   and Deny forms POST back to the authorize path with the pending request's opaque id.
 *   `sandbox_auto=approve|deny` on the authorize GET skips the page and redirects at once.
 * - Codes are single use (reuse also revokes what the code issued), live 10 minutes, and are
 *   bound to client_id, redirect_uri and the PKCE challenge.
 * - Client secrets follow the sandbox rule: any secret except one containing `invalid`.
 * - Refresh tokens: whether a request earns one, and whether refreshing rotates them (with a
 *   grace during which a rotated token answers with its current successor), per declaration;
 *   `rotate-if-client` rotates only for a client id containing `rotate`.
 * - Short lifetimes for tests: a client id containing `short` gets access tokens that live 60 s
 *   (long-lived tokens too).
 * - Time travel for tests: `POST /sandbox/_oauth/clock?client_id=...&advance=<seconds>` moves
 *   that client's clock forward (codes, token expiry and rotation grace follow it).
 * - Counters: `GET /sandbox/_oauth/stats?client_id=...` answers
 *   `{ "token_requests": n, "refresh_requests": n }` (code exchanges; refreshes and token
 *   exchanges), failed requests included.
 * - Access tokens look like `sbx_at_<hex>` so every API simulator accepts them.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { basicCredentials, isInvalidCredential, readBody } from "../lib.ts";
import { consentPage, errorPage, redirectWith } from "./pages.ts";
import {
  clockOffsets,
  codes,
  count,
  grants,
  hex,
  issueAccess,
  issueRefresh,
  now,
  type Pending,
  pendings,
  refreshTokens,
  revokeToken,
  stats,
} from "./state.ts";
import type { ClientAuth, Grant, SimulatedOAuth, TokenBodyInput } from "./types.ts";

const CODE_TTL = 600;

// ---- authorize ---------------------------------------------------------------------------

function decide(id: string, p: Pending, approve: boolean): Response {
  pendings.delete(id);
  if (!approve) {
    const denied = p.oauth.denied ?? {
      error: "access_denied",
      error_description: "The user denied the authorization request.",
    };
    return redirectWith(p.redirectUri, { ...denied, state: p.state });
  }
  const code = `sbx_code_${hex(20)}`;
  codes.set(code, {
    oauth: p.oauth,
    clientId: p.clientId,
    redirectUri: p.redirectUri,
    challenge: p.challenge,
    scopes: p.scopes,
    offline: p.offline,
    expiresAt: now(p.clientId) + CODE_TTL,
    used: false,
  });
  return redirectWith(p.redirectUri, { code, state: p.state, ...p.oauth.codeRedirect });
}

function isHttpUrl(value: string | undefined): boolean {
  if (!value) return false;
  try {
    const u = new URL(value);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

function authorizeGet(oauth: SimulatedOAuth) {
  return (c: Context) => {
    const q = c.req.query();
    if (!q.client_id || isInvalidCredential(q.client_id)) {
      return errorPage(
        oauth.name,
        "invalid_client: The client_id is missing or not a registered application.",
      );
    }
    if (!isHttpUrl(q.redirect_uri)) {
      return errorPage(oauth.name, "redirect_uri_mismatch: redirect_uri must be an absolute http(s) URL.");
    }
    const redirectUri = q.redirect_uri as string;
    const fail = (error: string, description: string) =>
      redirectWith(redirectUri, { error, error_description: description, state: q.state });
    if (q.response_type !== "code") {
      return fail("unsupported_response_type", "response_type must be code");
    }
    if (q.code_challenge !== undefined || q.code_challenge_method !== undefined) {
      if (!q.code_challenge || !/^[A-Za-z0-9_-]{43,128}$/.test(q.code_challenge)) {
        return fail("invalid_request", "code_challenge is missing or malformed");
      }
      if (q.code_challenge_method !== "S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
      }
    }
    const scopes = (q.scope ?? "").split(oauth.scopeSeparator).filter(Boolean);
    const pending: Pending = {
      oauth,
      clientId: q.client_id,
      redirectUri,
      state: q.state,
      scopes,
      challenge: q.code_challenge,
      offline: oauth.offline(q, scopes),
      expiresAt: now(q.client_id) + CODE_TTL,
    };
    const id = `sbx_req_${hex(20)}`;
    pendings.set(id, pending);
    if (q.sandbox_auto === "approve" || q.sandbox_auto === "deny") {
      return decide(id, pending, q.sandbox_auto === "approve");
    }
    return consentPage(new URL(c.req.url).pathname.replace(/^(?!\/sandbox\/)/, "/sandbox"), id, pending);
  };
}

function authorizePost(oauth: SimulatedOAuth) {
  return async (c: Context) => {
    const body = await readBody(c.req.raw);
    const id = String(body?.params.request ?? "");
    const pending = pendings.get(id);
    if (!pending || pending.oauth !== oauth || pending.expiresAt <= now(pending.clientId)) {
      return errorPage(oauth.name, "The authorization request expired or is unknown. Start again.");
    }
    const decision = String(body?.params.decision ?? "");
    if (decision !== "approve" && decision !== "deny")
      return errorPage(oauth.name, "Choose Approve or Deny.");
    return decide(id, pending, decision === "approve");
  };
}

// ---- token --------------------------------------------------------------------------------

export type Params = Record<string, string>;

/** The query parameters, and for a request with a body its form or JSON parameters too. */
export async function requestParams(c: Context): Promise<Params> {
  const out: Params = { ...c.req.query() };
  if (c.req.method !== "GET") {
    const body = await readBody(c.req.raw);
    for (const [k, v] of Object.entries(body?.params ?? {})) if (typeof v === "string") out[k] = v;
  }
  return out;
}

async function s256(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** An RFC 6749 §5.2 error, thrown by the checks and answered by the token endpoint. */
export class OAuthError {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    readonly description: string,
  ) {}
}

/** Checks a code exchange and returns the new grant, or throws an OAuthError. */
export async function redeemCode(oauth: SimulatedOAuth, p: Params, clientId: string): Promise<Grant> {
  const record = p.code ? codes.get(p.code) : undefined;
  if (!record || record.oauth !== oauth) {
    throw new OAuthError(400, "invalid_grant", "The authorization code is invalid.");
  }
  if (record.used) {
    if (record.grantId) {
      const g = grants.get(record.grantId);
      if (g) g.revoked = true;
    }
    throw new OAuthError(400, "invalid_grant", "The authorization code has already been used.");
  }
  record.used = true;
  if (record.expiresAt <= now(record.clientId)) {
    throw new OAuthError(400, "invalid_grant", "The authorization code has expired.");
  }
  if (record.clientId !== clientId) {
    throw new OAuthError(400, "invalid_grant", "The authorization code was issued to another client.");
  }
  if (record.redirectUri !== p.redirect_uri) {
    throw new OAuthError(400, "invalid_grant", "redirect_uri does not match the authorization request.");
  }
  if (record.challenge) {
    if (!p.code_verifier || (await s256(p.code_verifier)) !== record.challenge) {
      throw new OAuthError(400, "invalid_grant", "PKCE verification failed (code_verifier).");
    }
  } else if (p.code_verifier) {
    throw new OAuthError(400, "invalid_grant", "code_verifier sent but no code_challenge was given.");
  }
  const grant: Grant = {
    id: hex(12),
    oauth,
    clientId,
    scopes: record.scopes,
    offline: record.offline,
    revoked: false,
  };
  grants.set(grant.id, grant);
  record.grantId = grant.id;
  return grant;
}

/** Client credentials from Basic auth or the parameters; throws invalid_client. */
function clientCredentials(c: Context, p: Params, mode: ClientAuth): string {
  const basic = basicCredentials(c.req.header("authorization"));
  if (mode === "basic" && !basic)
    throw new OAuthError(401, "invalid_client", "Client authentication failed.");
  const id = basic ? decodeURIComponent(basic.user) : p.client_id;
  const secret = basic ? decodeURIComponent(basic.password) : p.client_secret;
  if (!id || isInvalidCredential(id) || isInvalidCredential(secret)) {
    throw new OAuthError(401, "invalid_client", "Client authentication failed.");
  }
  if (basic && p.client_id && p.client_id !== id) {
    throw new OAuthError(401, "invalid_client", "client_id does not match the authenticated client.");
  }
  return id;
}

/** The default token answer: RFC 6749 §5.1 with a lower-case `bearer`. */
const defaultTokenBody = ({ access, refresh, grant }: TokenBodyInput) => ({
  token_type: "bearer",
  access_token: access.token,
  expires_in: access.expiresIn,
  ...(refresh ? { refresh_token: refresh } : {}),
  scope: grant.scopes.join(" "),
});

function rotates(grant: Grant): boolean {
  const policy = grant.oauth.refresh;
  return policy === "rotate" || (policy === "rotate-if-client" && /rotate/i.test(grant.clientId));
}

/** Applies a refresh grant: the grant and the refresh token to hand back (new when it rotates). */
function redeemRefresh(oauth: SimulatedOAuth, token: string | undefined, clientId: string) {
  const record = token ? refreshTokens.get(token) : undefined;
  const grant = record ? grants.get(record.grantId) : undefined;
  if (!token || !record || !grant || grant.oauth !== oauth || grant.revoked) {
    throw new OAuthError(400, "invalid_grant", "The refresh token is invalid or has been revoked.");
  }
  if (grant.clientId !== clientId) {
    throw new OAuthError(400, "invalid_grant", "The refresh token was issued to another client.");
  }
  const t = now(clientId);
  if (record.expiresAt !== undefined && record.expiresAt <= t) {
    throw new OAuthError(400, "invalid_grant", "The refresh token has expired.");
  }
  if (record.rotatedAt !== undefined) {
    // A rotated token: within the grace period it answers with its successor.
    if (t - record.rotatedAt >= oauth.grace || !record.successor) {
      throw new OAuthError(400, "invalid_grant", "The refresh token has already been used.");
    }
    let successor = record.successor;
    for (let next = refreshTokens.get(successor); next?.successor; next = refreshTokens.get(successor)) {
      successor = next.successor;
    }
    return { grant, refresh: successor, returned: true };
  }
  if (!rotates(grant)) return { grant, refresh: token, returned: oauth.token?.returnsRefreshToken === true };
  const fresh = issueRefresh(grant);
  record.rotatedAt = t;
  record.successor = fresh;
  return { grant, refresh: fresh, returned: true };
}

/** An OAuthError as the token endpoint answers it. */
export function oauthErrorResponse(oauth: SimulatedOAuth, e: OAuthError): Response {
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (e.status === 401 && oauth.token?.basicChallenge !== false)
    headers["www-authenticate"] = 'Basic realm="oauth"';
  return Response.json({ error: e.error, error_description: e.description }, { status: e.status, headers });
}

function tokenEndpoint(oauth: SimulatedOAuth, token: NonNullable<SimulatedOAuth["token"]>) {
  const body = token.body ?? defaultTokenBody;
  return async (c: Context) => {
    const p = await requestParams(c);
    const basicUser = basicCredentials(c.req.header("authorization"))?.user;
    const claimedClient = basicUser ? decodeURIComponent(basicUser) : p.client_id;
    count(claimedClient, p.grant_type === "refresh_token" ? "refresh_requests" : "token_requests");
    try {
      const clientId = clientCredentials(c, p, token.clientAuth);
      const secret = basicCredentials(c.req.header("authorization"))?.password ?? p.client_secret ?? "";
      const answer = async (grant: Grant, refresh: string | undefined) =>
        c.json(await body({ c, grant, access: issueAccess(grant), refresh, secret }), 200, {
          "cache-control": "no-store",
        });
      if (p.grant_type === "authorization_code") {
        const grant = await redeemCode(oauth, p, clientId);
        return answer(grant, grant.offline ? issueRefresh(grant) : undefined);
      }
      if (p.grant_type === "refresh_token") {
        const used = redeemRefresh(oauth, p.refresh_token, clientId);
        return answer(used.grant, used.returned ? used.refresh : undefined);
      }
      throw new OAuthError(
        400,
        "unsupported_grant_type",
        `grant_type ${p.grant_type ?? "(missing)"} is not supported`,
      );
    } catch (e) {
      if (e instanceof OAuthError) return oauthErrorResponse(oauth, e);
      throw e;
    }
  };
}

function revokeEndpoint(oauth: SimulatedOAuth, revoke: NonNullable<SimulatedOAuth["revoke"]>) {
  return async (c: Context) => {
    const p = await requestParams(c);
    const token = p.token ?? p.refresh_token;
    if (revoke.clientAuth) {
      const basic = basicCredentials(c.req.header("authorization"));
      const clientOk =
        (basic && !isInvalidCredential(basic.user) && !isInvalidCredential(basic.password)) ||
        (revoke.clientAuth === "either" && p.client_id && !isInvalidCredential(p.client_secret));
      if (!clientOk) {
        return oauthErrorResponse(
          oauth,
          new OAuthError(401, "invalid_client", "Client authentication failed."),
        );
      }
    }
    const ok = revokeToken(token);
    if (!ok && revoke.unknownToken) return c.json(revoke.unknownToken, 400);
    return revoke.json ? c.json({}) : c.body(null, 200);
  };
}

/** The OAuth routes of one provider, to mount at the provider's simulator prefix. */
export function oauthServer(oauth: SimulatedOAuth): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.get(oauth.authorize, authorizeGet(oauth));
  app.post(oauth.authorize, authorizePost(oauth));
  if (oauth.token) app.post(oauth.token.path, tokenEndpoint(oauth, oauth.token));
  if (oauth.revoke) app.post(oauth.revoke.path, revokeEndpoint(oauth, oauth.revoke));
  oauth.routes?.(app);
  return app;
}

/** `/sandbox/_oauth`: per-client counters and the per-client clock. */
export const oauthControl = new Hono<{ Bindings: Env }>();

oauthControl.get("/stats", (c) => {
  const clientId = c.req.query("client_id") ?? "";
  return c.json(stats.get(clientId) ?? { token_requests: 0, refresh_requests: 0 });
});

oauthControl.post("/clock", (c) => {
  const clientId = c.req.query("client_id");
  const advance = Number(c.req.query("advance"));
  if (!clientId || !Number.isFinite(advance))
    return c.json({ error: "client_id and advance are required" }, 400);
  clockOffsets.set(clientId, (clockOffsets.get(clientId) ?? 0) + advance);
  return c.json({ client_id: clientId, offset_seconds: clockOffsets.get(clientId) });
});

/**
 * Simulated OAuth 2.0 authorization servers, one per OAuth provider, served under the
 * provider's simulator prefix at the real provider's paths (a provider's authorize and token
 * hosts differ in real life; here they share the one prefix):
 *
 * | provider        | authorize                     | token                                   | revoke / extras                          |
 * |-----------------|-------------------------------|-----------------------------------------|------------------------------------------|
 * | hubspot         | GET /oauth/authorize          | POST /oauth/v3/token (body client auth) | DELETE /oauth/v1/refresh-tokens/{token}  |
 * | salesforce      | GET /services/oauth2/authorize| POST /services/oauth2/token             | POST /services/oauth2/revoke             |
 * | google_calendar | GET /o/oauth2/v2/auth         | POST /token                             | POST /revoke                             |
 * | quickbooks      | GET /connect/oauth2           | POST /oauth2/v1/tokens/bearer (Basic)   | POST /v2/oauth2/tokens/revoke            |
 * | xero            | GET /identity/connect/authorize| POST /connect/token (Basic or body)    | POST /connect/revocation, GET /connections |
 * | facebook        | GET /{v}/dialog/oauth         | GET or POST /{v}/oauth/access_token     | DELETE /{v}/me/permissions               |
 * | instagram       | GET /oauth/authorize          | POST /oauth/access_token                | GET /access_token, GET /refresh_access_token |
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
 * - Refresh tokens: Google needs `access_type=offline`, Xero `offline_access`, Salesforce the
 *   `refresh_token`/`offline_access` scope (or no scope, i.e. the app's defaults). Rotation:
 *   QuickBooks rotates on every refresh (the previous token works 24 h more), Xero too (30 min
 *   grace), Salesforce only for a client id containing `rotate` (no grace), HubSpot and Google
 *   never. Reusing a rotated token within its grace answers with the current successor.
 * - Short lifetimes for tests: a client id containing `short` gets access tokens that live 60 s
 *   (`expires_in: 60`; Facebook's and Instagram's long-lived tokens too).
 * - Time travel for tests: `POST /sandbox/_oauth/clock?client_id=...&advance=<seconds>` moves
 *   that client's clock forward (codes, token expiry and rotation grace follow it).
 * - Counters: `GET /sandbox/_oauth/stats?client_id=...` answers
 *   `{ "token_requests": n, "refresh_requests": n }` (code exchanges; refresh, fb_exchange_token,
 *   ig_exchange_token and ig_refresh_token requests), failed requests included.
 * - Access tokens look like `sbx_at_<hex>` so every API simulator accepts them.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import { basicCredentials, isInvalidCredential, readBody } from "./lib.ts";
import { validBearer } from "./providers/other.ts";

export type OAuthProviderId =
  | "hubspot"
  | "salesforce"
  | "google_calendar"
  | "quickbooks"
  | "xero"
  | "facebook"
  | "instagram";

type RefreshPolicy = "never" | "static" | "rotate" | "rotate-if-client";

interface ProviderOAuth {
  name: string;
  authorize: string;
  scopeSeparator: string | RegExp;
  accessTtl: number;
  refresh: RefreshPolicy;
  /** Seconds a rotated refresh token keeps working. */
  grace: number;
  /** Whether this authorization request earns a refresh token. */
  offline: (q: Record<string, string>, scopes: string[]) => boolean;
}

const VERSION = ":version{v[0-9]+\\.[0-9]+}";
const HOUR = 3600;
const spaces = /[\s+]+/;

const PROVIDERS: Record<OAuthProviderId, ProviderOAuth> = {
  hubspot: {
    name: "HubSpot",
    authorize: "/oauth/authorize",
    scopeSeparator: spaces,
    accessTtl: 1800,
    refresh: "static",
    grace: 0,
    offline: () => true,
  },
  salesforce: {
    name: "Salesforce",
    authorize: "/services/oauth2/authorize",
    scopeSeparator: spaces,
    accessTtl: 2 * HOUR,
    refresh: "rotate-if-client",
    grace: 0,
    offline: (_q, s) => s.length === 0 || s.includes("refresh_token") || s.includes("offline_access"),
  },
  google_calendar: {
    name: "Google",
    authorize: "/o/oauth2/v2/auth",
    scopeSeparator: spaces,
    accessTtl: 3599,
    refresh: "static",
    grace: 0,
    offline: (q) => q.access_type === "offline",
  },
  quickbooks: {
    name: "Intuit QuickBooks",
    authorize: "/connect/oauth2",
    scopeSeparator: spaces,
    accessTtl: HOUR,
    refresh: "rotate",
    grace: 24 * HOUR,
    offline: () => true,
  },
  xero: {
    name: "Xero",
    authorize: "/identity/connect/authorize",
    scopeSeparator: spaces,
    accessTtl: 1800,
    refresh: "rotate",
    grace: 1800,
    offline: (_q, s) => s.length === 0 || s.includes("offline_access"),
  },
  facebook: {
    name: "Facebook",
    authorize: `/${VERSION}/dialog/oauth`,
    scopeSeparator: /[\s,]+/,
    accessTtl: HOUR,
    refresh: "never",
    grace: 0,
    offline: () => false,
  },
  instagram: {
    name: "Instagram",
    authorize: "/oauth/authorize",
    scopeSeparator: /[\s,]+/,
    accessTtl: HOUR,
    refresh: "never",
    grace: 0,
    offline: () => false,
  },
};

export const OAUTH_PROVIDERS = Object.keys(PROVIDERS) as OAuthProviderId[];

const LONG_LIVED = 5_184_000;
const CODE_TTL = 600;
const QB_REALM = "9130350000000001";
const QB_REFRESH_TTL = 8_726_400;
const SF_ORG = "00DSB0000000001EAA";
const SF_USER = "005SB0000000001AAA";
const XERO_TENANT = {
  id: "5e1fd0a1-3e2b-4a55-9a06-5a4d3f7c0001",
  tenantId: "b0f5c6d2-7a1e-4c3b-8d9f-2e6a1c4b0001",
};

// ---- state ------------------------------------------------------------------------------

interface Pending {
  provider: OAuthProviderId;
  clientId: string;
  redirectUri: string;
  state?: string;
  scopes: string[];
  challenge?: string;
  offline: boolean;
  expiresAt: number;
}

interface CodeRecord {
  provider: OAuthProviderId;
  clientId: string;
  redirectUri: string;
  challenge?: string;
  scopes: string[];
  offline: boolean;
  expiresAt: number;
  used: boolean;
  grantId?: string;
}

interface Grant {
  id: string;
  provider: OAuthProviderId;
  clientId: string;
  scopes: string[];
  offline: boolean;
  revoked: boolean;
}

interface AccessRecord {
  grantId: string;
  expiresAt: number;
  issuedAt: number;
  longLived: boolean;
}

interface RefreshRecord {
  grantId: string;
  /** When it was replaced by a newer refresh token, if it was. */
  rotatedAt?: number;
  successor?: string;
  expiresAt?: number;
}

const pendings = new Map<string, Pending>();
const codes = new Map<string, CodeRecord>();
const grants = new Map<string, Grant>();
const accessTokens = new Map<string, AccessRecord>();
const refreshTokens = new Map<string, RefreshRecord>();
const stats = new Map<string, { token_requests: number; refresh_requests: number }>();
const clockOffsets = new Map<string, number>();

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

/** Seconds since the epoch on this client's (possibly advanced) clock. */
const now = (clientId: string) => Math.floor(Date.now() / 1000) + (clockOffsets.get(clientId) ?? 0);

function count(clientId: string | undefined, kind: "token_requests" | "refresh_requests") {
  if (!clientId) return;
  const s = stats.get(clientId) ?? { token_requests: 0, refresh_requests: 0 };
  s[kind]++;
  stats.set(clientId, s);
}

const accessTtl = (p: OAuthProviderId, clientId: string, longLived = false) =>
  /short/i.test(clientId) ? 60 : longLived ? LONG_LIVED : PROVIDERS[p].accessTtl;

function issueAccess(grant: Grant, longLived = false): { token: string; expiresIn: number } {
  const token = `sbx_at_${hex(24)}`;
  const expiresIn = accessTtl(grant.provider, grant.clientId, longLived);
  const t = now(grant.clientId);
  accessTokens.set(token, { grantId: grant.id, issuedAt: t, expiresAt: t + expiresIn, longLived });
  return { token, expiresIn };
}

function issueRefresh(grant: Grant): string {
  const token = `sbx_rt_${hex(24)}`;
  refreshTokens.set(token, {
    grantId: grant.id,
    expiresAt: grant.provider === "quickbooks" ? now(grant.clientId) + QB_REFRESH_TTL : undefined,
  });
  return token;
}

function liveAccess(token: string | null | undefined): { record: AccessRecord; grant: Grant } | null {
  const record = token ? accessTokens.get(token) : undefined;
  const grant = record ? grants.get(record.grantId) : undefined;
  if (!record || !grant || grant.revoked || record.expiresAt <= now(grant.clientId)) return null;
  return { record, grant };
}

/** Revokes the grant behind a token (access or refresh); false when the token is unknown. */
function revokeToken(token: string | undefined): boolean {
  if (!token) return false;
  const grantId = accessTokens.get(token)?.grantId ?? refreshTokens.get(token)?.grantId;
  const grant = grantId ? grants.get(grantId) : undefined;
  if (!grant) return false;
  grant.revoked = true;
  return true;
}

// ---- authorize ---------------------------------------------------------------------------

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A consent or error page. Like a provider's own, it loads nothing from the hub; the hub's page
 * policy (no inline style or script) then leaves it plain HTML.
 */
function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
</head>
<body><div class="card">${body}</div><p class="note">Switchboard provider sandbox</p></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

const errorPage = (provider: OAuthProviderId, message: string) =>
  page(
    `${PROVIDERS[provider].name} – error`,
    `<h1>Authorization error</h1><p id="error">${esc(message)}</p>`,
    400,
  );

function consentPage(action: string, id: string, p: Pending): Response {
  const cfg = PROVIDERS[p.provider];
  const scopes = p.scopes.length
    ? `<ul id="scopes">${p.scopes.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>`
    : `<p id="scopes">No specific permissions requested.</p>`;
  const form = (decision: string, label: string) =>
    `<form method="post" action="${esc(action)}"><input type="hidden" name="request" value="${esc(id)}">` +
    `<input type="hidden" name="decision" value="${decision}"><button type="submit" class="${decision}" name="${decision}">${label}</button></form>`;
  return page(
    `Authorize – ${cfg.name}`,
    `<h1>${esc(cfg.name)}</h1><p>The application <strong>${esc(p.clientId)}</strong> wants to access your ${esc(cfg.name)} account:</p>${scopes}` +
      `${form("approve", "Approve")}${form("deny", "Deny")}`,
  );
}

function redirectWith(uri: string, params: Record<string, string | undefined>): Response {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return new Response(null, { status: 302, headers: { location: url.toString() } });
}

function decide(id: string, p: Pending, approve: boolean): Response {
  pendings.delete(id);
  if (!approve) {
    const denied =
      p.provider === "facebook"
        ? {
            error: "access_denied",
            error_code: "200",
            error_description: "Permissions error",
            error_reason: "user_denied",
          }
        : p.provider === "instagram"
          ? {
              error: "access_denied",
              error_reason: "user_denied",
              error_description: "The user denied your request.",
            }
          : { error: "access_denied", error_description: "The user denied the authorization request." };
    return redirectWith(p.redirectUri, { ...denied, state: p.state });
  }
  const code = `sbx_code_${hex(20)}`;
  codes.set(code, {
    provider: p.provider,
    clientId: p.clientId,
    redirectUri: p.redirectUri,
    challenge: p.challenge,
    scopes: p.scopes,
    offline: p.offline,
    expiresAt: now(p.clientId) + CODE_TTL,
    used: false,
  });
  return redirectWith(p.redirectUri, {
    code,
    state: p.state,
    realmId: p.provider === "quickbooks" ? QB_REALM : undefined,
  });
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

function authorizeGet(provider: OAuthProviderId) {
  return (c: Context) => {
    const q = c.req.query();
    const cfg = PROVIDERS[provider];
    if (!q.client_id || isInvalidCredential(q.client_id)) {
      return errorPage(provider, "invalid_client: The client_id is missing or not a registered application.");
    }
    if (!isHttpUrl(q.redirect_uri)) {
      return errorPage(provider, "redirect_uri_mismatch: redirect_uri must be an absolute http(s) URL.");
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
    const scopes = (q.scope ?? "").split(cfg.scopeSeparator).filter(Boolean);
    const pending: Pending = {
      provider,
      clientId: q.client_id,
      redirectUri,
      state: q.state,
      scopes,
      challenge: q.code_challenge,
      offline: cfg.offline(q, scopes),
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

function authorizePost(provider: OAuthProviderId) {
  return async (c: Context) => {
    const body = await readBody(c.req.raw);
    const id = String(body?.params.request ?? "");
    const pending = pendings.get(id);
    if (!pending || pending.provider !== provider || pending.expiresAt <= now(pending.clientId)) {
      return errorPage(provider, "The authorization request expired or is unknown. Start again.");
    }
    const decision = String(body?.params.decision ?? "");
    if (decision !== "approve" && decision !== "deny") return errorPage(provider, "Choose Approve or Deny.");
    return decide(id, pending, decision === "approve");
  };
}

// ---- token --------------------------------------------------------------------------------

type Params = Record<string, string>;

async function requestParams(c: Context): Promise<Params> {
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

class OAuthError {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    readonly description: string,
  ) {}
}

/** Checks a code exchange and returns the new grant, or throws an OAuthError. */
async function redeemCode(provider: OAuthProviderId, p: Params, clientId: string): Promise<Grant> {
  const record = p.code ? codes.get(p.code) : undefined;
  if (!record || record.provider !== provider) {
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
    provider,
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
function clientCredentials(c: Context, p: Params, mode: "body" | "basic" | "either"): string {
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

const CLIENT_AUTH: Record<string, "body" | "basic" | "either"> = {
  hubspot: "body",
  salesforce: "either",
  google_calendar: "either",
  quickbooks: "basic",
  xero: "either",
};

async function salesforceExtras(c: Context, grant: Grant, secret: string) {
  const origin = new URL(c.req.url).origin;
  const id = `${origin}/sandbox/salesforce/id/${SF_ORG}/${SF_USER}`;
  const issuedAt = String(Date.now());
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(id + issuedAt)));
  return {
    instance_url: `${origin}/sandbox/salesforce`,
    id,
    token_type: "Bearer",
    issued_at: issuedAt,
    signature: btoa(String.fromCharCode(...mac)),
    scope: grant.scopes.join(" ") || "api refresh_token",
  };
}

/** The token response body for a grant, in the provider's shape. */
async function tokenBody(
  c: Context,
  provider: OAuthProviderId,
  grant: Grant,
  refresh: string | undefined,
  secret: string,
): Promise<Record<string, unknown>> {
  const access = issueAccess(grant);
  const scope = grant.scopes.join(" ");
  switch (provider) {
    case "salesforce":
      return {
        access_token: access.token,
        ...(refresh ? { refresh_token: refresh } : {}),
        ...(await salesforceExtras(c, grant, secret)),
      };
    case "quickbooks":
      return {
        token_type: "bearer",
        access_token: access.token,
        expires_in: access.expiresIn,
        refresh_token: refresh,
        x_refresh_token_expires_in: QB_REFRESH_TTL,
      };
    case "google_calendar":
      return {
        access_token: access.token,
        expires_in: access.expiresIn,
        ...(refresh ? { refresh_token: refresh } : {}),
        scope,
        token_type: "Bearer",
      };
    case "xero":
      return {
        access_token: access.token,
        expires_in: access.expiresIn,
        token_type: "Bearer",
        ...(refresh ? { refresh_token: refresh } : {}),
        scope,
      };
    default:
      return {
        token_type: "bearer",
        access_token: access.token,
        expires_in: access.expiresIn,
        ...(refresh ? { refresh_token: refresh } : {}),
        scope,
      };
  }
}

function rotates(grant: Grant): boolean {
  const policy = PROVIDERS[grant.provider].refresh;
  return policy === "rotate" || (policy === "rotate-if-client" && /rotate/i.test(grant.clientId));
}

/** Applies a refresh grant: the grant and the refresh token to hand back (new when it rotates). */
function redeemRefresh(provider: OAuthProviderId, token: string | undefined, clientId: string) {
  const record = token ? refreshTokens.get(token) : undefined;
  const grant = record ? grants.get(record.grantId) : undefined;
  if (!token || !record || !grant || grant.provider !== provider || grant.revoked) {
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
    const grace = PROVIDERS[provider].grace;
    if (t - record.rotatedAt >= grace || !record.successor) {
      throw new OAuthError(400, "invalid_grant", "The refresh token has already been used.");
    }
    let successor = record.successor;
    for (let next = refreshTokens.get(successor); next?.successor; next = refreshTokens.get(successor)) {
      successor = next.successor;
    }
    return { grant, refresh: successor, returned: true };
  }
  if (!rotates(grant)) return { grant, refresh: token, returned: provider === "hubspot" };
  const fresh = issueRefresh(grant);
  record.rotatedAt = t;
  record.successor = fresh;
  return { grant, refresh: fresh, returned: true };
}

function oauthErrorResponse(provider: OAuthProviderId, e: OAuthError): Response {
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (e.status === 401 && provider !== "hubspot") headers["www-authenticate"] = 'Basic realm="oauth"';
  return Response.json({ error: e.error, error_description: e.description }, { status: e.status, headers });
}

function standardToken(provider: OAuthProviderId) {
  return async (c: Context) => {
    const p = await requestParams(c);
    const basicUser = basicCredentials(c.req.header("authorization"))?.user;
    const claimedClient = basicUser ? decodeURIComponent(basicUser) : p.client_id;
    count(claimedClient, p.grant_type === "refresh_token" ? "refresh_requests" : "token_requests");
    try {
      const clientId = clientCredentials(c, p, CLIENT_AUTH[provider] ?? "body");
      const secret = basicCredentials(c.req.header("authorization"))?.password ?? p.client_secret ?? "";
      if (p.grant_type === "authorization_code") {
        const grant = await redeemCode(provider, p, clientId);
        const refresh = grant.offline ? issueRefresh(grant) : undefined;
        return c.json(await tokenBody(c, provider, grant, refresh, secret), 200, {
          "cache-control": "no-store",
        });
      }
      if (p.grant_type === "refresh_token") {
        const used = redeemRefresh(provider, p.refresh_token, clientId);
        const body = await tokenBody(
          c,
          provider,
          used.grant,
          used.returned ? used.refresh : undefined,
          secret,
        );
        return c.json(body, 200, { "cache-control": "no-store" });
      }
      throw new OAuthError(
        400,
        "unsupported_grant_type",
        `grant_type ${p.grant_type ?? "(missing)"} is not supported`,
      );
    } catch (e) {
      if (e instanceof OAuthError) return oauthErrorResponse(provider, e);
      throw e;
    }
  };
}

// ---- Meta (Facebook Login and Instagram Login) --------------------------------------------

const graphError = (message: string, code: number, extra: Record<string, unknown> = {}, status = 400) =>
  Response.json(
    { error: { message, type: "OAuthException", code, ...extra, fbtrace_id: `A${hex(10)}` } },
    { status },
  );

const igError = (message: string) =>
  Response.json({ error_type: "OAuthException", code: 400, error_message: message }, { status: 400 });

async function facebookToken(c: Context) {
  const p = await requestParams(c);
  const exchange = p.grant_type === "fb_exchange_token";
  count(p.client_id, exchange ? "refresh_requests" : "token_requests");
  if (!p.client_id || isInvalidCredential(p.client_id)) {
    return graphError("Error validating application. Invalid application ID.", 101);
  }
  if (isInvalidCredential(p.client_secret)) return graphError("Error validating client secret.", 1);
  if (exchange) {
    const live = liveAccess(p.fb_exchange_token);
    if (live?.grant.provider !== "facebook" || live.grant.clientId !== p.client_id) {
      return graphError("Invalid OAuth access token - Cannot parse access token", 190);
    }
    const access = issueAccess(live.grant, true);
    return c.json({ access_token: access.token, token_type: "bearer", expires_in: access.expiresIn });
  }
  if (!p.redirect_uri) return graphError("Missing redirect_uri parameter.", 191);
  try {
    const grant = await redeemCode("facebook", p, p.client_id);
    const access = issueAccess(grant);
    return c.json({ access_token: access.token, token_type: "bearer", expires_in: access.expiresIn });
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    return graphError(
      /used/.test(e.description) ? "This authorization code has been used." : e.description,
      100,
      { error_subcode: 36009 },
    );
  }
}

async function instagramToken(c: Context) {
  const p = await requestParams(c);
  count(p.client_id, "token_requests");
  if (!p.client_id || isInvalidCredential(p.client_id)) return igError("Invalid platform app");
  if (isInvalidCredential(p.client_secret)) return igError("Error validating client secret.");
  if (p.grant_type !== "authorization_code") return igError("Unsupported grant_type");
  try {
    const grant = await redeemCode("instagram", p, p.client_id);
    const access = issueAccess(grant);
    return c.json({ access_token: access.token, user_id: "17841400000000001", permissions: grant.scopes });
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
    if (q.grant_type !== grantType) {
      return graphError(`Unsupported grant_type, expected ${grantType}`, 100);
    }
    if (grantType === "ig_exchange_token" && isInvalidCredential(q.client_secret)) {
      return graphError("Error validating client secret.", 1);
    }
    if (live?.grant.provider !== "instagram") {
      return graphError("Invalid OAuth access token - Cannot parse access token", 190);
    }
    if (grantType === "ig_refresh_token" && !live.record.longLived) {
      return graphError("Only long-lived tokens can be refreshed", 190);
    }
    const access = issueAccess(live.grant, true);
    return c.json({ access_token: access.token, token_type: "bearer", expires_in: access.expiresIn });
  };
}

// ---- the per-provider apps ------------------------------------------------------------------

async function revokeHandler(c: Context, provider: OAuthProviderId) {
  const p = await requestParams(c);
  const token = p.token ?? p.refresh_token;
  if (provider === "quickbooks" || provider === "xero") {
    const basic = basicCredentials(c.req.header("authorization"));
    const clientOk =
      (basic && !isInvalidCredential(basic.user) && !isInvalidCredential(basic.password)) ||
      (provider === "xero" && p.client_id && !isInvalidCredential(p.client_secret));
    if (!clientOk) {
      return oauthErrorResponse(
        provider,
        new OAuthError(401, "invalid_client", "Client authentication failed."),
      );
    }
  }
  const ok = revokeToken(token);
  if (provider === "google_calendar" && !ok) {
    return c.json({ error: "invalid_token", error_description: "Token expired or revoked" }, 400);
  }
  if (provider === "salesforce" && !ok) {
    return c.json(
      { error: "unsupported_token_type", error_description: "this token type is not supported" },
      400,
    );
  }
  if (provider === "google_calendar") return c.json({});
  return c.body(null, 200);
}

/** The OAuth routes of one provider, to mount at the provider's simulator prefix. */
export function oauthServer(provider: OAuthProviderId): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  const cfg = PROVIDERS[provider];
  app.get(cfg.authorize, authorizeGet(provider));
  app.post(cfg.authorize, authorizePost(provider));
  switch (provider) {
    case "hubspot":
      app.post("/oauth/v3/token", standardToken(provider));
      app.delete("/oauth/v1/refresh-tokens/:token", (c) =>
        revokeToken(c.req.param("token"))
          ? c.body(null, 204)
          : c.json(
              { status: "error", message: "refresh token not found", category: "OBJECT_NOT_FOUND" },
              404,
            ),
      );
      break;
    case "salesforce":
      app.post("/services/oauth2/token", standardToken(provider));
      app.post("/services/oauth2/revoke", (c) => revokeHandler(c, provider));
      break;
    case "google_calendar":
      app.post("/token", standardToken(provider));
      app.post("/revoke", (c) => revokeHandler(c, provider));
      break;
    case "quickbooks":
      app.post("/oauth2/v1/tokens/bearer", standardToken(provider));
      app.post("/v2/oauth2/tokens/revoke", (c) => revokeHandler(c, provider));
      break;
    case "xero":
      app.post("/connect/token", standardToken(provider));
      app.post("/connect/revocation", (c) => revokeHandler(c, provider));
      app.get("/connections", (c) => {
        const token = validBearer(c.req.header("authorization"));
        const known = token ? accessTokens.get(token) : undefined;
        if (!token || (known && !liveAccess(token))) {
          return c.json({ Title: "Unauthorized", Status: 401, Detail: "AuthenticationUnsuccessful" }, 401);
        }
        const at = new Date().toISOString().replace(/\.\d+Z$/, "");
        return c.json([
          {
            id: XERO_TENANT.id,
            authEventId: crypto.randomUUID(),
            tenantId: XERO_TENANT.tenantId,
            tenantType: "ORGANISATION",
            tenantName: "Demo Company (Global)",
            createdDateUtc: at,
            updatedDateUtc: at,
          },
        ]);
      });
      break;
    case "facebook":
      // Graph takes the exchange as a GET with query parameters or as a form POST.
      app.on(["GET", "POST"], `/${VERSION}/oauth/access_token`, facebookToken);
      app.delete(`/${VERSION}/me/permissions`, (c) => {
        const token =
          (c.req.header("authorization") ?? "").match(/^(?:Bearer|OAuth)\s+(\S+)$/i)?.[1] ??
          c.req.query("access_token");
        if (!liveAccess(token))
          return graphError("Invalid OAuth access token - Cannot parse access token", 190);
        revokeToken(token);
        return c.json({ success: true });
      });
      break;
    case "instagram":
      app.post("/oauth/access_token", instagramToken);
      app.get("/access_token", instagramLongLived("ig_exchange_token"));
      app.get("/refresh_access_token", instagramLongLived("ig_refresh_token"));
      break;
  }
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

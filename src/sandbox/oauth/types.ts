/**
 * What a simulated OAuth 2.0 authorization server needs to know about one provider. Each
 * provider's simulator file (src/sandbox/providers/<id>.ts) declares one; the server in this
 * folder knows no provider.
 */
import type { Context, Hono } from "hono";

/** How refresh tokens behave on refresh. */
export type RefreshPolicy = "never" | "static" | "rotate" | "rotate-if-client";

/** How a client authenticates at the token (and revoke) endpoint. */
export type ClientAuth = "body" | "basic" | "either";

/** One authorization a client holds: what it was granted and whether it was revoked. */
export interface Grant {
  id: string;
  oauth: SimulatedOAuth;
  clientId: string;
  scopes: string[];
  offline: boolean;
  revoked: boolean;
}

/** What a token-body hook is given: the grant, the new access token, the refresh token to hand back. */
export interface TokenBodyInput {
  c: Context;
  grant: Grant;
  access: { token: string; expiresIn: number };
  refresh: string | undefined;
  /** The client secret presented (Salesforce signs its answer with it). */
  secret: string;
}

export interface SimulatedOAuth {
  /** The provider id: the simulator prefix the server is mounted at. */
  id: string;
  /** Shown on the consent and error pages. */
  name: string;
  /** The authorize path (GET shows the consent page, POST takes the decision). */
  authorize: string;
  scopeSeparator: string | RegExp;
  /** Seconds an access token lives. */
  accessTtl: number;
  refresh: RefreshPolicy;
  /** Seconds a rotated refresh token keeps working. */
  grace: number;
  /** Seconds a refresh token lives; without it, until revoked. */
  refreshTtl?: number;
  /** Whether this authorization request earns a refresh token. */
  offline: (q: Record<string, string>, scopes: string[]) => boolean;
  /** Query parameters of the redirect on denial; without it, the RFC 6749 `access_denied`. */
  denied?: Record<string, string>;
  /** Extra query parameters of the redirect that carries the code. */
  codeRedirect?: Record<string, string>;
  /** The RFC 6749 token endpoint, when the provider has one. */
  token?: {
    path: string;
    clientAuth: ClientAuth;
    /** The answer's body; without it, `{token_type, access_token, expires_in, refresh_token?, scope}`. */
    body?: (t: TokenBodyInput) => Record<string, unknown> | Promise<Record<string, unknown>>;
    /** Whether a refresh that does not rotate hands the same refresh token back. */
    returnsRefreshToken?: boolean;
    /** Whether a 401 carries `www-authenticate: Basic` (default true). */
    basicChallenge?: boolean;
  };
  /** A revocation endpoint (RFC 7009 style): the answers for a known and an unknown token. */
  revoke?: {
    path: string;
    /** Client authentication required, if any. */
    clientAuth?: "basic" | "either";
    /** The 400 body for an unknown token; without it, 200 as for a known one. */
    unknownToken?: Record<string, string>;
    /** Answer `{}` as JSON rather than an empty body. */
    json?: boolean;
  };
  /**
   * Further routes of the provider's authorization server (token exchanges, extras), written
   * with the helpers of ./server.ts and ./state.ts.
   */
  routes?: (app: Hono<{ Bindings: Env }>) => void;
}

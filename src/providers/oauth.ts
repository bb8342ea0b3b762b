/**
 * What an OAuth provider module declares: its authorization server (authorize, token and
 * revocation endpoints), the scopes it asks for, PKCE, how the client authenticates, extra
 * authorize parameters, how refresh tokens behave, and what the hub keeps from the callback and
 * the token response (QuickBooks' realm id, Salesforce's instance URL, Xero's tenant id).
 * The flow itself lives in the hub's OAuth service and uses oauth4webapi for the protocol.
 */
import type { HttpClient } from "./runtime.ts";

export interface OAuthTokens {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  /** Anything else the provider put in the token response (instance_url, x_refresh_token_expires_in, ...). */
  [extra: string]: unknown;
}

/** What the hub keeps after a connection, besides the tokens. */
export interface ConnectedSettings {
  /** Non-secret settings to merge into the integration's config (realm_id, tenant_id, ...). */
  config?: Record<string, unknown>;
  /** The API base for this connection (Salesforce's instance URL). */
  apiBaseUrl?: string;
  /**
   * The credential to keep instead of the exchanged token (Meta: a long-lived token, or the
   * Page token the user's token leads to); `expires_in` null means it does not expire.
   */
  token?: { access_token: string; expires_in: number | null };
  /** Other secret fields to keep (Meta: the long-lived user token the Pages are listed with). */
  secrets?: Record<string, string>;
}

export interface OAuthSettings {
  /** The provider's endpoints, as full URLs; with the sandbox on, their origin becomes the simulator's. */
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl?: string;
  /** The issuer of the provider's ID tokens where it differs from the authorize URL's origin (Xero). */
  issuer?: string;
  scopes: string[];
  /** How scopes are joined in the authorize request (Meta and Instagram use commas). */
  scopeSeparator?: " " | ",";
  /** PKCE with S256. */
  pkce: boolean;
  /** How the client authenticates at the token endpoint. */
  clientAuth: "client_secret_post" | "client_secret_basic";
  /** Extra authorize parameters (Google: access_type=offline, prompt=consent). */
  authorizeParams?: Record<string, string>;
  /** Whether the provider issues refresh tokens; without them the token is long-lived (Meta). */
  refreshTokens: boolean;
  /** Each refresh returns a new refresh token that replaces the old one (Xero, QuickBooks). */
  rotatesRefreshToken: boolean;
  /**
   * Refreshes the access token itself, for a provider without refresh tokens whose long-lived
   * token is renewed before it expires (Instagram). Throws a ProviderError with code
   * `invalid_grant` when the token is refused for good.
   */
  refreshAccessToken?: (ctx: RefreshContext) => Promise<{ access_token: string; expires_in?: number }>;
  /**
   * Revokes a grant where the provider's revocation is not RFC 7009 (HubSpot's
   * `DELETE /oauth/v1/refresh-tokens/{token}`, Facebook's `DELETE /me/permissions`); throws a
   * ProviderError when refused.
   */
  revoke?: (ctx: RevokeContext) => Promise<void>;
  /**
   * The `token_type` of a token response that has none: RFC 6749 requires it and the OAuth client
   * checks it, so a provider that omits it (Instagram, whose tokens are bearer tokens) declares it.
   */
  defaultTokenType?: string;
  /** Callback query parameters kept as settings: callback name → setting (QuickBooks realmId → realm_id). */
  callbackSettings?: Record<string, string>;
  /**
   * Settings read from every token response, the code exchange's and each refresh's (Salesforce's
   * `instance_url`, which may change when the org moves): merged into the integration's config.
   */
  tokenSettings?: (tokens: OAuthTokens) => Record<string, unknown>;
  /**
   * Runs after the code exchange: settings read from the token response or fetched with the new
   * token (Xero's connections endpoint names the tenant).
   */
  connected?: (ctx: ConnectedContext) => Promise<ConnectedSettings>;
}

export interface ConnectedContext {
  tokens: OAuthTokens;
  /** The provider's API base for this deployment (the simulator's in the sandbox). */
  baseUrl: string;
  /** Maps one of the provider's real URLs to where this deployment reaches it. */
  endpoint: (url: string) => string;
  http: HttpClient;
  /** The OAuth app the connection was made with (Meta's token exchanges need it). */
  app: { clientId: string; clientSecret: string };
}

export interface RefreshContext {
  accessToken: string;
  endpoint: (url: string) => string;
  http: HttpClient;
}

export interface RevokeContext {
  /** The integration's tokens. */
  accessToken?: string;
  refreshToken?: string;
  endpoint: (url: string) => string;
  http: HttpClient;
}

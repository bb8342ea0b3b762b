/**
 * The pieces every OAuth call shares: a provider's authorization server as oauth4webapi sees it
 * (its endpoints, moved to the simulator when the sandbox is on), the OAuth app (client id and
 * secret) an integration connects through, and the request options that route calls through the
 * hub's HTTP client.
 */
import * as oauth from "oauth4webapi";
import { z } from "zod";
import type { Settings } from "../config.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import type { OAuthSettings } from "../providers/oauth.ts";
import type { HttpClient } from "../providers/runtime.ts";
import type { Provider } from "../providers/types.ts";

export type OAuthProvider = Provider & { oauth: OAuthSettings };

/** The client the sandbox's authorization servers accept when no app is configured. */
export const SANDBOX_APP = { clientId: "sandbox-client", clientSecret: "sandbox-secret" } as const;

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  /** Where the app came from, for messages. */
  source: "integration" | "deployment" | "sandbox";
}

/**
 * Where this deployment reaches one of a provider's real URLs: the same URL, or with the
 * sandbox on, the simulator (`${sandboxBase}/${provider id}` + the URL's path).
 */
export function oauthEndpoint(settings: Settings, provider: Provider, url: string): string {
  if (!settings.sandboxBase) return url;
  const u = new URL(url);
  return `${settings.sandboxBase}/${provider.id}${u.pathname}${u.search}`;
}

/** The provider's authorization server for oauth4webapi. */
export function authorizationServer(settings: Settings, provider: OAuthProvider): oauth.AuthorizationServer {
  const o = provider.oauth;
  const authorize = oauthEndpoint(settings, provider, o.authorizeUrl);
  return {
    issuer: settings.sandboxBase ? new URL(authorize).origin : (o.issuer ?? new URL(o.authorizeUrl).origin),
    authorization_endpoint: authorize,
    token_endpoint: oauthEndpoint(settings, provider, o.tokenUrl),
    ...(o.revokeUrl ? { revocation_endpoint: oauthEndpoint(settings, provider, o.revokeUrl) } : {}),
  };
}

/** The client authentication the provider expects at its token endpoint. */
export function clientAuth(provider: OAuthProvider, app: OAuthApp): oauth.ClientAuth {
  return provider.oauth.clientAuth === "client_secret_basic"
    ? oauth.ClientSecretBasic(app.clientSecret)
    : oauth.ClientSecretPost(app.clientSecret);
}

/**
 * The OAuth app an integration connects through: its own client id and secret, else the
 * deployment's app for the provider (`OAUTH_APPS`), else, in the sandbox, the simulator's.
 */
export function oauthApp(
  settings: Settings,
  deploymentApps: DeploymentApps,
  provider: Provider,
  config: Record<string, unknown>,
  secrets: Record<string, string>,
): OAuthApp | null {
  const ownId = typeof config.client_id === "string" ? config.client_id : undefined;
  if (ownId && secrets.client_secret)
    return { clientId: ownId, clientSecret: secrets.client_secret, source: "integration" };
  const app = deploymentApps[provider.id];
  if (app) return { clientId: app.client_id, clientSecret: app.client_secret, source: "deployment" };
  if (settings.sandboxBase) return { ...SANDBOX_APP, source: "sandbox" };
  return null;
}

/** oauth4webapi options: calls go through the hub's HTTP client (the sandbox in-process); http only in the sandbox. */
export function requestOptions(settings: Settings, http: HttpClient) {
  return {
    [oauth.customFetch]: (url: string, init: RequestInit) => http(new Request(url, init)),
    ...(settings.sandboxBase?.startsWith("http:") ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

// ---- the deployment's OAuth apps (OAUTH_APPS) ------------------------------------------------

export type DeploymentApps = Record<string, { client_id: string; client_secret: string }>;

const DeploymentAppsSchema = z.record(
  z.string(),
  z.object({ client_id: z.string().min(1), client_secret: z.string().min(1) }),
);

const parsedApps = new Map<string, DeploymentApps | ApiError>();

/**
 * `OAUTH_APPS` parsed once per isolate. An invalid value is a clear 503 for the requests that
 * need an OAuth app, and nothing else.
 */
export function parseOAuthApps(raw: string | undefined): DeploymentApps {
  if (!raw?.trim()) return {};
  let parsed = parsedApps.get(raw);
  if (!parsed) {
    try {
      parsed = DeploymentAppsSchema.parse(JSON.parse(raw));
    } catch {
      parsed = new ApiError(
        ErrorCode.NOT_CONFIGURED,
        'OAUTH_APPS must be a JSON object of provider id → {"client_id", "client_secret"}',
      );
    }
    parsedApps.set(raw, parsed);
  }
  if (parsed instanceof ApiError) throw parsed;
  return parsed;
}

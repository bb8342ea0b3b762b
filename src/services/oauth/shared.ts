/**
 * What the parts of the OAuth connection flow share: the state's lifetime, the inputs and
 * results of its methods, its dependencies, and how a provider and its OAuth app are found.
 */
import type { Settings } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import { getProvider } from "../../providers/registry.ts";
import type { HttpClient } from "../../providers/runtime.ts";
import type { Activity } from "../activity.ts";
import type { Integrations } from "../integrations.ts";
import { type DeploymentApps, type OAuthApp, type OAuthProvider, oauthApp } from "../oauth-client.ts";

export const STATE_TTL_MS = 10 * 60 * 1000;
/** Used and expired states stay this long, so a late replay still gets a precise message. */
export const STATE_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface StartOptions {
  integrationId?: string;
  returnTo?: string;
  actor: string;
  /** Public origin of the hub when PUBLIC_URL is not set (the request's origin). */
  publicUrl?: string;
}

export interface CallbackResult {
  returnTo: string;
  success: boolean;
  provider: string;
  integrationId?: string;
  error?: string;
}

/** What every part of the OAuth flow is built from. */
export interface OAuthDeps {
  db: Db;
  activity: Activity;
  integrations: Integrations;
  settings: Settings;
  http: HttpClient;
  /** The deployment's OAuth apps; throws a clear ApiError when OAUTH_APPS is malformed. */
  deploymentApps: () => DeploymentApps;
}

/** The providers that connect with OAuth. */
export function oauthProvider(providerId: string): OAuthProvider | undefined {
  const p = getProvider(providerId);
  return p?.oauth ? (p as OAuthProvider) : undefined;
}

/** The OAuth app a flow for `row` (or a new integration, when null) connects through. */
export function appFor(
  deps: OAuthDeps,
  provider: OAuthProvider,
  row: { config: Record<string, unknown> } | null,
  secrets: Record<string, string>,
): OAuthApp | null {
  return oauthApp(deps.settings, deps.deploymentApps(), provider, row?.config ?? {}, secrets);
}

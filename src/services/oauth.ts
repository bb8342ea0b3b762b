/**
 * The OAuth 2.0 connection flow (authorization code with PKCE), protocol by oauth4webapi:
 * - `start` checks the provider, the integration and the return URL (no open redirects),
 *   resolves the OAuth app, stores a single-use `state` (only its SHA-256, bound to the
 *   organization, provider, integration, return URL and PKCE verifier; 10 minutes) and builds
 *   the provider's authorize URL.
 * - `callback` consumes the state with a compare-and-set (a replay loses), turns provider errors
 *   into readable messages, exchanges the code, stores the tokens in the vault and the extras
 *   the provider declares (QuickBooks' realm id, Salesforce's instance URL, Xero's tenant) in the
 *   integration's config, activates it, logs and audits it (never a secret), and answers where
 *   to send the browser back.
 *
 * The parts live in ./oauth/: origins (public URL, redirect URI, return URLs), start and state,
 * callback, the code exchange, and the provider quirks the flow applies.
 */
import type { Settings } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { HttpClient } from "../providers/runtime.ts";
import type { Activity } from "./activity.ts";
import type { Integrations } from "./integrations.ts";
import { OAuthCallback } from "./oauth/callback.ts";
import { OAuthOrigins } from "./oauth/origins.ts";
import { OAuthStart } from "./oauth/start.ts";
import type { DeploymentApps } from "./oauth-client.ts";

export { publicOrigin } from "./oauth/origins.ts";
export { type CallbackResult, oauthProvider, STATE_TTL_MS, type StartOptions } from "./oauth/shared.ts";

/** The OAuth flow service: one object over its parts, so callers keep one `services.oauth`. */
export class OAuthFlows {
  private readonly origins: OAuthOrigins;
  private readonly starter: OAuthStart;
  private readonly callbacks: OAuthCallback;

  constructor(
    db: Db,
    activity: Activity,
    integrations: Integrations,
    settings: Settings,
    http: HttpClient,
    /** The deployment's OAuth apps; throws a clear ApiError when OAUTH_APPS is malformed. */
    deploymentApps: () => DeploymentApps,
    /** `OAUTH_RETURN_ORIGINS`, comma-separated. */
    returnOriginsList?: string,
  ) {
    const deps = { db, activity, integrations, settings, http, deploymentApps };
    this.origins = new OAuthOrigins(settings, returnOriginsList);
    this.starter = new OAuthStart(deps, this.origins);
    this.callbacks = new OAuthCallback(deps, this.origins);
  }

  /** The hub's public origin (see publicOrigin). */
  publicUrl: OAuthOrigins["publicUrl"] = (...a) => this.origins.publicUrl(...a);
  /** Where the provider sends the browser back: register this URL with the provider's app. */
  redirectUri: OAuthOrigins["redirectUri"] = (...a) => this.origins.redirectUri(...a);
  /** Origins a flow may return the browser to: PUBLIC_URL's and OAUTH_RETURN_ORIGINS. */
  returnOrigins: OAuthOrigins["returnOrigins"] = (...a) => this.origins.returnOrigins(...a);
  /** Checks a return URL against the allowed origins; the default when none is given. */
  checkReturnTo: OAuthOrigins["checkReturnTo"] = (...a) => this.origins.checkReturnTo(...a);

  /** Starts a connection: returns the provider's authorize URL to send the browser to. */
  start: OAuthStart["start"] = (...a) => this.starter.start(...a);
  /** Completes a connection from the provider's redirect; says where to send the browser. */
  callback: OAuthCallback["callback"] = (...a) => this.callbacks.callback(...a);
}

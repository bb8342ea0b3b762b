/**
 * Keeping OAuth 2.0 access tokens fresh: on demand before a provider call, by the cron ahead of
 * expiry, and when an operator forces it; and revoking tokens at the provider on disconnect.
 *
 * - One refresh per expiry: a caller takes a lease on the row with a compare-and-set
 *   (`refresh_lease_until`, only while no live lease exists and `token_expires_at` is still
 *   what it read). The winner calls the provider; everyone else polls the row until the new
 *   expiry appears (or the lease lapses) and uses the stored token. So fifty callers racing on
 *   an expired connection make one request to the provider.
 * - The new access token, its expiry and a rotated refresh token (Xero, QuickBooks) are saved in
 *   one UPDATE of the vault ciphertext, compare-and-set on the ciphertext and key version the
 *   refresh started from; when an organization key rotation (or another write) got there
 *   first, the row is read again and the merge is retried once.
 * - `invalid_grant` is final: the integration goes to `error` with a readable `last_error`, the
 *   host app gets `integration.error`, and no refresh is attempted again until it is connected
 *   again (which resets the status). 5xx, 429, network failures and timeouts are retryable
 *   ProviderErrors and leave the integration as it was.
 *
 * The protocol is oauth4webapi's (refresh grant, revocation); requests go through the hub's
 * HTTP client, so with the sandbox on they reach the simulated authorization servers in-process.
 * The parts live in ./tokens/: the single-flight refresh, the due-refresh cron, saving token
 * sets through the vault, and revocation with disconnect.
 */
import type { Settings } from "../config.ts";
import type { Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import type { IntegrationRow } from "../db/schema.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import type { HttpClient } from "../providers/runtime.ts";
import type { Activity } from "./activity.ts";
import type { Events } from "./events.ts";
import type { Integrations } from "./integrations.ts";
import type { DeploymentApps } from "./oauth-client.ts";
import { TokenRefresh } from "./tokens/refresh.ts";
import { TokenRevocation } from "./tokens/revoke.ts";
import { TokenSchedule } from "./tokens/schedule.ts";
import type { FreshCredentials } from "./tokens/shared.ts";
import { TokenStore } from "./tokens/store.ts";

export {
  CRON_CONCURRENCY,
  CRON_WINDOW_MS,
  EXPIRY_MARGIN_MS,
  type FreshCredentials,
  isRefusedGrant,
  LEASE_MS,
  needsRefresh,
  POLL_MS,
  type RefreshDueResult,
  refreshable,
} from "./tokens/shared.ts";

/** The tokens service: one object over its parts, so callers keep one `services.tokens`. */
export class Tokens {
  private readonly refresher: TokenRefresh;
  private readonly schedule: TokenSchedule;
  private readonly revocation: TokenRevocation;
  /** The HTTP client the parts send through; read at each request, so replacing it here takes effect at once. */
  private readonly http: HttpClient;

  constructor(
    db: Db,
    activity: Activity,
    integrations: Integrations,
    events: Events,
    vault: () => Promise<Vault>,
    settings: Settings,
    http: HttpClient,
    /** The deployment's OAuth apps; throws a clear ApiError when OAUTH_APPS is malformed. */
    deploymentApps: () => DeploymentApps,
    log?: Logger,
  ) {
    this.http = http;
    const deps = {
      db,
      activity,
      integrations,
      events,
      vault,
      settings,
      http: (request: Request) => this.http(request),
      deploymentApps,
      log: (log ?? createLogger()).with({ service: "tokens" }),
    };
    this.refresher = new TokenRefresh(deps, new TokenStore(deps));
    this.schedule = new TokenSchedule(deps, this.refresher);
    this.revocation = new TokenRevocation(deps);
  }

  /**
   * The row and its secrets with an access token that is valid now: refreshed first when it
   * expires within the margin. Non-OAuth integrations, and those without a refresh token or a
   * known expiry, come back as they are.
   */
  fresh: TokenRefresh["fresh"] = (...a) => this.refresher.fresh(...a);
  /** Forces a refresh now (the refresh-token route), under the same lease. */
  refresh: TokenRefresh["refresh"] = (...a) => this.refresher.refresh(...a);
  /**
   * Refreshes now because the provider said the token's session ended (Salesforce's
   * INVALID_SESSION_ID), under the same lease: callers that hit it together make one refresh.
   */
  renew = (row: IntegrationRow): Promise<FreshCredentials> =>
    this.refresher.refreshRow(row, "session_expired", "system");

  /** The cron: refreshes integrations whose token expires within 15 minutes, a few at a time. */
  refreshDue: TokenSchedule["refreshDue"] = (...a) => this.schedule.refreshDue(...a);

  /** Disconnects a provider's integration: revokes at the provider first, then wipes credentials. */
  disconnect: TokenRevocation["disconnect"] = (...a) => this.revocation.disconnect(...a);
  /** Revokes the integration's grant at the provider. Never throws: a failure is logged. */
  revoke: TokenRevocation["revoke"] = (...a) => this.revocation.revoke(...a);
}

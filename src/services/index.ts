/**
 * The per-request (or per-job) services object. Services take explicit dependencies (db,
 * vault, settings), never a Hono context, so fetch, queue and cron handlers share them.
 */

import { getSettings, type Settings } from "../config.ts";
import { loadKeyRing } from "../crypto/keyring.ts";
import { Vault } from "../crypto/vault.ts";
import { createDb, type Db } from "../db/client.ts";
import { Shards } from "../db/shards.ts";
import { createOutbound, type Outbound, OutboundRefused, withTimeout } from "../lib/outbound.ts";
import type { HttpClient } from "../providers/runtime.ts";
import { Accounts } from "./accounts.ts";
import { Activity } from "./activity.ts";
import { Calendar } from "./calendar.ts";
import { ConnectSessions } from "./connect-sessions.ts";
import { Connections } from "./connections.ts";
import { Dashboard } from "./dashboard.ts";
import { Events } from "./events.ts";
import { Integrations } from "./integrations.ts";
import { Jobs } from "./jobs.ts";
import { Keys } from "./keys.ts";
import type { Suppressions } from "./messages/suppressions.ts";
import type { Templates } from "./messages/templates.ts";
import { Messages, messageLeaseMs } from "./messages.ts";
import { OAuthFlows } from "./oauth.ts";
import { parseOAuthApps } from "./oauth-client.ts";
import { Organizations } from "./organizations.ts";
import { Pacer } from "./pacing.ts";
import { Signup } from "./signup.ts";
import { Sync } from "./sync.ts";
import { Tokens } from "./tokens.ts";
import { createVaultStore } from "./vault-store.ts";
import { WebhookSetups } from "./webhook-setup.ts";
import { Webhooks } from "./webhooks.ts";

export interface Services {
  db: Db;
  /** The databases of each organization's high-volume rows (src/db/shards.ts). */
  shards: Shards;
  settings: Settings;
  /** The vault; fails with a clear KeyRingError when ENCRYPTION_KEYS is missing or malformed. */
  vault: () => Promise<Vault>;
  activity: Activity;
  organizations: Organizations;
  integrations: Integrations;
  connections: Connections;
  /** Choosing the account (Facebook Page) an integration works with. */
  accounts: Accounts;
  messages: Messages;
  /** Message templates (the messages service's own). */
  templates: Templates;
  /** Suppression lists (the messages service's own). */
  suppressions: Suppressions;
  webhooks: Webhooks;
  /** Where providers send an integration's webhooks, and pointing them at the hub. */
  webhookSetups: WebhookSetups;
  events: Events;
  signup: Signup;
  tokens: Tokens;
  oauth: OAuthFlows;
  connectSessions: ConnectSessions;
  sync: Sync;
  /** Availability and push-notification channels of calendar integrations. */
  calendar: Calendar;
  /** The operator's key rotation and re-wrap. */
  keys: Keys;
  /** Dead letters and counters of the job engine. */
  jobs: Jobs;
  dashboard: Dashboard;
}

/**
 * An origin answered in-process instead of over the network: the development entry (src/dev.ts)
 * installs one for its provider simulator; the production entry installs none.
 */
export interface LocalService {
  /** Requests under this URL are answered by `fetch`. */
  base: string;
  fetch: (request: Request) => Promise<Response>;
}

/** Given a deployment's bindings and settings, the in-process service to use, if any. */
export type LocalServiceFor = (env: Env, settings: Settings) => LocalService | undefined;

let localServiceFor: LocalServiceFor | undefined;

/**
 * Installs the in-process service for this isolate (the development entry calls it once);
 * returns the one it replaces.
 */
export function installLocalService(f: LocalServiceFor | undefined): LocalServiceFor | undefined {
  const previous = localServiceFor;
  localServiceFor = f;
  return previous;
}

/** Why provider calls are refused when SANDBOX_ENABLED is set on an entry that has no simulator. */
export const NO_SIMULATOR =
  "SANDBOX_ENABLED is true, but this deployment runs the production entry (src/index.ts), which has no provider simulator: deploy the development entry (wrangler --env development) or set SANDBOX_ENABLED=false";

/**
 * The outbound path every request made for a tenant goes through (src/lib/outbound.ts): the
 * destination checked as written, connections made through the `OUTBOUND` network service when
 * bound, redirects never followed. Requests under an installed local service's base are answered
 * in-process (they are not network requests). With SANDBOX_ENABLED but nothing installed, every
 * request is refused with NO_SIMULATOR rather than sent to real providers.
 */
export function createOutboundFor(env: Env, settings: Settings): Outbound {
  const local = localServiceFor?.(env, settings);
  if (settings.SANDBOX_ENABLED && !local) {
    return {
      fetch: () => Promise.reject(new OutboundRefused(`refused: ${NO_SIMULATOR}`)),
      connect: () => {
        throw new OutboundRefused(`refused: ${NO_SIMULATOR}`);
      },
    };
  }
  return createOutbound({
    allowPrivate: settings.ALLOW_PRIVATE_URLS,
    ...(env.OUTBOUND ? { network: env.OUTBOUND } : {}),
    ...(local ? { local } : {}),
  });
}

/** The HTTP client provider calls, OAuth calls and event deliveries use: the guarded fetch. */
export function createHttpClient(env: Env, settings: Settings): HttpClient {
  return createOutboundFor(env, settings).fetch;
}

/**
 * The services of one request or job. `d1` is the database (or D1 session) they read and write;
 * requests pass the session of their consistency (src/middleware/request.ts), queue consumers
 * and the cron the database itself, whose every query goes to the primary.
 */
export function createServices(
  env: Env,
  requestId: string,
  d1: D1Database | D1DatabaseSession = env.DB,
  /** Whether reads that may be a few seconds old come from the isolate's caches (API requests). */
  { cacheReads = false }: { cacheReads?: boolean } = {},
): Services {
  const db = createDb(d1);
  const shards = new Shards(env, db);
  const settings = getSettings(env);
  let vault: Promise<Vault> | undefined;
  const getVault = () => {
    vault ??= loadKeyRing(env.ENCRYPTION_KEYS).then((ring) => new Vault(createVaultStore(db), ring));
    vault.catch(() => {
      vault = undefined;
    });
    return vault;
  };
  const activity = new Activity(db, requestId, shards);
  const integrations = new Integrations(db, activity, getVault, settings, { cacheReads });
  const outbound = createOutboundFor(env, settings);
  const http = outbound.fetch;
  const events = new Events(db, shards, activity, getVault, settings, http, env.JOBS);
  const tokens = new Tokens(db, activity, integrations, events, getVault, settings, http, () =>
    parseOAuthApps(env.OAUTH_APPS),
  );
  const connections = new Connections(
    db,
    activity,
    integrations,
    events,
    settings,
    http,
    tokens,
    new Pacer(env.PACING),
    outbound.connect,
  );
  const sync = new Sync(db, shards, activity, integrations, connections, events, env.JOBS);
  const webhooks = new Webhooks(
    db,
    shards,
    activity,
    integrations,
    connections,
    events,
    env.JOBS,
    // Its own queue, consumed in batches of up to 50 (wrangler.toml): one insert and one
    // processing run for many deliveries. A deployment without it queues them with the jobs.
    env.WEBHOOKS ?? env.JOBS,
    (name) => {
      const value: unknown = (env as unknown as Record<string, unknown>)[name];
      return typeof value === "string" && value ? value : undefined;
    },
    {
      fetch: (request) =>
        withTimeout(settings.PROVIDER_TIMEOUT_MS, (signal) => http(new Request(request, { signal }))),
      ...(settings.sandboxBase ? { sandboxBase: settings.sandboxBase } : {}),
    },
    (row, entity) => sync.start(row, entity, { trigger: "webhook", actor: "webhook" }),
  );
  const organizations = new Organizations(db, shards, activity, getVault);
  const messages = new Messages(db, activity, integrations, connections, env.JOBS, messageLeaseMs(settings));
  return {
    db,
    shards,
    settings,
    vault: getVault,
    activity,
    organizations,
    integrations,
    connections,
    accounts: new Accounts(integrations, connections),
    messages,
    templates: messages.templates,
    suppressions: messages.suppressions,
    webhooks,
    webhookSetups: new WebhookSetups(db, activity, integrations, connections, settings),
    events,
    signup: new Signup(db, shards, activity, events, settings),
    tokens,
    oauth: new OAuthFlows(
      db,
      activity,
      integrations,
      settings,
      http,
      () => parseOAuthApps(env.OAUTH_APPS),
      env.OAUTH_RETURN_ORIGINS || undefined,
    ),
    connectSessions: new ConnectSessions(db, activity),
    sync,
    calendar: new Calendar(db, activity, integrations, connections, getVault),
    keys: new Keys(db, activity, organizations, getVault, env.JOBS),
    jobs: new Jobs(db),
    dashboard: new Dashboard(db, shards),
  };
}

/**
 * What the parts of the webhooks service share: limits, the provider lookup, the list filter,
 * and the service's dependencies.
 */

import type { Db } from "../../db/client.ts";
import type { IntegrationRow, WebhookEventRow } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { getProvider } from "../../providers/registry.ts";
import type { Provider } from "../../providers/types.ts";
import type { ProviderWebhook } from "../../providers/webhooks.ts";
import type { Activity } from "../activity.ts";
import type { Connections } from "../connections.ts";
import type { Events, EventType } from "../events.ts";
import type { Integrations } from "../integrations.ts";

/** Largest webhook body accepted; larger ones get 413. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Identical bodies (providers without event ids) within this window are one delivery. */
export const BODY_DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Processing attempts before an event is `failed` and dead-lettered. */
export const MAX_PROCESS_ATTEMPTS = 5;
/** Events one `webhook.process` job carries (D1 binds at most 100 parameters a query). */
export const MAX_EVENTS_PER_JOB = 50;
/** How long one consumer owns an event it is processing. */
export const LEASE_MS = 60_000;

export type Deferred = (work: Promise<unknown>) => void;
/** Records a host-app event to emit once the job's events are processed. */
export type Emit = (type: EventType, data: Record<string, unknown>, key: string) => void;

export type WebhookProvider = Provider & { webhook: ProviderWebhook };

export function webhookProvider(id: string): WebhookProvider {
  const p = getProvider(id);
  if (!p) throw new ApiError(ErrorCode.UNKNOWN_PROVIDER, `Unknown provider "${id}"`);
  if (!p.webhook)
    throw new ApiError(ErrorCode.NOT_FOUND, `${p.displayName} sends no webhooks to Switchboard`);
  return p as WebhookProvider;
}

export interface EventFilter {
  integrationId?: string;
  provider?: string;
  processed?: boolean;
  status?: WebhookEventRow["status"];
  type?: string;
  cursor?: string;
  limit: number;
}

/** What every part of the webhooks service is built from. */
export interface WebhooksDeps {
  db: Db;
  /** Webhook events (and the records leads become) live in each organization's data database. */
  shards: Shards;
  activity: Activity;
  integrations: Integrations;
  connections: Connections;
  events: Events;
  jobs: Queue;
  /** Where verified deliveries go before they are stored (the WEBHOOKS queue). */
  ingestQueue: Queue;
  /** A deployment setting by name (the environment's), for providers' `deploymentSecrets`. */
  setting: (name: string) => string | undefined;
  /**
   * Starts a sync of an integration's entity, or answers the one under way (a `sync.requested`
   * effect: a provider said something changed without saying what).
   */
  startSync?: (row: IntegrationRow, entity: string) => Promise<{ job: { id: string }; created: boolean }>;
  /** What verifiers that call out get (`WebhookContext.fetch` and `sandboxBase`). */
  outbound?: WebhookOutbound;
}

/** The guarded fetch (with the provider timeout) and, in sandbox mode, the simulator's base. */
export interface WebhookOutbound {
  fetch: (request: Request) => Promise<Response>;
  sandboxBase?: string;
}

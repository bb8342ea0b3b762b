/**
 * What the parts of the sync engine share: attempts, leases and limits, the entity a path names,
 * its dependencies, and the `sync.completed` event every ended job emits.
 */
import type { Db } from "../../db/client.ts";
import type { SyncJobRow } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import type { ProviderSync, SyncEntity } from "../../providers/sync.ts";
import type { Provider } from "../../providers/types.ts";
import type { Activity } from "../activity.ts";
import type { Connections } from "../connections.ts";
import type { Events } from "../events.ts";
import type { Integrations } from "../integrations.ts";

/** Attempts at one page (or one push) before the job fails for good. */
export const MAX_ATTEMPTS = 5;
/** How long a consumer may work on a page before another may take the job over. */
export const LEASE_MS = 60_000;
/** Mapping failures kept on the job, with their reasons. */
export const MAX_FAILURES_KEPT = 20;
/** Jobs and pushes untouched this long while unfinished are driven again by cron. */
export const STUCK_MS = 2 * 60_000;

export const ACTIVE = ["queued", "running", "paused"] as const;

export interface StartOptions {
  full?: boolean;
  trigger: "manual" | "schedule" | "webhook";
  actor: string;
}

export interface PushOptions {
  externalId?: string;
  operation?: "create" | "update" | "delete";
  /** The entity's push options (validated against its `pushOptions`). */
  options?: Record<string, unknown>;
  data: unknown;
  idempotencyKey?: string;
  actor: string;
}

/** The entity a path names (its own name or an alias), with its declaration. */
export function resolveEntity(
  provider: Provider,
  name: string,
): { entity: string; spec: SyncEntity; sync: ProviderSync } {
  const sync = provider.sync;
  if (!sync) {
    throw new ApiError(ErrorCode.BAD_REQUEST, `${provider.displayName} has nothing to sync`, {
      issues: [{ path: "provider", message: "does not sync records" }],
    });
  }
  for (const [entity, spec] of Object.entries(sync.entities)) {
    if (entity === name || spec.aliases?.includes(name)) return { entity, spec, sync };
  }
  const names = Object.keys(sync.entities).join(", ");
  throw new ApiError(
    ErrorCode.INVALID_FIELD,
    `entity: ${provider.displayName} syncs ${names}, not "${name}"`,
    {
      issues: [{ path: "entity", message: `one of ${names}` }],
    },
  );
}

export const nowIso = () => new Date().toISOString();
export const maxIso = (a: string | null | undefined, b: string | null | undefined) =>
  !a ? (b ?? null) : !b ? a : a > b ? a : b;

/** What every part of the sync engine is built from. */
export interface SyncDeps {
  db: Db;
  /** Records live in each organization's data database. */
  shards: Shards;
  activity: Activity;
  integrations: Integrations;
  connections: Connections;
  events: Events;
  queue: Queue;
}

/** Emits `sync.completed` for a job that ended (keyed by the job, so it is emitted once). */
export function announce(events: Events, job: SyncJobRow) {
  return events.emit(
    job.orgId,
    "sync.completed",
    {
      job_id: job.id,
      integration_id: job.integrationId,
      provider: job.provider,
      entity: job.entity,
      direction: job.direction,
      mode: job.mode,
      status: job.status,
      records_synced: job.recordsSynced,
      records_failed: job.recordsFailed,
      records_deleted: job.recordsDeleted,
      error_message: job.errorMessage,
      started_at: job.startedAt,
      completed_at: job.completedAt,
    },
    { key: `sync.completed:${job.id}` },
  );
}

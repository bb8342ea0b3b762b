/** How sync jobs, schedules, records and pushes are shown. */
import type { IntegrationRow, RecordPushRow, RecordRow, SyncJobRow, SyncStateRow } from "../../db/schema.ts";
import type { EntityStatus } from "../sync/status.ts";

/** A sync job (inbound run or outbound push log entry). */
export const syncJobView = (j: SyncJobRow) => ({
  id: j.id,
  integration_id: j.integrationId,
  provider: j.provider,
  entity: j.entity,
  direction: j.direction,
  trigger: j.trigger,
  mode: j.mode,
  status: j.status,
  since: j.since,
  pages_done: j.pagesDone,
  records_synced: j.recordsSynced,
  records_failed: j.recordsFailed,
  records_deleted: j.recordsDeleted,
  last_cursor: j.cursor,
  watermark: j.watermark,
  failures: j.failures ?? [],
  error_message: j.errorMessage,
  resume_at: j.resumeAt ? new Date(j.resumeAt).toISOString() : null,
  started_at: j.startedAt,
  completed_at: j.completedAt,
  created_at: j.createdAt,
});

/** A synced record; its provider's raw item only when asked for. */
export const recordView = (r: RecordRow, withRaw: boolean) => ({
  id: r.id,
  integration_id: r.integrationId,
  entity: r.entity,
  external_id: r.externalId,
  data: r.data,
  ...(withRaw ? { raw: r.raw } : {}),
  created_at: r.createdAt,
  updated_at: r.updatedAt,
  deleted_at: r.deletedAt,
});

/** An outward push. */
export const pushView = (p: RecordPushRow) => ({
  id: p.id,
  integration_id: p.integrationId,
  entity: p.entity,
  operation: p.operation,
  status: p.status,
  external_id: p.externalId,
  record_id: p.recordId,
  attempts: p.attempts,
  error: p.error,
  idempotency_key: p.idempotencyKey,
  created_at: p.createdAt,
  completed_at: p.completedAt,
});

/** An entity's schedule. */
export const scheduleView = (s: SyncStateRow) => ({
  entity: s.entity,
  interval_minutes: s.intervalMinutes,
  next_run_at: s.nextRunAt ? new Date(s.nextRunAt).toISOString() : null,
});

/** One entity's part of `sync-status`: what it is, its state, schedule and jobs. */
export const entityStatusView = (e: EntityStatus) => ({
  entity: e.entity,
  kind: e.spec.kind,
  aliases: e.spec.aliases ?? [],
  incremental: e.spec.incremental,
  deletions: e.spec.deletions,
  push: Boolean(e.spec.push),
  state: e.state,
  watermark: e.stored?.watermark ?? null,
  last_full_sync_at: e.stored?.lastFullAt ?? null,
  schedule: {
    interval_minutes: e.stored?.intervalMinutes ?? null,
    next_run_at: e.stored?.nextRunAt ? new Date(e.stored.nextRunAt).toISOString() : null,
  },
  current_job: e.current ? syncJobView(e.current) : null,
  last_job: e.last ? syncJobView(e.last) : null,
});

/** An integration's `sync-status`: every entity's state and the newest jobs. */
export const syncStatusView = (
  row: IntegrationRow,
  status: { entities: EntityStatus[]; jobs: SyncJobRow[] },
) => ({
  integration_id: row.id,
  provider: row.provider,
  last_sync_at: row.lastSyncAt,
  entities: status.entities.map(entityStatusView),
  jobs: status.jobs.map(syncJobView),
});

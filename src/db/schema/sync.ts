/** Records brought in from providers, the sync jobs and schedules that bring them, and outward pushes. */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organizations } from "./orgs.ts";
import { now } from "./shared.ts";

/**
 * Records an integration brought in (contacts from Lead Ads and sign-up pages, synced
 * customers, products, invoices), keyed by the provider's id; `raw` keeps the provider's item.
 * A sync rewrites a record only when what it would write differs from `data_hash`.
 */
export const records = sqliteTable(
  "records",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    integrationId: text("integration_id").notNull(),
    entity: text("entity").notNull(),
    externalId: text("external_id").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    raw: text("raw", { mode: "json" }).$type<unknown>(),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    deletedAt: text("deleted_at"),
    /**
     * SHA-256 (128 bits, base64url) of the `data` and `raw` JSON a sync last wrote; null when
     * something else (a push, a lead) wrote the record since, so the next sync rewrites it.
     */
    dataHash: text("data_hash"),
  },
  (t) => [
    uniqueIndex("records_external_uq").on(t.integrationId, t.entity, t.externalId),
    index("records_org_entity_idx").on(t.orgId, t.integrationId, t.entity, t.updatedAt, t.id),
  ],
);
export type RecordRow = typeof records.$inferSelect;

/**
 * The provider ids a full run saw, one row per page (entities whose deletions are found by
 * sweeping): at the end the run marks deleted the records whose ids no page listed, without
 * touching the unchanged ones. The rows go when the job ends. Lives beside `records`, which the
 * sweep reads it with.
 */
export const syncSeen = sqliteTable(
  "sync_seen",
  {
    jobId: text("job_id").notNull(),
    page: integer("page").notNull(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** The page's external ids, a JSON array. */
    externalIds: text("external_ids", { mode: "json" }).$type<string[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.page] })],
);

/**
 * Sync jobs, one row per run of one entity (inbound) or one push (outbound); finished rows are
 * the sync log (003 `integration_sync_logs`). A job pages through the provider one queue
 * message per page; `pages_done` guards each page so a repeated delivery does nothing twice.
 */
export const syncJobs = sqliteTable(
  "sync_jobs",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    integrationId: text("integration_id").notNull(),
    provider: text("provider").notNull(),
    entity: text("entity").notNull(),
    direction: text("direction", { enum: ["inbound", "outbound"] }).notNull(),
    /** What started it: `manual`, `schedule`, `push`. */
    trigger: text("trigger").notNull(),
    mode: text("mode", { enum: ["full", "incremental"] }).notNull(),
    status: text("status", {
      enum: ["queued", "running", "paused", "success", "partial", "failed"],
    }).notNull(),
    /** Modified-since of an incremental run (ISO), null for a full one. */
    since: text("since"),
    /** The provider's cursor for the next page. */
    cursor: text("cursor"),
    /** The newest provider modified time seen so far (the next run's since). */
    watermark: text("watermark"),
    /** The provider's opaque sync token an incremental run started from (entities with `syncToken`). */
    syncToken: text("sync_token"),
    /** The sync token the run's last page handed back: the next incremental run's start. */
    nextSyncToken: text("next_sync_token"),
    pagesDone: integer("pages_done").notNull().default(0),
    recordsSynced: integer("records_synced").notNull().default(0),
    recordsFailed: integer("records_failed").notNull().default(0),
    recordsDeleted: integer("records_deleted").notNull().default(0),
    /** Attempts at the current page (reset when a page succeeds). */
    attempts: integer("attempts").notNull().default(0),
    /** While a consumer works on a page, no other may take the job before this time (ms epoch). */
    leaseUntil: integer("lease_until"),
    /** A job paused by a 429, or retrying a failed page, goes on at this time (ms epoch). */
    resumeAt: integer("resume_at"),
    errorMessage: text("error_message"),
    /** Items that failed to map, the first few with their reasons. */
    failures: text("failures", { mode: "json" }).$type<{ external_id: string; reason: string }[]>(),
    startedAt: text("started_at"),
    completedAt: text("completed_at"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    index("sync_jobs_org_integration_idx").on(t.orgId, t.integrationId, t.id),
    index("sync_jobs_integration_entity_idx").on(t.integrationId, t.entity, t.status),
    index("sync_jobs_status_idx").on(t.status, t.updatedAt),
  ],
);
export type SyncJobRow = typeof syncJobs.$inferSelect;

/** Per integration and entity: the watermark the next incremental run starts from, and its schedule. */
export const syncState = sqliteTable(
  "sync_state",
  {
    integrationId: text("integration_id").notNull(),
    entity: text("entity").notNull(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    watermark: text("watermark"),
    /** The provider's opaque sync token for the next incremental run (entities with `syncToken`). */
    syncToken: text("sync_token"),
    lastFullAt: text("last_full_at"),
    lastJobId: text("last_job_id"),
    /** Scheduled runs every this many minutes; null: only on demand. */
    intervalMinutes: integer("interval_minutes"),
    /** The next scheduled run (ms epoch); cron claims it with compare-and-set. */
    nextRunAt: integer("next_run_at"),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.integrationId, t.entity] }),
    index("sync_state_next_run_idx").on(t.nextRunAt),
  ],
);
export type SyncStateRow = typeof syncState.$inferSelect;

/** Outward pushes (create or update a record at the provider), idempotent per key. */
export const recordPushes = sqliteTable(
  "record_pushes",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    integrationId: text("integration_id").notNull(),
    entity: text("entity").notNull(),
    idempotencyKey: text("idempotency_key"),
    /** SHA-256 of the request, so a reused key with another body is refused. */
    requestHash: text("request_hash").notNull(),
    operation: text("operation", { enum: ["create", "update", "delete"] }).notNull(),
    /** The provider's id: given for an update, filled in when a create succeeds. */
    externalId: text("external_id"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** The entity's push options as validated (`send_updates`, `check_availability`, ...). */
    options: text("options", { mode: "json" }).$type<Record<string, unknown>>(),
    status: text("status", { enum: ["queued", "processing", "succeeded", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    leaseUntil: integer("lease_until"),
    /** When a failed attempt's retry is due (ISO time); null otherwise. */
    nextAttemptAt: text("next_attempt_at"),
    recordId: text("record_id"),
    error: text("error"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    completedAt: text("completed_at"),
  },
  (t) => [
    uniqueIndex("record_pushes_idempotency_uq").on(t.integrationId, t.idempotencyKey),
    index("record_pushes_org_integration_idx").on(t.orgId, t.integrationId, t.id),
  ],
);
export type RecordPushRow = typeof recordPushes.$inferSelect;

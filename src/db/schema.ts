/**
 * The D1 schema. Every row that belongs to an organization carries `org_id`, and every query
 * on such a table is scoped by it. Migrations are generated from this file with drizzle-kit.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const organizations = sqliteTable("organizations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  slug: text("slug").notNull().unique(),
  /** Version of the organization's data key that new writes use. */
  currentKeyVersion: integer("current_key_version").notNull().default(1),
  createdAt: text("created_at").notNull().default(now),
  updatedAt: text("updated_at").notNull().default(now),
});

/**
 * Organization data keys, stored only wrapped by a key of the deployment's key ring.
 * Deleting the rows of an organization destroys its data key (crypto-shredding).
 */
export const orgKeys = sqliteTable(
  "org_keys",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    /** base64(iv || AES-GCM(ring key, raw data key)), with `org_id:version` as AAD. */
    wrappedKey: text("wrapped_key").notNull(),
    ringKeyId: text("ring_key_id").notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.version] }), index("org_keys_ring_key_idx").on(t.ringKeyId)],
);

/** Re-encryption of one organization's secrets under a new data key, with its progress. */
export const keyRotations = sqliteTable(
  "key_rotations",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    fromVersion: integer("from_version").notNull(),
    toVersion: integer("to_version").notNull(),
    status: text("status", { enum: ["running", "completed"] }).notNull(),
    rowsTotal: integer("rows_total").notNull().default(0),
    rowsDone: integer("rows_done").notNull().default(0),
    startedAt: text("started_at").notNull().default(now),
    completedAt: text("completed_at"),
  },
  (t) => [index("key_rotations_org_idx").on(t.orgId, t.startedAt)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name"),
    role: text("role", { enum: ["admin", "member"] }).notNull(),
    /** The first characters of the key, shown in listings and used to find the row. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole key, hex. The key itself is never stored. */
    hash: text("hash").notNull(),
    createdAt: text("created_at").notNull().default(now),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
  },
  (t) => [index("api_keys_prefix_idx").on(t.prefix), index("api_keys_org_idx").on(t.orgId, t.id)],
);

export const integrations = sqliteTable(
  "integrations",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    category: text("category").notNull(),
    name: text("name").notNull(),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: ["active", "inactive", "error", "pending"] }).notNull(),
    /** Non-secret settings, JSON object. Secret values never land here. */
    config: text("config", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** Secret fields, one AES-GCM ciphertext of a JSON object (see src/crypto/vault.ts). */
    secrets: text("secrets"),
    /** Names of the secret fields that are set, so responses can mask without decrypting. */
    secretFields: text("secret_fields", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Data key version that encrypted `secrets`. */
    keyVersion: integer("key_version"),
    apiBaseUrl: text("api_base_url"),
    webhookUrl: text("webhook_url"),
    webhookVerifyToken: text("webhook_verify_token"),
    tokenExpiresAt: text("token_expires_at"),
    lastSyncAt: text("last_sync_at"),
    lastError: text("last_error"),
    errorCount: integer("error_count").notNull().default(0),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    disconnectedAt: text("disconnected_at"),
    /** While a token refresh runs, no other caller may start one before this time (ms epoch). */
    refreshLeaseUntil: integer("refresh_lease_until"),
  },
  (t) => [
    index("integrations_org_idx").on(t.orgId, t.id),
    index("integrations_org_category_idx").on(t.orgId, t.category, t.id),
    index("integrations_org_provider_idx").on(t.orgId, t.provider, t.id),
    uniqueIndex("integrations_org_provider_name_uq").on(t.orgId, t.provider, t.name),
    index("integrations_org_key_version_idx").on(t.orgId, t.keyVersion),
  ],
);

export const integrationLogs = sqliteTable(
  "integration_logs",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    integrationId: text("integration_id").notNull(),
    level: text("level", { enum: ["info", "warn", "error"] }).notNull(),
    action: text("action").notNull(),
    message: text("message").notNull(),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("integration_logs_org_integration_idx").on(t.orgId, t.integrationId, t.id)],
);

export const auditLogs = sqliteTable(
  "audit_logs",
  {
    id: text("id").primaryKey(),
    /** Null for operator actions that belong to no organization. */
    orgId: text("org_id"),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
    requestId: text("request_id"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("audit_logs_org_idx").on(t.orgId, t.id)],
);

export type OrganizationRow = typeof organizations.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type IntegrationRow = typeof integrations.$inferSelect;
export type IntegrationLogRow = typeof integrationLogs.$inferSelect;
export type AuditLogRow = typeof auditLogs.$inferSelect;
export type OrgKeyRow = typeof orgKeys.$inferSelect;
export type KeyRotationRow = typeof keyRotations.$inferSelect;

/** Outbound messages: queued by the API, sent by the queue consumer, updated by delivery webhooks. */
export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    integrationId: text("integration_id").notNull(),
    provider: text("provider").notNull(),
    channel: text("channel").notNull(),
    to: text("to").notNull(),
    /** subject/text/html/template: the content, never credentials. */
    content: text("content", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** `outbound`: sent by the hub; `inbound`: received through a provider webhook. */
    direction: text("direction", { enum: ["outbound", "inbound"] })
      .notNull()
      .default("outbound"),
    status: text("status", {
      enum: ["queued", "sending", "sent", "delivered", "failed", "received"],
    }).notNull(),
    /** Sandbox mode of the integration: recorded, not sent. */
    sandbox: integer("sandbox", { mode: "boolean" }).notNull().default(false),
    attempts: integer("attempts").notNull().default(0),
    /** While `sending`, no other consumer may take the message before this time (ms epoch). */
    leaseUntil: integer("lease_until"),
    providerMessageId: text("provider_message_id"),
    lastError: text("last_error"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    sentAt: text("sent_at"),
    deliveredAt: text("delivered_at"),
    nextAttemptAt: text("next_attempt_at"),
  },
  (t) => [
    index("messages_org_idx").on(t.orgId, t.id),
    index("messages_org_status_idx").on(t.orgId, t.status, t.id),
    // The minutely cron's look for stuck messages (src/cron/requeue-messages.ts).
    index("messages_status_idx").on(t.status, t.updatedAt),
    index("messages_provider_message_idx").on(t.provider, t.providerMessageId),
    uniqueIndex("messages_org_idempotency_uq").on(t.orgId, t.idempotencyKey),
  ],
);

/** Fixed-window counters for rate limits (test connection, ...). */
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});

export type MessageRow = typeof messages.$inferSelect;

/**
 * Verified provider webhooks, one row per delivery. `dedupe_key` is the provider's event id, or
 * the body's hash where the provider has none, so a repeated delivery finds the first row.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    integrationId: text("integration_id").notNull(),
    provider: text("provider").notNull(),
    eventType: text("event_type").notNull(),
    providerEventId: text("provider_event_id"),
    dedupeKey: text("dedupe_key").notNull(),
    /** The parsed payload with secret-looking values redacted. */
    payload: text("payload", { mode: "json" }).$type<unknown>().notNull(),
    status: text("status", { enum: ["pending", "processing", "processed", "failed", "ignored"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** While `processing`, no other consumer may take the event before this time (ms epoch). */
    leaseUntil: integer("lease_until"),
    /** What processing did (`messages_updated`, `contact_id`, ...). */
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
    lastError: text("last_error"),
    duplicates: integer("duplicates").notNull().default(0),
    receivedAt: text("received_at").notNull().default(now),
    processedAt: text("processed_at"),
  },
  (t) => [
    uniqueIndex("webhook_events_dedupe_uq").on(t.integrationId, t.dedupeKey),
    index("webhook_events_org_integration_idx").on(t.orgId, t.integrationId, t.id),
    index("webhook_events_org_provider_idx").on(t.orgId, t.provider, t.id),
    index("webhook_events_status_idx").on(t.status, t.receivedAt),
  ],
);

/**
 * Records an integration brought in (contacts from Lead Ads and sign-up pages, synced
 * customers, products, invoices), keyed by the provider's id; `raw` keeps the provider's item.
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
    /** The sync job that last saw it at the provider: a full run deletes what it did not see. */
    seenJob: text("seen_job"),
  },
  (t) => [
    uniqueIndex("records_external_uq").on(t.integrationId, t.entity, t.externalId),
    index("records_org_entity_idx").on(t.orgId, t.integrationId, t.entity, t.updatedAt, t.id),
  ],
);

/** Host-app endpoints that receive an organization's events, signed the Standard Webhooks way. */
export const eventEndpoints = sqliteTable(
  "event_endpoints",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    /** Event types delivered; null means every type. */
    eventTypes: text("event_types", { mode: "json" }).$type<string[] | null>(),
    /** The signing secret, encrypted by the vault like an integration's secrets. */
    secret: text("secret").notNull(),
    keyVersion: integer("key_version").notNull(),
    status: text("status", { enum: ["enabled", "disabled"] })
      .notNull()
      .default("enabled"),
    disabledReason: text("disabled_reason"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    index("event_endpoints_org_idx").on(t.orgId, t.id),
    index("event_endpoints_org_key_version_idx").on(t.orgId, t.keyVersion),
  ],
);

/** Events for the host app (`lead.created`, `message.status`, ...), one row per event. */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("events_org_idx").on(t.orgId, t.id)],
);

/** One event on its way to one endpoint. */
export const eventDeliveries = sqliteTable(
  "event_deliveries",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    status: text("status", { enum: ["pending", "delivering", "succeeded", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    leaseUntil: integer("lease_until"),
    nextAttemptAt: text("next_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
    deliveredAt: text("delivered_at"),
  },
  (t) => [
    uniqueIndex("event_deliveries_event_endpoint_uq").on(t.eventId, t.endpointId),
    index("event_deliveries_org_endpoint_idx").on(t.orgId, t.endpointId, t.id),
    index("event_deliveries_status_idx").on(t.status, t.nextAttemptAt),
  ],
);

/** Every attempt at a delivery: status code, latency, error. */
export const eventAttempts = sqliteTable(
  "event_attempts",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    deliveryId: text("delivery_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    attempt: integer("attempt").notNull(),
    statusCode: integer("status_code"),
    latencyMs: integer("latency_ms").notNull(),
    error: text("error"),
    /** The start of the endpoint's answer, for debugging. */
    responseBody: text("response_body"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("event_attempts_org_delivery_idx").on(t.orgId, t.deliveryId, t.id)],
);

export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type RecordRow = typeof records.$inferSelect;
export type EventEndpointRow = typeof eventEndpoints.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type EventDeliveryRow = typeof eventDeliveries.$inferSelect;
export type EventAttemptRow = typeof eventAttempts.$inferSelect;

/**
 * OAuth `state` values of flows in progress: stored hashed, single use, bound to the
 * organization, provider, integration and return URL, with the PKCE verifier, for 10 minutes.
 */
export const oauthStates = sqliteTable(
  "oauth_states",
  {
    /** SHA-256 (hex) of the state sent to the provider. */
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    /** The integration to connect; null creates one on success. */
    integrationId: text("integration_id"),
    returnTo: text("return_to"),
    codeVerifier: text("code_verifier"),
    actor: text("actor").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("oauth_states_expires_idx").on(t.expiresAt)],
);

/** Short-lived tokens a browser uses to connect integrations without an API key. */
export const connectSessions = sqliteTable(
  "connect_sessions",
  {
    id: text("id").primaryKey(),
    /** SHA-256 (hex) of the token; the token itself is shown once. */
    tokenHash: text("token_hash").notNull().unique(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Providers the session may connect; null means any. */
    allowedProviders: text("allowed_providers", { mode: "json" }).$type<string[] | null>(),
    returnTo: text("return_to"),
    actor: text("actor").notNull(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("connect_sessions_org_idx").on(t.orgId, t.id)],
);

export type OAuthStateRow = typeof oauthStates.$inferSelect;
export type ConnectSessionRow = typeof connectSessions.$inferSelect;

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
    pagesDone: integer("pages_done").notNull().default(0),
    recordsSynced: integer("records_synced").notNull().default(0),
    recordsFailed: integer("records_failed").notNull().default(0),
    recordsDeleted: integer("records_deleted").notNull().default(0),
    /** Attempts at the current page (reset when a page succeeds). */
    attempts: integer("attempts").notNull().default(0),
    /** While a consumer works on a page, no other may take the job before this time (ms epoch). */
    leaseUntil: integer("lease_until"),
    /** A paused job (429) resumes at this time (ms epoch). */
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
    operation: text("operation", { enum: ["create", "update"] }).notNull(),
    /** The provider's id: given for an update, filled in when a create succeeds. */
    externalId: text("external_id"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: ["queued", "processing", "succeeded", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    leaseUntil: integer("lease_until"),
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

/**
 * Request budgets per provider account: a sliding window of two fixed windows (the previous
 * window's count, weighted by its overlap, plus the current one's).
 */
export const rateBudgets = sqliteTable("rate_budgets", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
  previousCount: integer("previous_count").notNull().default(0),
});
export * from "./jobs-schema.ts";

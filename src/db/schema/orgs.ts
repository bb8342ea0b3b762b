/**
 * Organizations and what belongs to them directly: data keys and their rotations, API keys,
 * integrations with their logs, and the audit log.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { now } from "./shared.ts";

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
    /** The last successful sync (or push): never a connection test. */
    lastSyncAt: text("last_sync_at"),
    /** The last connection test, whatever its outcome (`last_error` says how it ended). */
    lastTestedAt: text("last_tested_at"),
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
  (t) => [
    index("integration_logs_org_integration_idx").on(t.orgId, t.integrationId, t.id),
    /** Retention's "older than" scan (src/services/retention.ts). */
    index("integration_logs_created_idx").on(t.createdAt),
  ],
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

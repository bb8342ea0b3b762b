/** Events for the host app, the endpoints that receive them, and each delivery and attempt. */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organizations } from "./orgs.ts";
import { now } from "./shared.ts";

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
  (t) => [
    index("events_org_idx").on(t.orgId, t.id),
    /** Retention's "older than" scan (src/services/retention.ts). */
    index("events_created_idx").on(t.createdAt),
  ],
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
    /** Retention: finished deliveries untouched for the retention (src/services/retention.ts). */
    index("event_deliveries_status_updated_idx").on(t.status, t.updatedAt),
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
  (t) => [
    index("event_attempts_org_delivery_idx").on(t.orgId, t.deliveryId, t.id),
    /** Retention's "older than" scan (src/services/retention.ts). */
    index("event_attempts_created_idx").on(t.createdAt),
  ],
);

export type EventEndpointRow = typeof eventEndpoints.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type EventDeliveryRow = typeof eventDeliveries.$inferSelect;
export type EventAttemptRow = typeof eventAttempts.$inferSelect;

/** Provider webhooks received and verified, one row per delivery. */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organizations } from "./orgs.ts";
import { now } from "./shared.ts";

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
    /** When a failed attempt's retry is due (ISO time); null while the event waits its first. */
    nextAttemptAt: text("next_attempt_at"),
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
    index("webhook_events_org_idx").on(t.orgId, t.id),
    index("webhook_events_status_idx").on(t.status, t.receivedAt),
  ],
);

export type WebhookEventRow = typeof webhookEvents.$inferSelect;

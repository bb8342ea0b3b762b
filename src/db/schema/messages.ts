/** Outbound and inbound messages of an organization's integrations. */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organizations } from "./orgs.ts";
import { now } from "./shared.ts";

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
      enum: ["scheduled", "queued", "sending", "sent", "delivered", "failed", "received", "cancelled"],
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
    // The minutely cron's look for stuck messages (the job engine's re-drive of `message.send`).
    index("messages_status_idx").on(t.status, t.updatedAt),
    index("messages_provider_message_idx").on(t.provider, t.providerMessageId),
    uniqueIndex("messages_org_idempotency_uq").on(t.orgId, t.idempotencyKey),
  ],
);

export type MessageRow = typeof messages.$inferSelect;

/**
 * A message's timeline: each step it went through (queued, a retry, sent, a provider's receipt,
 * failed), written with the change it describes.
 */
export const messageEvents = sqliteTable(
  "message_events",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    messageId: text("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    /** The message's status after this step (`queued` for a retry that waits). */
    status: text("status").notNull(),
    /** What happened, in a word: `queued`, `retry`, `sent`, `receipt`, `failed`. */
    step: text("step").notNull(),
    /** The provider's word for a receipt (`delivery`, `open`), or the retry's time. */
    detail: text("detail"),
    /** Why a retry or a failure happened (redacted). */
    error: text("error"),
    at: text("at").notNull().default(now),
  },
  (t) => [index("message_events_message_idx").on(t.messageId, t.id)],
);

export type MessageEventRow = typeof messageEvents.$inferSelect;

/**
 * Message templates: a named subject/text/html with `{{variables}}` for one channel. Every
 * change is a new version (message_template_versions keeps each); a send records the version
 * it used.
 */
export const messageTemplates = sqliteTable(
  "message_templates",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    channel: text("channel").notNull(),
    /** The current version (1 when created). */
    version: integer("version").notNull().default(1),
    subject: text("subject"),
    text: text("text"),
    html: text("html"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("message_templates_org_name_uq").on(t.orgId, t.name),
    index("message_templates_org_idx").on(t.orgId, t.id),
  ],
);

export type MessageTemplateRow = typeof messageTemplates.$inferSelect;

/** Every version of every template, as it was when that version was current. */
export const messageTemplateVersions = sqliteTable(
  "message_template_versions",
  {
    templateId: text("template_id")
      .notNull()
      .references(() => messageTemplates.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    orgId: text("org_id").notNull(),
    subject: text("subject"),
    text: text("text"),
    html: text("html"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("message_template_versions_uq").on(t.templateId, t.version)],
);

export type MessageTemplateVersionRow = typeof messageTemplateVersions.$inferSelect;

/**
 * Recipients no message may be sent to on a channel: added by hand, or by the hub on a hard
 * bounce, a complaint or an inbound STOP. `address` is stored as the channel compares it (an
 * email lower-cased, a number without a `whatsapp:` prefix).
 */
export const suppressions = sqliteTable(
  "suppressions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    channel: text("channel").notNull(),
    address: text("address").notNull(),
    /** `manual`, `hard_bounce`, `complaint` or `unsubscribe`. */
    reason: text("reason").notNull(),
    /** What added it: the API, or the message or webhook event that did. */
    source: text("source"),
    note: text("note"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("suppressions_org_channel_address_uq").on(t.orgId, t.channel, t.address),
    index("suppressions_org_idx").on(t.orgId, t.id),
  ],
);

export type SuppressionRow = typeof suppressions.$inferSelect;

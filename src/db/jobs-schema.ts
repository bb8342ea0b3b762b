/**
 * The job engine's own tables (src/jobs/): dead letters, the jobs that ended without success
 * with their reason, and counters of how each kind of job ends, per organization.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/**
 * A job that ended without success: a permanent failure, or a retryable one that used all its
 * attempts. `ref_id` is the row the job worked on (a message, a delivery, a sync job, ...).
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    kind: text("kind").notNull(),
    refId: text("ref_id").notNull(),
    /**
     * `permanent` (the provider refused it), `exhausted` (retries used up) or `queue` (the queue
     * gave up delivering its message, which the consumer never finished).
     */
    cause: text("cause", { enum: ["permanent", "exhausted", "queue"] }).notNull(),
    reason: text("reason").notNull(),
    attempts: integer("attempts").notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    index("dead_letters_org_idx").on(t.orgId, t.id),
    index("dead_letters_ref_idx").on(t.orgId, t.refId),
  ],
);
export type DeadLetterRow = typeof deadLetters.$inferSelect;

/** How many attempts of each kind of job ended each way, per organization. */
export const jobCounters = sqliteTable(
  "job_counters",
  {
    orgId: text("org_id").notNull(),
    kind: text("kind").notNull(),
    /** succeeded, retried, failed, dead_lettered, superseded, crashed */
    outcome: text("outcome").notNull(),
    count: integer("count").notNull().default(0),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.kind, t.outcome] })],
);

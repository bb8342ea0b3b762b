/**
 * Retention: the high-volume history tables (integration logs, provider webhook events, events
 * with their deliveries and attempts) lose their rows once these are older than the deployment's
 * retention, in bounded batches, so one run stays far inside D1's 1,000 queries per invocation
 * and whatever is left waits for the next run.
 *
 * Nothing that work still needs goes: a webhook event or a delivery that waits or is being
 * worked on, a failed one that a dead letter names (it can still be replayed or redelivered), an
 * event that still has a delivery, and a delivery that still has an attempt. Children go before
 * their parents (attempts, then deliveries, then events), each in its own statement, so a run
 * cut short anywhere leaves no orphan. Dead letters themselves are never pruned.
 *
 * Everything takes the database to prune, so the same run can go over each database that
 * holds these tables; the dead-letter check reads `dead_letters` in that same database (where
 * the job engine writes a job's dead letter, in one batch with the job's row).
 */
import { and, eq, inArray, lt, ne, notExists, or, type SQL, sql } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client.ts";
import {
  deadLetters,
  eventAttempts,
  eventDeliveries,
  events,
  integrationLogs,
  webhookEvents,
} from "../db/schema.ts";

/** Rows one DELETE removes at most. */
export const RETENTION_BATCH_SIZE = 1_000;
/** DELETEs per table per run: 5 tables × 10 = at most 50 queries a run. */
export const RETENTION_MAX_BATCHES = 10;

export const PRUNED_TABLES = [
  "integration_logs",
  "webhook_events",
  "event_attempts",
  "event_deliveries",
  "events",
] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

export interface RetentionOptions {
  /** Rows older than this many days are pruned. */
  days: number;
  /** The clock (ms epoch). */
  now?: number;
  /** Rows one DELETE removes at most. */
  batchSize?: number;
  /** DELETEs per table in this run. */
  maxBatches?: number;
  /**
   * The database is a shard, not the main one that holds the dead letters: a failed row cannot
   * be checked against them there, so failed rows are kept (they are few, and an operator can
   * still replay or redeliver them).
   */
  keepFailed?: boolean;
}

export interface RetentionRun {
  /** Rows older than this (ISO time) were eligible. */
  cutoff: string;
  /** Rows deleted, per table. */
  pruned: Record<PrunedTable, number>;
  /** Tables that used all their batches: more may be left for the next run. */
  unfinished: PrunedTable[];
}

/** A dead letter names the row: the failed work can still be replayed or redelivered. */
const deadLettered = (db: Db, orgId: AnySQLiteColumn, id: AnySQLiteColumn) =>
  db
    .select({ one: sql`1` })
    .from(deadLetters)
    .where(and(eq(deadLetters.orgId, orgId), eq(deadLetters.refId, id)));

/**
 * A failed row goes only when no dead letter names it; on a shard, where the dead letters are not,
 * failed rows stay.
 */
const unlessDeadLettered = (
  db: Db,
  keepFailed: boolean,
  t: { status: AnySQLiteColumn; orgId: AnySQLiteColumn; id: AnySQLiteColumn },
) =>
  keepFailed
    ? ne(t.status, "failed")
    : or(ne(t.status, "failed"), notExists(deadLettered(db, t.orgId, t.id)));

/** Which rows of each table may go, children before parents. Each uses an index (migration 0011). */
function prunable(db: Db, cutoff: string, keepFailed: boolean): [PrunedTable, SQLiteTable, SQL][] {
  return [
    ["integration_logs", integrationLogs, lt(integrationLogs.createdAt, cutoff)],
    [
      "webhook_events",
      webhookEvents,
      and(
        // Finished only: pending and processing events are still to be (or being) processed.
        inArray(webhookEvents.status, ["processed", "ignored", "failed"]),
        lt(webhookEvents.receivedAt, cutoff),
        unlessDeadLettered(db, keepFailed, webhookEvents),
      ) as SQL,
    ],
    ["event_attempts", eventAttempts, lt(eventAttempts.createdAt, cutoff)],
    [
      "event_deliveries",
      eventDeliveries,
      and(
        // Finished and untouched since the cutoff (a redelivery touches it).
        inArray(eventDeliveries.status, ["succeeded", "failed"]),
        lt(eventDeliveries.updatedAt, cutoff),
        unlessDeadLettered(db, keepFailed, eventDeliveries),
        notExists(
          db
            .select({ one: sql`1` })
            .from(eventAttempts)
            .where(
              and(
                eq(eventAttempts.orgId, eventDeliveries.orgId),
                eq(eventAttempts.deliveryId, eventDeliveries.id),
              ),
            ),
        ),
      ) as SQL,
    ],
    [
      "events",
      events,
      and(
        lt(events.createdAt, cutoff),
        // A delivery still needs its event's payload (or keeps it as its parent).
        notExists(
          db.select({ one: sql`1` }).from(eventDeliveries).where(eq(eventDeliveries.eventId, events.id)),
        ),
      ) as SQL,
    ],
  ];
}

/**
 * One batch's DELETE for each table, children before parents. D1 has no `DELETE … LIMIT`: the
 * batch is chosen by rowid in a subquery that walks the table's index on its timestamp.
 */
export function pruneStatements(db: Db, cutoff: string, batchSize: number, keepFailed = false) {
  return prunable(db, cutoff, keepFailed).map(([name, table, where]) => ({
    table: name,
    statement: db
      .delete(table)
      .where(inArray(sql`rowid`, db.select({ rowid: sql`rowid` }).from(table).where(where).limit(batchSize))),
  }));
}

/**
 * Deletes rows older than `days` from one database, at most `batchSize` rows a statement and
 * `maxBatches` statements a table. Idempotent: a repeated or skipped run only moves the work.
 */
export async function pruneExpired(db: Db, o: RetentionOptions): Promise<RetentionRun> {
  const batchSize = o.batchSize ?? RETENTION_BATCH_SIZE;
  const maxBatches = o.maxBatches ?? RETENTION_MAX_BATCHES;
  const cutoff = new Date((o.now ?? Date.now()) - o.days * 86_400_000).toISOString();
  const pruned = Object.fromEntries(PRUNED_TABLES.map((t) => [t, 0])) as Record<PrunedTable, number>;
  const unfinished: PrunedTable[] = [];
  for (const { table, statement } of pruneStatements(db, cutoff, batchSize, o.keepFailed === true)) {
    for (let batches = 1; ; batches++) {
      const n = (await statement.run()).meta.changes ?? 0;
      pruned[table] += n;
      if (n < batchSize) break;
      if (batches >= maxBatches) {
        unfinished.push(table);
        break;
      }
    }
  }
  return { cutoff, pruned, unfinished };
}

/**
 * Saving one page of a sync job: the page's records upserted by (integration, entity,
 * external_id), its tombstones applied, and the job advanced, in one atomic batch under the
 * claim's lease, so a repeated or crashed delivery never counts or writes anything twice.
 *
 * Records live in the organization's data database (src/db/shards.ts). Where that is not DB,
 * the records' batch runs first and the job's advance after it, under the lease: a crash between
 * the two leaves the page not done, and its next delivery upserts the same records again.
 */
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { on, type Statement } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, records, type SyncJobRow, syncJobs } from "../../db/schema.ts";
import { batchUnderLease, holds, type Lease } from "../../jobs/lease.ts";
import { prefixedId } from "../../lib/ids.ts";
import { RECORD_SCHEMAS, type SyncEntity, type SyncItem } from "../../providers/sync.ts";
import { ID_CHUNK, MAX_FAILURES_KEPT, maxIso, nowIso, UPSERT_ROWS } from "./shared.ts";

/**
 * Upserts a page's records and advances the job (resetting its attempts at the page), in one
 * atomic batch under the claim's lease; false (nothing written) when another consumer has taken
 * the job over.
 */
export async function savePage(
  db: Db,
  /** The organization's data database (the records'). */
  data: Db,
  job: SyncJobRow,
  lease: Lease,
  row: IntegrationRow,
  spec: SyncEntity,
  items: SyncItem[],
  deleted: string[],
  next: string | null,
  page: number,
  /** More of the job to set with the page: the next run's sync token, a restart as a full run. */
  extra: Partial<Pick<SyncJobRow, "nextSyncToken" | "mode" | "since" | "syncToken">> = {},
): Promise<boolean> {
  const schema = RECORD_SCHEMAS[spec.kind];
  const now = nowIso();
  const failures: { external_id: string; reason: string }[] = [];
  // The last occurrence of an id wins (listings that shift under writes repeat items).
  const byId = new Map<string, { data: Record<string, unknown>; raw: unknown }>();
  let watermark = job.watermark;
  for (const item of items) {
    const parsed = schema.safeParse(item.data);
    if (!parsed.success || !item.externalId) {
      const issue = parsed.success ? undefined : parsed.error.issues[0];
      failures.push({
        external_id: String(item.externalId ?? ""),
        reason: issue ? `${issue.path.join(".") || "item"}: ${issue.message}` : "no external id",
      });
      continue;
    }
    byId.set(item.externalId, {
      data: { ...parsed.data, external_id: item.externalId, external_provider: row.provider },
      raw: item.raw ?? null,
    });
    watermark = maxIso(watermark, item.modifiedAt ?? null);
  }
  const rows = [...byId].map(([externalId, v]) => ({
    id: prefixedId("rec"),
    orgId: row.orgId,
    integrationId: row.id,
    entity: job.entity,
    externalId,
    data: v.data,
    raw: v.raw,
    seenJob: job.id,
    updatedAt: now,
  }));
  const statements: unknown[] = [];
  for (let i = 0; i < rows.length; i += UPSERT_ROWS) {
    statements.push(
      data
        .insert(records)
        .values(rows.slice(i, i + UPSERT_ROWS))
        .onConflictDoUpdate({
          target: [records.integrationId, records.entity, records.externalId],
          set: {
            // updated_at moves only when the record changed, so `updated_since` readers see real changes.
            updatedAt: sql`case when ${records.data} is not excluded.data or ${records.deletedAt} is not null
              then excluded.updated_at else ${records.updatedAt} end`,
            data: sql`excluded.data`,
            raw: sql`excluded.raw`,
            seenJob: sql`excluded.seen_job`,
            deletedAt: sql`null`,
          },
        }),
    );
  }
  const gone = deleted.filter((id) => !byId.has(id));
  for (let i = 0; i < gone.length; i += ID_CHUNK) {
    statements.push(
      data
        .update(records)
        .set({ deletedAt: now, updatedAt: now, seenJob: job.id })
        .where(
          and(
            eq(records.integrationId, row.id),
            eq(records.entity, job.entity),
            inArray(records.externalId, gone.slice(i, i + ID_CHUNK)),
            isNull(records.deletedAt),
          ),
        ),
    );
  }
  const kept = [...(job.failures ?? []), ...failures].slice(0, MAX_FAILURES_KEPT);
  statements.push(
    db
      .update(syncJobs)
      .set({
        pagesDone: page + 1,
        cursor: next,
        watermark,
        recordsSynced: sql`${syncJobs.recordsSynced} + ${rows.length}`,
        recordsFailed: sql`${syncJobs.recordsFailed} + ${failures.length}`,
        recordsDeleted: sql`${syncJobs.recordsDeleted} + ${gone.length}`,
        failures: kept.length ? kept : null,
        ...extra,
        attempts: 0,
        errorMessage: null,
        // The lease stays: the job engine releases it when it stores the attempt's outcome.
        updatedAt: now,
      })
      .where(and(holds(lease), eq(syncJobs.pagesDone, page))),
  );
  // The records on the data database; the job's advance, the last statement, on the main one.
  const advance = statements.length - 1;
  const writes = statements.map((s, i) => (i === advance ? (s as Statement) : on(data, s as Statement)));
  return (await batchUnderLease(db, lease, writes)) !== null;
}

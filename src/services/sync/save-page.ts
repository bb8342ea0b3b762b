/**
 * Saving one page of a sync job: the page's new and changed records upserted by (integration,
 * entity, external_id), unchanged ones left alone, its tombstones applied, the ids a full run
 * listed kept for its sweep, and the job advanced, in one atomic batch under the claim's lease,
 * so a repeated or crashed delivery never counts or writes anything twice.
 *
 * Records and the seen ids live in the organization's data database (src/db/shards.ts). Where
 * that is not DB, the records' batch runs first and the job's advance after it, under the lease:
 * a crash between the two leaves the page not done, and its next delivery writes the same
 * records again (or, unchanged now, nothing).
 */
import { and, eq, sql } from "drizzle-orm";
import { on, type Statement } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, type SyncJobRow, syncJobs } from "../../db/schema.ts";
import { batchUnderLease, holds, type Lease } from "../../jobs/lease.ts";
import { prefixedId } from "../../lib/ids.ts";
import { RECORD_SCHEMAS, type SyncEntity, type SyncItem } from "../../providers/sync.ts";
import {
  type RecordScope,
  type RecordWrite,
  recordHash,
  seenStatement,
  storedVersions,
  tombstoneStatement,
  upsertStatements,
} from "./record-writes.ts";
import { MAX_FAILURES_KEPT, maxIso, nowIso } from "./shared.ts";

/**
 * Upserts a page's new and changed records and advances the job (resetting its attempts at the
 * page), in one atomic batch under the claim's lease; false (nothing written) when another
 * consumer has taken the job over. `items` is emptied once they are turned into rows.
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
  const scope: RecordScope = { orgId: row.orgId, integrationId: row.id, entity: job.entity };
  const failures: { external_id: string; reason: string }[] = [];
  // The last occurrence of an id wins (listings that shift under writes repeat items).
  const byId = new Map<string, { data: string; raw: string | null }>();
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
    const data = { ...parsed.data, external_id: item.externalId, external_provider: row.provider };
    const raw = item.raw ?? null;
    byId.set(item.externalId, { data: JSON.stringify(data), raw: raw === null ? null : JSON.stringify(raw) });
    watermark = maxIso(watermark, item.modifiedAt ?? null);
  }
  // The provider's parsed items are not needed past here: dropped, so they are not held (with
  // the page they came in) through the reads and writes below.
  items.length = 0;
  // One read for the page's ids; only what is new, changed or back from deleted is written.
  const [stored, hashes] = await Promise.all([
    storedVersions(data, scope, [...byId.keys()]),
    Promise.all([...byId.values()].map((v) => recordHash(v.data, v.raw))),
  ]);
  const writes: RecordWrite[] = [];
  let i = 0;
  for (const [externalId, v] of byId) {
    const hash = hashes[i++] ?? "";
    const had = stored.get(externalId);
    if (had && !had.deleted && had.hash === hash) continue;
    writes.push({ id: prefixedId("rec"), externalId, data: v.data, raw: v.raw, hash });
  }
  const statements: unknown[] = upsertStatements(data, scope, writes, now);
  const gone = deleted.filter((id) => !byId.has(id));
  const tombstones = tombstoneStatement(data, scope, gone, now);
  if (tombstones) statements.push(tombstones);
  // A full run of an entity without tombstones keeps what it listed, for the sweep at its end.
  if (spec.deletions === "sweep" && (extra.mode ?? job.mode) === "full")
    statements.push(seenStatement(data, row.orgId, job.id, page, [...byId.keys()]));
  const kept = [...(job.failures ?? []), ...failures].slice(0, MAX_FAILURES_KEPT);
  statements.push(
    db
      .update(syncJobs)
      .set({
        pagesDone: page + 1,
        cursor: next,
        watermark,
        recordsSynced: sql`${syncJobs.recordsSynced} + ${byId.size}`,
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
  const batch = statements.map((s, i) => (i === advance ? (s as Statement) : on(data, s as Statement)));
  return (await batchUnderLease(db, lease, batch)) !== null;
}

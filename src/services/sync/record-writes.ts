/**
 * Every statement a sync makes on `records` and the seen ids kept beside them, built in one
 * place: what is stored for a page's ids, the upserts of its new and changed records, its
 * tombstones, and a full run's sweep. Each takes the database handle it runs on, so the tables
 * can move to another database by changing only what is passed in.
 *
 * A record is written only when what the sync would store differs from what is stored: the
 * SHA-256 of its `data` and `raw` JSON is kept in `data_hash`, read for a page's ids in one query,
 * and compared; the upsert's own `WHERE` compares it again, so a stale read never rewrites an
 * unchanged row either. Full runs of entities without tombstones record which ids each page
 * listed (one row a page, in `sync_seen`), and the sweep marks deleted what no page listed,
 * without touching a row that is still there.
 */
import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import { toBase64Url, utf8 } from "../../crypto/encoding.ts";
import type { Db } from "../../db/client.ts";
import { now as nowSql } from "../../db/schema/shared.ts";
import { records, syncSeen } from "../../db/schema.ts";
import { holds, type Lease } from "../../jobs/lease.ts";

/** Whose records: one entity of one integration, in its organization. */
export interface RecordScope {
  orgId: string;
  integrationId: string;
  entity: string;
}

/** One record as a sync would store it: its data and the provider's item as JSON text, and their hash. */
export interface RecordWrite {
  /** A new record's id (kept by an existing record). */
  id: string;
  externalId: string;
  data: string;
  /** Null when the provider's item is not kept. */
  raw: string | null;
  hash: string;
}

/** What is stored for one external id. */
export interface StoredVersion {
  hash: string | null;
  deleted: boolean;
}

/**
 * Rows per upsert statement. The statement binds the organization, integration, entity and time
 * once and five values a row (id, external id, data, raw, hash): 4 + 19 × 5 = 99 bound
 * parameters, within D1's 100.
 */
export const UPSERT_ROWS = 19;
/** Bound parameters of an upsert statement besides its rows'. */
const UPSERT_SHARED = 4;
/** Bound parameters of each row of an upsert statement. */
export const UPSERT_PER_ROW = 5;

/** The hash of what a sync stores for a record: SHA-256 of its data and raw JSON, 128 bits. */
export async function recordHash(data: string, raw: string | null): Promise<string> {
  // JSON text never holds a raw newline, so the two parts cannot run into each other.
  const digest = await crypto.subtle.digest("SHA-256", utf8(`${data}\n${raw ?? "null"}`));
  return toBase64Url(new Uint8Array(digest, 0, 16));
}

/**
 * The stored hash and deletion of each of `externalIds` that has a record (any number of ids:
 * they go as one JSON array, one bound parameter).
 */
export async function storedVersions(
  db: Db,
  scope: RecordScope,
  externalIds: string[],
): Promise<Map<string, StoredVersion>> {
  const out = new Map<string, StoredVersion>();
  if (!externalIds.length) return out;
  const rows = await db
    .select({ externalId: records.externalId, hash: records.dataHash, deletedAt: records.deletedAt })
    .from(records)
    .where(
      and(
        ...inScope(scope),
        sql`${records.externalId} in (select value from json_each(${JSON.stringify(externalIds)}))`,
      ),
    );
  for (const r of rows) out.set(r.externalId, { hash: r.hash, deleted: r.deletedAt !== null });
  return out;
}

/**
 * The upserts of `rows` (new or changed records), `UPSERT_ROWS` a statement. An existing record
 * keeps its id and `created_at`; its `updated_at` moves only when its data changed (or it comes
 * back from deleted), so `updated_since` readers see real changes; a row whose stored hash
 * already matches is left as it is.
 */
export function upsertStatements(db: Db, scope: RecordScope, rows: RecordWrite[], now: string) {
  const out = [];
  for (let i = 0; i < rows.length; i += UPSERT_ROWS) {
    const values = sql.join(
      rows
        .slice(i, i + UPSERT_ROWS)
        .map((r) => sql`(${r.id}, ${r.externalId}, ${r.data}, ${r.raw}, ${r.hash})`),
      sql`, `,
    );
    // The table's columns in order: id, org_id, integration_id, entity, external_id, data, raw,
    // created_at, updated_at, deleted_at, data_hash. `where true` tells SQLite's parser that the
    // `on conflict` belongs to the insert, not to a join.
    const select = sql`select column1, ${scope.orgId}, ${scope.integrationId}, ${scope.entity}, column2,
      column3, column4, ${nowSql}, ${now}, null, column5 from (values ${values}) where true`;
    out.push(
      db
        .insert(records)
        .select(select)
        .onConflictDoUpdate({
          target: [records.integrationId, records.entity, records.externalId],
          set: {
            updatedAt: sql`case when ${records.data} is not excluded.data or ${records.deletedAt} is not null
              then excluded.updated_at else ${records.updatedAt} end`,
            data: sql`excluded.data`,
            raw: sql`excluded.raw`,
            dataHash: sql`excluded.data_hash`,
            deletedAt: sql`null`,
          },
          setWhere: sql`${records.dataHash} is not excluded.data_hash or ${records.deletedAt} is not null`,
        }),
    );
  }
  return out;
}

/** Bound parameters of an upsert statement of `rows` rows (for the limit's test). */
export const upsertParameters = (rows: number) => UPSERT_SHARED + rows * UPSERT_PER_ROW;

/** Marks deleted the live records of `externalIds` (the page's tombstones), if any. */
export function tombstoneStatement(db: Db, scope: RecordScope, externalIds: string[], now: string) {
  if (!externalIds.length) return undefined;
  return db
    .update(records)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(byExternalIds(scope, externalIds), isNull(records.deletedAt)));
}

/** Keeps the ids page `page` of a full run listed (a repeated page replaces its own row). */
export function seenStatement(db: Db, orgId: string, jobId: string, page: number, externalIds: string[]) {
  return db
    .insert(syncSeen)
    .values({ jobId, page, orgId, externalIds })
    .onConflictDoUpdate({
      target: [syncSeen.jobId, syncSeen.page],
      set: { externalIds: sql`excluded.external_ids` },
    });
}

/**
 * The sweep at the end of a full run: marks deleted the live records whose ids none of the run's
 * pages listed, only while `lease` holds the job. Runs again unchanged after a crash, as long as
 * the seen ids are kept until the job's end is stored.
 */
export function sweepStatement(
  db: Db,
  scope: RecordScope,
  jobId: string,
  /** Checked in the statement where the job's row is in `db`; undefined when the caller checked it. */
  lease: Lease | undefined,
  now: string,
) {
  return db
    .update(records)
    .set({ deletedAt: now, updatedAt: now })
    .where(
      and(
        ...inScope(scope),
        isNull(records.deletedAt),
        sql`${records.externalId} not in (select j.value from ${syncSeen} s, json_each(s.external_ids) j
          where s.job_id = ${jobId})`,
        lease ? sql`exists (select 1 from ${lease.table} where ${holds(lease)})` : undefined,
      ),
    );
}

/** Drops a job's seen ids: only with or after its end, never before (the sweep needs them). */
export function forgetSeenStatement(db: Db, jobId: string) {
  return db.delete(syncSeen).where(eq(syncSeen.jobId, jobId));
}

/**
 * The records of `externalIds` (one JSON array, one bound parameter, however many ids). The
 * organization is checked but not looked up (SQLite's unary `+`), so the planner finds the rows
 * through the unique (integration, entity, external_id) index rather than scanning the entity.
 */
function byExternalIds(scope: RecordScope, externalIds: string[]): SQL {
  return and(
    sql`+${records.orgId} = ${scope.orgId}`,
    eq(records.integrationId, scope.integrationId),
    eq(records.entity, scope.entity),
    sql`${records.externalId} in (select value from json_each(${JSON.stringify(externalIds)}))`,
  ) as SQL;
}

function inScope(scope: RecordScope): SQL[] {
  return [
    eq(records.orgId, scope.orgId),
    eq(records.integrationId, scope.integrationId),
    eq(records.entity, scope.entity),
  ];
}

/**
 * Reading synced records: an entity's records in id order, and one record by id, from the
 * organization's data database.
 */
import { and, eq, gt, gte, isNull, or, type SQL, sql } from "drizzle-orm";
import { type RecordRow, records } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { notFound } from "../../errors.ts";
import { toCsv } from "../../lib/csv.ts";
import { decodeCursor, pageOf } from "../../lib/pagination.ts";

/** Records in one CSV export at most; past it the answer names the cursor to go on from. */
export const MAX_EXPORT_RECORDS = 10_000;
/** Records read a query while exporting. */
const EXPORT_PAGE = 500;

/**
 * Records with a value in their normalized data (at any depth), or a provider id, that contains
 * `q`, letter case aside for ASCII (as SQLite's LIKE compares); keys are not searched, and `%`,
 * `_` and `\` in `q` match themselves.
 */
function matching(q: string): SQL {
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql`(${records.externalId} LIKE ${pattern} ESCAPE '\\' OR EXISTS (SELECT 1 FROM json_tree(${records.data}) WHERE atom IS NOT NULL AND atom LIKE ${pattern} ESCAPE '\\'))`;
}

export class SyncRecords {
  constructor(private readonly shards: Shards) {}

  /**
   * Records of an entity in id order (ids only grow, so a page walk neither skips nor repeats a
   * record while syncs write), optionally only those changed at or after `updatedSince`.
   */
  async listRecords(
    orgId: string,
    integrationId: string,
    entity: string,
    opts: { cursor?: string; limit: number; updatedSince?: string; includeDeleted?: boolean; q?: string },
  ) {
    const cursor = decodeCursor(opts.cursor);
    const rows = await this.shards
      .of(orgId)
      .select()
      .from(records)
      .where(
        and(
          eq(records.orgId, orgId),
          eq(records.integrationId, integrationId),
          eq(records.entity, entity),
          opts.includeDeleted ? undefined : isNull(records.deletedAt),
          opts.updatedSince ? gte(records.updatedAt, opts.updatedSince) : undefined,
          cursor ? gt(records.id, cursor) : undefined,
          opts.q ? matching(opts.q) : undefined,
        ),
      )
      .orderBy(records.id)
      .limit(opts.limit + 1);
    return pageOf(rows, opts.limit);
  }

  /**
   * Up to MAX_EXPORT_RECORDS records as CSV: the record's id, provider id and times, then a
   * column per key of their data in the order the keys first appear (nested values as JSON).
   */
  async exportCsv(
    orgId: string,
    integrationId: string,
    entity: string,
    opts: { cursor?: string; updatedSince?: string; includeDeleted?: boolean; q?: string },
  ) {
    const rows: RecordRow[] = [];
    let cursor = opts.cursor;
    let nextCursor: string | null = null;
    while (rows.length < MAX_EXPORT_RECORDS) {
      const limit = Math.min(EXPORT_PAGE, MAX_EXPORT_RECORDS - rows.length);
      const page = await this.listRecords(orgId, integrationId, entity, { ...opts, cursor, limit });
      rows.push(...page.items);
      nextCursor = page.nextCursor;
      if (!nextCursor) break;
      cursor = nextCursor;
    }
    const keys = new Set<string>();
    for (const r of rows) for (const k of Object.keys(r.data)) keys.add(k);
    const fixed = [
      "id",
      "external_id",
      "created_at",
      "updated_at",
      ...(opts.includeDeleted ? ["deleted_at"] : []),
    ];
    const csv = toCsv(
      [...fixed, ...keys],
      rows.map((r) => [
        r.id,
        r.externalId,
        r.createdAt,
        r.updatedAt,
        ...(opts.includeDeleted ? [r.deletedAt] : []),
        ...[...keys].map((k) => r.data[k]),
      ]),
    );
    return { csv, count: rows.length, nextCursor };
  }

  async record(orgId: string, integrationId: string, entity: string, id: string): Promise<RecordRow> {
    const [row] = await this.shards
      .of(orgId)
      .select()
      .from(records)
      .where(
        and(
          eq(records.orgId, orgId),
          eq(records.integrationId, integrationId),
          eq(records.entity, entity),
          or(eq(records.id, id), eq(records.externalId, id)),
        ),
      )
      .limit(1);
    if (!row) throw notFound("Record");
    return row;
  }
}

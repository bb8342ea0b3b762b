/**
 * Reading synced records: an entity's records in id order, and one record by id, from the
 * organization's data database.
 */
import { and, eq, gt, gte, isNull, or } from "drizzle-orm";
import { type RecordRow, records } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { notFound } from "../../errors.ts";
import { decodeCursor, pageOf } from "../../lib/pagination.ts";

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
    opts: { cursor?: string; limit: number; updatedSince?: string; includeDeleted?: boolean },
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
        ),
      )
      .orderBy(records.id)
      .limit(opts.limit + 1);
    return pageOf(rows, opts.limit);
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

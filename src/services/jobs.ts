/**
 * What the job engine leaves for people to read: an organization's dead letters (the jobs that
 * ended without success, with their reason) and the counters of how each kind's attempts ended.
 */
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type DeadLetterRow, deadLetters, jobCounters } from "../db/schema.ts";
import { notFound } from "../errors.ts";
import { decodeCursor, pageOf } from "../lib/pagination.ts";

export class Jobs {
  constructor(private readonly db: Db) {}

  /** Dead letters, newest first, optionally of one kind or about one row. */
  async listDeadLetters(
    orgId: string,
    f: { kind?: string; refId?: string; cursor?: string; limit: number },
  ): Promise<{ items: DeadLetterRow[]; nextCursor: string | null }> {
    const after = decodeCursor(f.cursor);
    const rows = await this.db
      .select()
      .from(deadLetters)
      .where(
        and(
          eq(deadLetters.orgId, orgId),
          f.kind ? eq(deadLetters.kind, f.kind) : undefined,
          f.refId ? eq(deadLetters.refId, f.refId) : undefined,
          after ? lt(deadLetters.id, after) : undefined,
        ),
      )
      .orderBy(desc(deadLetters.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  async getDeadLetter(orgId: string, id: string): Promise<DeadLetterRow> {
    const [row] = await this.db
      .select()
      .from(deadLetters)
      .where(and(eq(deadLetters.orgId, orgId), eq(deadLetters.id, id)))
      .limit(1);
    if (!row) throw notFound("Dead letter");
    return row;
  }

  /** Per kind, how many attempts ended each way. */
  async stats(orgId: string): Promise<Record<string, Record<string, number>>> {
    const rows = await this.db
      .select({ kind: jobCounters.kind, outcome: jobCounters.outcome, count: jobCounters.count })
      .from(jobCounters)
      .where(eq(jobCounters.orgId, orgId));
    const out: Record<string, Record<string, number>> = {};
    for (const r of rows) {
      const kind = out[r.kind] ?? {};
      kind[r.outcome] = r.count;
      out[r.kind] = kind;
    }
    return out;
  }
}

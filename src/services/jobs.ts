/**
 * What the job engine leaves for people to read: an organization's dead letters (the jobs that
 * ended without success, with their reason) and the counters of how each kind's attempts ended.
 */
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type DeadLetterRow, deadLetters, jobCounters } from "../db/schema.ts";
import { notFound } from "../errors.ts";
import { countStatement } from "../jobs/engine.ts";
import { prefixedId } from "../lib/ids.ts";
import { decodeCursor, pageOf } from "../lib/pagination.ts";
import { JobMessage } from "../queue/messages.ts";

/** The rows a queue message names (what a dead letter of it is about). */
function refsOf(job: JobMessage): string[] {
  switch (job.type) {
    case "vault.rewrap":
      return [];
    case "vault.reencrypt":
      return [job.rotationId];
    case "message.send":
      return [job.messageId];
    case "webhook.process":
      return job.eventIds;
    case "webhook.ingest":
      return [job.event.id];
    case "event.deliver":
      return [job.deliveryId];
    case "sync.page":
      return [job.jobId];
    case "record.push":
      return [job.pushId];
  }
}

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

  /**
   * A message the queue gave up on (its consumer threw at every delivery, so the store or the
   * queue was failing): a dead letter for each row it names, with cause `queue`, and the kind's
   * `dead_lettered` counter. The rows themselves are left as they are: one still open is driven
   * again by the minutely re-drive. Answers how many dead letters were stored (none for a body
   * that names no organization).
   */
  async recordQueueDeadLetter(body: unknown, deliveries: number): Promise<number> {
    const parsed = JobMessage.safeParse(body);
    if (!parsed.success || !("orgId" in parsed.data)) return 0;
    const job = parsed.data;
    const refs = refsOf(job);
    const reason = `the queue gave up on its ${job.type} message after ${deliveries} deliveries`;
    const rows = refs.map((refId) => ({
      id: prefixedId("dl"),
      orgId: job.orgId,
      kind: job.type,
      refId,
      cause: "queue" as const,
      reason,
      attempts: deliveries,
    }));
    if (!rows.length) return 0;
    // Seven bound values a row, and D1 binds at most 100 a statement.
    const inserts = [];
    for (let i = 0; i < rows.length; i += 14)
      inserts.push(this.db.insert(deadLetters).values(rows.slice(i, i + 14)));
    await this.db.batch([countStatement(this.db, job.orgId, job.type, "dead_lettered"), ...inserts]);
    return rows.length;
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

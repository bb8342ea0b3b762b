/**
 * The job engine: the one cycle every kind of background work runs through (sending a message,
 * processing provider webhooks, delivering an event, fetching a sync page, pushing a record).
 *
 * A kind declares its rows (a table with `org_id`, `status`, `attempts`, `lease_until`), which
 * statuses wait and which one means "being worked on", its retry policy, its handler, and how its
 * outcome is stored. The engine owns the rest:
 * - the claim: one compare-and-set UPDATE that takes every named row that waits (and is due) or
 *   whose lease ran out, writing `lease_until = now + lease` (the lease token, see lease.ts) and
 *   counting the attempt; a handler whose work may outlast the lease renews it (`job.renew()`);
 * - finishing by the lease holder only: the outcome's writes run in one D1 batch that aborts
 *   unless the lease is still held, so a late worker never overwrites a newer holder's result;
 * - retries: one backoff with jitter (backoff.ts), a provider's Retry-After, and one mechanism:
 *   the row goes back to waiting and a new queue message with that delay names it (the current
 *   one is acknowledged, so a kind may retry more often than the queue's max_retries);
 * - dead letters: a permanent failure, or the last failed attempt, is stored in `dead_letters`
 *   with its reason in the same batch (readable through `GET /api/dead-letters`);
 * - counters: how each attempt ended, per organization and kind (`GET /api/jobs/stats`);
 * - re-drive: `redrive()` (from the minutely cron) enqueues rows whose queue message was lost or
 *   whose worker died holding a lease that has since run out.
 *
 * A kind whose rows are high-volume rows (`shards`) has them in each organization's data
 * database (src/db/shards.ts): the claim, the lease and the row's outcome go there, and the
 * counters and dead letters, in the main database, are written after the outcome.
 */
import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { on } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { deadLetters, jobCounters } from "../db/jobs-schema.ts";
import { prefixedId } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import { redactTokens } from "../lib/redact.ts";
import { ProviderError } from "../providers/runtime.ts";
import type { JobMessage } from "../queue/messages.ts";
import { MAX_QUEUE_DELAY_SECONDS, retryDelaySeconds } from "./backoff.ts";
import type {
  AnyJobKind,
  Claimed,
  Columns,
  Counted,
  JobKind,
  Outcome,
  RetryWrite,
  RunResult,
  Statement,
} from "./kind.ts";
import { batchUnderLease, holds, type Lease, stillHeld } from "./lease.ts";

export type { AnyJobKind, Claimed, JobKind, Outcome, RunResult } from "./kind.ts";
export { retryTime } from "./kind.ts";

export class JobEngine {
  constructor(
    private readonly db: Db,
    private readonly queue: Queue,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * One queue delivery naming `ids` of one organization: claims those that may run, runs each,
   * stores each outcome under its lease, and schedules what is left. Never throws for a job's own
   * failure; a throw means the store or the queue failed, and the queue retries the delivery.
   */
  async run<Row extends { id: string; orgId: string; attempts: number; leaseUntil: number | null }>(
    kind: JobKind<Row>,
    orgId: string,
    ids: string[],
    log: Logger,
    now = Date.now(),
    message?: JobMessage,
  ): Promise<RunResult> {
    const t = kind.table;
    const db = this.rowsOf(kind, orgId);
    const until = now + kind.leaseMs;
    const claimed = (await db
      .update(t)
      .set({
        status: kind.running,
        leaseUntil: until,
        attempts: sql`${t.attempts} + 1`,
        ...kind.onClaim?.(now),
      } as never)
      .where(
        and(
          eq(t.orgId, orgId),
          inArray(t.id, ids),
          message ? kind.matches?.(message) : undefined,
          or(
            and(eq(t.status, kind.running), lt(t.leaseUntil, now)),
            and(
              inArray(t.status, [...kind.waiting]),
              or(isNull(t.leaseUntil), lt(t.leaseUntil, now)),
              kind.due?.(now),
            ),
          ),
        ),
      )
      .returning()) as Row[];

    const results: RunResult[] = [];
    if (claimed.length < ids.length)
      results.push(await this.unclaimed(db, kind, orgId, ids, claimed, now, message));
    if (!claimed.length) return results[0] ?? { action: "ack", status: "missing" };

    const shared = await kind.prepare?.(orgId, claimed, log);
    const attempts: { job: Claimed<Row>; outcome: Outcome; error?: unknown }[] = [];
    for (const row of claimed) {
      const lease: Lease = { table: t, id: row.id, until };
      const job: Claimed<Row> = {
        row,
        lease,
        attempt: row.attempts,
        now,
        log,
        renew: (at = Date.now()) => this.renew(db, lease, at + kind.leaseMs),
      };
      try {
        attempts.push({ job, outcome: await kind.run(job, shared) });
      } catch (e) {
        attempts.push({ job, outcome: outcomeOf(e, log, kind.type, row.id), error: e });
      }
    }
    await kind.beforeFinish?.(orgId, shared);
    const succeeded = attempts.filter((a) => a.outcome.result === "succeeded");
    const together = succeeded.length > 1 ? await this.finishSucceeded(db, kind, orgId, succeeded) : null;
    if (together) results.push(...together);
    for (const a of attempts)
      if (!together || a.outcome.result !== "succeeded")
        results.push(await this.finish(db, kind, a.job, a.outcome, a.error));
    // The first that is not a plain acknowledgement says most about the delivery.
    return (
      results.find((r) => r.action === "dead-letter") ??
      results.find((r) => r.action === "retry") ??
      (results.at(-1) as RunResult)
    );
  }

  /**
   * Moves a held lease on to `until` (never back). The new `lease_until` is the holder's token
   * from then on: `lease` is updated in place, so the finish is fenced on it.
   */
  private async renew(db: Db, lease: Lease, until: number): Promise<boolean> {
    if (until <= lease.until) return stillHeld(db, lease);
    const renewed = await db
      .update(lease.table)
      .set({ leaseUntil: until } as never)
      .where(holds(lease))
      .returning({ id: lease.table.id });
    if (!renewed.length) return false;
    lease.until = until;
    return true;
  }

  /** Rows the claim did not take: gone or done (acknowledged), held or not yet due (rescheduled). */
  private async unclaimed<
    Row extends { id: string; orgId: string; attempts: number; leaseUntil: number | null },
  >(
    db: Db,
    kind: JobKind<Row>,
    orgId: string,
    ids: string[],
    claimed: Row[],
    now: number,
    message?: JobMessage,
  ): Promise<RunResult> {
    const taken = new Set(claimed.map((r) => r.id));
    const t = kind.table;
    const rows = (await db
      .select()
      .from(t)
      .where(
        and(
          eq(t.orgId, orgId),
          inArray(
            t.id,
            ids.filter((id) => !taken.has(id)),
          ),
        ),
      )) as (Row & { status: string })[];
    let later = 0;
    const waitFor: string[] = [];
    let status = rows.length ? (rows[0]?.status ?? "missing") : "missing";
    for (const r of rows) {
      const open = r.status === kind.running || kind.waiting.includes(r.status);
      if (!open) continue;
      let at = 0;
      if (r.leaseUntil !== null && r.leaseUntil >= now) at = r.leaseUntil + 1_000;
      else if (kind.dueAt) at = kind.dueAt(r) ?? 0;
      // Neither held nor waiting for its time: this delivery is stale (it names a page done, say).
      if (at <= now) continue;
      later = Math.max(later, at);
      waitFor.push(r.id);
      status = r.status;
    }
    if (!waitFor.length) return { action: "ack", status };
    const delaySeconds = Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.ceil((later - now) / 1000)));
    await this.enqueue(kind, orgId, waitFor, delaySeconds, message);
    return { action: "retry", delaySeconds, reason: "held by another worker or not yet due" };
  }

  /**
   * The succeeded jobs of one run stored together: every row's outcome and writes in one batch
   * under all their leases, and one count of them (two D1 round trips for a delivery of fifty
   * webhook events instead of a hundred). Null when a row was taken over meanwhile: nothing was
   * written, and each is then finished on its own, which tells the superseded from the rest.
   */
  private async finishSucceeded<
    Row extends { id: string; orgId: string; attempts: number; leaseUntil: number | null },
  >(
    db: Db,
    kind: JobKind<Row>,
    orgId: string,
    done: { job: Claimed<Row>; outcome: Outcome }[],
  ): Promise<RunResult[] | null> {
    const statements: Statement[] = [];
    for (const { job, outcome } of done) {
      if (outcome.result !== "succeeded") continue;
      statements.push(outcomeStatement(db, kind, job.lease, outcome.set), ...(outcome.write ?? []));
    }
    statements.push(countStatement(this.db, orgId, kind.type, "succeeded", done.length));
    const leases = done.map((d) => d.job.lease);
    if (!(await batchUnderLease(db, leases, statements, this.db))) return null;
    const results: RunResult[] = [];
    for (const { outcome } of done) {
      if (outcome.result !== "succeeded") continue;
      await outcome.after?.();
      results.push({ action: "ack", status: String(outcome.set.status ?? kind.running) });
    }
    return results;
  }

  /** Stores one attempt's outcome under its lease; a late worker's outcome is dropped. */
  private async finish<
    Row extends { id: string; orgId: string; attempts: number; leaseUntil: number | null },
  >(db: Db, kind: JobKind<Row>, job: Claimed<Row>, outcome: Outcome, error: unknown): Promise<RunResult> {
    const { row, lease, attempt, now, log } = job;
    // The row's own write comes first: it is the outcome, the rest describes it.
    const update = (set: Columns) => outcomeStatement(db, kind, lease, set);
    const underLease = (statements: Statement[]) => batchUnderLease(db, lease, statements, this.db);
    const crashed = error !== undefined && !(error instanceof ProviderError);

    if (outcome.result === "succeeded") {
      const done = await underLease([
        update(outcome.set),
        ...(outcome.write ?? []),
        this.count(row.orgId, kind.type, "succeeded"),
      ]);
      if (!done) return this.superseded(kind, row);
      await outcome.after?.();
      return { action: "ack", status: String(outcome.set.status ?? kind.running) };
    }

    const freeRateLimit =
      outcome.result === "retry" && outcome.rateLimited === true && kind.policy.rateLimitsAreFree === true;
    if (outcome.result === "retry" && (freeRateLimit || attempt < kind.policy.maxAttempts)) {
      const delaySeconds = retryDelaySeconds(kind.policy, attempt, outcome.retryAfterSeconds, this.random);
      const w: RetryWrite = {
        reason: outcome.reason,
        at: now + delaySeconds * 1000,
        rateLimited: outcome.rateLimited === true,
        attempts: freeRateLimit ? attempt - 1 : attempt,
      };
      const done = await underLease([
        update({ ...kind.retrying(row, w), ...outcome.set, attempts: w.attempts }),
        ...(outcome.write ?? []),
        ...(kind.retryWrite?.(row, w) ?? []),
        this.count(row.orgId, kind.type, crashed ? "crashed" : "retried"),
      ]);
      if (!done) return this.superseded(kind, row);
      log.warn(`${kind.type} will be retried`, {
        id: row.id,
        attempt,
        in_seconds: delaySeconds,
        reason: outcome.reason,
      });
      await this.enqueue(kind, row.orgId, [row.id], delaySeconds, undefined, [row]);
      return { action: "retry", delaySeconds, reason: outcome.reason };
    }

    const exhausted = outcome.result === "retry";
    const reason = exhausted ? `gave up after ${attempt} attempts: ${outcome.reason}` : outcome.reason;
    const done = await underLease([
      update({ ...kind.failed(row, reason), ...outcome.set }),
      ...(outcome.write ?? []),
      ...(kind.failedWrite?.(row, reason) ?? []),
      this.db.insert(deadLetters).values({
        id: prefixedId("dl"),
        orgId: row.orgId,
        kind: kind.type,
        refId: row.id,
        cause: exhausted ? "exhausted" : "permanent",
        reason: redactTokens(reason),
        attempts: attempt,
      }),
      this.count(row.orgId, kind.type, "dead_lettered"),
    ]);
    if (!done) return this.superseded(kind, row);
    log.error(`${kind.type} dead-lettered`, { id: row.id, attempt, reason });
    if (outcome.result === "failed") await outcome.after?.();
    if (error !== undefined) await kind.afterFailed?.(row, error);
    return { action: "dead-letter", reason };
  }

  /** A late worker: the newer lease's holder owns the row; only the count is written. */
  private async superseded(kind: AnyJobKind, row: { orgId: string }): Promise<RunResult> {
    await this.count(row.orgId, kind.type, "superseded").run();
    return { action: "ack", status: "superseded" };
  }

  /** Adds one to a kind's counter of an outcome. */
  count(orgId: string, kind: string, outcome: Counted) {
    return countStatement(this.db, orgId, kind, outcome);
  }

  /** Sends the queue message(s) naming `ids` (whose `rows` may be given), after `delaySeconds`. */
  async enqueue(
    kind: AnyJobKind,
    orgId: string,
    ids: string[],
    delaySeconds?: number,
    message?: JobMessage,
    rows?: { id: string }[],
  ) {
    const bodies = kind.messages(orgId, ids, message, rows);
    const options = delaySeconds ? { delaySeconds } : undefined;
    if (bodies.length === 1) await this.queue.send(bodies[0], options);
    else if (bodies.length) await this.queue.sendBatch(bodies.map((body) => ({ body, ...options })));
  }

  /**
   * Re-enqueues up to `limit` rows of a kind nobody is working on: held by a worker whose lease
   * ran out, or waiting with a lost queue message (the kind's `stuck`); a sharded kind's, up to
   * `limit` in each data database. Idempotent: a repeated message finds its row claimed or done.
   * Answers how many rows were re-enqueued.
   */
  async redrive(kind: AnyJobKind, now = Date.now(), limit = 100): Promise<number> {
    let total = 0;
    for (const db of kind.shards ? kind.shards.all() : [this.db])
      total += await this.redriveIn(db, kind, now, limit);
    return total;
  }

  /** `redrive` in one database (each data database has its own rows of a sharded kind). */
  private async redriveIn(db: Db, kind: AnyJobKind, now: number, limit: number): Promise<number> {
    const t = kind.table;
    const rows = (await db
      .select()
      .from(t)
      .where(or(and(eq(t.status, kind.running), lt(t.leaseUntil, now)), kind.stuck?.(now)))
      .orderBy(asc(t.leaseUntil))
      .limit(limit)) as { id: string; orgId: string }[];
    const byOrg = new Map<string, { id: string; orgId: string }[]>();
    for (const r of rows) byOrg.set(r.orgId, [...(byOrg.get(r.orgId) ?? []), r]);
    const bodies = [...byOrg].flatMap(([orgId, of]) =>
      kind.messages(
        orgId,
        of.map((r) => r.id),
        undefined,
        of,
      ),
    );
    for (let i = 0; i < bodies.length; i += 100)
      await this.queue.sendBatch(bodies.slice(i, i + 100).map((body) => ({ body })));
    return rows.length;
  }

  /** The database of a kind's rows of one organization. */
  private rowsOf(kind: AnyJobKind, orgId: string): Db {
    return kind.shards ? kind.shards.of(orgId) : this.db;
  }
}

/** A job's outcome on its own row, written only by the holder of `lease` (which it releases). */
function outcomeStatement(db: Db, kind: AnyJobKind, lease: Lease, set: Columns) {
  return on(
    db,
    db
      .update(kind.table)
      .set({ ...set, leaseUntil: null } as never)
      .where(holds(lease)),
  );
}

/** The statement that adds `n` (one) to a kind's counter of an outcome. */
export function countStatement(db: Db, orgId: string, kind: string, outcome: Counted, n = 1) {
  return db
    .insert(jobCounters)
    .values({ orgId, kind, outcome, count: n })
    .onConflictDoUpdate({
      target: [jobCounters.orgId, jobCounters.kind, jobCounters.outcome],
      set: {
        count: sql`${jobCounters.count} + ${n}`,
        updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
      },
    });
}

/**
 * The outcome of a handler that threw: a provider's retryable error is retried (after its
 * Retry-After), any other provider error fails for good, and anything else (a bug, the store
 * failing) is a crash: the row goes back to wait and is retried like a transient failure.
 */
export function outcomeOf(e: unknown, log: Logger, type: string, id: string): Outcome {
  if (e instanceof ProviderError) {
    if (!e.retryable) return { result: "failed", reason: e.message };
    return {
      result: "retry",
      reason: e.message,
      retryAfterSeconds: e.opts.retryAfterSeconds,
      rateLimited: e.kind === "rate_limited",
    };
  }
  const reason = redactTokens(e instanceof Error ? e.message : String(e));
  log.error(`${type} crashed`, { id, reason });
  return { result: "retry", reason: "internal error while running the job" };
}

/**
 * Running one page of a sync job (one queue message), a kind of job of the job engine: the
 * engine claims the job for the page the message names, the handler fetches the page from the
 * provider and upserts its records together with the job's progress in one atomic batch under
 * the claim's lease; the last page ends the job (the sweep, the state for the next run, the
 * event). A 429 pauses the job until Retry-After without using an attempt.
 */
import { and, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import { on } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, integrations, type SyncJobRow, syncJobs, syncState } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import type { RetryPolicy } from "../../jobs/backoff.ts";
import { type Claimed, JobEngine, type JobKind, type Outcome, type RunResult } from "../../jobs/engine.ts";
import { type Lease, stillHeld } from "../../jobs/lease.ts";
import type { Logger } from "../../lib/log.ts";
import { ProviderError } from "../../providers/runtime.ts";
import { SyncTokenExpired } from "../../providers/sync.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { Activity } from "../activity.ts";
import type { Connections } from "../connections.ts";
import type { Events } from "../events.ts";
import { forgetIntegration } from "../integration-cache.ts";
import type { Integrations } from "../integrations.ts";
import { providerOf } from "../integrations.ts";
import { forgetSeenStatement, sweepStatement } from "./record-writes.ts";
import { savePage } from "./save-page.ts";
import {
  ACTIVE,
  announce,
  LEASE_MS,
  MAX_ATTEMPTS,
  nowIso,
  resolveEntity,
  STUCK_MS,
  type SyncDeps,
} from "./shared.ts";

/**
 * A page retries after 5 s, 10 s, 20 s, ... (±20 %), capped at 5 minutes; a rate limit pauses
 * the job instead and does not count.
 */
const PAGE_POLICY: RetryPolicy = {
  maxAttempts: MAX_ATTEMPTS,
  baseSeconds: 5,
  capSeconds: 300,
  rateLimitsAreFree: true,
};

/** How long a 429 pauses a job: the provider's Retry-After, else 30 s, at most an hour. */
const pauseSeconds = (e: ProviderError) => Math.max(1, Math.min(3600, e.opts.retryAfterSeconds ?? 30));

export class SyncPages {
  private readonly db: Db;
  private readonly shards: Shards;
  private readonly activity: Activity;
  private readonly integrations: Integrations;
  private readonly connections: Connections;
  private readonly events: Events;
  private readonly queue: Queue;
  private readonly engine: JobEngine;

  constructor(deps: SyncDeps) {
    this.db = deps.db;
    this.shards = deps.shards;
    this.activity = deps.activity;
    this.integrations = deps.integrations;
    this.connections = deps.connections;
    this.events = deps.events;
    this.queue = deps.queue;
    this.engine = new JobEngine(deps.db, deps.queue);
  }

  /**
   * Processes page `page` of a job (one queue message), through the job engine. A delivery of
   * a page already done, or of a job that ended, is acknowledged without a provider call; one
   * another worker holds, or one of a paused job, is looked at again when it may run.
   */
  processPage(orgId: string, jobId: string, page: number, log: Logger, now = Date.now()): Promise<RunResult> {
    const message: JobMessage = { type: "sync.page", orgId, jobId, page };
    return this.engine.run(this.pageJob, orgId, [jobId], log, now, message);
  }

  /** Re-enqueues jobs nobody is working on (the minutely cron); answers how many. */
  redrive(now = Date.now()): Promise<number> {
    return this.engine.redrive(this.pageJob, now);
  }

  /** The `sync.page` job kind. */
  get pageJob(): JobKind<SyncJobRow> {
    return {
      type: "sync.page",
      table: syncJobs,
      // Between two pages a job stays `running` without a lease, waiting for its next message.
      waiting: ACTIVE,
      running: "running",
      leaseMs: LEASE_MS,
      policy: PAGE_POLICY,
      onClaim: (now) => ({
        resumeAt: null,
        startedAt: sql`coalesce(${syncJobs.startedAt}, ${new Date(now).toISOString()})`,
        updatedAt: new Date(now).toISOString(),
      }),
      // A paused job, or one retrying a page, waits for its resume time (one second early is
      // close enough).
      due: (now) => or(isNull(syncJobs.resumeAt), lte(syncJobs.resumeAt, now + 1_000)),
      dueAt: (j) => j.resumeAt,
      // The page a message names is the job's next one; any other is a stale delivery.
      matches: (m) => (m.type === "sync.page" ? eq(syncJobs.pagesDone, m.page) : undefined),
      messages: (orgId, ids, message, rows) =>
        ids.map((jobId) => ({
          type: "sync.page",
          orgId,
          jobId,
          page:
            rows?.find((r) => r.id === jobId)?.pagesDone ??
            (message?.type === "sync.page" ? message.page : 0),
        })),
      run: (job) => this.attempt(job),
      retrying: (_j, w) =>
        w.rateLimited
          ? { status: "paused", resumeAt: w.at, errorMessage: `Paused: ${w.reason}`, updatedAt: nowIso() }
          : { status: "running", resumeAt: w.at, errorMessage: `Retrying: ${w.reason}`, updatedAt: nowIso() },
      failed: (_j, reason) => ({
        status: "failed",
        errorMessage: reason,
        completedAt: nowIso(),
        updatedAt: nowIso(),
      }),
      failedWrite: (j, reason) => [
        // On the organization's data database, after the job's end is stored on the main one.
        on(this.shards.of(j.orgId), forgetSeenStatement(this.shards.of(j.orgId), j.id)),
        this.activity.logStatement({
          orgId: j.orgId,
          integrationId: j.integrationId,
          level: "error",
          action: "sync.failed",
          message: `Sync of ${j.entity} failed: ${reason}`,
          details: { job_id: j.id },
        }),
      ],
      afterFailed: async (j, e) => {
        await this.announceStored(j);
        if (!(e instanceof ProviderError) || e.kind !== "auth") return;
        const row = await this.integrations.get(j.orgId, j.integrationId).catch(() => null);
        if (row) await this.connections.markError(row, e.message, "sync");
      },
      // Lost by the queue (a crash between two steps), or paused past its resume time.
      stuck: (now) =>
        and(
          inArray(syncJobs.status, [...ACTIVE]),
          lt(syncJobs.updatedAt, new Date(now - STUCK_MS).toISOString()),
          or(isNull(syncJobs.leaseUntil), lt(syncJobs.leaseUntil, now)),
          or(isNull(syncJobs.resumeAt), lt(syncJobs.resumeAt, now - 60_000)),
        ),
    };
  }

  /** One attempt at the page a claimed job is on. */
  private async attempt({ row: job, lease, log, renew }: Claimed<SyncJobRow>): Promise<Outcome> {
    const page = job.pagesDone;
    let row: IntegrationRow;
    try {
      row = await this.integrations.get(job.orgId, job.integrationId);
    } catch {
      return {
        result: "failed",
        reason: "the integration was deleted",
        after: () => this.announceStored(job),
      };
    }
    // Paging is over (a crash came between the last page and the end): finish.
    if (page > 0 && job.cursor === null) return this.finish(job, lease, row, log);
    const { sync, spec } = resolveEntity(providerOf(row), job.entity);
    const fetchPage = (cursor: string | null, syncToken: string | null) =>
      this.connections.run(row, (ctx) =>
        sync.page(ctx, { entity: job.entity, cursor, since: job.since, syncToken }),
      );
    let result: Awaited<ReturnType<typeof sync.page>>;
    // The provider refused the run's sync token (expired): the job goes on as a full run.
    let restarted = false;
    try {
      try {
        result = await fetchPage(job.cursor, job.syncToken);
      } catch (e) {
        if (!(e instanceof SyncTokenExpired)) throw e;
        if (!job.syncToken) throw new ProviderError("permanent", e.message);
        log.info("sync token expired; running in full", { job_id: job.id });
        restarted = true;
        result = await fetchPage(null, null);
      }
    } catch (e) {
      if (!(e instanceof ProviderError) || e.kind !== "rate_limited") throw e;
      return { result: "retry", reason: e.message, rateLimited: true, retryAfterSeconds: pauseSeconds(e) };
    }
    // The page is in hand (the provider may have taken most of the lease): a full lease to store it.
    if (!(await renew())) return { result: "succeeded", set: {} };
    const saved = await savePage(
      this.db,
      this.shards.of(job.orgId),
      job,
      lease,
      row,
      spec,
      result.items,
      result.deleted ?? [],
      result.next,
      page,
      {
        ...(result.syncToken !== undefined ? { nextSyncToken: result.syncToken } : {}),
        ...(restarted ? { mode: "full", since: null, syncToken: null } : {}),
      },
    );
    // Another worker took the job over: the engine finds the lease gone and keeps its result.
    if (!saved) return { result: "succeeded", set: {} };
    if (result.next !== null) {
      const next: JobMessage = { type: "sync.page", orgId: job.orgId, jobId: job.id, page: page + 1 };
      return { result: "succeeded", set: { status: "running" }, after: () => this.queue.send(next) };
    }
    const [after] = await this.db.select().from(syncJobs).where(eq(syncJobs.id, job.id)).limit(1);
    return this.finish(after ?? job, lease, row, log);
  }

  /**
   * Ends a job whose paging is done: the sweep under the lease, then the job's end, the state for
   * the next run and the log in the engine's batch, and the event once that is stored.
   */
  private async finish(job: SyncJobRow, lease: Lease, row: IntegrationRow, log: Logger): Promise<Outcome> {
    const { spec } = resolveEntity(providerOf(row), job.entity);
    const now = nowIso();
    let swept = 0;
    if (job.mode === "full" && spec.deletions === "sweep") {
      const scope = { orgId: row.orgId, integrationId: row.id, entity: job.entity };
      // Only under the lease: checked in the sweep's statement where the records are in DB,
      // else just before it (a late sweep of the same job marks the same records).
      const data = this.shards.of(job.orgId);
      const sameDb = data === this.db;
      if (!sameDb && !(await stillHeld(this.db, lease))) return { result: "succeeded", set: {} };
      // changes() counts the sweep's own rows (D1's meta.changes would count a trigger's too).
      const [, counted] = await data.batch([
        sweepStatement(data, scope, job.id, sameDb ? lease : undefined, now),
        data.get<{ n: number }>(sql`select changes() as n`),
      ]);
      swept = counted?.n ?? 0;
    }
    const status = job.recordsFailed > 0 ? "partial" : "success";
    return {
      result: "succeeded",
      set: {
        status,
        attempts: 0,
        completedAt: now,
        recordsDeleted: sql`${syncJobs.recordsDeleted} + ${swept}`,
        errorMessage: job.recordsFailed > 0 ? `${job.recordsFailed} item(s) could not be mapped` : null,
        updatedAt: now,
      },
      write: [
        // With the job's end, never before it: a finish run again after a crash sweeps again
        // (on a shard, its batch runs after the main one that stores the end).
        on(this.shards.of(job.orgId), forgetSeenStatement(this.shards.of(job.orgId), job.id)),
        this.db
          .insert(syncState)
          .values({
            integrationId: row.id,
            entity: job.entity,
            orgId: row.orgId,
            watermark: job.watermark,
            syncToken: spec.syncToken ? job.nextSyncToken : null,
            lastJobId: job.id,
            lastFullAt: job.mode === "full" ? now : null,
            updatedAt: now,
          })
          .onConflictDoUpdate({
            target: [syncState.integrationId, syncState.entity],
            set: {
              watermark: sql`excluded.watermark`,
              syncToken: sql`excluded.sync_token`,
              lastJobId: job.id,
              lastFullAt: job.mode === "full" ? now : sql`${syncState.lastFullAt}`,
              updatedAt: now,
            },
          }),
        this.db
          .update(integrations)
          .set({ lastSyncAt: now })
          .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id))),
        this.activity.logStatement({
          orgId: row.orgId,
          integrationId: row.id,
          level: status === "success" ? "info" : "warn",
          action: "sync.completed",
          message: `Sync of ${job.entity} ${status}: ${job.recordsSynced} synced, ${job.recordsFailed} failed, ${job.recordsDeleted + swept} deleted`,
          details: { job_id: job.id, pages: job.pagesDone },
        }),
      ],
      after: async () => {
        forgetIntegration(row.id);
        log.info("sync completed", { job_id: job.id, status, records: job.recordsSynced });
        await this.announceStored(job);
      },
    };
  }

  /** Emits `sync.completed` for a job as it was stored at its end. */
  private async announceStored(job: SyncJobRow) {
    const [final] = await this.db
      .select()
      .from(syncJobs)
      .where(and(eq(syncJobs.orgId, job.orgId), eq(syncJobs.id, job.id)))
      .limit(1);
    if (final) await announce(this.events, final);
  }
}

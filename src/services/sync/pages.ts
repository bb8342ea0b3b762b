/**
 * Running one page of a sync job (one queue message): the page is leased, fetched from the
 * provider, and its records upserted together with the job's progress in one atomic batch under
 * the lease; the last page ends the job (the sweep, the state for the next run, the event).
 */
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  type IntegrationRow,
  integrations,
  records,
  type SyncJobRow,
  syncJobs,
  syncState,
} from "../../db/schema.ts";
import { holds, type Lease } from "../../jobs/lease.ts";
import type { Logger } from "../../lib/log.ts";
import { ProviderError } from "../../providers/runtime.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { Activity } from "../activity.ts";
import type { Connections } from "../connections.ts";
import type { Events } from "../events.ts";
import type { Integrations } from "../integrations.ts";
import { providerOf } from "../integrations.ts";
import { savePage } from "./save-page.ts";
import {
  ACTIVE,
  announce,
  backoff,
  LEASE_MS,
  MAX_ATTEMPTS,
  nowIso,
  resolveEntity,
  type SyncDeps,
} from "./shared.ts";

export class SyncPages {
  private readonly db: Db;
  private readonly activity: Activity;
  private readonly integrations: Integrations;
  private readonly connections: Connections;
  private readonly events: Events;
  private readonly queue: Queue;
  private readonly dlq?: Queue;

  constructor(deps: SyncDeps) {
    this.db = deps.db;
    this.activity = deps.activity;
    this.integrations = deps.integrations;
    this.connections = deps.connections;
    this.events = deps.events;
    this.queue = deps.queue;
    this.dlq = deps.dlq;
  }

  /** Processes page `page` of a job (one queue message). Never throws for a provider failure. */
  async processPage(
    orgId: string,
    jobId: string,
    page: number,
    log: Logger,
    now = Date.now(),
  ): Promise<{ retryInSeconds?: number }> {
    const [job] = await this.db
      .select()
      .from(syncJobs)
      .where(and(eq(syncJobs.orgId, orgId), eq(syncJobs.id, jobId)))
      .limit(1);
    if (!job || !(ACTIVE as readonly string[]).includes(job.status)) return {};
    // A repeated delivery of a page already done: the job has moved on.
    if (job.pagesDone !== page) return {};
    // Everything this consumer writes for the page from here on holds this lease.
    const lease: Lease = { table: syncJobs, id: job.id, until: now + LEASE_MS };
    const leased = await this.db
      .update(syncJobs)
      .set({
        status: "running",
        leaseUntil: lease.until,
        resumeAt: null,
        startedAt: job.startedAt ?? new Date(now).toISOString(),
        updatedAt: new Date(now).toISOString(),
      })
      .where(
        and(
          eq(syncJobs.id, job.id),
          eq(syncJobs.pagesDone, page),
          inArray(syncJobs.status, [...ACTIVE]),
          or(isNull(syncJobs.leaseUntil), lt(syncJobs.leaseUntil, now)),
        ),
      )
      .returning({ id: syncJobs.id });
    if (!leased.length) {
      // Another consumer holds this page; come back when its lease would have run out.
      return { retryInSeconds: Math.max(1, Math.ceil(((job.leaseUntil ?? now) - now) / 1000) + 1) };
    }
    let row: IntegrationRow;
    try {
      row = await this.integrations.get(orgId, job.integrationId);
    } catch {
      await this.fail(job, lease, "the integration was deleted", log);
      return {};
    }
    // Paging is over (a crash came between the last page and the end): finish.
    if (page > 0 && job.cursor === null) {
      await this.finish(job, lease, row, log);
      return {};
    }
    const provider = providerOf(row);
    const { sync, spec } = resolveEntity(provider, job.entity);
    try {
      const result = await this.connections.run(row, (ctx) =>
        sync.page(ctx, { entity: job.entity, cursor: job.cursor, since: job.since }),
      );
      const saved = await savePage(
        this.db,
        job,
        lease,
        row,
        spec,
        result.items,
        result.deleted ?? [],
        result.next,
        page,
      );
      // Another consumer took the page over: its result stands.
      if (!saved) return {};
      const [after] = await this.db.select().from(syncJobs).where(eq(syncJobs.id, job.id)).limit(1);
      if (!after) return {};
      if (result.next !== null && after.pagesDone === page + 1) {
        await this.queue.send({ type: "sync.page", orgId, jobId, page: page + 1 } satisfies JobMessage);
      } else if (result.next === null) {
        await this.finish(after, lease, row, log);
      }
      return {};
    } catch (e) {
      if (!(e instanceof ProviderError)) {
        // Not a provider failure (a D1 hiccup, a bug): release the page and let the queue retry.
        await this.db.update(syncJobs).set({ leaseUntil: null }).where(holds(lease));
        throw e;
      }
      return this.failure(job, lease, row, e, page, log);
    }
  }

  /** A provider failure on a page: pause (429), retry with backoff (transient), or fail. */
  private async failure(
    job: SyncJobRow,
    lease: Lease,
    row: IntegrationRow,
    e: ProviderError,
    page: number,
    log: Logger,
  ) {
    const now = Date.now();
    if (e.kind === "rate_limited") {
      const wait = Math.max(1, Math.min(3600, e.opts.retryAfterSeconds ?? 30));
      const paused = await this.db
        .update(syncJobs)
        .set({
          status: "paused",
          leaseUntil: null,
          resumeAt: now + wait * 1000,
          errorMessage: `Paused: ${e.message}`,
          updatedAt: nowIso(),
        })
        .where(holds(lease))
        .run();
      if (paused.meta.changes !== 1) return {};
      log.info("sync paused by rate limit", { job_id: job.id, resume_in_seconds: wait });
      await this.queue.send(
        { type: "sync.page", orgId: job.orgId, jobId: job.id, page } satisfies JobMessage,
        {
          delaySeconds: wait,
        },
      );
      return {};
    }
    const attempts = job.attempts + 1;
    if (e.kind === "transient" && attempts < MAX_ATTEMPTS) {
      const wait = e.opts.retryAfterSeconds ?? backoff(attempts);
      const retried = await this.db
        .update(syncJobs)
        .set({ attempts, leaseUntil: null, errorMessage: `Retrying: ${e.message}`, updatedAt: nowIso() })
        .where(holds(lease))
        .run();
      if (retried.meta.changes !== 1) return {};
      await this.queue.send(
        { type: "sync.page", orgId: job.orgId, jobId: job.id, page } satisfies JobMessage,
        {
          delaySeconds: wait,
        },
      );
      return {};
    }
    const failed = await this.fail({ ...job, attempts }, lease, e.message, log, row);
    if (failed && e.kind === "auth") await this.connections.markError(row, e.message, "sync");
    return {};
  }

  /** Ends a job whose paging is done: the sweep, the state for the next run, the log and the event. */
  private async finish(job: SyncJobRow, lease: Lease, row: IntegrationRow, log: Logger) {
    const provider = providerOf(row);
    const { spec } = resolveEntity(provider, job.entity);
    const now = nowIso();
    let swept = 0;
    if (job.mode === "full" && spec.deletions === "sweep") {
      const res = await this.db
        .update(records)
        .set({ deletedAt: now, updatedAt: now })
        .where(
          and(
            eq(records.integrationId, row.id),
            eq(records.entity, job.entity),
            isNull(records.deletedAt),
            or(isNull(records.seenJob), sql`${records.seenJob} <> ${job.id}`),
            sql`exists (select 1 from ${syncJobs} where ${holds(lease)})`,
          ),
        )
        .returning({ id: records.id });
      swept = res.length;
    }
    const status = job.recordsFailed > 0 ? "partial" : "success";
    const done = await this.db
      .update(syncJobs)
      .set({
        status,
        completedAt: now,
        leaseUntil: null,
        recordsDeleted: sql`${syncJobs.recordsDeleted} + ${swept}`,
        errorMessage: job.recordsFailed > 0 ? `${job.recordsFailed} item(s) could not be mapped` : null,
        updatedAt: now,
      })
      .where(and(holds(lease), inArray(syncJobs.status, [...ACTIVE])))
      .returning();
    const final = done[0];
    if (!final) return;
    await this.db.batch([
      this.db
        .insert(syncState)
        .values({
          integrationId: row.id,
          entity: job.entity,
          orgId: row.orgId,
          watermark: final.watermark,
          lastJobId: job.id,
          lastFullAt: job.mode === "full" ? now : null,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: [syncState.integrationId, syncState.entity],
          set: {
            watermark: sql`excluded.watermark`,
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
        message: `Sync of ${job.entity} ${status}: ${final.recordsSynced} synced, ${final.recordsFailed} failed, ${final.recordsDeleted} deleted`,
        details: { job_id: job.id, pages: final.pagesDone },
      }),
    ]);
    log.info("sync completed", { job_id: job.id, status, records: final.recordsSynced });
    await announce(this.events, final);
  }

  /** Ends a job as failed, under its lease; false when another consumer has taken it over. */
  private async fail(job: SyncJobRow, lease: Lease, reason: string, log: Logger, row?: IntegrationRow) {
    const now = nowIso();
    const done = await this.db
      .update(syncJobs)
      .set({
        status: "failed",
        attempts: job.attempts,
        errorMessage: reason,
        leaseUntil: null,
        completedAt: now,
        updatedAt: now,
      })
      .where(and(holds(lease), inArray(syncJobs.status, [...ACTIVE])))
      .returning();
    const final = done[0];
    if (!final) return false;
    log.error("sync failed", { job_id: job.id, reason });
    await this.dlq?.send({ type: "sync.page", orgId: job.orgId, jobId: job.id, reason });
    if (row) {
      await this.activity.logStatement({
        orgId: row.orgId,
        integrationId: row.id,
        level: "error",
        action: "sync.failed",
        message: `Sync of ${job.entity} failed: ${reason}`,
        details: { job_id: job.id },
      });
    }
    await announce(this.events, final);
    return true;
  }
}

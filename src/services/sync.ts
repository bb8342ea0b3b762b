/**
 * The sync engine. A job syncs one entity of one integration: it pages through the provider's
 * list endpoint one queue message per page, maps each item onto its normalized record, upserts
 * by (integration, entity, external_id) in D1 batches of at most 100 bound parameters together
 * with the job's progress (one atomic batch per page, guarded by `pages_done`, so a repeated
 * or crashed delivery never counts or writes anything twice), and keeps the provider's cursor
 * and a modified-since watermark so the next run is incremental. Deletions come from the
 * provider's tombstones, or, where it keeps none, from a full run's sweep of what it did not
 * see. A 429 pauses the job until Retry-After; other transient failures retry with backoff;
 * anything else fails the job with its reason (and a dead letter that says so).
 *
 * Outward pushes (accounting providers) create or update a record at the provider from the
 * queue, idempotent under an Idempotency-Key, and store the provider's id.
 */
import { and, desc, eq, gt, gte, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { sha256Hex } from "../crypto/hash.ts";
import type { Db } from "../db/client.ts";
import {
  type IntegrationRow,
  integrations,
  type RecordPushRow,
  type RecordRow,
  recordPushes,
  records,
  type SyncJobRow,
  type SyncStateRow,
  syncJobs,
  syncState,
} from "../db/schema.ts";
import { ApiError, ErrorCode, type Issue, notFound } from "../errors.ts";
import { batchUnderLease, holds, type Lease } from "../jobs/lease.ts";
import { prefixedId } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import { decodeCursor, pageOf } from "../lib/pagination.ts";
import { ProviderError } from "../providers/runtime.ts";
import {
  type ProviderSync,
  RECORD_SCHEMAS,
  type RecordData,
  type SyncEntity,
  type SyncItem,
} from "../providers/sync.ts";
import type { Provider } from "../providers/types.ts";
import type { JobMessage } from "../queue/messages.ts";
import type { Activity } from "./activity.ts";
import type { Connections } from "./connections.ts";
import type { Events } from "./events.ts";
import { type Integrations, providerOf } from "./integrations.ts";

/** Attempts at one page (or one push) before the job fails for good. */
export const MAX_ATTEMPTS = 5;
/** How long a consumer may work on a page before another may take the job over. */
export const LEASE_MS = 60_000;
/** Rows per upsert statement: 9 bound parameters a row, at most 100 a statement (D1). */
const UPSERT_ROWS = 11;
/** Ids per `in (...)` list, with 3 more parameters, under D1's 100. */
const ID_CHUNK = 90;
/** Mapping failures kept on the job, with their reasons. */
const MAX_FAILURES_KEPT = 20;
/** Jobs and pushes untouched this long while unfinished are driven again by cron. */
export const STUCK_MS = 2 * 60_000;

const ACTIVE = ["queued", "running", "paused"] as const;

export const backoff = (attempt: number) => Math.min(300, 5 * 2 ** Math.max(0, attempt - 1));

export interface StartOptions {
  full?: boolean;
  trigger: "manual" | "schedule";
  actor: string;
}

export interface PushOptions {
  externalId?: string;
  data: unknown;
  idempotencyKey?: string;
  actor: string;
}

/** The entity a path names (its own name or an alias), with its declaration. */
export function resolveEntity(
  provider: Provider,
  name: string,
): { entity: string; spec: SyncEntity; sync: ProviderSync } {
  const sync = provider.sync;
  if (!sync) {
    throw new ApiError(ErrorCode.BAD_REQUEST, `${provider.displayName} has nothing to sync`, {
      issues: [{ path: "provider", message: "does not sync records" }],
    });
  }
  for (const [entity, spec] of Object.entries(sync.entities)) {
    if (entity === name || spec.aliases?.includes(name)) return { entity, spec, sync };
  }
  const names = Object.keys(sync.entities).join(", ");
  throw new ApiError(
    ErrorCode.INVALID_FIELD,
    `entity: ${provider.displayName} syncs ${names}, not "${name}"`,
    {
      issues: [{ path: "entity", message: `one of ${names}` }],
    },
  );
}

const nowIso = () => new Date().toISOString();
const maxIso = (a: string | null | undefined, b: string | null | undefined) =>
  !a ? (b ?? null) : !b ? a : a > b ? a : b;

export class Sync {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly connections: Connections,
    private readonly events: Events,
    private readonly queue: Queue,
    private readonly dlq?: Queue,
  ) {}

  // -------------------------------------------------------------------------------------------
  // Starting jobs

  /**
   * Starts a sync of one entity, or answers the job already queued or running for it (a second
   * trigger never starts a second job). Full when asked, when nothing was synced before, or when
   * the provider cannot filter by modified time.
   */
  async start(
    row: IntegrationRow,
    entityName: string,
    opts: StartOptions,
  ): Promise<{ job: SyncJobRow; created: boolean }> {
    const provider = providerOf(row);
    const { entity, spec } = resolveEntity(provider, entityName);
    if (row.disconnectedAt)
      throw new ApiError(ErrorCode.CONFLICT, "The integration is disconnected; connect it again to sync");
    if (!row.isActive)
      throw new ApiError(ErrorCode.CONFLICT, "The integration is inactive; activate it to sync");
    const [state] = await this.db
      .select()
      .from(syncState)
      .where(and(eq(syncState.integrationId, row.id), eq(syncState.entity, entity)))
      .limit(1);
    const since = !opts.full && spec.incremental ? (state?.watermark ?? null) : null;
    const id = prefixedId("sync");
    const now = nowIso();
    // One statement: the insert happens only while no job of this entity is unfinished.
    const inserted = await this.db.all<{ id: string }>(sql`
      insert into sync_jobs (id, org_id, integration_id, provider, entity, direction, "trigger", mode, status,
        since, watermark, created_at, updated_at)
      select ${id}, ${row.orgId}, ${row.id}, ${row.provider}, ${entity}, 'inbound', ${opts.trigger},
        ${since ? "incremental" : "full"}, 'queued', ${since}, ${since}, ${now}, ${now}
      where not exists (
        select 1 from sync_jobs where integration_id = ${row.id} and entity = ${entity}
          and direction = 'inbound' and status in ('queued', 'running', 'paused'))
      returning id`);
    if (!inserted.length) {
      const [active] = await this.db
        .select()
        .from(syncJobs)
        .where(
          and(
            eq(syncJobs.integrationId, row.id),
            eq(syncJobs.entity, entity),
            eq(syncJobs.direction, "inbound"),
            inArray(syncJobs.status, [...ACTIVE]),
          ),
        )
        .limit(1);
      if (active) {
        // A job nobody has touched for a while lost its queue message: drive it again.
        const idle = Date.now() - Date.parse(active.updatedAt) > STUCK_MS;
        if (idle && (active.leaseUntil === null || active.leaseUntil < Date.now()) && !active.resumeAt) {
          await this.queue.send({
            type: "sync.page",
            orgId: row.orgId,
            jobId: active.id,
            page: active.pagesDone,
          } satisfies JobMessage);
        }
        return { job: active, created: false };
      }
      return this.start(row, entityName, opts);
    }
    await this.queue.send({ type: "sync.page", orgId: row.orgId, jobId: id, page: 0 } satisfies JobMessage);
    await this.activity.logStatement({
      orgId: row.orgId,
      integrationId: row.id,
      action: "sync.started",
      message: `${since ? "Incremental" : "Full"} sync of ${entity} started (${opts.trigger})`,
      details: { job_id: id, entity, since, actor: opts.actor },
    });
    return { job: await this.job(row.orgId, id), created: true };
  }

  async job(orgId: string, id: string): Promise<SyncJobRow> {
    const [job] = await this.db
      .select()
      .from(syncJobs)
      .where(and(eq(syncJobs.orgId, orgId), eq(syncJobs.id, id)))
      .limit(1);
    if (!job) throw notFound("Sync job");
    return job;
  }

  // -------------------------------------------------------------------------------------------
  // Running a page

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
      const saved = await this.savePage(
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

  /**
   * Upserts a page's records and advances the job, in one atomic batch under the page's lease;
   * false (nothing written) when another consumer has taken the page over.
   */
  private async savePage(
    job: SyncJobRow,
    lease: Lease,
    row: IntegrationRow,
    spec: SyncEntity,
    items: SyncItem[],
    deleted: string[],
    next: string | null,
    page: number,
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
        this.db
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
        this.db
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
      this.db
        .update(syncJobs)
        .set({
          pagesDone: page + 1,
          cursor: next,
          watermark,
          recordsSynced: sql`${syncJobs.recordsSynced} + ${rows.length}`,
          recordsFailed: sql`${syncJobs.recordsFailed} + ${failures.length}`,
          recordsDeleted: sql`${syncJobs.recordsDeleted} + ${gone.length}`,
          failures: kept.length ? kept : null,
          attempts: 0,
          errorMessage: null,
          // The last page keeps the lease: finishing the job holds it too.
          leaseUntil: next === null ? lease.until : null,
          updatedAt: now,
        })
        .where(and(holds(lease), eq(syncJobs.pagesDone, page))),
    );
    // biome-ignore lint/suspicious/noExplicitAny: drizzle's batch takes a tuple of queries
    return (await batchUnderLease(this.db, lease, statements as any)) !== null;
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
    await this.announce(final);
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
    await this.announce(final);
    return true;
  }

  private announce(job: SyncJobRow) {
    return this.events.emit(
      job.orgId,
      "sync.completed",
      {
        job_id: job.id,
        integration_id: job.integrationId,
        provider: job.provider,
        entity: job.entity,
        direction: job.direction,
        mode: job.mode,
        status: job.status,
        records_synced: job.recordsSynced,
        records_failed: job.recordsFailed,
        records_deleted: job.recordsDeleted,
        error_message: job.errorMessage,
        started_at: job.startedAt,
        completed_at: job.completedAt,
      },
      { key: `sync.completed:${job.id}` },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Status, logs, schedules

  async states(row: IntegrationRow): Promise<SyncStateRow[]> {
    return this.db.select().from(syncState).where(eq(syncState.integrationId, row.id));
  }

  /** The newest job of each entity still unfinished or last finished, and the history. */
  async history(
    orgId: string,
    integrationId: string,
    opts: { cursor?: string; limit: number; entity?: string; status?: string; direction?: string },
  ) {
    const cursor = decodeCursor(opts.cursor);
    const rows = await this.db
      .select()
      .from(syncJobs)
      .where(
        and(
          eq(syncJobs.orgId, orgId),
          eq(syncJobs.integrationId, integrationId),
          opts.entity ? eq(syncJobs.entity, opts.entity) : undefined,
          opts.status ? eq(syncJobs.status, opts.status as SyncJobRow["status"]) : undefined,
          opts.direction ? eq(syncJobs.direction, opts.direction as SyncJobRow["direction"]) : undefined,
          cursor ? lt(syncJobs.id, cursor) : undefined,
        ),
      )
      .orderBy(desc(syncJobs.id))
      .limit(opts.limit + 1);
    return pageOf(rows, opts.limit);
  }

  /** Sets (or clears, with null) the schedule of the given entities. */
  async schedule(row: IntegrationRow, entityNames: string[] | undefined, intervalMinutes: number | null) {
    const provider = providerOf(row);
    const all = Object.keys(provider.sync?.entities ?? {});
    const entities = (entityNames?.length ? entityNames : all).map((n) => resolveEntity(provider, n).entity);
    if (!entities.length) resolveEntity(provider, "");
    const now = Date.now();
    const next = intervalMinutes ? now + intervalMinutes * 60_000 : null;
    await this.db.batch(
      entities.map((entity) =>
        this.db
          .insert(syncState)
          .values({ integrationId: row.id, entity, orgId: row.orgId, intervalMinutes, nextRunAt: next })
          .onConflictDoUpdate({
            target: [syncState.integrationId, syncState.entity],
            set: { intervalMinutes, nextRunAt: next, updatedAt: nowIso() },
          }),
      ) as unknown as Parameters<Db["batch"]>[0],
    );
    return this.states(row);
  }

  /**
   * Cron: starts the scheduled syncs that are due. Each due run is claimed by moving its next
   * run forward with compare-and-set, so a cron that fires twice starts it once.
   */
  async runSchedules(now = Date.now(), log?: Logger): Promise<number> {
    const due = await this.db
      .select()
      .from(syncState)
      .where(and(sql`${syncState.nextRunAt} is not null`, lt(syncState.nextRunAt, now + 1)))
      .limit(50);
    let started = 0;
    for (const s of due) {
      if (!s.intervalMinutes || s.nextRunAt === null) continue;
      const claimed = await this.db
        .update(syncState)
        .set({ nextRunAt: now + s.intervalMinutes * 60_000 })
        .where(
          and(
            eq(syncState.integrationId, s.integrationId),
            eq(syncState.entity, s.entity),
            eq(syncState.nextRunAt, s.nextRunAt),
          ),
        )
        .returning({ id: syncState.integrationId });
      if (!claimed.length) continue;
      try {
        const row = await this.integrations.get(s.orgId, s.integrationId);
        if (!row.isActive || row.disconnectedAt) continue;
        const r = await this.start(row, s.entity, { trigger: "schedule", actor: "schedule" });
        if (r.created) started++;
      } catch (e) {
        log?.warn("scheduled sync not started", {
          integration_id: s.integrationId,
          entity: s.entity,
          reason: e instanceof Error ? e.message : String(e),
        });
      }
    }
    return started;
  }

  /** Cron: drives jobs and pushes whose queue message was lost (a crash between two steps). */
  async requeueStuck(now = Date.now()): Promise<number> {
    const before = new Date(now - STUCK_MS).toISOString();
    const jobs = await this.db
      .select()
      .from(syncJobs)
      .where(
        and(
          inArray(syncJobs.status, [...ACTIVE]),
          lt(syncJobs.updatedAt, before),
          or(isNull(syncJobs.leaseUntil), lt(syncJobs.leaseUntil, now)),
          or(isNull(syncJobs.resumeAt), lt(syncJobs.resumeAt, now - 60_000)),
        ),
      )
      .limit(100);
    const pushes = await this.db
      .select({ id: recordPushes.id, orgId: recordPushes.orgId })
      .from(recordPushes)
      .where(
        and(
          inArray(recordPushes.status, ["queued", "processing"]),
          lt(recordPushes.updatedAt, before),
          or(isNull(recordPushes.leaseUntil), lt(recordPushes.leaseUntil, now)),
        ),
      )
      .limit(100);
    const messages: JobMessage[] = [
      ...jobs.map((j) => ({ type: "sync.page" as const, orgId: j.orgId, jobId: j.id, page: j.pagesDone })),
      ...pushes.map((p) => ({ type: "record.push" as const, orgId: p.orgId, pushId: p.id })),
    ];
    for (let i = 0; i < messages.length; i += 100) {
      await this.queue.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })));
    }
    if (jobs.length) {
      await this.db
        .update(syncJobs)
        .set({ updatedAt: new Date(now).toISOString() })
        .where(
          inArray(
            syncJobs.id,
            jobs.map((j) => j.id),
          ),
        );
    }
    if (pushes.length) {
      await this.db
        .update(recordPushes)
        .set({ updatedAt: new Date(now).toISOString() })
        .where(
          inArray(
            recordPushes.id,
            pushes.map((p) => p.id),
          ),
        );
    }
    return messages.length;
  }

  // -------------------------------------------------------------------------------------------
  // Records

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
    const rows = await this.db
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
    const [row] = await this.db
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

  // -------------------------------------------------------------------------------------------
  // Outward pushes

  /**
   * Queues a create (no external id) or update of a record at the provider. With an
   * Idempotency-Key, the same request again answers the first push; the same key with another
   * request is a 409.
   */
  async push(
    row: IntegrationRow,
    entityName: string,
    opts: PushOptions,
  ): Promise<{ push: RecordPushRow; created: boolean }> {
    const provider = providerOf(row);
    const { entity, spec, sync } = resolveEntity(provider, entityName);
    if (!spec.push || !sync.push) {
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        `${provider.displayName} does not take ${entity} from the hub`,
        {
          issues: [{ path: "entity", message: "cannot be pushed to this provider" }],
        },
      );
    }
    const parsed = RECORD_SCHEMAS[spec.kind].safeParse(opts.data);
    if (!parsed.success) {
      const issues: Issue[] = parsed.error.issues.map((i) => ({
        path: ["data", ...i.path].join("."),
        message: i.message,
      }));
      const first = issues[0] as Issue;
      throw new ApiError(ErrorCode.INVALID_FIELD, `${first.path}: ${first.message}`, { issues });
    }
    if (row.disconnectedAt || !row.isActive) {
      throw new ApiError(
        ErrorCode.CONFLICT,
        "The integration is inactive or disconnected; activate it to push records",
      );
    }
    if (opts.externalId) await this.record(row.orgId, row.id, entity, opts.externalId);
    const requestHash = await sha256Hex(JSON.stringify([entity, opts.externalId ?? null, parsed.data]));
    const id = prefixedId("push");
    const inserted = await this.db
      .insert(recordPushes)
      .values({
        id,
        orgId: row.orgId,
        integrationId: row.id,
        entity,
        idempotencyKey: opts.idempotencyKey ?? null,
        requestHash,
        operation: opts.externalId ? "update" : "create",
        externalId: opts.externalId ?? null,
        data: parsed.data as Record<string, unknown>,
        status: "queued",
      })
      .onConflictDoNothing()
      .returning();
    const created = inserted[0];
    if (!created) {
      const [existing] = await this.db
        .select()
        .from(recordPushes)
        .where(
          and(
            eq(recordPushes.integrationId, row.id),
            eq(recordPushes.idempotencyKey, opts.idempotencyKey ?? ""),
          ),
        )
        .limit(1);
      if (!existing) throw new ApiError(ErrorCode.CONFLICT, "Idempotency-Key is in use; retry");
      if (existing.requestHash !== requestHash) {
        throw new ApiError(
          ErrorCode.CONFLICT,
          "Idempotency-Key was already used for a different request; use a new key for a new record",
        );
      }
      return { push: existing, created: false };
    }
    await this.queue.send({ type: "record.push", orgId: row.orgId, pushId: id } satisfies JobMessage);
    await this.activity.logStatement({
      orgId: row.orgId,
      integrationId: row.id,
      action: "sync.push.queued",
      message: `Push (${created.operation}) of one ${entity} record queued`,
      details: { push_id: id, actor: opts.actor },
    });
    return { push: created, created: true };
  }

  async getPush(orgId: string, integrationId: string, id: string): Promise<RecordPushRow> {
    const [p] = await this.db
      .select()
      .from(recordPushes)
      .where(
        and(
          eq(recordPushes.orgId, orgId),
          eq(recordPushes.integrationId, integrationId),
          eq(recordPushes.id, id),
        ),
      )
      .limit(1);
    if (!p) throw notFound("Push");
    return p;
  }

  /** Sends one push to the provider (one queue message); a repeated delivery does nothing twice. */
  async processPush(
    orgId: string,
    pushId: string,
    log: Logger,
    now = Date.now(),
  ): Promise<{ retryInSeconds?: number }> {
    const lease: Lease = { table: recordPushes, id: pushId, until: now + LEASE_MS };
    const [taken] = await this.db
      .update(recordPushes)
      .set({
        status: "processing",
        leaseUntil: lease.until,
        attempts: sql`${recordPushes.attempts} + 1`,
        updatedAt: nowIso(),
      })
      .where(
        and(
          eq(recordPushes.orgId, orgId),
          eq(recordPushes.id, pushId),
          inArray(recordPushes.status, ["queued", "processing"]),
          or(isNull(recordPushes.leaseUntil), lt(recordPushes.leaseUntil, now)),
        ),
      )
      .returning();
    if (!taken) {
      const [p] = await this.db.select().from(recordPushes).where(eq(recordPushes.id, pushId)).limit(1);
      if (p && (p.status === "queued" || p.status === "processing")) {
        return { retryInSeconds: Math.max(1, Math.ceil(((p.leaseUntil ?? now) - now) / 1000) + 1) };
      }
      return {};
    }
    let row: IntegrationRow;
    try {
      row = await this.integrations.get(orgId, taken.integrationId);
    } catch {
      await this.endPush(lease, "failed", { error: "the integration was deleted" });
      return {};
    }
    const provider = providerOf(row);
    const { sync, spec } = resolveEntity(provider, taken.entity);
    const started = nowIso();
    try {
      const current = taken.externalId
        ? (await this.record(orgId, row.id, taken.entity, taken.externalId).catch(() => null))?.raw
        : undefined;
      const push = sync.push;
      if (!push) throw new ProviderError("permanent", "this provider takes no pushes");
      const result = await this.connections.run(row, (ctx) =>
        push(ctx, taken.entity, {
          externalId: taken.externalId ?? undefined,
          data: taken.data as RecordData,
          current,
        }),
      );
      const mapped = result.data ? RECORD_SCHEMAS[spec.kind].safeParse(result.data) : null;
      const data = {
        ...(mapped?.success ? mapped.data : taken.data),
        external_id: result.externalId,
        external_provider: row.provider,
      };
      const ts = nowIso();
      const upsert = this.db
        .insert(records)
        .values({
          id: prefixedId("rec"),
          orgId,
          integrationId: row.id,
          entity: taken.entity,
          externalId: result.externalId,
          data,
          raw: result.raw ?? null,
          updatedAt: ts,
        })
        .onConflictDoUpdate({
          target: [records.integrationId, records.entity, records.externalId],
          set: { data, raw: result.raw ?? null, updatedAt: ts, deletedAt: null },
        });
      // The record and the push's end in one batch, only while this consumer holds the push.
      const recordId = sql`(select ${records.id} from ${records} where ${records.integrationId} = ${row.id}
        and ${records.entity} = ${taken.entity} and ${records.externalId} = ${result.externalId})`;
      const saved = await batchUnderLease(this.db, lease, [
        upsert,
        this.endPushStatement(lease, "succeeded", { externalId: result.externalId, recordId }),
      ]);
      if (saved) await this.logPush(taken, row, "success", started, null);
      return {};
    } catch (e) {
      if (!(e instanceof ProviderError)) {
        await this.db.update(recordPushes).set({ leaseUntil: null }).where(holds(lease));
        throw e;
      }
      if (e.retryable && taken.attempts < MAX_ATTEMPTS) {
        const wait = e.opts.retryAfterSeconds ?? backoff(taken.attempts);
        const retried = await this.db
          .update(recordPushes)
          .set({ status: "queued", leaseUntil: null, error: `Retrying: ${e.message}`, updatedAt: nowIso() })
          .where(holds(lease))
          .run();
        if (retried.meta.changes !== 1) return {};
        await this.queue.send({ type: "record.push", orgId, pushId } satisfies JobMessage, {
          delaySeconds: wait,
        });
        return {};
      }
      if (!(await this.endPush(lease, "failed", { error: e.message }))) return {};
      log.error("push failed", { push_id: taken.id, reason: e.message });
      await this.dlq?.send({ type: "record.push", orgId, pushId, reason: e.message });
      await this.logPush(taken, row, "failed", started, e.message);
      if (e.kind === "auth") await this.connections.markError(row, e.message, "sync");
      return {};
    }
  }

  /** Ends a push, only under `lease`. */
  private endPushStatement(
    lease: Lease,
    status: "succeeded" | "failed",
    set: { externalId?: string; recordId?: string | SQL | null; error?: string },
  ) {
    return this.db
      .update(recordPushes)
      .set({
        status,
        leaseUntil: null,
        completedAt: nowIso(),
        updatedAt: nowIso(),
        error: set.error ?? null,
        ...set,
      })
      .where(holds(lease));
  }

  /** Ends a push under `lease`; false (nothing written) when another consumer has taken it over. */
  private async endPush(lease: Lease, status: "succeeded" | "failed", set: { error?: string }) {
    const r = await this.endPushStatement(lease, status, set).run();
    return r.meta.changes === 1;
  }

  /** An outbound entry in the sync log for a finished push. */
  private async logPush(
    p: RecordPushRow,
    row: IntegrationRow,
    status: "success" | "failed",
    started: string,
    error: string | null,
  ) {
    const now = nowIso();
    const [job] = await this.db
      .insert(syncJobs)
      .values({
        id: prefixedId("sync"),
        orgId: row.orgId,
        integrationId: row.id,
        provider: row.provider,
        entity: p.entity,
        direction: "outbound",
        trigger: "push",
        mode: "incremental",
        status,
        pagesDone: 1,
        recordsSynced: status === "success" ? 1 : 0,
        recordsFailed: status === "success" ? 0 : 1,
        errorMessage: error,
        startedAt: started,
        completedAt: now,
      })
      .returning();
    if (status === "success") {
      await this.db.update(integrations).set({ lastSyncAt: now }).where(eq(integrations.id, row.id));
    }
    if (job) await this.announce(job);
  }
}

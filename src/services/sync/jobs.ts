/** Starting sync jobs (at most one unfinished job per entity) and reading them. */
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, type SyncJobRow, syncJobs, syncState } from "../../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import { prefixedId } from "../../lib/ids.ts";
import { decodeCursor, pageOf } from "../../lib/pagination.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { Activity } from "../activity.ts";
import { providerOf } from "../integrations.ts";
import { ACTIVE, nowIso, resolveEntity, STUCK_MS, type StartOptions, type SyncDeps } from "./shared.ts";

export class SyncJobs {
  private readonly db: Db;
  private readonly activity: Activity;
  private readonly queue: Queue;

  constructor(deps: SyncDeps) {
    this.db = deps.db;
    this.activity = deps.activity;
    this.queue = deps.queue;
  }

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
    // Entities that resume from a provider's sync token use it instead of a modified-since time.
    const syncToken = !opts.full && spec.syncToken ? (state?.syncToken ?? null) : null;
    const since = !opts.full && spec.incremental && !spec.syncToken ? (state?.watermark ?? null) : null;
    const mode = since || syncToken ? "incremental" : "full";
    const id = prefixedId("sync");
    const now = nowIso();
    // One statement: the insert happens only while no job of this entity is unfinished.
    const inserted = await this.db.all<{ id: string }>(sql`
      insert into sync_jobs (id, org_id, integration_id, provider, entity, direction, "trigger", mode, status,
        since, watermark, sync_token, created_at, updated_at)
      select ${id}, ${row.orgId}, ${row.id}, ${row.provider}, ${entity}, 'inbound', ${opts.trigger},
        ${mode}, 'queued', ${since}, ${since}, ${syncToken}, ${now}, ${now}
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
    await this.activity.log({
      orgId: row.orgId,
      integrationId: row.id,
      action: "sync.started",
      message: `${mode === "incremental" ? "Incremental" : "Full"} sync of ${entity} started (${opts.trigger})`,
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
}

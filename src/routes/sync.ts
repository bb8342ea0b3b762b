/**
 * Sync and records: 003's `POST /api/integrations/{provider}/sync/{entity}` and
 * `GET /api/integrations/{provider}/sync-status` (a provider id, or an integration id in place
 * of it), the sync log and schedule of an integration, its records (paginated, `updated_since`)
 * and outward pushes under `Idempotency-Key`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import type { IntegrationRow } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { UUID_RE } from "../lib/ids.ts";
import { limitJson } from "../lib/json-limits.ts";
import { orgAuth } from "../middleware/auth.ts";
import { providerOf } from "../services/integrations.ts";
import { resolveEntity } from "../services/sync.ts";
import { entityStatusView, pushView, recordView, scheduleView, syncJobView } from "../services/views.ts";
import { pathProvider } from "./integrations/input.ts";
import { IdParam, IntegrationIdQuery, PageQuery, ProviderParam } from "./integrations/schema.ts";
import { createRouter, errorResponses, jsonResponse, security } from "./openapi.ts";

export const syncApi = createRouter();
const tags = ["Sync"];

const SyncJobSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    provider: z.string(),
    entity: z.string(),
    direction: z.enum(["inbound", "outbound"]),
    trigger: z.string(),
    mode: z.enum(["full", "incremental"]),
    status: z.enum(["queued", "running", "paused", "success", "partial", "failed"]),
    since: z.string().nullable().openapi({ description: "Modified-since of an incremental run" }),
    pages_done: z.number(),
    records_synced: z.number(),
    records_failed: z.number(),
    records_deleted: z.number(),
    last_cursor: z.string().nullable().openapi({ description: "The provider cursor of the next page" }),
    watermark: z
      .string()
      .nullable()
      .openapi({ description: "Newest provider change seen; the next run's since" }),
    failures: z.array(z.object({ external_id: z.string(), reason: z.string() })),
    error_message: z.string().nullable(),
    resume_at: z.string().nullable().openapi({ description: "A paused job resumes then (rate limit)" }),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("SyncJob");

const RecordSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    entity: z.string(),
    external_id: z.string(),
    data: z.record(z.string(), z.unknown()),
    raw: z.unknown().optional(),
    created_at: z.string(),
    updated_at: z.string(),
    deleted_at: z.string().nullable(),
  })
  .openapi("Record");

const PushSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    entity: z.string(),
    operation: z.enum(["create", "update"]),
    status: z.enum(["queued", "processing", "succeeded", "failed"]),
    external_id: z.string().nullable(),
    record_id: z.string().nullable(),
    attempts: z.number(),
    error: z.string().nullable(),
    idempotency_key: z.string().nullable(),
    created_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .openapi("RecordPush");

const ScheduleSchema = z.object({
  entity: z.string(),
  interval_minutes: z.number().nullable(),
  next_run_at: z.string().nullable(),
});

/** `{provider}` in a path: a provider id (with `?integration_id=` when there are several) or an integration id. */
async function integrationFor(
  c: Context<AppEnv>,
  name: string,
  integrationId?: string,
): Promise<IntegrationRow> {
  const services = c.get("services");
  const { orgId } = orgAuth(c);
  if (UUID_RE.test(name)) return services.integrations.get(orgId, name);
  const provider = pathProvider(name);
  const row = await services.integrations.findByProvider(orgId, provider.id, integrationId);
  if (!row) throw new ApiError(ErrorCode.NOT_FOUND, `No ${provider.displayName} integration`);
  return row;
}

const EntityParam = z.object({
  entity: z
    .string()
    .max(64)
    .openapi({ param: { name: "entity", in: "path" }, example: "customers" }),
});

const StartBody = z
  .object({
    full: z
      .boolean()
      .optional()
      .openapi({ description: "Fetch everything, not only what changed since the last run" }),
  })
  .strict();

syncApi.openapi(
  createRoute({
    method: "post",
    path: "/{provider}/sync/{entity}",
    tags,
    security,
    summary: "Start a sync of one entity (003)",
    description:
      "Queues a sync job: incremental when an earlier run left a watermark and the provider filters by modified time, full otherwise or with `full: true`. " +
      "While a job of the entity is queued, running or paused, it is answered again (200) instead of starting a second. `{provider}` may be an integration id. Needs an admin key.",
    request: {
      params: ProviderParam.extend(EntityParam.shape),
      query: IntegrationIdQuery,
      body: { required: false, content: { "application/json": { schema: StartBody } } },
    },
    responses: {
      202: jsonResponse(z.object({ job: SyncJobSchema }), "Queued"),
      200: jsonResponse(z.object({ job: SyncJobSchema }), "A job of this entity is already under way"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { provider, entity } = c.req.valid("param");
    const row = await integrationFor(c, provider, c.req.valid("query").integration_id);
    const body: z.infer<typeof StartBody> = c.req.valid("json") ?? {};
    const r = await c.get("services").sync.start(row, entity, {
      full: body.full,
      trigger: "manual",
      actor: orgAuth(c).actor,
    });
    return c.json({ job: syncJobView(r.job) }, r.created ? 202 : 200);
  },
);

const EntityStatus = z.object({
  entity: z.string(),
  kind: z.enum(["customer", "product", "invoice"]),
  aliases: z.array(z.string()),
  incremental: z.boolean(),
  deletions: z.enum(["tombstones", "sweep"]),
  push: z.boolean(),
  state: z.enum(["idle", "queued", "running", "paused", "success", "partial", "failed"]),
  watermark: z.string().nullable(),
  last_full_sync_at: z.string().nullable(),
  schedule: ScheduleSchema.omit({ entity: true }),
  current_job: SyncJobSchema.nullable(),
  last_job: SyncJobSchema.nullable(),
});

syncApi.openapi(
  createRoute({
    method: "get",
    path: "/{provider}/sync-status",
    tags,
    security,
    summary: "Sync status of an integration (003): progress and history",
    description:
      "Per entity: the job under way with its progress (pages done, records so far, state, last cursor), the last finished job, the watermark and schedule; and the newest jobs.",
    request: { params: ProviderParam, query: IntegrationIdQuery },
    responses: {
      200: jsonResponse(
        z.object({
          integration_id: z.string(),
          provider: z.string(),
          last_sync_at: z.string().nullable(),
          entities: z.array(EntityStatus),
          jobs: z.array(SyncJobSchema),
        }),
        "Status",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const row = await integrationFor(c, c.req.valid("param").provider, c.req.valid("query").integration_id);
    const status = await c.get("services").sync.status(row);
    return c.json(
      {
        integration_id: row.id,
        provider: row.provider,
        last_sync_at: row.lastSyncAt,
        entities: status.entities.map(entityStatusView),
        jobs: status.jobs.map(syncJobView),
      },
      200,
    );
  },
);

syncApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/sync-logs",
    tags,
    security,
    summary: "Sync log of an integration, newest first (003 integration_sync_logs)",
    request: {
      params: IdParam,
      query: PageQuery.extend({
        entity: z.string().max(64).optional(),
        status: z.enum(["queued", "running", "paused", "success", "partial", "failed"]).optional(),
        direction: z.enum(["inbound", "outbound"]).optional(),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({ logs: z.array(SyncJobSchema), next_cursor: z.string().nullable() }),
        "Jobs",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const row = await services.integrations.get(orgId, c.req.valid("param").id);
    const q = c.req.valid("query");
    const entity = q.entity ? resolveEntity(providerOf(row), q.entity).entity : undefined;
    const page = await services.sync.history(orgId, row.id, { ...q, entity });
    return c.json({ logs: page.items.map(syncJobView), next_cursor: page.nextCursor }, 200);
  },
);

syncApi.openapi(
  createRoute({
    method: "put",
    path: "/{id}/sync-schedule",
    tags,
    security,
    summary: "Schedule syncs of an integration",
    description:
      "Runs a sync of each named entity (all, when none are named) every `interval_minutes` (5 to 10080); `null` stops the schedule. Cron starts due runs once, even when it fires twice.",
    request: {
      params: IdParam,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({
                interval_minutes: z.number().int().min(5).max(10080).nullable(),
                entities: z.array(z.string().max(64)).max(20).optional(),
              })
              .strict(),
          },
        },
      },
    },
    responses: {
      200: jsonResponse(z.object({ schedules: z.array(ScheduleSchema) }), "The schedules"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const row = await services.integrations.get(orgId, c.req.valid("param").id);
    const body = c.req.valid("json");
    const states = await services.sync.schedule(row, body.entities, body.interval_minutes);
    return c.json({ schedules: states.map(scheduleView) }, 200);
  },
);

const RecordParams = IdParam.extend(EntityParam.shape);

/** The stored entity a records path names: a synced entity (or alias), or `contacts` of lead sources. */
function recordEntity(row: IntegrationRow, name: string): string {
  const provider = providerOf(row);
  if (!provider.sync && name === "contacts") return name;
  return resolveEntity(provider, name).entity;
}

syncApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/records/{entity}",
    tags,
    security,
    summary: "Records of an integration",
    description:
      "Normalized records with the provider's id, in a stable order: a page walk neither skips nor repeats a record while syncs run. `updated_since` keeps those changed at or after it (ISO 8601); deleted records only with `include_deleted=true`.",
    request: {
      params: RecordParams,
      query: PageQuery.extend({
        updated_since: z.iso.datetime({ offset: true }).optional(),
        include_deleted: z.enum(["true", "false"]).optional(),
        include_raw: z.enum(["true", "false"]).optional(),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({ records: z.array(RecordSchema), next_cursor: z.string().nullable() }),
        "Records",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const { id, entity } = c.req.valid("param");
    const row = await services.integrations.get(orgId, id);
    const q = c.req.valid("query");
    const page = await services.sync.listRecords(orgId, row.id, recordEntity(row, entity), {
      cursor: q.cursor,
      limit: q.limit,
      updatedSince: q.updated_since ? new Date(q.updated_since).toISOString() : undefined,
      includeDeleted: q.include_deleted === "true",
    });
    return c.json(
      {
        records: page.items.map((r) => recordView(r, q.include_raw === "true")),
        next_cursor: page.nextCursor,
      },
      200,
    );
  },
);

syncApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/records/{entity}/{record_id}",
    tags,
    security,
    summary: "One record, by its id or the provider's id, with the provider's item",
    request: {
      params: RecordParams.extend({
        record_id: z
          .string()
          .max(200)
          .openapi({ param: { name: "record_id", in: "path" } }),
      }),
    },
    responses: { 200: jsonResponse(z.object({ record: RecordSchema }), "The record"), ...errorResponses },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const { id, entity, record_id } = c.req.valid("param");
    const row = await services.integrations.get(orgId, id);
    const record = await services.sync.record(orgId, row.id, recordEntity(row, entity), record_id);
    return c.json({ record: recordView(record, true) }, 200);
  },
);

syncApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/records/{entity}",
    tags,
    security,
    summary: "Create or update a record at the provider (outward sync)",
    description:
      "Validates `data` against the entity's normalized schema and queues the push; with `external_id` it updates that record, without it creates one. " +
      "The same `Idempotency-Key` answers the first push again (200); with another body it is a 409. Poll `GET …/pushes/{push_id}` for the provider's id.",
    request: {
      params: RecordParams,
      headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({ external_id: z.string().min(1).max(200).optional(), data: limitJson(z.unknown()) })
              .strict(),
          },
        },
      },
    },
    responses: {
      202: jsonResponse(z.object({ push: PushSchema }), "Queued"),
      200: jsonResponse(z.object({ push: PushSchema }), "The push this Idempotency-Key made"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const services = c.get("services");
    const { id, entity } = c.req.valid("param");
    const row = await services.integrations.get(auth.orgId, id);
    const body = c.req.valid("json");
    const r = await services.sync.push(row, entity, {
      externalId: body.external_id,
      data: body.data,
      idempotencyKey: c.req.valid("header")["idempotency-key"],
      actor: auth.actor,
    });
    return c.json({ push: pushView(r.push) }, r.created ? 202 : 200);
  },
);

syncApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/pushes/{push_id}",
    tags,
    security,
    summary: "One outward push and its outcome",
    request: {
      params: IdParam.extend({
        push_id: z
          .string()
          .max(64)
          .openapi({ param: { name: "push_id", in: "path" } }),
      }),
    },
    responses: { 200: jsonResponse(z.object({ push: PushSchema }), "The push"), ...errorResponses },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const { id, push_id } = c.req.valid("param");
    const row = await services.integrations.get(orgId, id);
    return c.json({ push: pushView(await services.sync.getPush(orgId, row.id, push_id)) }, 200);
  },
);

syncApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/sync-jobs/{job_id}",
    tags,
    security,
    summary: "One sync job with its progress",
    request: {
      params: IdParam.extend({
        job_id: z
          .string()
          .max(64)
          .openapi({ param: { name: "job_id", in: "path" } }),
      }),
    },
    responses: { 200: jsonResponse(z.object({ job: SyncJobSchema }), "The job"), ...errorResponses },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const { id, job_id } = c.req.valid("param");
    const row = await services.integrations.get(orgId, id);
    const job = await services.sync.job(orgId, job_id);
    if (job.integrationId !== row.id) throw new ApiError(ErrorCode.NOT_FOUND, "Sync job not found");
    return c.json({ job: syncJobView(job) }, 200);
  },
);

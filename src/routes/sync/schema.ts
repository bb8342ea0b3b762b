/** zod schemas of the sync routes: they validate and they are the OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { limitJson } from "../../lib/json-limits.ts";
import { RECORD_KINDS } from "../../providers/sync.ts";
import { IdParam, PageQuery } from "../integrations/schema.ts";

const JOB_STATUSES = ["queued", "running", "paused", "success", "partial", "failed"] as const;
const DIRECTIONS = ["inbound", "outbound"] as const;

export const SyncJobSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    provider: z.string(),
    entity: z.string(),
    direction: z.enum(DIRECTIONS),
    trigger: z.string(),
    mode: z.enum(["full", "incremental"]),
    status: z.enum(JOB_STATUSES),
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
    resume_at: z
      .string()
      .nullable()
      .openapi({ description: "When a job paused by a rate limit, or retrying a failed page, goes on" }),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("SyncJob");

export const RecordSchema = z
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

export const PushSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    entity: z.string(),
    operation: z.enum(["create", "update", "delete"]),
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

export const ScheduleSchema = z.object({
  entity: z.string(),
  interval_minutes: z.number().nullable(),
  next_run_at: z.string().nullable(),
});

export const EntityParam = z.object({
  entity: z
    .string()
    .max(64)
    .openapi({ param: { name: "entity", in: "path" }, example: "customers" }),
});

export const StartBody = z
  .object({
    full: z
      .boolean()
      .optional()
      .openapi({ description: "Fetch everything, not only what changed since the last run" }),
  })
  .strict();

export const JobEnvelope = z.object({ job: SyncJobSchema });

export const EntityStatus = z.object({
  entity: z.string(),
  kind: z.enum(RECORD_KINDS),
  aliases: z.array(z.string()),
  incremental: z.boolean(),
  deletions: z.enum(["tombstones", "sweep"]),
  push: z.boolean(),
  state: z.enum(["idle", ...JOB_STATUSES]),
  watermark: z.string().nullable(),
  last_full_sync_at: z.string().nullable(),
  schedule: ScheduleSchema.omit({ entity: true }),
  current_job: SyncJobSchema.nullable(),
  last_job: SyncJobSchema.nullable(),
});

export const StatusResponse = z.object({
  integration_id: z.string(),
  provider: z.string(),
  last_sync_at: z.string().nullable(),
  entities: z.array(EntityStatus),
  jobs: z.array(SyncJobSchema),
});

export const HistoryQuery = PageQuery.extend({
  entity: z.string().max(64).optional(),
  status: z.enum(JOB_STATUSES).optional(),
  direction: z.enum(DIRECTIONS).optional(),
});

export const HistoryResponse = z.object({ logs: z.array(SyncJobSchema), next_cursor: z.string().nullable() });

export const ScheduleBody = z
  .object({
    interval_minutes: z.number().int().min(5).max(10080).nullable(),
    entities: z.array(z.string().max(64)).max(20).optional(),
  })
  .strict();

export const SchedulesResponse = z.object({ schedules: z.array(ScheduleSchema) });

export const RecordParams = IdParam.extend(EntityParam.shape);

export const RecordsQuery = PageQuery.extend({
  updated_since: z.iso.datetime({ offset: true }).optional(),
  include_deleted: z.enum(["true", "false"]).optional(),
  include_raw: z.enum(["true", "false"]).optional(),
  q: z.string().min(1).max(100).optional().openapi({
    description: "Only records with a value (at any depth of `data`) or provider id containing this text",
  }),
  format: z.enum(["json", "csv"]).optional().openapi({
    description:
      "`csv`: the records as a CSV download (up to 10,000; `X-Next-Cursor` names where the next export starts), ignoring `limit` and `include_raw`",
  }),
});

export const RecordsResponse = z.object({
  records: z.array(RecordSchema),
  next_cursor: z.string().nullable(),
});

export const RecordIdParams = RecordParams.extend({
  record_id: z
    .string()
    .max(200)
    .openapi({ param: { name: "record_id", in: "path" } }),
});

export const PushHeaders = z.object({ "idempotency-key": z.string().min(1).max(200).optional() });

export const PushBody = z
  .object({
    external_id: z.string().min(1).max(1024).optional().openapi({
      description:
        "The provider's id: the record to update or delete; on a create, the id to give the new record where the entity takes client-chosen ids (calendar events)",
    }),
    operation: z.enum(["create", "update", "delete"]).optional().openapi({
      description:
        "Default: update when `external_id` is given, else create. `delete` cancels the record where the entity allows it (calendar events)",
    }),
    data: limitJson(z.unknown()).optional().openapi({
      description: "The record's normalized data (required but for a delete)",
    }),
    options: limitJson(z.record(z.string(), z.unknown())).optional().openapi({
      description:
        "The entity's push options, e.g. calendar events' `send_updates` (`all`, `externalOnly`, `none`) and `check_availability`",
    }),
  })
  .strict();

export const PushEnvelope = z.object({ push: PushSchema });

export const PushIdParams = IdParam.extend({
  push_id: z
    .string()
    .max(64)
    .openapi({ param: { name: "push_id", in: "path" } }),
});

export const JobIdParams = IdParam.extend({
  job_id: z
    .string()
    .max(64)
    .openapi({ param: { name: "job_id", in: "path" } }),
});

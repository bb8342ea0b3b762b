/**
 * Starting and scheduling syncs: 003's `POST /{provider}/sync/{entity}` and
 * `GET /{provider}/sync-status` (a provider id, or an integration id in place of it), and an
 * integration's sync log and schedule.
 */
import { createRoute, type z } from "@hono/zod-openapi";
import { orgAuth } from "../../middleware/auth.ts";
import { scheduleView, syncJobView, syncStatusView } from "../../services/views.ts";
import { integrationIdOf, integrationRef } from "../integrations/input.ts";
import { IdParam, IntegrationIdQuery, ProviderParam } from "../integrations/schema.ts";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi.ts";
import {
  EntityParam,
  HistoryQuery,
  HistoryResponse,
  JobEnvelope,
  ScheduleBody,
  SchedulesResponse,
  StartBody,
  StatusResponse,
} from "./schema.ts";

export const syncJobsApi = createRouter();
const tags = ["Sync"];

syncJobsApi.openapi(
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
      202: jsonResponse(JobEnvelope, "Queued"),
      200: jsonResponse(JobEnvelope, "A job of this entity is already under way"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { provider, entity } = c.req.valid("param");
    const ref = integrationRef(provider, c.req.valid("query").integration_id);
    const body: z.infer<typeof StartBody> = c.req.valid("json") ?? {};
    const r = await c
      .get("services")
      .sync.startFor(auth.orgId, ref, entity, { full: body.full, trigger: "manual", actor: auth.actor });
    return c.json({ job: syncJobView(r.job) }, r.created ? 202 : 200);
  },
);

syncJobsApi.openapi(
  createRoute({
    method: "get",
    path: "/{provider}/sync-status",
    tags,
    security,
    summary: "Sync status of an integration (003): progress and history",
    description:
      "Per entity: the job under way with its progress (pages done, records so far, state, last cursor), the last finished job, the watermark and schedule; and the newest jobs.",
    request: { params: ProviderParam, query: IntegrationIdQuery },
    responses: { 200: jsonResponse(StatusResponse, "Status"), ...errorResponses },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const ref = integrationRef(c.req.valid("param").provider, c.req.valid("query").integration_id);
    const { row, status } = await c.get("services").sync.statusFor(orgId, ref);
    return c.json(syncStatusView(row, status), 200);
  },
);

syncJobsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/sync-logs",
    tags,
    security,
    summary: "Sync log of an integration, newest first (003 integration_sync_logs)",
    request: { params: IdParam, query: HistoryQuery },
    responses: { 200: jsonResponse(HistoryResponse, "Jobs"), ...errorResponses },
  }),
  async (c) => {
    const page = await c
      .get("services")
      .sync.historyFor(
        orgAuth(c).orgId,
        await integrationIdOf(c, c.req.valid("param").id),
        c.req.valid("query"),
      );
    return c.json({ logs: page.items.map(syncJobView), next_cursor: page.nextCursor }, 200);
  },
);

syncJobsApi.openapi(
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
      body: { required: true, content: { "application/json": { schema: ScheduleBody } } },
    },
    responses: { 200: jsonResponse(SchedulesResponse, "The schedules"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const states = await c
      .get("services")
      .sync.scheduleFor(
        orgAuth(c).orgId,
        await integrationIdOf(c, c.req.valid("param").id),
        body.entities,
        body.interval_minutes,
      );
    return c.json({ schedules: states.map(scheduleView) }, 200);
  },
);

/** GET /api/dashboard: messages and webhooks a day over the last days, and the latest sync runs. */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { createRouter, errorResponses, jsonResponse, security } from "./openapi.ts";

export const dashboardApi = createRouter();

const Daily = z.array(
  z.object({
    date: z.string().openapi({ example: "2026-12-04" }),
    total: z.number().int(),
    by_status: z.record(z.string(), z.number().int()),
  }),
);

const DashboardSchema = z
  .object({
    days: z.array(z.string()).openapi({ description: "The UTC dates covered, oldest first (today last)" }),
    messages: Daily.openapi({ description: "Messages created each day, by their status now" }),
    webhooks: Daily.openapi({ description: "Webhooks received each day, by their processing status now" }),
    sync_runs: z
      .array(
        z.object({
          id: z.string(),
          integration_id: z.string(),
          integration_name: z.string().nullable(),
          provider: z.string(),
          entity: z.string(),
          mode: z.string(),
          status: z.string(),
          pages_done: z.number().int(),
          records_synced: z.number().int(),
          records_failed: z.number().int(),
          started_at: z.string().nullable(),
          completed_at: z.string().nullable(),
        }),
      )
      .openapi({ description: "The latest sync runs, newest first (at most 10)" }),
  })
  .openapi("Dashboard");

dashboardApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Dashboard"],
    security,
    summary: "Messages and webhooks a day, and the latest sync runs",
    request: {
      query: z.object({ days: z.coerce.number().int().min(1).max(31).default(7) }),
    },
    responses: { 200: jsonResponse(DashboardSchema, "The dashboard"), ...errorResponses },
  }),
  async (c) => {
    const { days } = c.req.valid("query");
    const s = await c.get("services").dashboard.summary(orgAuth(c).orgId, days);
    return c.json(
      {
        days: s.dates,
        messages: s.messages,
        webhooks: s.webhooks,
        sync_runs: s.runs.map((r) => ({
          id: r.id,
          integration_id: r.integrationId,
          integration_name: r.integrationName,
          provider: r.provider,
          entity: r.entity,
          mode: r.mode,
          status: r.status,
          pages_done: r.pagesDone,
          records_synced: r.recordsSynced,
          records_failed: r.recordsFailed,
          started_at: r.startedAt,
          completed_at: r.completedAt,
        })),
      },
      200,
    );
  },
);

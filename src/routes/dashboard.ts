/** GET /api/dashboard: messages and webhooks a day over the last days, and the latest sync runs. */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { syncJobView } from "../services/views.ts";
import { createRouter, errorResponses, jsonResponse, security } from "./openapi.ts";
import { SyncJobSchema } from "./sync/schema.ts";

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
      .array(SyncJobSchema.extend({ integration_name: z.string().nullable() }))
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
        sync_runs: s.runs.map((r) => ({ ...syncJobView(r.job), integration_name: r.integrationName })),
      },
      200,
    );
  },
);

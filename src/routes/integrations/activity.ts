/** An integration's activity: its log, and a test of its connection. */
import { createRoute } from "@hono/zod-openapi";
import { orgAuth } from "../../middleware/auth.ts";
import { integrationLogView } from "../../services/views.ts";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi.ts";
import { integrationView } from "./input.ts";
import { IdParam, LogsResponse, PageQuery, TestResponse } from "./schema.ts";

export const activityApi = createRouter();
const tags = ["Integrations"];

activityApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/logs",
    tags,
    security,
    summary: "The integration's activity log, newest first",
    request: { params: IdParam, query: PageQuery },
    responses: { 200: jsonResponse(LogsResponse, "Log entries"), ...errorResponses },
  }),
  async (c) => {
    const page = await c
      .get("services")
      .integrations.logs(orgAuth(c).orgId, c.req.valid("param").id, c.req.valid("query"));
    return c.json({ logs: page.items.map(integrationLogView), next_cursor: page.nextCursor }, 200);
  },
);

activityApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/test",
    tags,
    security,
    summary: "Test the connection: the provider's cheapest authenticated call (rate limited per integration)",
    description:
      "Records the outcome on the integration (`status`, `last_error`, `error_count` reset on success, `last_sync_at`) and in its log. Answers 200 whether the provider accepted the credentials or not; `ok` says which. 429 with Retry-After past 5 tests a minute.",
    request: { params: IdParam },
    responses: {
      200: jsonResponse(TestResponse, "The outcome"),
      429: { description: "Too many tests of this integration; see Retry-After" },
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { outcome, row } = await c
      .get("services")
      .connections.test(auth.orgId, c.req.valid("param").id, auth.actor);
    return c.json({ ...outcome, integration: integrationView(c, row) }, 200);
  },
);

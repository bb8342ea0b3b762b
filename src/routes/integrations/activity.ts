/** An integration's activity: its log, a test of its connection, and registering its webhooks. */
import { createRoute } from "@hono/zod-openapi";
import { orgAuth } from "../../middleware/auth.ts";
import { integrationLogView } from "../../services/views.ts";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi.ts";
import { integrationIdOf, integrationView } from "./input.ts";
import { IdParam, LogsResponse, PageQuery, RegisterWebhooksResponse, TestResponse } from "./schema.ts";

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
      .integrations.logs(
        orgAuth(c).orgId,
        await integrationIdOf(c, c.req.valid("param").id),
        c.req.valid("query"),
      );
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
      "Records the outcome on the integration (`status`, `last_error`, `error_count` reset on success, `last_tested_at`; `last_sync_at` is for syncs only) and in its log. Answers 200 whether the provider accepted the credentials or not; `ok` says which. 429 with Retry-After past 5 tests a minute.",
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
      .connections.test(auth.orgId, await integrationIdOf(c, c.req.valid("param").id), auth.actor);
    return c.json({ ...outcome, integration: integrationView(c, row) }, 200);
  },
);

activityApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/webhooks/register",
    tags,
    security,
    summary:
      "Point the provider's webhooks for this integration at the hub (admin key; rate limited per integration)",
    description:
      "For providers whose webhooks are configured per account through their API (`capabilities.webhook_setup: \"register\"`: Telegram `setWebhook`, Mailgun domain webhooks, SendGrid's event webhook, Vonage's account callbacks, WhatsApp's `subscribed_apps`, an SES configuration set with an SNS topic, an SNS topic subscription), sets them to the integration's `webhook_url` and saves what the provider hands back for verifying them (a secret token, a signing key, a topic ARN). Recorded in the integration's log. `ok: false` with the provider's reason when it refused; `webhook` is the check afterwards, as test connection reports it in `details.webhook`. 400 for a provider without registration, 409 when required fields are missing or the hub has no PUBLIC_URL.",
    request: { params: IdParam },
    responses: {
      200: jsonResponse(RegisterWebhooksResponse, "The outcome"),
      429: { description: "Too many registrations of this integration; see Retry-After" },
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { outcome, row } = await c
      .get("services")
      .webhookSetups.register(auth.orgId, await integrationIdOf(c, c.req.valid("param").id), auth.actor);
    return c.json({ ...outcome, integration: integrationView(c, row) }, 200);
  },
);

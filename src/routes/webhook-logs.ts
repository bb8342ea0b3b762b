/**
 * Received provider webhooks, read back: 003's `GET /api/integrations/{provider}/webhook-logs`,
 * and per integration `GET /api/integrations/{id}/webhook-events` (one, and replay). Payloads
 * were redacted of secret-looking values when stored.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { webhookEventView } from "../services/views.ts";
import { integrationIdOf, pathProvider } from "./integrations/input.ts";
import { IdParam, PageQuery, ProviderParam } from "./integrations/schema.ts";
import { createRouter, errorResponses, jsonResponse, security } from "./openapi.ts";

export const webhookLogsApi = createRouter();
const tags = ["Webhooks"];

const WebhookEventSchema = z
  .object({
    id: z.string(),
    organization_id: z.string(),
    integration_id: z.string(),
    provider: z.string(),
    event_type: z.string(),
    provider_event_id: z.string().nullable(),
    payload: z.unknown(),
    processed: z.boolean(),
    status: z.enum(["pending", "processing", "processed", "failed", "ignored"]),
    attempts: z.number(),
    duplicates: z.number().openapi({ description: "Repeated deliveries acknowledged without a second row" }),
    result: z.record(z.string(), z.unknown()).nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: z
      .string()
      .nullable()
      .openapi({ description: "When a failed attempt's retry is due; null otherwise" }),
    received_at: z.string(),
    processed_at: z.string().nullable(),
  })
  .openapi("WebhookEvent");

const EventFilterQuery = PageQuery.extend({
  processed: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true"))
    .openapi({ description: "Only processed (true) or not yet processed (false) events" }),
  status: z.enum(["pending", "processing", "processed", "failed", "ignored"]).optional(),
  type: z.string().max(200).optional().openapi({ description: "Only events of this type" }),
});

const EventParam = IdParam.extend({
  event_id: z
    .string()
    .max(64)
    .openapi({ param: { name: "event_id", in: "path" } }),
});

webhookLogsApi.openapi(
  createRoute({
    method: "get",
    path: "/{provider}/webhook-logs",
    tags,
    security,
    summary: "Webhook history of a provider (003), newest first",
    request: {
      params: ProviderParam,
      query: EventFilterQuery.extend({ integration_id: z.uuid().optional() }),
    },
    responses: {
      200: jsonResponse(
        z.object({ logs: z.array(WebhookEventSchema), next_cursor: z.string().nullable() }),
        "Received webhooks",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const provider = pathProvider(c.req.valid("param").provider);
    const q = c.req.valid("query");
    const page = await c.get("services").webhooks.list(orgAuth(c).orgId, {
      provider: provider.id,
      integrationId: q.integration_id,
      processed: q.processed,
      status: q.status,
      type: q.type,
      cursor: q.cursor,
      limit: q.limit,
    });
    return c.json({ logs: page.items.map(webhookEventView), next_cursor: page.nextCursor }, 200);
  },
);

webhookLogsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/webhook-events",
    tags,
    security,
    summary: "Webhooks an integration received, newest first",
    request: { params: IdParam, query: EventFilterQuery },
    responses: {
      200: jsonResponse(
        z.object({ events: z.array(WebhookEventSchema), next_cursor: z.string().nullable() }),
        "Received webhooks",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const row = await services.integrations.get(orgId, await integrationIdOf(c, c.req.valid("param").id));
    const q = c.req.valid("query");
    const page = await services.webhooks.list(orgId, {
      integrationId: row.id,
      processed: q.processed,
      status: q.status,
      type: q.type,
      cursor: q.cursor,
      limit: q.limit,
    });
    return c.json({ events: page.items.map(webhookEventView), next_cursor: page.nextCursor }, 200);
  },
);

webhookLogsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/webhook-events/{event_id}",
    tags,
    security,
    summary: "One received webhook, with what processing did",
    request: { params: EventParam },
    responses: {
      200: jsonResponse(z.object({ event: WebhookEventSchema }), "The event"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { id: ref, event_id } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const row = await services.integrations.get(orgId, id);
    const event = await services.webhooks.get(orgId, row.id, event_id);
    return c.json({ event: webhookEventView(event) }, 200);
  },
);

webhookLogsApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/webhook-events/{event_id}/replay",
    tags,
    security,
    summary: "Process a received webhook again (after fixing the integration's configuration)",
    request: { params: EventParam },
    responses: {
      202: jsonResponse(z.object({ event: WebhookEventSchema }), "Queued for processing"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { id: ref, event_id } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const { orgId } = orgAuth(c);
    const services = c.get("services");
    const row = await services.integrations.get(orgId, id);
    const event = await services.webhooks.replay(orgId, row.id, event_id);
    return c.json({ event: webhookEventView(event) }, 202);
  },
);

/**
 * /api/event-endpoints: where an organization receives its events (Standard Webhooks), with the
 * delivery log, manual redelivery and test events; and /api/events, the organization's events.
 * Handlers are thin: they map the request onto the events service and its result onto a view.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { EVENT_TYPES, TEST_EVENT_TYPE } from "../services/events.ts";
import { attemptView, deliveryView, endpointView, eventView } from "../services/views.ts";
import { PageQuery } from "./integrations/schema.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "./openapi.ts";

export const eventEndpointsApi = createRouter();
export const eventsApi = createRouter();
const tags = ["Events"];

const DELIVERY_STATUSES = ["pending", "delivering", "succeeded", "failed"] as const;

// ---- schemas -------------------------------------------------------------------------------

const Url = z
  .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
  .max(2048)
  .openapi({ example: "https://app.example.com/webhooks/switchboard" });
const Description = z.string().trim().max(500).nullable();
const EventTypes = z
  .array(z.enum(EVENT_TYPES))
  .min(1)
  .max(EVENT_TYPES.length)
  .nullable()
  .transform((types) => (types ? [...new Set(types)] : null))
  .openapi({ description: "Event types delivered to this endpoint; null for every type" });

const CreateBody = z
  .strictObject({
    url: Url,
    description: Description.optional(),
    event_types: EventTypes.optional(),
  })
  .openapi("CreateEventEndpoint", {
    example: { url: "https://app.example.com/webhooks/switchboard", event_types: ["lead.created"] },
  });

const UpdateBody = z
  .strictObject({
    url: Url.optional(),
    description: Description.optional(),
    event_types: EventTypes.optional(),
    status: z
      .enum(["enabled", "disabled"])
      .optional()
      .openapi({ description: "Enabling an endpoint clears the reason it was disabled" }),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one of url, description, event_types, status",
  })
  .openapi("UpdateEventEndpoint", { example: { status: "enabled" } });

const EndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()).nullable(),
    status: z.enum(["enabled", "disabled"]),
    disabled_reason: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("EventEndpoint");

const SecretSchema = z.string().openapi({
  description: "The signing secret (`whsec_…`). Shown only in this answer; store it now.",
});

const EventSchema = z
  .object({
    id: z.string().openapi({ description: "Also the `webhook-id` header of its deliveries" }),
    type: z.string().openapi({ example: "lead.created" }),
    data: z.record(z.string(), z.unknown()),
    created_at: z.string().openapi({ description: "Also the `timestamp` field of the delivered body" }),
  })
  .openapi("Event");

const DeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    event_type: z.string().nullable(),
    endpoint_id: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().openapi({ description: "Attempts made so far" }),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi("EventDelivery");

const AttemptSchema = z
  .object({
    id: z.string(),
    attempt: z.number(),
    status_code: z.number().nullable(),
    latency_ms: z.number(),
    error: z.string().nullable(),
    response_body: z.string().nullable().openapi({ description: "The first KiB of the endpoint's answer" }),
    created_at: z.string(),
  })
  .openapi("EventAttempt");

const pathParam = (name: string, description: string) =>
  z
    .string()
    .max(64)
    .openapi({ param: { name, in: "path" }, description });
const IdParam = z.object({ id: pathParam("id", "Event endpoint id (`ep_…`)") });
const DeliveryParams = IdParam.extend({ deliveryId: pathParam("deliveryId", "Delivery id (`dlv_…`)") });

const EndpointEnvelope = z.object({ endpoint: EndpointSchema });
const DeliveryEnvelope = z.object({ delivery: DeliverySchema });

// ---- endpoints -----------------------------------------------------------------------------

eventEndpointsApi.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    security,
    summary: "Register an endpoint for the organization's events (admin key)",
    description:
      "The URL must be https and public. The answer holds the signing secret, which is never shown again.",
    request: { body: jsonBody(CreateBody) },
    responses: {
      201: jsonResponse(z.object({ endpoint: EndpointSchema, secret: SecretSchema }), "Created"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const b = c.req.valid("json");
    const r = await c
      .get("services")
      .events.createEndpoint(
        auth.orgId,
        { url: b.url, description: b.description, eventTypes: b.event_types },
        auth.actor,
      );
    return c.json({ endpoint: endpointView(r.endpoint), secret: r.secret }, 201);
  },
);

eventEndpointsApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    security,
    summary: "List the organization's event endpoints, newest first",
    request: { query: PageQuery },
    responses: {
      200: jsonResponse(
        z.object({ endpoints: z.array(EndpointSchema), next_cursor: z.string().nullable() }),
        "Endpoints",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const page = await c.get("services").events.listEndpoints(orgAuth(c).orgId, c.req.valid("query"));
    return c.json({ endpoints: page.items.map(endpointView), next_cursor: page.nextCursor }, 200);
  },
);

eventEndpointsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags,
    security,
    summary: "An event endpoint (never its secret)",
    request: { params: IdParam },
    responses: { 200: jsonResponse(EndpointEnvelope, "The endpoint"), ...errorResponses },
  }),
  async (c) => {
    const e = await c.get("services").events.getEndpoint(orgAuth(c).orgId, c.req.valid("param").id);
    return c.json({ endpoint: endpointView(e) }, 200);
  },
);

eventEndpointsApi.openapi(
  createRoute({
    method: "patch",
    path: "/{id}",
    tags,
    security,
    summary: "Change an endpoint's URL, description, event types, or enable/disable it (admin key)",
    request: { params: IdParam, body: jsonBody(UpdateBody) },
    responses: { 200: jsonResponse(EndpointEnvelope, "Updated"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const b = c.req.valid("json");
    const e = await c
      .get("services")
      .events.updateEndpoint(
        auth.orgId,
        c.req.valid("param").id,
        { url: b.url, description: b.description, eventTypes: b.event_types, status: b.status },
        auth.actor,
      );
    return c.json({ endpoint: endpointView(e) }, 200);
  },
);

eventEndpointsApi.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags,
    security,
    summary: "Delete an endpoint and its delivery log (admin key)",
    request: { params: IdParam },
    responses: {
      200: jsonResponse(z.object({ deleted: z.literal(true), id: z.string() }), "Deleted"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const e = await c.get("services").events.deleteEndpoint(auth.orgId, c.req.valid("param").id, auth.actor);
    return c.json({ deleted: true as const, id: e.id }, 200);
  },
);

eventEndpointsApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/rotate-secret",
    tags,
    security,
    summary: "Replace the signing secret (admin key); the old one also signs for 24 hours",
    description:
      "The new secret is shown only in this answer. Until `previous_secret_expires_at` every delivery carries two `v1,` signatures, one per secret.",
    request: { params: IdParam },
    responses: {
      200: jsonResponse(
        z.object({
          endpoint: EndpointSchema,
          secret: SecretSchema,
          previous_secret_expires_at: z.string(),
        }),
        "Rotated",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const r = await c.get("services").events.rotateSecret(auth.orgId, c.req.valid("param").id, auth.actor);
    return c.json(
      {
        endpoint: endpointView(r.endpoint),
        secret: r.secret,
        previous_secret_expires_at: r.previousExpiresAt,
      },
      200,
    );
  },
);

eventEndpointsApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/test",
    tags,
    security,
    summary: `Send a \`${TEST_EVENT_TYPE}\` event to this endpoint only (admin key; answers 202)`,
    request: { params: IdParam },
    responses: {
      202: jsonResponse(z.object({ event: EventSchema, delivery: DeliverySchema }), "Queued"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const r = await c.get("services").events.sendTest(auth.orgId, c.req.valid("param").id, auth.actor);
    return c.json({ event: eventView(r.event), delivery: deliveryView(r.delivery) }, 202);
  },
);

// ---- the delivery log ----------------------------------------------------------------------

eventEndpointsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/deliveries",
    tags,
    security,
    summary: "The endpoint's deliveries, newest first",
    request: {
      params: IdParam,
      query: PageQuery.extend({ status: z.enum(DELIVERY_STATUSES).optional() }),
    },
    responses: {
      200: jsonResponse(
        z.object({ deliveries: z.array(DeliverySchema), next_cursor: z.string().nullable() }),
        "Deliveries",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const page = await c
      .get("services")
      .events.listDeliveries(orgAuth(c).orgId, c.req.valid("param").id, c.req.valid("query"));
    return c.json({ deliveries: page.items.map(deliveryView), next_cursor: page.nextCursor }, 200);
  },
);

eventEndpointsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/deliveries/{deliveryId}",
    tags,
    security,
    summary: "A delivery with every attempt (status code, latency, error, start of the answer)",
    request: { params: DeliveryParams },
    responses: {
      200: jsonResponse(
        z.object({ delivery: DeliverySchema, attempts: z.array(AttemptSchema) }),
        "The delivery",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { orgId } = orgAuth(c);
    const { id, deliveryId } = c.req.valid("param");
    const { events } = c.get("services");
    const d = await events.getDelivery(orgId, id, deliveryId);
    const attempts = await events.listAttempts(orgId, d.id);
    return c.json({ delivery: deliveryView(d), attempts: attempts.map(attemptView) }, 200);
  },
);

eventEndpointsApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/deliveries/{deliveryId}/redeliver",
    tags,
    security,
    summary: "Deliver again now, with a new round of retries (admin key; answers 202)",
    request: { params: DeliveryParams },
    responses: { 202: jsonResponse(DeliveryEnvelope, "Queued"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { id, deliveryId } = c.req.valid("param");
    const d = await c.get("services").events.redeliver(auth.orgId, id, deliveryId, auth.actor);
    return c.json({ delivery: deliveryView(d) }, 202);
  },
);

// ---- /api/events ---------------------------------------------------------------------------

eventsApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    security,
    summary: "The organization's events, newest first",
    request: {
      query: PageQuery.extend({ type: z.enum([...EVENT_TYPES, TEST_EVENT_TYPE]).optional() }),
    },
    responses: {
      200: jsonResponse(
        z.object({ events: z.array(EventSchema), next_cursor: z.string().nullable() }),
        "Events",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const page = await c.get("services").events.listEvents(orgAuth(c).orgId, c.req.valid("query"));
    return c.json({ events: page.items.map(eventView), next_cursor: page.nextCursor }, 200);
  },
);

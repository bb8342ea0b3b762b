/**
 * Public webhook ingestion; no API key, the provider's signature is the authentication:
 * - `/webhooks/{provider}/{integration_id}`: each integration's own URL (its `webhook_url`);
 * - `/api/integrations/{provider}/webhook?integration_id=` or `?org_id=` (003);
 * - `/webhook?org_id=` (001, Meta): routed to the organization's Meta integration whose
 *   `page_id` (or account id) the event names.
 * Bodies over 256 KiB get 413 before they are read; the raw bytes go to the provider module.
 */

import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { limitBody } from "../middleware/body.ts";
import { ORG_CALLBACK_PROVIDERS } from "../providers/registry.ts";
import type { WebhookRequest } from "../providers/webhooks.ts";
import { MAX_WEBHOOK_BYTES } from "../services/webhooks.ts";
import { ErrorSchema } from "./openapi.ts";

async function webhookRequest(c: Context<AppEnv>): Promise<WebhookRequest> {
  const body = new Uint8Array(await c.req.arrayBuffer());
  return { method: c.req.method, url: c.req.url, headers: c.req.raw.headers, body };
}

/** Runs work after the response (the queue send), keeping the isolate alive for it. */
const deferTo = (c: Context<AppEnv>) => (work: Promise<unknown>) => {
  const logged = work.catch((e) =>
    c
      .get("log")
      .error("deferred webhook work failed", { reason: e instanceof Error ? e.message : String(e) }),
  );
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context (a direct app.fetch): the promise still runs to completion.
  }
};

export const webhooksApi = new Hono<AppEnv>();
const METHODS = ["GET", "HEAD", "POST"];

const limit = limitBody(MAX_WEBHOOK_BYTES);

webhooksApi.on(METHODS, "/webhooks/:provider/:id", limit, async (c) =>
  c
    .get("services")
    .webhooks.receive(c.req.param("provider"), c.req.param("id"), await webhookRequest(c), deferTo(c)),
);

webhooksApi.on(METHODS, "/api/integrations/:provider/webhook", limit, async (c) => {
  const services = c.get("services");
  const provider = c.req.param("provider");
  const integrationId = c.req.query("integration_id");
  const orgId = c.req.query("org_id");
  const req = await webhookRequest(c);
  if (integrationId) return services.webhooks.receive(provider, integrationId, req, deferTo(c));
  if (orgId) return services.webhooks.receiveForOrg([provider], orgId, req, deferTo(c));
  throw new ApiError(
    ErrorCode.BAD_REQUEST,
    "Name the receiving integration with ?integration_id= (or the organization with ?org_id=)",
    { issues: [{ path: "integration_id", message: "required" }] },
  );
});

webhooksApi.on(METHODS, "/webhook", limit, async (c) => {
  const orgId = c.req.query("org_id");
  if (!orgId) {
    throw new ApiError(ErrorCode.BAD_REQUEST, "Name the organization with ?org_id=", {
      issues: [{ path: "org_id", message: "required" }],
    });
  }
  return c
    .get("services")
    .webhooks.receiveForOrg(ORG_CALLBACK_PROVIDERS, orgId, await webhookRequest(c), deferTo(c));
});

/**
 * The public webhook routes in the OpenAPI document (they take any body, raw). Each path takes
 * the methods of `METHODS`: POST deliveries, and GET and HEAD for URL checks (Meta's
 * `hub.challenge`, Mandrill's HEAD) or deliveries by GET (Vonage, Plivo).
 */
export function documentWebhookRoutes(registry: OpenAPIHono<AppEnv>["openAPIRegistry"]) {
  const tags = ["Webhooks"];
  const error = (description: string) => ({
    description,
    content: { "application/json": { schema: ErrorSchema } },
  });
  const responses = {
    200: {
      description: "Verified and stored (or a repeat, acknowledged); the body is what the provider expects",
    },
    400: error("Unknown provider, or no integration or organization named"),
    401: error("Missing or invalid signature, or no secret to verify with; nothing stored"),
    403: error("A URL check (Meta's hub.challenge) with the wrong verify token"),
    404: error("No such webhook endpoint"),
    413: error("Body larger than 256 KiB"),
  };
  const checkResponses = {
    ...responses,
    200: {
      description:
        "A URL check answered (Meta: the `hub.challenge` value as text/plain; Mandrill: an empty 200), or a delivery by GET verified and stored",
      content: {
        "text/plain": { schema: z.string() },
        "application/json": { schema: z.object({ received: z.boolean() }).catchall(z.unknown()) },
      },
    },
  };
  const body = {
    description: "The provider's request, exactly as it sent it",
    content: { "*/*": { schema: z.string().openapi({ format: "binary" }) } },
  };
  // Meta's subscription check (https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
  const handshake = z.object({
    "hub.mode": z
      .string()
      .optional()
      .openapi({ description: "Meta's URL check: `subscribe`", example: "subscribe" }),
    "hub.verify_token": z
      .string()
      .optional()
      .openapi({ description: "Meta's URL check: the integration's `webhook_verify_token`" }),
    "hub.challenge": z.string().optional().openapi({
      description: "Meta's URL check: echoed back when the verify token matches",
      example: "1158201444",
    }),
  });
  const routes: {
    path: string;
    /** Which URL this is, for the summaries. */
    url: string;
    summary: string;
    description: string;
    params?: z.ZodObject;
    query?: z.ZodObject;
  }[] = [
    {
      path: "/webhooks/{provider}/{integration_id}",
      url: "an integration's own URL",
      summary: "Receive a provider's webhook at an integration's own URL (its webhook_url)",
      description: "No API key: the provider's signature authenticates.",
      params: z.object({ provider: z.string(), integration_id: z.string() }),
    },
    {
      path: "/api/integrations/{provider}/webhook",
      url: "003's URL",
      summary: "Receive a provider's webhook (003); no API key",
      description: "No API key: the provider's signature authenticates.",
      params: z.object({ provider: z.string() }),
      query: z.object({
        integration_id: z.string().optional().openapi({ description: "The receiving integration" }),
        org_id: z
          .string()
          .optional()
          .openapi({ description: "Or the organization, with one integration of the provider" }),
      }),
    },
    {
      path: "/webhook",
      url: "001's Meta URL",
      summary: "Receive Meta webhooks at 001's URL, routed by page id",
      description:
        "No API key: the app secret's signature authenticates. The organization's Meta integration whose `page_id` (or account id) the event names receives it.",
      query: z.object({ org_id: z.string() }),
    },
  ];
  for (const r of routes) {
    const params = r.params ? { params: r.params } : {};
    const query = r.query ? { query: r.query } : {};
    registry.registerPath({
      method: "post",
      path: r.path,
      tags,
      security: [],
      summary: r.summary,
      description: `${r.description} GET and HEAD answer URL checks.`,
      request: { ...params, ...query, body },
      responses,
    });
    registry.registerPath({
      method: "get",
      path: r.path,
      tags,
      security: [],
      summary: `Answer a provider's URL check (or take a delivery by GET) at ${r.url}`,
      description: `${r.description} A GET is a URL check where the provider makes one (Meta's \`hub.challenge\`, answered when \`hub.verify_token\` matches the integration's, 403 otherwise); for other providers it is a delivery by GET (Vonage, Plivo), verified like a POST.`,
      request: { ...params, query: r.query ? r.query.extend(handshake.shape) : handshake },
      responses: checkResponses,
    });
    registry.registerPath({
      method: "head",
      path: r.path,
      tags,
      security: [],
      summary: `Answer a provider's URL check by HEAD at ${r.url}`,
      description: `${r.description} A HEAD is a URL check where the provider makes one (Mandrill checks that the URL answers before it saves it); for other providers it is verified like a delivery.`,
      request: { ...params, ...query },
      responses: { ...responses, 200: { description: "The URL check answered (no body)" } },
    });
  }
}

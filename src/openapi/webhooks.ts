/**
 * The public webhook routes (src/routes/webhooks.ts) in the OpenAPI document: plain routes that
 * take any body, raw, so they are described here rather than by a route definition.
 */
import { z } from "@hono/zod-openapi";
import { ErrorSchema } from "../routes/openapi.ts";
import type { Registry } from "./registry.ts";

/**
 * The public webhook routes in the OpenAPI document (they take any body, raw). Each path takes
 * the methods of `METHODS`: POST deliveries, and GET and HEAD for URL checks (Meta's
 * `hub.challenge`, Mandrill's HEAD) or deliveries by GET (Vonage, Plivo).
 */
export function describeWebhookRoutes(registry: Registry) {
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

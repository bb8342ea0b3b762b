/** /api/suppressions: recipients no message is sent to, per channel. */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { CHANNELS, suppressionView } from "../services/messages.ts";
import { PageQuery } from "./integrations/schema.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "./openapi.ts";

export const suppressionsApi = createRouter();
const tags = ["Suppressions"];

const SuppressionSchema = z
  .object({
    id: z.string(),
    channel: z.string(),
    address: z
      .string()
      .openapi({ description: "As the channel compares it: an email lower-cased, a number in E.164" }),
    reason: z.enum(["manual", "hard_bounce", "complaint", "unsubscribe"]),
    source: z
      .string()
      .nullable()
      .openapi({ description: "What added it: `api`, or the message or webhook event" }),
    note: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Suppression");
const AddSuppression = z
  .object({
    channel: z.enum(CHANNELS),
    address: z.string().trim().min(1).max(320),
    reason: z.enum(["manual", "hard_bounce", "complaint", "unsubscribe"]).default("manual"),
    note: z.string().max(500).optional(),
  })
  .openapi("AddSuppression", {
    example: { channel: "email", address: "ada@example.com", note: "asked by phone" },
  });

suppressionsApi.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    security,
    summary: "Suppress a recipient on a channel",
    description:
      "Sends to it on that channel are refused with 422 RECIPIENT_SUPPRESSED from then on. The hub adds entries itself for hard bounces and complaints that providers report, and for inbound STOP/UNSUBSCRIBE replies. Adding one that exists answers it (200).",
    request: { body: jsonBody(AddSuppression) },
    responses: {
      201: jsonResponse(z.object({ suppression: SuppressionSchema }), "Added"),
      200: jsonResponse(z.object({ suppression: SuppressionSchema }), "Already suppressed"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const b = c.req.valid("json");
    const r = await c.get("services").suppressions.add(orgAuth(c).orgId, { ...b, source: "api" });
    return c.json({ suppression: suppressionView(r.row) }, r.created ? 201 : 200);
  },
);

suppressionsApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    security,
    summary: "List suppressions, newest first",
    request: {
      query: PageQuery.extend({
        channel: z.enum(CHANNELS).optional(),
        address: z
          .string()
          .max(320)
          .optional()
          .openapi({ description: "With `channel`: that recipient only" }),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({ suppressions: z.array(SuppressionSchema), next_cursor: z.string().nullable() }),
        "Suppressions",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const page = await c.get("services").suppressions.list(orgAuth(c).orgId, c.req.valid("query"));
    return c.json({ suppressions: page.items.map(suppressionView), next_cursor: page.nextCursor }, 200);
  },
);

suppressionsApi.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags,
    security,
    summary: "Remove a suppression: the recipient may be sent to again",
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: { 204: { description: "Removed" }, ...errorResponses },
  }),
  async (c) => {
    await c.get("services").suppressions.delete(orgAuth(c).orgId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

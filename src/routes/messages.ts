/** /api/messages: send a message through a chosen or default integration, and follow its status. */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { CHANNELS, channelIssues, messageView, timelineView } from "../services/messages.ts";
import { createRouter, errorResponse, errorResponses, jsonBody, jsonResponse, security } from "./openapi.ts";

export const messagesApi = createRouter();

const MESSAGE_STATUSES = [
  "scheduled",
  "queued",
  "sending",
  "sent",
  "delivered",
  "failed",
  "received",
  "cancelled",
] as const;
const tags = ["Messages"];

export const SendBody = z
  .object({
    integration_id: z.uuid().optional().openapi({ description: "Send through this integration" }),
    channel: z
      .enum(CHANNELS)
      .optional()
      .openapi({ description: "Or through the organization's default integration of this channel" }),
    to: z.string().trim().min(1).max(320),
    subject: z.string().min(1).max(998).optional(),
    text: z.string().min(1).max(65_536).optional(),
    html: z.string().min(1).max(1_000_000).optional(),
    template: z
      .object({
        name: z.string().min(1).max(512),
        language: z.string().min(2).max(15).default("en_US"),
        params: z.array(z.string().max(1024)).max(50).default([]),
      })
      .optional()
      .openapi({ description: "WhatsApp template message" }),
    template_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "A stored template (/api/templates) to send instead of subject/text/html" }),
    template_version: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: "That template's version (default: the current one)" }),
    variables: z
      .record(z.string().max(64), z.union([z.string().max(65_536), z.number(), z.boolean()]))
      .optional()
      .openapi({ description: "The template's `{{variables}}`; a missing one is a 400 naming it" }),
    send_at: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "Send at this time (up to 30 days ahead): the answer is `scheduled`" }),
  })
  .superRefine((b, ctx) => {
    if (!b.channel || b.template_id) return;
    for (const issue of channelIssues(b.channel, b))
      ctx.addIssue({ code: "custom", path: [issue.path], message: issue.message });
  })
  .openapi("SendMessage", { example: { channel: "sms", to: "+14155550123", text: "Your code is 123456" } });

const MessageSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    provider: z.string(),
    channel: z.string(),
    to: z.string(),
    direction: z.enum(["outbound", "inbound"]),
    status: z.enum(MESSAGE_STATUSES),
    sandbox: z.boolean(),
    attempts: z.number(),
    provider_message_id: z.string().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    sent_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
  })
  .catchall(z.unknown())
  .openapi("Message");

const TimelineStep = z
  .object({
    step: z.enum(["scheduled", "queued", "retry", "sent", "receipt", "failed", "cancelled"]).openapi({
      description:
        "`scheduled`: accepted to be sent at `detail`; `queued`: accepted; `cancelled`: cancelled before it was sent; `retry`: an attempt failed and another is due at `detail`; `sent`: the provider accepted it (`detail`: its id); `receipt`: the provider's delivery report (`detail`: its word, e.g. `delivery`, `open`); `failed`: given up (`error` says why).",
    }),
    status: z.string().openapi({ description: "The message's status after this step" }),
    detail: z.string().nullable(),
    error: z.string().nullable(),
    at: z.string(),
  })
  .openapi("MessageTimelineStep");

messagesApi.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    security,
    summary: "Send a message (queued; answers 202)",
    description:
      "Validates the recipient and content for the channel, stores the message `queued` and sends it from the queue, retrying with backoff on 429/5xx/timeouts. With `template_id` (and `variables`) the content is a stored template's, rendered; the message records `template_id` and `template_version`. With `send_at` it is `scheduled` and sent within a minute of that time (cancel it with POST …/{id}/cancel). A recipient on the channel's suppression list is a 422 and nothing is stored. With an `Idempotency-Key` header, repeating the request returns the first message; the same key with another body is 409.",
    request: {
      body: jsonBody(SendBody),
      headers: z.object({ "idempotency-key": z.string().min(1).max(255).optional() }),
    },
    responses: {
      202: jsonResponse(z.object({ message: MessageSchema }), "Accepted"),
      ...errorResponses,
      422: errorResponse("The recipient is on the channel's suppression list (RECIPIENT_SUPPRESSED)"),
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const body = c.req.valid("json");
    const { messages } = c.get("services");
    const input = {
      integrationId: body.integration_id,
      channel: body.channel,
      to: body.to,
      subject: body.subject,
      text: body.text,
      html: body.html,
      template: body.template,
      templateId: body.template_id,
      templateVersion: body.template_version,
      variables: body.variables,
      sendAt: body.send_at,
    };
    const r = await messages.submit(auth.orgId, input, c.req.valid("header")["idempotency-key"]);
    if (r.replayed) c.header("Idempotent-Replayed", "true");
    return c.json({ message: messageView(r.message) }, 202);
  },
);

messagesApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    security,
    summary: "List messages, newest first",
    request: {
      query: z.object({
        status: z.enum(MESSAGE_STATUSES).optional(),
        direction: z.enum(["outbound", "inbound"]).optional(),
        channel: z.enum(CHANNELS).optional(),
        integration_id: z.uuid().optional(),
        cursor: z.string().max(512).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({ messages: z.array(MessageSchema), next_cursor: z.string().nullable() }),
        "Messages",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = await c.get("services").messages.list(orgAuth(c).orgId, {
      status: q.status,
      direction: q.direction,
      channel: q.channel,
      integrationId: q.integration_id,
      cursor: q.cursor,
      limit: q.limit,
    });
    return c.json({ messages: page.items.map(messageView), next_cursor: page.nextCursor }, 200);
  },
);

const Counts = z.object({
  total: z.number(),
  sent: z.number().openapi({ description: "Accepted by the provider (sent, or further)" }),
  delivered: z.number(),
  failed: z.number(),
  bounced: z.number().openapi({ description: "With a bounce receipt (where the provider reports one)" }),
  opened: z
    .number()
    .openapi({ description: "With an open or read receipt (where the provider reports one)" }),
  clicked: z.number().openapi({ description: "With a click receipt (where the provider reports one)" }),
  delivery_rate: z.number().nullable().openapi({
    description:
      "delivered / sent; null when none was sent or the provider reports no receipts (totals: over the groups that do)",
  }),
  median_delivery_seconds: z
    .number()
    .nullable()
    .openapi({ description: "The median time from sent to delivered" }),
});

messagesApi.openapi(
  createRoute({
    method: "get",
    path: "/analytics",
    tags,
    security,
    summary: "Delivery analytics of a period, by day, integration or channel",
    description:
      "Outbound messages created in [`from`, `to`) (default: the last 7 days; at most 92), grouped by `group_by` (`day`, the default; `integration`; `channel`), with totals. `from` and `to` are ISO 8601 dates or times.",
    request: {
      query: z.object({
        from: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
        to: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
        group_by: z.enum(["day", "integration", "channel"]).default("day"),
      }),
    },
    responses: {
      200: jsonResponse(
        z
          .object({
            from: z.string(),
            to: z.string(),
            group_by: z.enum(["day", "integration", "channel"]),
            groups: z.array(Counts.extend({ key: z.string() })),
            totals: Counts,
          })
          .openapi("MessageAnalytics"),
        "The period's counts",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const r = await c.get("services").messages.analyticsFor(orgAuth(c).orgId, q);
    return c.json({ ...r, group_by: q.group_by }, 200);
  },
);

messagesApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags,
    security,
    summary: "A message, its delivery status and its timeline",
    description:
      "`timeline` lists each step the message went through, oldest first: queued, each retry with its reason, sent, every delivery receipt the provider reported, failed.",
    request: { params: z.object({ id: z.string().max(64) }) },
    responses: {
      200: jsonResponse(
        z.object({ message: MessageSchema.extend({ timeline: z.array(TimelineStep) }) }),
        "The message",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { message: m, timeline } = await c
      .get("services")
      .messages.withTimeline(orgAuth(c).orgId, c.req.valid("param").id);
    return c.json({ message: { ...messageView(m), timeline: timeline.map(timelineView) } }, 200);
  },
);

messagesApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/cancel",
    tags,
    security,
    summary: "Cancel a scheduled or queued message",
    description:
      "Before it is sent, the message becomes `cancelled` and is never sent. Once a send has started (or it was sent, failed or cancelled already) the answer is 409 and nothing changes.",
    request: { params: z.object({ id: z.string().max(64) }) },
    responses: { 200: jsonResponse(z.object({ message: MessageSchema }), "Cancelled"), ...errorResponses },
  }),
  async (c) => {
    const m = await c.get("services").messages.cancel(orgAuth(c).orgId, c.req.valid("param").id);
    return c.json({ message: messageView(m) }, 200);
  },
);

/**
 * The job engine as an organization sees it: `GET /api/dead-letters` (jobs that ended without
 * success, with their reason), one of them, and `GET /api/jobs/stats` (how each kind's attempts
 * ended). Any key of the organization may read them.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../middleware/auth.ts";
import { deadLetterView } from "../services/views.ts";
import { PageQuery } from "./integrations/schema.ts";
import { createRouter, errorResponses, jsonResponse, security } from "./openapi.ts";

export const deadLettersApi = createRouter();
export const jobsApi = createRouter();

const KINDS = ["message.send", "webhook.process", "event.deliver", "sync.page", "record.push"] as const;

const DeadLetterSchema = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ description: `The kind of job: ${KINDS.join(", ")}` }),
    ref_id: z.string().openapi({
      description: "The row the job worked on: a message, webhook event, delivery, sync job or push",
    }),
    cause: z.enum(["permanent", "exhausted", "queue"]).openapi({
      description:
        "`permanent`: the provider refused it; `exhausted`: every attempt failed; `queue`: the queue gave up delivering its message (the store was failing); an open row is re-driven by the cron",
    }),
    reason: z.string(),
    attempts: z.number().int(),
    created_at: z.string(),
  })
  .openapi("DeadLetter");

deadLettersApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Jobs"],
    security,
    summary: "Dead letters: background jobs that ended without success, newest first",
    request: {
      query: PageQuery.extend({
        kind: z.enum(KINDS).optional(),
        ref_id: z.string().max(128).optional().openapi({ description: "Only those about this row" }),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({ dead_letters: z.array(DeadLetterSchema), next_cursor: z.string().nullable() }),
        "Dead letters",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = await c.get("services").jobs.listDeadLetters(orgAuth(c).orgId, {
      kind: q.kind,
      refId: q.ref_id,
      cursor: q.cursor,
      limit: q.limit,
    });
    return c.json({ dead_letters: page.items.map(deadLetterView), next_cursor: page.nextCursor }, 200);
  },
);

deadLettersApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags: ["Jobs"],
    security,
    summary: "One dead letter",
    request: { params: z.object({ id: z.string().max(128) }) },
    responses: {
      200: jsonResponse(z.object({ dead_letter: DeadLetterSchema }), "The dead letter"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const row = await c.get("services").jobs.getDeadLetter(orgAuth(c).orgId, c.req.valid("param").id);
    return c.json({ dead_letter: deadLetterView(row) }, 200);
  },
);

jobsApi.openapi(
  createRoute({
    method: "get",
    path: "/stats",
    tags: ["Jobs"],
    security,
    summary: "How the attempts of each kind of background job ended",
    description:
      "Per kind, the number of attempts that `succeeded`, were `retried`, `crashed` (an internal error, retried), " +
      "were `dead_lettered`, or were `superseded` (a late worker whose lease another worker had taken over).",
    responses: {
      200: jsonResponse(
        z.object({ kinds: z.record(z.string(), z.record(z.string(), z.number().int())) }),
        "Counters per kind",
      ),
      ...errorResponses,
    },
  }),
  async (c) => c.json({ kinds: await c.get("services").jobs.stats(orgAuth(c).orgId) }, 200),
);

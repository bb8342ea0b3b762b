/**
 * An integration's records: a page of an entity's (paginated, `updated_since`), one record, and
 * outward pushes under `Idempotency-Key`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../../middleware/auth.ts";
import { pushView, recordView } from "../../services/views.ts";
import { integrationIdOf } from "../integrations/input.ts";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi.ts";
import {
  PushBody,
  PushEnvelope,
  PushHeaders,
  RecordIdParams,
  RecordParams,
  RecordSchema,
  RecordsQuery,
  RecordsResponse,
} from "./schema.ts";

export const syncRecordsApi = createRouter();
const tags = ["Sync"];

syncRecordsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/records/{entity}",
    tags,
    security,
    summary: "Records of an integration",
    description:
      "Normalized records with the provider's id, in a stable order: a page walk neither skips nor repeats a record while syncs run. `updated_since` keeps those changed at or after it (ISO 8601); `q` those with a value containing the text; deleted records only with `include_deleted=true`. `format=csv` answers a CSV download instead (a sign-up page's leads are its `contacts`).",
    request: { params: RecordParams, query: RecordsQuery },
    responses: {
      200: {
        description: "Records (as CSV with `format=csv`)",
        content: {
          "application/json": { schema: RecordsResponse },
          "text/csv": {
            schema: z.string().openapi({ example: "id,external_id,created_at,updated_at,email\r\n" }),
          },
        },
        headers: z.object({
          "x-next-cursor": z
            .string()
            .optional()
            .openapi({ description: "CSV only: the cursor of the next export" }),
        }),
      },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { id: ref, entity } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const q = c.req.valid("query");
    const filter = {
      cursor: q.cursor,
      updatedSince: q.updated_since ? new Date(q.updated_since).toISOString() : undefined,
      includeDeleted: q.include_deleted === "true",
      q: q.q,
    };
    if (q.format === "csv") {
      const out = await c.get("services").sync.exportFor(orgAuth(c).orgId, id, entity, filter);
      return c.body(out.csv, 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${entity.replace(/[^\w.-]/g, "_")}.csv"`,
        ...(out.nextCursor ? { "x-next-cursor": out.nextCursor } : {}),
      });
    }
    const page = await c.get("services").sync.recordsFor(orgAuth(c).orgId, id, entity, {
      ...filter,
      limit: q.limit,
    });
    return c.json(
      {
        records: page.items.map((r) => recordView(r, q.include_raw === "true")),
        next_cursor: page.nextCursor,
      },
      200,
    );
  },
);

syncRecordsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/records/{entity}/{record_id}",
    tags,
    security,
    summary: "One record, by its id or the provider's id, with the provider's item",
    request: { params: RecordIdParams },
    responses: { 200: jsonResponse(z.object({ record: RecordSchema }), "The record"), ...errorResponses },
  }),
  async (c) => {
    const { id: ref, entity, record_id } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const record = await c.get("services").sync.recordFor(orgAuth(c).orgId, id, entity, record_id);
    return c.json({ record: recordView(record, true) }, 200);
  },
);

syncRecordsApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/records/{entity}",
    tags,
    security,
    summary: "Create or update a record at the provider (outward sync)",
    description:
      "Validates `data` against the entity's normalized schema and queues the push; with `external_id` it updates that record, without it creates one. " +
      "The same `Idempotency-Key` answers the first push again (200); with another body it is a 409. Poll `GET …/pushes/{push_id}` for the provider's id. " +
      "Calendar events also take `operation: delete` (cancel), a client-chosen `external_id` on create, and `options` (`send_updates`, `check_availability`: a busy slot is refused with 409 before anything is queued).",
    request: {
      params: RecordParams,
      headers: PushHeaders,
      body: { required: true, content: { "application/json": { schema: PushBody } } },
    },
    responses: {
      202: jsonResponse(PushEnvelope, "Queued"),
      200: jsonResponse(PushEnvelope, "The push this Idempotency-Key made"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { id: ref, entity } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const body = c.req.valid("json");
    const r = await c.get("services").sync.pushFor(auth.orgId, id, entity, {
      externalId: body.external_id,
      operation: body.operation,
      options: body.options,
      data: body.data,
      idempotencyKey: c.req.valid("header")["idempotency-key"],
      actor: auth.actor,
    });
    return c.json({ push: pushView(r.push) }, r.created ? 202 : 200);
  },
);

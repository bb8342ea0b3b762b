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
      "Normalized records with the provider's id, in a stable order: a page walk neither skips nor repeats a record while syncs run. `updated_since` keeps those changed at or after it (ISO 8601); deleted records only with `include_deleted=true`.",
    request: { params: RecordParams, query: RecordsQuery },
    responses: { 200: jsonResponse(RecordsResponse, "Records"), ...errorResponses },
  }),
  async (c) => {
    const { id: ref, entity } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const q = c.req.valid("query");
    const page = await c.get("services").sync.recordsFor(orgAuth(c).orgId, id, entity, {
      cursor: q.cursor,
      limit: q.limit,
      updatedSince: q.updated_since ? new Date(q.updated_since).toISOString() : undefined,
      includeDeleted: q.include_deleted === "true",
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

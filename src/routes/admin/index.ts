/**
 * The operator API (`Authorization: Bearer $ADMIN_TOKEN`): organizations, their API keys, and
 * the vault's key rotation with visible progress.
 */
import { createRoute, z } from "@hono/zod-openapi";

import type { RotationStatus } from "../../crypto/vault.ts";
import { serializeKey, serializeOrg } from "../../services/organizations.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse } from "../openapi.ts";

export const adminApi = createRouter();
const tags = ["Operator"];
const security = [{ adminToken: [] }];
const ACTOR = "operator";

const OrgSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Organization");
const KeySchema = z
  .object({
    id: z.string(),
    org_id: z.string(),
    name: z.string().nullable(),
    role: z.enum(["admin", "member"]),
    prefix: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");
const OrgParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});
const RotationSchema = z
  .object({
    id: z.string(),
    org_id: z.string(),
    from_version: z.number(),
    to_version: z.number(),
    status: z.enum(["running", "completed"]),
    rows_total: z.number(),
    rows_done: z.number(),
    remaining: z.number(),
    started_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .openapi("KeyRotation");

const rotationView = (r: RotationStatus) => ({
  id: r.id,
  org_id: r.orgId,
  from_version: r.fromVersion,
  to_version: r.toVersion,
  status: r.status,
  rows_total: r.rowsTotal,
  rows_done: r.rowsDone,
  remaining: r.remaining,
  started_at: r.startedAt,
  completed_at: r.completedAt,
});

adminApi.openapi(
  createRoute({
    method: "post",
    path: "/organizations",
    tags,
    security,
    summary: "Create an organization with its data key and first admin API key (shown once)",
    request: {
      body: jsonBody(
        z
          .object({
            name: z.string().trim().min(1).max(200),
            slug: z
              .string()
              .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and dashes, 2 to 63 characters")
              .optional(),
          })
          .openapi({ example: { name: "Acme", slug: "acme" } }),
      ),
    },
    responses: {
      201: jsonResponse(
        z.object({ organization: OrgSchema, api_key: z.string(), key: KeySchema }),
        "Created",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const r = await c.get("services").organizations.create(c.req.valid("json"), ACTOR);
    return c.json({ organization: serializeOrg(r.org), api_key: r.apiKey, key: serializeKey(r.key) }, 201);
  },
);

adminApi.openapi(
  createRoute({
    method: "get",
    path: "/organizations",
    tags,
    security,
    summary: "List organizations",
    responses: {
      200: jsonResponse(z.object({ organizations: z.array(OrgSchema) }), "Organizations"),
      ...errorResponses,
    },
  }),
  async (c) =>
    c.json({ organizations: (await c.get("services").organizations.list()).map(serializeOrg) }, 200),
);

adminApi.openapi(
  createRoute({
    method: "get",
    path: "/organizations/{id}",
    tags,
    security,
    summary: "Get an organization",
    request: { params: OrgParam },
    responses: {
      200: jsonResponse(z.object({ organization: OrgSchema }), "The organization"),
      ...errorResponses,
    },
  }),
  async (c) =>
    c.json(
      { organization: serializeOrg(await c.get("services").organizations.get(c.req.valid("param").id)) },
      200,
    ),
);

adminApi.openapi(
  createRoute({
    method: "delete",
    path: "/organizations/{id}",
    tags,
    security,
    summary: "Delete an organization and everything it owns; its data key is destroyed (crypto-shredding)",
    request: { params: OrgParam },
    responses: { 200: jsonResponse(z.object({ message: z.string() }), "Deleted"), ...errorResponses },
  }),
  async (c) => {
    await c.get("services").organizations.delete(c.req.valid("param").id, ACTOR);
    return c.json({ message: "Organization deleted; its data key is destroyed" }, 200);
  },
);

adminApi.openapi(
  createRoute({
    method: "post",
    path: "/organizations/{id}/api-keys",
    tags,
    security,
    summary: "Create an API key (shown once)",
    request: {
      params: OrgParam,
      body: jsonBody(
        z.object({ role: z.enum(["admin", "member"]), name: z.string().trim().min(1).max(100).optional() }),
      ),
    },
    responses: {
      201: jsonResponse(z.object({ api_key: z.string(), key: KeySchema }), "Created"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const r = await c
      .get("services")
      .organizations.createKey(c.req.valid("param").id, c.req.valid("json"), ACTOR);
    return c.json({ api_key: r.apiKey, key: serializeKey(r.key) }, 201);
  },
);

adminApi.openapi(
  createRoute({
    method: "get",
    path: "/organizations/{id}/api-keys",
    tags,
    security,
    summary: "List an organization's API keys (never the keys themselves)",
    request: { params: OrgParam },
    responses: { 200: jsonResponse(z.object({ api_keys: z.array(KeySchema) }), "Keys"), ...errorResponses },
  }),
  async (c) =>
    c.json(
      {
        api_keys: (await c.get("services").organizations.listKeys(c.req.valid("param").id)).map(serializeKey),
      },
      200,
    ),
);

adminApi.openapi(
  createRoute({
    method: "delete",
    path: "/organizations/{id}/api-keys/{keyId}",
    tags,
    security,
    summary: "Revoke an API key",
    request: {
      params: OrgParam.extend({
        keyId: z
          .string()
          .max(64)
          .openapi({ param: { name: "keyId", in: "path" } }),
      }),
    },
    responses: { 200: jsonResponse(z.object({ key: KeySchema }), "Revoked"), ...errorResponses },
  }),
  async (c) => {
    const { id, keyId } = c.req.valid("param");
    return c.json(
      { key: serializeKey(await c.get("services").organizations.revokeKey(id, keyId, ACTOR)) },
      200,
    );
  },
);

adminApi.openapi(
  createRoute({
    method: "post",
    path: "/organizations/{id}/rotate-key",
    tags,
    security,
    summary: "Rotate the organization's data key; its secrets are re-encrypted in batches on the queue",
    request: { params: OrgParam },
    responses: {
      202: jsonResponse(z.object({ rotation: RotationSchema }), "Started (or already running)"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const rot = await c.get("services").keys.rotateOrgKey(c.req.valid("param").id, ACTOR);
    return c.json({ rotation: rotationView(rot) }, 202);
  },
);

adminApi.openapi(
  createRoute({
    method: "get",
    path: "/organizations/{id}/key-rotation",
    tags,
    security,
    summary: "Progress of the organization's latest data key rotation",
    request: { params: OrgParam },
    responses: {
      200: jsonResponse(z.object({ rotation: RotationSchema.nullable() }), "Progress"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const rot = await c.get("services").keys.latestRotation(c.req.valid("param").id);
    return c.json({ rotation: rot ? rotationView(rot) : null }, 200);
  },
);

const RingSchema = z
  .object({
    current: z.string(),
    loaded: z.array(z.string()),
    org_keys_by_ring_key: z.record(z.string(), z.number()),
    pending: z.number(),
  })
  .openapi("KeyRingStatus");

adminApi.openapi(
  createRoute({
    method: "get",
    path: "/keys",
    tags,
    security,
    summary: "Key ring status: which ring key wraps how many organization keys",
    responses: { 200: jsonResponse(RingSchema, "Status"), ...errorResponses },
  }),
  async (c) => {
    const s = await c.get("services").keys.ringStatus();
    return c.json(
      { current: s.current, loaded: s.loaded, org_keys_by_ring_key: s.orgKeysByRingKey, pending: s.pending },
      200,
    );
  },
);

adminApi.openapi(
  createRoute({
    method: "post",
    path: "/keys/rewrap",
    tags,
    security,
    summary: "Re-wrap organization keys under the current ring key now (the cron job does this too)",
    responses: { 202: jsonResponse(RingSchema, "Started; pending shows what is left"), ...errorResponses },
  }),
  async (c) => {
    const s = await c.get("services").keys.rewrap();
    return c.json(
      { current: s.current, loaded: s.loaded, org_keys_by_ring_key: s.orgKeysByRingKey, pending: s.pending },
      202,
    );
  },
);

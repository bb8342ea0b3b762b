/**
 * The 001 RPC dialect (`/organization-integrations`, `/create-organization-integration`, ...):
 * maps requests onto the same integrations service as the REST dialect, nothing more. Field
 * names, envelopes, messages and status codes follow the 001 API guide.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { limitJson } from "../../lib/json-limits.ts";
import { assertOrgMatches, orgAuth } from "../../middleware/auth.ts";
import { getProvider, PROVIDER_IDS } from "../../providers/registry.ts";
import type { IntegrationWrite } from "../../services/integrations.ts";
import { compatView } from "../../services/views.ts";
import { assertTokenExpiry, writeContext } from "../integrations/input.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi.ts";

const tags = ["001 dialect"];

/** A 001 error: `{"error": message}` (plus our code and request id). */
const fail = (message: string, code: ErrorCode = ErrorCode.BAD_REQUEST) => new ApiError(code, message);

export const compatApi = createRouter();

const Json = limitJson(z.record(z.string(), z.unknown()));

const CompatIntegration = z
  .object({
    id: z.uuid(),
    org_id: z.string(),
    integration_type: z.string(),
    name: z.string(),
    is_active: z.boolean(),
    status: z.string(),
    api_base_url: z.string().nullable(),
    webhook_url: z.string().nullable(),
    webhook_verify_token: z.string().nullable().optional(),
    api_key: z.unknown().optional(),
    api_secret: z.string().optional(),
    access_token: z.string().optional(),
    refresh_token: z.string().optional(),
    token_expires_at: z.string().nullable().optional(),
    config: Json.optional(),
    last_sync_at: z.string().nullable().optional(),
    last_error: z.string().nullable().optional(),
    error_count: z.number().optional(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("OrganizationIntegration");

const fields = {
  name: z.string().trim().min(1).max(200).optional(),
  api_base_url: z.url().max(2048).nullable().optional(),
  webhook_url: z.url().max(2048).nullable().optional(),
  webhook_verify_token: z.string().min(8).max(256).nullable().optional(),
  api_key: z.string().max(16_384).nullable().optional(),
  api_secret: z.string().max(16_384).nullable().optional(),
  access_token: z.string().max(16_384).nullable().optional(),
  refresh_token: z.string().max(16_384).nullable().optional(),
  token_expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
  config: Json.nullable().optional(),
  is_active: z.boolean().optional(),
};

const CreateBody = z.object({
  org_id: z.string().optional(),
  integration_type: z.string().optional(),
  ...fields,
});
const UpdateBody = z.object({ id: z.string().optional(), org_id: z.string().optional(), ...fields });
const ToggleBody = z.object({
  id: z.string().optional(),
  org_id: z.string().optional(),
  active: z.boolean().optional(),
});
const IdBody = z.object({ id: z.string().optional(), org_id: z.string().optional() });

type Fields = z.infer<z.ZodObject<typeof fields>>;

function write(body: Fields): IntegrationWrite {
  const values: Record<string, unknown> = {};
  for (const k of ["api_key", "api_secret", "access_token", "refresh_token"] as const) {
    if (body[k] !== undefined) values[k] = body[k];
  }
  assertTokenExpiry(body.token_expires_at, body.access_token !== undefined);
  return {
    name: body.name,
    isActive: body.is_active,
    config: body.config ?? undefined,
    values,
    apiBaseUrl: body.api_base_url,
    webhookUrl: body.webhook_url,
    webhookVerifyToken: body.webhook_verify_token,
    tokenExpiresAt: body.token_expires_at,
  };
}

const view = (c: Context<AppEnv>, row: Parameters<typeof compatView>[0], detail = true) =>
  compatView(row, c.get("services").settings, detail);

const requireId = (id: string | undefined, message: string): string => {
  if (!id) throw fail(message);
  return id;
};

compatApi.openapi(
  createRoute({
    method: "get",
    path: "/organization-integrations",
    tags,
    security,
    summary: "List an organization's integrations",
    request: {
      query: z.object({
        org_id: z.string().optional().openapi({ description: "Must be the API key's organization" }),
        active_only: z.enum(["true", "false", "True", "False", "1", "0"]).optional(),
        cursor: z.string().max(512).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(1000),
      }),
    },
    responses: {
      200: jsonResponse(
        z.object({ integrations: z.array(CompatIntegration), next_cursor: z.string().nullable() }),
        "Integrations",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = await c.get("services").integrations.list(orgAuth(c).orgId, {
      activeOnly: q.active_only === "true" || q.active_only === "True" || q.active_only === "1",
      cursor: q.cursor,
      limit: q.limit,
    });
    return c.json(
      { integrations: page.items.map((r) => view(c, r, false)), next_cursor: page.nextCursor },
      200,
    );
  },
);

compatApi.openapi(
  createRoute({
    method: "get",
    path: "/organization-integration/{id}",
    tags,
    security,
    summary: "Get one integration, secrets masked",
    request: { params: z.object({ id: z.string().max(64) }) },
    responses: {
      200: jsonResponse(z.object({ integration: CompatIntegration }), "The integration"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const row = await c.get("services").integrations.get(orgAuth(c).orgId, c.req.valid("param").id);
    return c.json({ integration: view(c, row) }, 200);
  },
);

compatApi.openapi(
  createRoute({
    method: "post",
    path: "/create-organization-integration",
    tags,
    security,
    summary: "Create an integration",
    description:
      "For `facebook`, `org_id`, `integration_type`, `name` and `access_token` are enough: `webhook_url` and `webhook_verify_token` are generated.",
    request: { body: jsonBody(CreateBody) },
    responses: {
      201: jsonResponse(z.object({ message: z.string(), integration: CompatIntegration }), "Created"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const body = c.req.valid("json");
    if (!body.integration_type || !body.name) throw fail("org_id, integration_type, and name are required");
    assertOrgMatches(auth, { orgId: body.org_id });
    const provider = getProvider(body.integration_type);
    if (!provider) {
      throw new ApiError(
        ErrorCode.UNKNOWN_PROVIDER,
        `Invalid integration_type. Must be one of: ${PROVIDER_IDS.join(", ")}`,
        { issues: [{ path: "integration_type", message: "unknown integration type" }] },
      );
    }
    const row = await c
      .get("services")
      .integrations.create(
        auth.orgId,
        provider,
        { ...write(body), name: body.name },
        writeContext(c, "compat"),
      );
    return c.json({ message: "Integration created successfully", integration: view(c, row) }, 201);
  },
);

compatApi.openapi(
  createRoute({
    method: "post",
    path: "/update-organization-integration",
    tags,
    security,
    summary: "Update an integration (config is merged)",
    request: { body: jsonBody(UpdateBody) },
    responses: {
      200: jsonResponse(z.object({ message: z.string(), integration: CompatIntegration }), "Updated"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const body = c.req.valid("json");
    const id = requireId(body.id, "Integration ID is required");
    assertOrgMatches(auth, { orgId: body.org_id });
    const row = await c
      .get("services")
      .integrations.update(auth.orgId, id, write(body), writeContext(c, "compat"));
    return c.json({ message: "Integration updated successfully", integration: view(c, row) }, 200);
  },
);

compatApi.openapi(
  createRoute({
    method: "post",
    path: "/toggle-organization-integration",
    tags,
    security,
    summary: "Activate or deactivate an integration",
    request: { body: jsonBody(ToggleBody) },
    responses: {
      200: jsonResponse(z.object({ message: z.string(), integration: CompatIntegration }), "Toggled"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const body = c.req.valid("json");
    if (!body.id || body.active === undefined) throw fail("Integration ID and active status are required");
    assertOrgMatches(auth, { orgId: body.org_id });
    const row = await c
      .get("services")
      .integrations.setActive(auth.orgId, body.id, body.active, writeContext(c, "compat"));
    return c.json(
      {
        message: `Integration ${body.active ? "activated" : "deactivated"} successfully`,
        integration: view(c, row),
      },
      200,
    );
  },
);

compatApi.openapi(
  createRoute({
    method: "post",
    path: "/delete-organization-integration",
    tags,
    security,
    summary: "Delete an integration",
    request: { body: jsonBody(IdBody) },
    responses: { 200: jsonResponse(z.object({ message: z.string() }), "Deleted"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const body = c.req.valid("json");
    const id = requireId(body.id, "Integration ID is required");
    assertOrgMatches(auth, { orgId: body.org_id });
    await c.get("services").calendar.teardown(auth.orgId, { id }, auth.actor);
    await c.get("services").integrations.delete(auth.orgId, id, writeContext(c, "compat"));
    return c.json({ message: "Integration deleted successfully" }, 200);
  },
);

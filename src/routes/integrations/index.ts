/**
 * The REST dialect under /api/integrations (the union of 002, 003 and 004). Handlers are thin:
 * they map the request onto the integrations service and its result onto a view.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { UUID_RE } from "../../lib/ids.ts";
import { assertOrgMatches, orgAuth } from "../../middleware/auth.ts";
import { PROVIDER_IDS, PROVIDERS } from "../../providers/registry.ts";
import { providerOf } from "../../services/integrations.ts";
import { connectView, restView } from "../../services/views.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi.ts";
import { categoryOf, pathProvider, providerForCreate, restWrite, writeContext } from "./input.ts";
import {
  ConfigureBody,
  ConnectBody,
  ConnectResponse,
  CreateBody,
  IdParam,
  IntegrationEnvelope,
  IntegrationIdQuery,
  IntegrationSchema,
  ListQuery,
  ListResponse,
  MessageEnvelope,
  OkResponse,
  PageQuery,
  ProviderParam,
  UpdateBody,
} from "./schema.ts";

export const integrationsApi = createRouter();
const tags = ["Integrations"];
const view = (c: Context<AppEnv>, row: Parameters<typeof restView>[0]) =>
  restView(row, c.get("services").settings);

// ---- catalog, stats, connected (static paths first) --------------------------------------

const ProviderCatalogSchema = z
  .object({
    providers: z.array(
      z.object({
        id: z.string(),
        category: z.string(),
        display_name: z.string(),
        description: z.string(),
        auth_kind: z.string(),
        default_base_url: z.string(),
        customer_base_url: z.boolean(),
        token_field: z.string(),
        fields: z.array(
          z.object({
            name: z.string(),
            label: z.string(),
            type: z.string(),
            required: z.boolean(),
            secret: z.boolean(),
            aliases: z.array(z.string()).optional(),
            options: z.array(z.string()).optional(),
            default: z.union([z.string(), z.number(), z.boolean()]).optional(),
            placeholder: z.string().optional(),
            help: z.string().optional(),
          }),
        ),
        capabilities: z.object({
          test: z.boolean(),
          send: z.array(z.string()),
          webhooks: z.boolean(),
          oauth: z.boolean(),
          sync: z.array(z.string()),
          push: z.array(z.string()).optional(),
          calendar: z.boolean().optional(),
        }),
        docs_url: z.string().optional(),
      }),
    ),
  })
  .openapi("ProviderCatalog");

const catalog = {
  providers: PROVIDER_IDS.map((id) => {
    const p = PROVIDERS[id];
    return {
      id: p.id,
      category: p.category,
      display_name: p.displayName,
      description: p.description,
      auth_kind: p.authKind,
      default_base_url: p.defaultBaseUrl,
      customer_base_url: p.customerBaseUrl ?? false,
      token_field: p.tokenField,
      fields: p.fields,
      capabilities: p.capabilities,
      docs_url: p.docsUrl,
    };
  }),
};

integrationsApi.openapi(
  createRoute({
    method: "get",
    path: "/providers",
    tags,
    summary: "The provider catalog: categories, fields (for forms) and capabilities",
    responses: { 200: jsonResponse(ProviderCatalogSchema, "Every provider") },
  }),
  (c) => c.json(catalog, 200),
);

const StatsSchema = z
  .object({
    total: z.number(),
    by_type: z.record(z.string(), z.number()),
    by_status: z.record(z.string(), z.number()),
    error_rate: z.number(),
    with_recent_errors: z.number(),
    messages: z.object({
      total: z.number(),
      by_status: z.record(z.string(), z.number()),
      by_channel: z.record(z.string(), z.number()),
    }),
    tests: z.object({ succeeded: z.number(), failed: z.number() }),
  })
  .openapi("IntegrationStats");

integrationsApi.openapi(
  createRoute({
    method: "get",
    path: "/stats",
    tags,
    security,
    summary: "Counts by type and status, error rate, messages by status and channel, test outcomes",
    responses: { 200: jsonResponse(StatsSchema, "Statistics"), ...errorResponses },
  }),
  async (c) => {
    const orgId = orgAuth(c).orgId;
    const { integrations, messages, activity } = c.get("services");
    const [base, msgs, tests] = await Promise.all([
      integrations.stats(orgId),
      messages.stats(orgId),
      activity.testOutcomes(orgId),
    ]);
    return c.json({ ...base, messages: msgs, tests }, 200);
  },
);

integrationsApi.openapi(
  createRoute({
    method: "get",
    path: "/connected",
    tags,
    security,
    summary: "Active, connected integrations (no tokens)",
    responses: {
      200: jsonResponse(z.object({ integrations: z.array(IntegrationSchema) }), "Connected integrations"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const rows = await c.get("services").integrations.connected(orgAuth(c).orgId, 500);
    return c.json({ integrations: rows.map((r) => view(c, r)) }, 200);
  },
);

// ---- collection ----------------------------------------------------------------------------

integrationsApi.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    security,
    summary: "List integrations (cursor-paginated, newest first)",
    request: { query: ListQuery },
    responses: { 200: jsonResponse(ListResponse, "A page of integrations"), ...errorResponses },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const page = await c.get("services").integrations.list(orgAuth(c).orgId, {
      type: q.type ? (categoryOf(q.type) ?? q.type) : undefined,
      provider: q.provider,
      activeOnly: q.active_only === "true",
      cursor: q.cursor,
      limit: q.limit,
    });
    return c.json({ integrations: page.items.map((r) => view(c, r)), next_cursor: page.nextCursor }, 200);
  },
);

integrationsApi.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    security,
    summary: "Create an integration",
    description:
      "Names the provider with `provider`, or with `integration_type` (a provider id, or a category with one provider). Provider fields go at the top level or in `credentials`; secret fields are encrypted and come back masked.",
    request: { body: jsonBody(CreateBody) },
    responses: { 201: jsonResponse(IntegrationEnvelope, "Created"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const body = c.req.valid("json");
    assertOrgMatches(auth, { orgId: body.org_id, slug: body.organization_slug });
    const provider = providerForCreate(body);
    const write = restWrite(provider, body);
    const row = await c
      .get("services")
      .integrations.create(auth.orgId, provider, { ...write, name: body.name }, writeContext(c, "rest"));
    return c.json({ integration: view(c, row) }, 201);
  },
);

// ---- per-provider routes (004 connect/disconnect) ----------------------------------------

integrationsApi.openapi(
  createRoute({
    method: "post",
    path: "/{provider}/connect",
    tags,
    security,
    summary: "Save or overwrite a provider's token and settings, and activate it (004)",
    request: { params: ProviderParam, query: IntegrationIdQuery, body: jsonBody(ConnectBody) },
    responses: { 200: jsonResponse(ConnectResponse, "Connected"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const body = c.req.valid("json");
    assertOrgMatches(auth, { orgId: body.org_id, slug: body.organization_slug });
    const provider = pathProvider(c.req.valid("param").provider);
    if (!provider.tokenField) {
      throw new ApiError(ErrorCode.BAD_REQUEST, `${provider.displayName} has no token to connect with`);
    }
    const { row, created } = await c
      .get("services")
      .integrations.connect(
        auth.orgId,
        provider,
        c.req.valid("json"),
        writeContext(c, "rest"),
        c.req.valid("query").integration_id,
      );
    return c.json(
      {
        status: "ok" as const,
        ok: true as const,
        message: created ? "Connected" : "Connection updated",
        integration: connectView(row),
      },
      200,
    );
  },
);

const disconnect = async (c: Context<AppEnv>, providerName: string, integrationId?: string) => {
  const provider = pathProvider(providerName);
  await c
    .get("services")
    .tokens.disconnect(orgAuth(c).orgId, provider.id, writeContext(c, "rest"), integrationId);
  return c.json({ status: "ok" as const, ok: true as const, message: "Disconnected" }, 200);
};

for (const method of ["post", "delete"] as const) {
  integrationsApi.openapi(
    createRoute({
      method,
      path: "/{provider}/disconnect",
      tags,
      security,
      summary: "Disconnect: disable the integration and delete its credentials, keeping its history",
      request: { params: ProviderParam, query: IntegrationIdQuery },
      responses: { 200: jsonResponse(OkResponse, "Disconnected"), ...errorResponses },
    }),
    (c) => disconnect(c, c.req.valid("param").provider, c.req.valid("query").integration_id),
  );
}

// ---- one integration -------------------------------------------------------------------------

integrationsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}",
    tags,
    security,
    summary: "Get an integration (secrets masked)",
    request: { params: IdParam },
    responses: { 200: jsonResponse(IntegrationEnvelope, "The integration"), ...errorResponses },
  }),
  async (c) => {
    const row = await c.get("services").integrations.get(orgAuth(c).orgId, c.req.valid("param").id);
    return c.json({ integration: view(c, row) }, 200);
  },
);

for (const method of ["put", "patch"] as const) {
  integrationsApi.openapi(
    createRoute({
      method,
      path: "/{id}",
      tags,
      security,
      summary: "Update an integration (config is merged; secrets only change when sent)",
      request: { params: IdParam, body: jsonBody(UpdateBody) },
      responses: { 200: jsonResponse(IntegrationEnvelope, "Updated"), ...errorResponses },
    }),
    async (c) => {
      const auth = orgAuth(c);
      const body = c.req.valid("json");
      assertOrgMatches(auth, { orgId: body.org_id, slug: body.organization_slug });
      const { integrations } = c.get("services");
      const existing = await integrations.get(auth.orgId, c.req.valid("param").id);
      const row = await integrations.update(
        auth.orgId,
        existing.id,
        restWrite(providerOf(existing), body),
        writeContext(c, "rest"),
      );
      return c.json({ integration: view(c, row) }, 200);
    },
  );
}

integrationsApi.openapi(
  createRoute({
    method: "delete",
    path: "/{target}",
    tags,
    security,
    summary:
      "Delete an integration by id, or disconnect a provider (004: `DELETE /api/integrations/{provider}`)",
    request: {
      params: z.object({
        target: z
          .string()
          .max(64)
          .openapi({
            param: { name: "target", in: "path" },
            description: "An integration id (UUID) or a provider id",
          }),
      }),
      query: IntegrationIdQuery,
    },
    responses: {
      200: jsonResponse(
        z.object({ message: z.string(), status: z.string().optional(), ok: z.boolean().optional() }),
        "Deleted or disconnected",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { target } = c.req.valid("param");
    if (!UUID_RE.test(target)) return disconnect(c, target, c.req.valid("query").integration_id);
    await c.get("services").integrations.delete(orgAuth(c).orgId, target, writeContext(c, "rest"));
    return c.json({ message: "Integration deleted successfully" }, 200);
  },
);

integrationsApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/configure/{type}",
    tags,
    security,
    summary: "Configure an integration with its type's fields (002)",
    request: {
      params: IdParam.extend({
        type: z
          .string()
          .max(64)
          .openapi({ param: { name: "type", in: "path" }, example: "email" }),
      }),
      body: jsonBody(ConfigureBody),
    },
    responses: { 200: jsonResponse(MessageEnvelope, "Configured"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { id, type } = c.req.valid("param");
    const body = c.req.valid("json");
    assertOrgMatches(auth, { orgId: body.org_id, slug: body.organization_slug });
    const { integrations } = c.get("services");
    const existing = await integrations.get(auth.orgId, id);
    const provider = providerOf(existing);
    const category = categoryOf(type);
    if (!category) {
      throw new ApiError(ErrorCode.INVALID_FIELD, `type: unknown integration type "${type}"`, {
        issues: [{ path: "type", message: "unknown type" }],
      });
    }
    if (category !== provider.category) {
      throw new ApiError(
        ErrorCode.INVALID_FIELD,
        `type: this integration is of type ${provider.category}, not ${category}`,
        {
          issues: [{ path: "type", message: `expected ${provider.category}` }],
        },
      );
    }
    if (body.provider && body.provider !== provider.id) {
      throw new ApiError(
        ErrorCode.INVALID_FIELD,
        `provider: this integration uses ${provider.id}; create a new integration to use ${body.provider}`,
        { issues: [{ path: "provider", message: `expected ${provider.id}` }] },
      );
    }
    const { provider: _p, ...fields } = body;
    const row = await integrations.update(
      auth.orgId,
      id,
      restWrite(provider, fields),
      writeContext(c, "rest"),
      "configured",
    );
    return c.json({ message: "Integration configured successfully", integration: view(c, row) }, 200);
  },
);

const LogSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    level: z.string(),
    action: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
  })
  .openapi("IntegrationLog");

integrationsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/logs",
    tags,
    security,
    summary: "The integration's activity log, newest first",
    request: { params: IdParam, query: PageQuery },
    responses: {
      200: jsonResponse(
        z.object({ logs: z.array(LogSchema), next_cursor: z.string().nullable() }),
        "Log entries",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const { integrations, activity } = c.get("services");
    await integrations.get(auth.orgId, id);
    const page = await activity.listLogs(auth.orgId, id, q);
    return c.json(
      {
        logs: page.items.map((l) => ({
          id: l.id,
          integration_id: l.integrationId,
          level: l.level,
          action: l.action,
          message: l.message,
          details: l.details ?? null,
          created_at: l.createdAt,
        })),
        next_cursor: page.nextCursor,
      },
      200,
    );
  },
);

integrationsApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/test",
    tags,
    security,
    summary: "Test the connection: the provider's cheapest authenticated call (rate limited per integration)",
    description:
      "Records the outcome on the integration (`status`, `last_error`, `error_count` reset on success, `last_sync_at`) and in its log. Answers 200 whether the provider accepted the credentials or not; `ok` says which. 429 with Retry-After past 5 tests a minute.",
    request: { params: IdParam },
    responses: {
      200: jsonResponse(
        z.object({
          ok: z.boolean(),
          message: z.string(),
          details: z.record(z.string(), z.unknown()).optional(),
          integration: IntegrationSchema,
        }),
        "The outcome",
      ),
      429: { description: "Too many tests of this integration; see Retry-After" },
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { outcome, row } = await c
      .get("services")
      .connections.test(auth.orgId, c.req.valid("param").id, auth.actor);
    return c.json({ ...outcome, integration: view(c, row) }, 200);
  },
);

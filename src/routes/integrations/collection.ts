/** The collection /api/integrations: a page of the organization's integrations, and create. */
import { createRoute } from "@hono/zod-openapi";
import { assertOrgMatches, orgAuth } from "../../middleware/auth.ts";
import { categoryOf } from "../../services/integrations.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi.ts";
import { integrationView, providerForCreate, restWrite, writeContext } from "./input.ts";
import { CreateBody, IntegrationEnvelope, ListQuery, ListResponse } from "./schema.ts";

export const collectionApi = createRouter();
const tags = ["Integrations"];

collectionApi.openapi(
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
    return c.json(
      { integrations: page.items.map((r) => integrationView(c, r)), next_cursor: page.nextCursor },
      200,
    );
  },
);

collectionApi.openapi(
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
    return c.json({ integration: integrationView(c, row) }, 201);
  },
);

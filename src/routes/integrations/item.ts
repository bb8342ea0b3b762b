/**
 * One integration under /api/integrations/{id}: read, update, configure with its type's fields
 * (002), and delete (by id, or 004's `DELETE /{provider}`, which disconnects).
 */
import { createRoute } from "@hono/zod-openapi";
import { assertOrgMatches, orgAuth } from "../../middleware/auth.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi.ts";
import { disconnect } from "./connect.ts";
import { integrationIdOf, integrationRef, integrationView, restWrite, writeContext } from "./input.ts";
import {
  ConfigureBody,
  ConfigureParams,
  DeleteResponse,
  IdParam,
  IntegrationEnvelope,
  IntegrationIdQuery,
  MessageEnvelope,
  TargetParam,
  UpdateBody,
} from "./schema.ts";

export const itemApi = createRouter();
const tags = ["Integrations"];

itemApi.openapi(
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
    const row = await c
      .get("services")
      .integrations.getCached(orgAuth(c).orgId, await integrationIdOf(c, c.req.valid("param").id));
    return c.json({ integration: integrationView(c, row) }, 200);
  },
);

for (const method of ["put", "patch"] as const) {
  itemApi.openapi(
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
      const row = await c
        .get("services")
        .integrations.update(
          auth.orgId,
          await integrationIdOf(c, c.req.valid("param").id),
          (provider) => restWrite(provider, body),
          writeContext(c, "rest"),
        );
      return c.json({ integration: integrationView(c, row) }, 200);
    },
  );
}

itemApi.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags,
    security,
    summary:
      "Delete an integration by id, or disconnect a provider (004: `DELETE /api/integrations/{provider}`)",
    request: { params: TargetParam, query: IntegrationIdQuery },
    responses: {
      200: jsonResponse(DeleteResponse, "Deleted or disconnected"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const target = integrationRef(c.req.valid("param").id, c.req.valid("query").integration_id);
    if ("provider" in target) return disconnect(c, target.provider, target.integrationId);
    await c.get("services").calendar.teardown(orgAuth(c).orgId, { id: target.id }, orgAuth(c).actor);
    await c.get("services").integrations.delete(orgAuth(c).orgId, target.id, writeContext(c, "rest"));
    return c.json({ message: "Integration deleted successfully" }, 200);
  },
);

itemApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/configure/{type}",
    tags,
    security,
    summary: "Configure an integration with its type's fields (002)",
    request: { params: ConfigureParams, body: jsonBody(ConfigureBody) },
    responses: { 200: jsonResponse(MessageEnvelope, "Configured"), ...errorResponses },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const { id: ref, type } = c.req.valid("param");
    const id = await integrationIdOf(c, ref);
    const { provider, ...fields } = c.req.valid("json");
    assertOrgMatches(auth, { orgId: fields.org_id, slug: fields.organization_slug });
    const row = await c
      .get("services")
      .integrations.configure(
        auth.orgId,
        id,
        { type, provider },
        (stored) => restWrite(stored, fields),
        writeContext(c, "rest"),
      );
    return c.json(
      { message: "Integration configured successfully", integration: integrationView(c, row) },
      200,
    );
  },
);

/** 004's per-provider routes: connect a provider with its token, and disconnect it. */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";
import { assertOrgMatches, orgAuth } from "../../middleware/auth.ts";
import type { Provider } from "../../providers/types.ts";
import { connectView } from "../../services/views.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "../openapi.ts";
import { pathProvider, writeContext } from "./input.ts";
import { ConnectBody, ConnectResponse, IntegrationIdQuery, OkResponse, ProviderParam } from "./schema.ts";

export const connectApi = createRouter();
const tags = ["Integrations"];

connectApi.openapi(
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
    const { row, created } = await c
      .get("services")
      .integrations.connect(
        auth.orgId,
        provider,
        body,
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

/** Disconnects the organization's integration of `provider` (also `DELETE /{provider}`). */
export const disconnect = async (c: Context<AppEnv>, provider: Provider, integrationId?: string) => {
  const { orgId, actor } = orgAuth(c);
  // A calendar's push channel is stopped while the tokens to stop it still exist.
  await c.get("services").calendar.teardown(orgId, { provider: provider.id, integrationId }, actor);
  await c
    .get("services")
    .tokens.disconnect(orgAuth(c).orgId, provider.id, writeContext(c, "rest"), integrationId);
  return c.json({ status: "ok" as const, ok: true as const, message: "Disconnected" }, 200);
};

for (const method of ["post", "delete"] as const) {
  connectApi.openapi(
    createRoute({
      method,
      path: "/{provider}/disconnect",
      tags,
      security,
      summary: "Disconnect: disable the integration and delete its credentials, keeping its history",
      request: { params: ProviderParam, query: IntegrationIdQuery },
      responses: { 200: jsonResponse(OkResponse, "Disconnected"), ...errorResponses },
    }),
    (c) => disconnect(c, pathProvider(c.req.valid("param").provider), c.req.valid("query").integration_id),
  );
}

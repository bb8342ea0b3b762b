/**
 * The static paths of /api/integrations, registered before `/{id}`: the provider catalog, the
 * organization's statistics and its connected integrations.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../../middleware/auth.ts";
import { PROVIDER_IDS, PROVIDERS } from "../../providers/registry.ts";
import { catalogView } from "../../services/views.ts";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi.ts";
import { integrationView } from "./input.ts";
import { IntegrationSchema, ProviderCatalogSchema, StatsSchema } from "./schema.ts";

export const catalogApi = createRouter();
const tags = ["Integrations"];

const catalog = catalogView(PROVIDER_IDS.map((id) => PROVIDERS[id]));

catalogApi.openapi(
  createRoute({
    method: "get",
    path: "/providers",
    tags,
    security: [],
    summary: "The provider catalog: categories, fields (for forms) and capabilities",
    responses: { 200: jsonResponse(ProviderCatalogSchema, "Every provider") },
  }),
  (c) => c.json(catalog, 200),
);

catalogApi.openapi(
  createRoute({
    method: "get",
    path: "/stats",
    tags,
    security,
    summary: "Counts by type and status, error rate, messages by status and channel, test outcomes",
    responses: { 200: jsonResponse(StatsSchema, "Statistics"), ...errorResponses },
  }),
  async (c) => {
    const { integrations, messages } = c.get("services");
    return c.json(await integrations.stats(orgAuth(c).orgId, messages), 200);
  },
);

catalogApi.openapi(
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
    return c.json({ integrations: rows.map((r) => integrationView(c, r)) }, 200);
  },
);

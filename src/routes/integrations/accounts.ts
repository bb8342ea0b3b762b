/**
 * The accounts one connection reaches, where the integration works with one of them (the
 * provider's `accounts` hook: the Facebook Pages a user token manages): list them, and choose
 * one. Choosing stores what the provider needs for it (the Page's id, and its Page token in the
 * vault); no account's credentials are ever answered.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { orgAuth } from "../../middleware/auth.ts";
import { createRouter, ErrorSchema, errorResponses, jsonResponse, security } from "../openapi.ts";
import { integrationIdOf, integrationView, writeContext } from "./input.ts";
import { IdParam, IntegrationSchema } from "./schema.ts";

export const accountsApi = createRouter();
const tags = ["Integrations"];

const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    selected: z.boolean().openapi({ description: "The integration works with this one now" }),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("ChoosableAccount");

const AccountsResponse = z
  .object({ label: z.string().openapi({ example: "Pages" }), accounts: z.array(AccountSchema) })
  .openapi("ChoosableAccounts");

const SelectBody = z
  .object({ account_id: z.string().trim().min(1).max(200).openapi({ example: "100000000000002" }) })
  .strict();

const unavailable = {
  502: jsonResponse(ErrorSchema, "The provider failed or rate-limited the call; retry after Retry-After"),
};

accountsApi.openapi(
  createRoute({
    method: "get",
    path: "/{id}/accounts",
    tags,
    security,
    summary: "The accounts this connection reaches (a user token's Facebook Pages), to choose one",
    description:
      "Asks the provider with the integration's credentials. 400 for a provider without accounts to choose, 409 when the provider refuses the credentials.",
    request: { params: IdParam },
    responses: { 200: jsonResponse(AccountsResponse, "The accounts"), ...errorResponses, ...unavailable },
  }),
  async (c) => {
    const out = await c
      .get("services")
      .accounts.list(orgAuth(c).orgId, await integrationIdOf(c, c.req.valid("param").id));
    return c.json({ label: out.label, accounts: out.accounts }, 200);
  },
);

accountsApi.openapi(
  createRoute({
    method: "post",
    path: "/{id}/accounts/select",
    tags,
    security,
    summary: "Make the integration work with one of its accounts (a Facebook Page)",
    description:
      "Stores the chosen account's settings and credentials (a Page's id and name, and its Page token in the vault, keeping the user token to list the Pages again). 400 when the id is not one of the accounts. Needs an admin key.",
    request: {
      params: IdParam,
      body: { content: { "application/json": { schema: SelectBody } }, required: true },
    },
    responses: {
      200: jsonResponse(z.object({ integration: IntegrationSchema }), "The integration, as stored"),
      ...errorResponses,
      ...unavailable,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const row = await c
      .get("services")
      .accounts.select(
        auth.orgId,
        await integrationIdOf(c, c.req.valid("param").id),
        c.req.valid("json").account_id,
        writeContext(c, "rest"),
      );
    return c.json({ integration: integrationView(c, row) }, 200);
  },
);

/**
 * 003's `POST /api/integrations/{provider}/refresh-token`: forces an OAuth token refresh now
 * (under the same lease as on-demand and scheduled refreshes). A refused refresh token is a 409
 * with the readable reason (the integration is then in `error`); a provider outage is a 502
 * with Retry-After, and the integration is left as it was.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, ErrorCode } from "../errors.ts";
import { orgAuth } from "../middleware/auth.ts";
import { ProviderError } from "../providers/runtime.ts";
import { restView } from "../services/views.ts";
import { pathProvider } from "./integrations/input.ts";
import { IntegrationIdQuery, IntegrationSchema, ProviderParam } from "./integrations/schema.ts";
import { createRouter, ErrorSchema, errorResponses, jsonResponse, security } from "./openapi.ts";

export const tokensApi = createRouter();

const RefreshResponse = z
  .object({
    ok: z.literal(true),
    integration: IntegrationSchema,
    token_expires_at: z.string().nullable(),
  })
  .openapi("TokenRefresh");

tokensApi.openapi(
  createRoute({
    method: "post",
    path: "/{provider}/refresh-token",
    tags: ["Integrations"],
    security,
    summary: "Refresh the OAuth access token now (003)",
    description:
      "Exchanges the stored refresh token for a new access token (and, at Xero and QuickBooks, a new refresh token) and saves them. " +
      "Concurrent refreshes of one integration make one request to the provider. Needs an admin key.",
    request: { params: ProviderParam, query: IntegrationIdQuery },
    responses: {
      200: jsonResponse(RefreshResponse, "Refreshed"),
      ...errorResponses,
      409: jsonResponse(
        ErrorSchema,
        "The provider refused the refresh token (invalid_grant): the integration is now in error; connect again",
      ),
      502: jsonResponse(
        ErrorSchema,
        "The provider failed or rate-limited the refresh; retry after Retry-After",
      ),
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    const services = c.get("services");
    const provider = pathProvider(c.req.valid("param").provider);
    const row = await services.integrations.findByProvider(
      auth.orgId,
      provider.id,
      c.req.valid("query").integration_id,
    );
    if (!row) throw new ApiError(ErrorCode.NOT_FOUND, `No ${provider.displayName} integration`);
    try {
      const fresh = await services.tokens.refresh(auth.orgId, row.id, auth.actor);
      return c.json(
        {
          ok: true as const,
          integration: restView(fresh.row, services.settings),
          token_expires_at: fresh.row.tokenExpiresAt,
        },
        200,
      );
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      if (e.retryable) {
        const retryAfter = String(e.opts.retryAfterSeconds ?? 30);
        return c.json(
          { error: e.message, code: "PROVIDER_UNAVAILABLE", request_id: c.get("requestId") },
          502,
          { "retry-after": retryAfter },
        );
      }
      throw new ApiError(e.kind === "auth" ? ErrorCode.CONFLICT : ErrorCode.BAD_REQUEST, e.message);
    }
  },
);

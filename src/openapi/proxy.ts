/**
 * The proxy (src/routes/proxy.ts) in the OpenAPI document: a plain route that takes every method
 * and any body, so it is described here rather than by a route definition.
 */
import { z } from "@hono/zod-openapi";
import { ErrorSchema, errorResponses, security } from "../routes/openapi.ts";
import { PROXY_MAX_WAIT_SECONDS, PROXY_RETRIES } from "../services/proxy.ts";
import type { Registry } from "./registry.ts";

/**
 * The methods the proxy forwards, as documented. OPTIONS never reaches it: the CORS middleware
 * of /api/* answers every OPTIONS request itself.
 */
export const PROXY_METHODS = ["get", "head", "post", "put", "patch", "delete"] as const;

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

const PROXY_DESCRIPTION = `Forwards the request to the integration's provider API, under its API base URL, with the integration's credentials added: the host app never holds them. \`rest\` is the provider path and may hold \`/\` (\`/proxy/v3/scopes\` calls \`<base>/v3/scopes\`); the query string, the body (any content type, 1 MiB at most) and the headers Content-Type, Accept, Accept-Language, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, Idempotency-Key and X-Request-Id are passed on. Paths that would leave the base URL (\`.\` and \`..\` segments, also percent-encoded, empty segments, absolute URLs, backslashes, control characters) are refused with 400.

**Roles.** Admin keys may make any call. A member (read-only) key may make only the calls the provider's module declares read-only (\`proxyReadOnly\`); anything else is 403 naming the call. A GET alone is not enough: Telegram's \`GET /sendMessage\` sends.

**Answers.** The provider's status and body come back as it gave them (its 2xx, 4xx and 5xx alike), with Content-Type, Retry-After, ETag, Last-Modified, Link and rate-limit headers, plus X-Switchboard-Proxy-Attempts; the integration's secret values are replaced with \`[redacted]\` in text answers. Redirects are never followed: a 3xx comes back without its Location. GET, HEAD, PUT and DELETE are retried ${PROXY_RETRIES} times on 429 and 5xx after the provider's Retry-After (one over ${PROXY_MAX_WAIT_SECONDS} seconds is passed back at once); POST and PATCH never are. When the hub's own request budget for the account is spent the answer is 429 RATE_LIMITED with Retry-After at once, without calling the provider. A provider that does not answer in time is 504 PROVIDER_TIMEOUT, one that cannot be reached 502 PROVIDER_UNREACHABLE.`;

const params = z.object({
  id: z.string().openapi({ description: "The integration" }),
  rest: z.string().openapi({
    description: "The provider path, after `/proxy/`; it may hold `/`, sent as it is",
    example: "v3/scopes",
  }),
});

/** The proxy's operations, one a method. */
export function describeProxyRoute(registry: Registry) {
  for (const method of PROXY_METHODS) {
    registry.registerPath({
      method,
      path: "/api/integrations/{id}/proxy/{rest}",
      tags: ["Proxy"],
      security,
      summary: `Call the provider's API with the integration's credentials (${method.toUpperCase()})`,
      description: PROXY_DESCRIPTION,
      request: {
        params,
        ...(method === "get" || method === "head"
          ? {}
          : {
              body: {
                required: false,
                description: "Passed on to the provider as it is, with its Content-Type",
                content: { "*/*": { schema: z.string().openapi({ format: "binary" }) } },
              },
            }),
      },
      responses: {
        200: {
          description:
            "The provider's answer, with its own status (any status the provider gives passes through) and body",
          headers: {
            "X-Switchboard-Proxy-Attempts": {
              description: "How many calls the hub made to the provider (retries included)",
              schema: { type: "integer" },
            },
          },
          content: { "*/*": { schema: z.string().openapi({ format: "binary" }) } },
        },
        "3XX": { description: "The provider's redirect, passed back without its Location (never followed)" },
        400: error(
          "A path that would leave the provider's API, or a provider the proxy is not available for (SMTP, Odoo, sign-up pages)",
        ),
        401: errorResponses[401],
        403: error(
          "A member key and a call the provider does not declare read-only, or the request names another organization",
        ),
        404: errorResponses[404],
        409: error("The integration is disconnected or inactive, or has no API base URL"),
        413: errorResponses[413],
        429: error(
          "The hub's request budget for the account is spent (RATE_LIMITED, with Retry-After; the provider was not called), or the provider's own 429",
        ),
        502: error("The provider could not be reached (PROVIDER_UNREACHABLE), or the provider's own 502"),
        504: error("The provider did not answer in time (PROVIDER_TIMEOUT), or the provider's own 504"),
      },
    });
  }
}

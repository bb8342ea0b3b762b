/**
 * The hub's OpenAPI 3.1 document, written from the routes' own schemas (each sub-app's
 * `createRoute` definitions) and, for the plain routes that take any body (provider webhooks,
 * the proxy, sign-up submissions), from the descriptions in this folder. It is built ahead of
 * time, not by the Worker:
 * `npm run openapi` writes it to public/openapi.json, which Workers static assets serve at
 * GET /openapi.json, and `npm run lint` fails when that file no longer matches the routes. So the
 * deployed bundle carries no OpenAPI generator (wrangler.toml `[alias]`,
 * src/lib/openapi-bundle.ts), and the document is a file clients can also generate code from.
 */
import type { createApp } from "../app.ts";
import { describeProxyRoute } from "./proxy.ts";
import { describeSignupRoute } from "./signup.ts";
import { describeWebhookRoutes } from "./webhooks.ts";

/** The document's `openapi` and `info`. No `servers`: paths are relative to where it is served. */
export const DOCUMENT_HEAD = {
  openapi: "3.1.0",
  info: {
    title: "Switchboard",
    version: "0.1.0",
    description: "Integrations hub: per-organization connections with an encrypted credentials vault.",
    license: { name: "MIT", identifier: "MIT" },
  },
} as const;

/** The document of an app (the production entry's, for public/openapi.json). */
export function openApiDocument(app: ReturnType<typeof createApp>) {
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An organization API key (`sbk_…`)",
  });
  registry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The deployment's ADMIN_TOKEN",
  });
  describeSignupRoute(registry);
  describeProxyRoute(registry);
  describeWebhookRoutes(registry);
  return app.getOpenAPI31Document(DOCUMENT_HEAD);
}

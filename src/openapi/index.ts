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

/** The document's `openapi`, `info` and `servers`: paths are relative to where it is served. */
export const DOCUMENT_HEAD = {
  openapi: "3.1.0",
  info: {
    title: "Switchboard",
    version: "0.1.0",
    description: [
      "Integrations hub: per-organization connections to CRMs, messaging, email, SMS, calendars and",
      "accounting systems, with an encrypted credentials vault.",
      "",
      "## Authentication",
      "",
      "Every organization request sends an organization API key as a Bearer token",
      "(`Authorization: Bearer sbk_…`, the `apiKey` scheme); the organization comes from the key.",
      "`admin` keys read and write, `member` keys only read. A request naming another",
      "organization is refused (403), and another organization's object is always 404.",
      "",
      "The operator routes under `/admin` take the deployment's `ADMIN_TOKEN` instead (the",
      "`adminToken` scheme), also as a Bearer token. `POST /admin/organizations` creates an",
      "organization and answers its first admin API key, shown once.",
      "",
      "Public routes (`security: []`: health, the provider catalog, provider webhooks, OAuth",
      "callbacks, sign-up pages, a connect session's own calls) need no key. A missing or wrong",
      "key answers 401; 20 failures a minute per client address or per key prefix answer 429",
      "with `Retry-After` until the minute is over.",
      "",
      "## Errors",
      "",
      "Every error answers an `Error` body: `error` (a readable message), `code` (a stable code such",
      "as `INVALID_FIELD`), `issues` for invalid fields, and `request_id`, also sent as the",
      "`X-Request-Id` header.",
    ].join("\n"),
    license: { name: "MIT", identifier: "MIT" },
  },
  servers: [{ url: "/", description: "The deployment serving this document" }],
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
  const doc = app.getOpenAPI31Document({ ...DOCUMENT_HEAD, servers: [...DOCUMENT_HEAD.servers] });
  withOperationIds(doc as { paths?: Record<string, Record<string, unknown>> });
  return doc;
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;
const pascal = (word: string) =>
  word
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => (w[0] ?? "").toUpperCase() + w.slice(1))
    .join("");

/**
 * Gives every operation without one an `operationId` made from its method and path, the way
 * code generators name them: `GET /api/integrations/{id}/logs` is `getIntegrationsLogs`, the
 * parameters named at the end where two would otherwise share a name
 * (`getIntegrations`, `getIntegrationsById`). Stable: the same route always gets the same id.
 */
export function withOperationIds(doc: { paths?: Record<string, Record<string, unknown>> }): void {
  const taken = new Set<string>();
  const pending: { op: { operationId?: string }; base: string; params: string[] }[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const segments = path.split("/").filter((s) => s && s !== "api");
    const words = segments.filter((s) => !s.startsWith("{")).map(pascal);
    const params = segments.filter((s) => s.startsWith("{")).map((s) => pascal(s.slice(1, -1)));
    for (const method of METHODS) {
      const op = item[method] as { operationId?: string } | undefined;
      if (!op) continue;
      if (op.operationId) taken.add(op.operationId);
      else pending.push({ op, base: `${method}${words.join("")}`, params });
    }
  }
  const counts = new Map<string, number>();
  for (const p of pending) counts.set(p.base, (counts.get(p.base) ?? 0) + 1);
  for (const p of pending) {
    let id = p.base;
    if ((counts.get(p.base) ?? 0) > 1 && p.params.length) id = `${p.base}By${p.params.join("And")}`;
    for (let n = 2; taken.has(id); n++) id = `${p.base}${n}`;
    taken.add(id);
    p.op.operationId = id;
  }
}

/**
 * The OpenAPI document against the app: every route the production app answers is an operation
 * of the document (or is on the short list below, with the reason), and every operation of the
 * document is a route. The document is what the routes describe (src/openapi/); it is served at
 * GET /openapi.json as the static asset public/openapi.json, which must be that very document. The tenancy matrix and the fuzz take their operations from the
 * document, so a route missing from it would go untested by both.
 */

import { env } from "cloudflare:workers";
import { inspectRoutes } from "hono/dev";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { apiDocument, BASE } from "./harness.ts";

/** Routes the app answers that are not API operations, in Hono's syntax, each with its reason. */
const NOT_API: Record<string, string> = {
  "GET /ping": "the benchmark's bare baseline, answered before any middleware: not an API operation",
  "GET /docs": "the reference page for browsers, rendered from the document",
  "OPTIONS /signup/:id": "the browser's CORS preflight for a sign-up page's POST, which is documented",
};

/**
 * The methods a catch-all route (`app.all`) must document: those a client sends. OPTIONS is not
 * one: the CORS middleware answers it on /api/* before any route.
 */
const ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/** A path with its parameters blanked, so Hono's `/:id/proxy/*` and the document's `/{id}/proxy/{rest}` compare equal. */
const shape = (path: string) =>
  path
    .replace(/:[^/{]+(\{[^}]*\})?/g, "{}")
    .replace(/\{[^}]+\}/g, "{}")
    .replace(/\/\*$/, "/{}");

const doc = apiDocument() as { paths: Record<string, Record<string, { security?: unknown[] }>> };

/** The document's operations, as `METHOD shape`. */
const documented = new Set(
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${shape(path)}`),
  ),
);

/**
 * The production entry's routes (src/index.ts): handlers only, not middleware. The development
 * entry adds the provider simulator at /sandbox/*, which is not part of the hub's API.
 */
const routes = inspectRoutes(createApp())
  .filter((r) => !r.isMiddleware)
  .map((r) => ({ name: `${r.method} ${r.path}`, method: r.method, shape: shape(r.path) }));

describe("/openapi.json describes every route", () => {
  it("every route the app answers is an operation of the document, or listed with its reason", () => {
    const missing: string[] = [];
    for (const r of routes) {
      if (r.name in NOT_API) continue;
      const methods = r.method === "ALL" ? ALL_METHODS : [r.method];
      for (const m of methods)
        if (!documented.has(`${m} ${r.shape}`)) missing.push(`${m} ${r.name.slice(r.method.length + 1)}`);
    }
    expect(missing).toEqual([]);
  });

  it("every operation of the document is a route of the app", () => {
    const answered = new Set(
      routes.flatMap((r) => (r.method === "ALL" ? ALL_METHODS : [r.method]).map((m) => `${m} ${r.shape}`)),
    );
    expect([...documented].filter((op) => !answered.has(op))).toEqual([]);
  });

  it("every route listed as not API is still a route of the app", () => {
    const names = new Set(routes.map((r) => r.name));
    expect(Object.keys(NOT_API).filter((n) => !names.has(n))).toEqual([]);
  });

  it("the proxy needs an API key; sign-up posts and webhook URLs declare none", () => {
    const proxy = doc.paths["/api/integrations/{id}/proxy/{rest}"] ?? {};
    expect(Object.keys(proxy).sort()).toEqual(ALL_METHODS.map((m) => m.toLowerCase()).sort());
    for (const op of Object.values(proxy)) expect(op.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths["/signup/{id}"]?.post?.security).toEqual([]);
    for (const path of [
      "/webhooks/{provider}/{integration_id}",
      "/api/integrations/{provider}/webhook",
      "/webhook",
    ]) {
      const item = doc.paths[path] ?? {};
      expect(Object.keys(item).sort(), path).toEqual(["get", "head", "post"]);
      for (const op of Object.values(item)) expect(op.security, path).toEqual([]);
    }
  });
});

describe("GET /openapi.json", () => {
  it("is the static asset public/openapi.json, and it is the document the routes describe", async () => {
    const res = await env.ASSETS.fetch(new Request(`${BASE}/openapi.json`));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // Written by `npm run openapi`; stale after a route changed until it runs again.
    expect(await res.json()).toEqual(doc);
  });
});

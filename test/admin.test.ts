/** The operator API and API keys: shown once, stored as hashes, revocable, last use tracked. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, BASE, call, newOrg } from "./harness.ts";

describe("operator API and API keys", () => {
  it("creates an organization with a first admin key shown once and stored only as a hash", async () => {
    const r = await call("POST", "/admin/organizations", {
      key: ADMIN_TOKEN,
      body: { name: "Acme Corp", slug: "acme-corp" },
    });
    expect(r.status).toBe(201);
    expect(r.json.organization).toMatchObject({ name: "Acme Corp", slug: "acme-corp" });
    const secret: string = r.json.api_key;
    expect(secret).toMatch(/^sbk_[A-Za-z0-9_-]{32}$/);
    const row = await env.DB.prepare("select * from api_keys where org_id = ?")
      .bind(r.json.organization.id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row?.prefix).toBe(secret.slice(0, 12));
    const keys = await call("GET", `/admin/organizations/${r.json.organization.id}/api-keys`, {
      key: ADMIN_TOKEN,
    });
    expect(keys.text).not.toContain(secret);
    expect(keys.json.api_keys[0]).toMatchObject({
      role: "admin",
      prefix: secret.slice(0, 12),
      revoked_at: null,
    });
  });

  it("member keys read but do not write; revoked keys stop working", async () => {
    const org = await newOrg();
    expect((await call("GET", "/api/integrations", { key: org.memberKey })).status).toBe(200);
    expect(
      (
        await call("POST", "/api/integrations", {
          key: org.memberKey,
          body: { provider: "telegram", name: "x", bot_token: "1:a" },
        })
      ).status,
    ).toBe(403);
    const keys = await call("GET", `/admin/organizations/${org.orgId}/api-keys`, { key: ADMIN_TOKEN });
    const member = keys.json.api_keys.find((k: { role: string }) => k.role === "member");
    const revoked = await call("DELETE", `/admin/organizations/${org.orgId}/api-keys/${member.id}`, {
      key: ADMIN_TOKEN,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.key.revoked_at).toEqual(expect.any(String));
    expect((await call("GET", "/api/integrations", { key: org.memberKey })).status).toBe(401);
    expect((await call("GET", "/api/integrations", { key: org.adminKey })).status).toBe(200);
  });

  it("tracks last_used_at", async () => {
    const org = await newOrg();
    // last_used_at is written after the response (waitUntil): `env` runs the request in its own
    // execution context and waits for what it left running.
    await call("GET", "/api/integrations", { key: org.adminKey, env: {} });
    const keys = await call("GET", `/admin/organizations/${org.orgId}/api-keys`, { key: ADMIN_TOKEN });
    const used = keys.json.api_keys.find((k: { role: string }) => k.role === "admin").last_used_at;
    expect(used).toEqual(expect.any(String));
  });

  it("an org_id, X-Org-ID or organization_slug naming the key's own organization is accepted", async () => {
    const org = await newOrg();
    expect((await call("GET", `/api/integrations?org_id=${org.orgId}`, { key: org.adminKey })).status).toBe(
      200,
    );
    expect(
      (await call("GET", "/api/integrations", { key: org.adminKey, headers: { "x-org-id": org.orgId } }))
        .status,
    ).toBe(200);
    expect(
      (await call("GET", `/api/integrations?organization_slug=${org.slug}`, { key: org.adminKey })).status,
    ).toBe(200);
  });

  it("lists organizations", async () => {
    const org = await newOrg();
    const r = await call("GET", "/admin/organizations", { key: ADMIN_TOKEN });
    expect(r.json.organizations.map((o: { id: string }) => o.id)).toContain(org.orgId);
  });

  it("concurrent creates with one slug give one organization and 409s, never a 500", async () => {
    const slug = `race-${Math.random().toString(36).slice(2, 10)}`;
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        call("POST", "/admin/organizations", { key: ADMIN_TOKEN, body: { name: "Racer", slug } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const rows = await env.DB.prepare("select count(*) as n from organizations where slug = ?")
      .bind(slug)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});

describe("health, OpenAPI and docs", () => {
  it("health reports database, migrations and keys", async () => {
    const r = await call("GET", "/health");
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      status: "ok",
      checks: { database: { ok: true }, migrations: { ok: true }, keys: { ok: true } },
    });
  });

  it("the build's migration manifest matches migrations/", async () => {
    const { EXPECTED_MIGRATIONS } = await import("../src/db/migrations.ts");
    expect([...EXPECTED_MIGRATIONS]).toEqual(env.TEST_MIGRATIONS.map((m) => m.name));
  });

  it("serves an OpenAPI 3.1 document with every route family, and a reference page", async () => {
    const served = await env.ASSETS.fetch(new Request(`${BASE}/openapi.json`));
    expect(served.status).toBe(200);
    const r = { json: (await served.json()) as { openapi: string; paths: Record<string, unknown> } };
    expect(r.json.openapi).toBe("3.1.0");
    for (const p of [
      "/api/integrations",
      "/api/integrations/{id}",
      "/api/integrations/{id}/configure/{type}",
      "/api/integrations/{provider}/connect",
      "/api/integrations/stats",
      "/organization-integrations",
      "/create-organization-integration",
      "/admin/organizations",
      "/health",
    ]) {
      expect(Object.keys(r.json.paths)).toContain(p);
    }
    const docs = await call("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.text).toContain("/openapi.json");
  });

  it("every response carries a request id", async () => {
    const r = await call("GET", "/health", { headers: { "x-request-id": "trace-abc-123" } });
    expect(r.headers.get("x-request-id")).toBe("trace-abc-123");
    const e = await call("GET", "/api/integrations");
    expect(e.json.request_id).toBe(e.headers.get("x-request-id"));
  });
});

describe("browser clients", () => {
  it("answers CORS preflights without a key and exposes the request id", async () => {
    for (const path of [
      "/organization-integrations",
      "/create-organization-integration",
      "/api/integrations",
    ]) {
      const r = await call("OPTIONS", path, {
        headers: {
          origin: "https://app.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(r.status, path).toBe(204);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(r.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    }
    const org = await newOrg();
    const r = await call("GET", "/api/integrations", {
      key: org.adminKey,
      headers: { origin: "https://app.example.com" },
    });
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
  });
});

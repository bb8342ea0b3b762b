/**
 * What a client stores can never break a list or override what the hub owns: free-form JSON
 * (config, credentials, extra, provider json fields, push data) is bounded at the edge (depth,
 * keys, string length) with a 400 naming the field and nothing written; a stored value over the
 * limits still lists; ids, organization, status, counters and timestamps stay the hub's.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { JSON_LIMITS } from "../src/lib/json-limits.ts";
import { call, newIntegration, newOrg, type TestOrg } from "./harness.ts";

const TABLES = ["integrations", "integration_logs", "audit_logs", "records", "record_pushes"];

async function snapshot(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await env.DB.prepare(`select count(*) as n from ${t}`).first<{ n: number }>();
    out[t] = r?.n ?? -1;
  }
  return out;
}

/** `{"a":{"a":…1…}}` nested `depth` objects deep, as JSON text (built without recursion). */
const deepText = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const wide = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

let org: TestOrg;
let sendgrid: { id: string };
let quickbooks: { id: string };

beforeAll(async () => {
  org = await newOrg("Stored Values Org");
  sendgrid = await newIntegration(org, {
    provider: "sendgrid",
    name: "SG",
    api_key: "SG.k",
    from_email: "a@b.co",
  });
  quickbooks = await newIntegration(org, {
    provider: "quickbooks",
    name: "QB",
    access_token: "at",
    refresh_token: "rt",
    realm_id: "123",
  });
});

/** [method, path, body with the hostile value in place of HOLE, the field the 400 names]. */
const routes = (): [string, string, string, string][] => [
  ["POST", "/api/integrations", '{"provider":"other","name":"deep","config":HOLE}', "config"],
  ["POST", "/api/integrations", '{"provider":"other","name":"deep","credentials":HOLE}', "credentials"],
  ["POST", "/api/integrations", '{"provider":"signup_page","name":"deep","form_fields":HOLE}', "form_fields"],
  ["PUT", `/api/integrations/${sendgrid.id}`, '{"config":HOLE}', "config"],
  ["PATCH", `/api/integrations/${sendgrid.id}`, '{"config":HOLE}', "config"],
  ["POST", `/api/integrations/${sendgrid.id}/configure/email`, '{"config":HOLE}', "config"],
  ["POST", "/api/integrations/sendgrid/connect", '{"token":"SG.x","extra":HOLE}', "extra"],
  [
    "POST",
    "/create-organization-integration",
    '{"integration_type":"other","name":"deep","config":HOLE}',
    "config",
  ],
  ["POST", "/update-organization-integration", `{"id":"${sendgrid.id}","config":HOLE}`, "config"],
  ["POST", `/api/integrations/${quickbooks.id}/records/customers`, '{"data":HOLE}', "data"],
];

describe("free-form JSON is bounded at the edge", () => {
  it.each([
    ["nested 10,000 deep", deepText(10_000)],
    [`nested ${JSON_LIMITS.depth + 1} deep`, deepText(JSON_LIMITS.depth + 1)],
    ["with too many keys", JSON.stringify(wide(JSON_LIMITS.keys + 1))],
    ["with a string over the limit", JSON.stringify({ note: "x".repeat(JSON_LIMITS.stringLength + 1) })],
    ["with a key over the limit", JSON.stringify({ ["k".repeat(JSON_LIMITS.keyLength + 1)]: 1 })],
  ])("a value %s is a 400 naming the field on every route, nothing written", async (_, hole) => {
    const before = await snapshot();
    for (const [method, path, body, field] of routes()) {
      const r = await call(method, path, {
        key: org.adminKey,
        raw: body.replace("HOLE", hole),
        contentType: "application/json",
      });
      expect(r.status, `${method} ${path} → ${r.text.slice(0, 300)}`).toBe(400);
      expect(r.json.code).toBe("INVALID_FIELD");
      expect(r.json.issues[0].path.split(".")[0], `${method} ${path}`).toBe(field);
      expect(r.json.error).toMatch(new RegExp(`^${field}`));
    }
    expect(await snapshot()).toEqual(before);
    expect((await call("GET", "/api/integrations", { key: org.adminKey })).status).toBe(200);
  });

  it(`a value ${JSON_LIMITS.depth} deep is accepted`, async () => {
    const r = await call("POST", "/api/integrations", {
      key: org.adminKey,
      raw: `{"provider":"other","name":"deep ok","config":${deepText(JSON_LIMITS.depth)}}`,
      contentType: "application/json",
    });
    expect(r.status, r.text).toBe(201);
  });

  it("a stored value over the limits does not break the organization's lists", async () => {
    const o = await newOrg();
    const i = await newIntegration(o, { provider: "other", name: "victim", config: { a: 1 } });
    await env.DB.prepare("UPDATE integrations SET config = ? WHERE id = ?")
      .bind(deepText(10_000), i.id)
      .run();
    for (const path of [
      "/api/integrations",
      `/api/integrations/${i.id}`,
      "/organization-integrations",
      `/organization-integration/${i.id}`,
      "/api/integrations/stats",
    ]) {
      const r = await call("GET", path, { key: o.adminKey });
      expect(r.status, `${path} → ${r.text.slice(0, 300)}`).toBe(200);
    }
  });
});

/** The integration's hub-owned columns, read straight from D1. */
async function owned(id: string) {
  return env.DB.prepare(
    "SELECT id, org_id, provider, status, is_active, error_count, last_error, last_sync_at, created_at, token_expires_at, disconnected_at FROM integrations WHERE id = ?",
  )
    .bind(id)
    .first<Record<string, unknown>>();
}

describe("fields a client must not set stay the hub's", () => {
  it("a client-sent status never overrides the hub's: pending stays pending on create", async () => {
    const o = await newOrg();
    // sendgrid without its api_key is pending whatever the client says.
    const r = await call("POST", "/api/integrations", {
      key: o.adminKey,
      body: { provider: "sendgrid", name: "no key", from_email: "a@b.co", status: "active" },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json.integration.status).toBe("pending");
    expect(r.json.integration.missing_fields).toEqual(["api_key"]);
  });

  it("status active on an integration in error keeps error until its credentials change, also switched off and on (002's PUT still works)", async () => {
    const o = await newOrg();
    const i = await newIntegration(o, {
      provider: "sendgrid",
      name: "SG",
      api_key: "SG.k",
      from_email: "a@b.co",
    });
    await env.DB.prepare(
      "UPDATE integrations SET status = 'error', last_error = 'HTTP 401', error_count = 3 WHERE id = ?",
    )
      .bind(i.id)
      .run();
    // 002's documented update body.
    const put = await call("PUT", `/api/integrations/${i.id}`, {
      key: o.adminKey,
      body: { name: "Updated Name", is_active: true, status: "active" },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.json.integration).toMatchObject({ name: "Updated Name", status: "error", error_count: 3 });
    // status inactive is the same as is_active false.
    const off = await call("PATCH", `/api/integrations/${i.id}`, {
      key: o.adminKey,
      body: { status: "inactive" },
    });
    expect(off.status, off.text).toBe(200);
    expect(off.json.integration).toMatchObject({
      is_active: false,
      status: "inactive",
      last_error: "HTTP 401",
    });
    // Switched on again, it is still in error: only a passing test or new credentials clear it.
    const on = await call("PATCH", `/api/integrations/${i.id}`, {
      key: o.adminKey,
      body: { status: "active" },
    });
    expect(on.json.integration).toMatchObject({ is_active: true, status: "error", last_error: "HTTP 401" });
  });

  it.each([
    [{ status: "error" }, "status"],
    [{ status: "pending" }, "status"],
    [{ status: "active", is_active: false }, "status"],
    [{ error_count: 0 }, "error_count"],
    [{ last_error: null }, "last_error"],
    [{ last_sync_at: "2030-01-01T00:00:00Z" }, "last_sync_at"],
    [{ last_tested_at: "2030-01-01T00:00:00Z" }, "last_tested_at"],
    [{ created_at: "2000-01-01T00:00:00Z" }, "created_at"],
    [{ updated_at: "2000-01-01T00:00:00Z" }, "updated_at"],
    [{ disconnected_at: null }, "disconnected_at"],
    [{ id: "01a20000-0000-7000-8000-000000000000" }, "id"],
    [{ secrets: { api_key: "x" } }, "secrets"],
    [{ missing_fields: [] }, "missing_fields"],
    [{ token_expires_at: "2099-01-01T00:00:00Z" }, "token_expires_at"],
  ])("REST update %j is a 400 naming %s, nothing changed", async (body, field) => {
    const o = await newOrg();
    const i = await newIntegration(o, {
      provider: "sendgrid",
      name: "SG",
      api_key: "SG.k",
      from_email: "a@b.co",
    });
    await env.DB.prepare(
      "UPDATE integrations SET status = 'error', last_error = 'HTTP 401', error_count = 3 WHERE id = ?",
    )
      .bind(i.id)
      .run();
    const before = await owned(i.id);
    for (const method of ["PUT", "PATCH"]) {
      const r = await call(method, `/api/integrations/${i.id}`, { key: o.adminKey, body });
      expect(r.status, r.text).toBe(400);
      expect(r.json.issues[0].path).toBe(field);
    }
    const create = await call("POST", "/api/integrations", {
      key: o.adminKey,
      body: { provider: "sendgrid", name: "SG2", from_email: "a@b.co", ...body },
    });
    expect(create.status, create.text).toBe(400);
    expect(await owned(i.id)).toEqual(before);
  });

  it("token_expires_at may come with the access token it describes", async () => {
    const o = await newOrg();
    const r = await call("POST", "/api/integrations", {
      key: o.adminKey,
      body: {
        provider: "hubspot",
        name: "HS",
        access_token: "at",
        refresh_token: "rt",
        token_expires_at: "2099-01-01T00:00:00Z",
      },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json.integration.token_expires_at).toBe("2099-01-01T00:00:00Z");
    const compat = await call("POST", "/update-organization-integration", {
      key: o.adminKey,
      body: { id: r.json.integration.id, token_expires_at: "2098-01-01T00:00:00Z" },
    });
    expect(compat.status, compat.text).toBe(400);
    expect(compat.json.issues[0].path).toBe("token_expires_at");
    expect((await owned(r.json.integration.id))?.token_expires_at).toBe("2099-01-01T00:00:00Z");
  });

  it("the 001 dialect ignores hub-owned fields a client echoes back", async () => {
    const o = await newOrg();
    const other = await newOrg();
    const fake = {
      id: "01a20000-0000-7000-8000-000000000000",
      status: "error",
      error_count: 42,
      last_error: "forged",
      last_sync_at: "2030-01-01T00:00:00Z",
      created_at: "2000-01-01T00:00:00Z",
      updated_at: "2000-01-01T00:00:00Z",
    };
    const created = await call("POST", "/create-organization-integration", {
      key: o.adminKey,
      body: { ...fake, org_id: o.orgId, integration_type: "other", name: "Echo", api_key: "k" },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json.integration.id;
    expect(id).not.toBe(fake.id);
    const row = await owned(id);
    expect(row).toMatchObject({
      org_id: o.orgId,
      status: "active",
      error_count: 0,
      last_error: null,
      last_sync_at: null,
    });
    expect(row?.created_at).not.toBe(fake.created_at);
    const updated = await call("POST", "/update-organization-integration", {
      key: o.adminKey,
      body: { ...fake, id, name: "Echo 2" },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(await owned(id)).toMatchObject({
      status: "active",
      error_count: 0,
      last_error: null,
      created_at: row?.created_at,
    });
    // Another organization's id moves nothing.
    const moved = await call("POST", "/update-organization-integration", {
      key: o.adminKey,
      body: { id, org_id: other.orgId, name: "Moved" },
    });
    expect(moved.status).toBe(403);
    expect((await owned(id))?.org_id).toBe(o.orgId);
  });

  it("a message's status, attempts and id are the hub's", async () => {
    const o = await newOrg();
    await newIntegration(o, { provider: "telegram", name: "TG", bot_token: "123:abc" });
    const r = await call("POST", "/api/messages", {
      key: o.adminKey,
      body: {
        channel: "telegram",
        to: "1001",
        text: "hi",
        status: "delivered",
        attempts: 9,
        id: "msg_forged",
      },
    });
    expect(r.status, r.text).toBe(202);
    expect(r.json.message.id).not.toBe("msg_forged");
    expect(r.json.message.status).not.toBe("delivered");
    expect(r.json.message.attempts).toBeLessThan(9);
  });
});

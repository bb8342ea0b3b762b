/**
 * Bad input on every route family: the right status and a JSON error, never a 500, and nothing
 * written (row counts of every table are compared before and after).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, type CallResult, call, newIntegration, newOrg, type TestOrg } from "./harness.ts";

const TABLES = [
  "organizations",
  "org_keys",
  "api_keys",
  "integrations",
  "integration_logs",
  "audit_logs",
  "key_rotations",
];

async function snapshot(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const r = await env.DB.prepare(`select count(*) as n from ${t}`).first<{ n: number }>();
    out[t] = r?.n ?? -1;
  }
  return out;
}

function expectJsonError(r: CallResult, status: number) {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/application\/json/);
  expect(r.json.error).toEqual(expect.any(String));
  expect(r.json.request_id).toEqual(expect.any(String));
}

let org: TestOrg;
let integrationId: string;

beforeAll(async () => {
  org = await newOrg("Bad Input Org");
  const i = await newIntegration(org, {
    provider: "sendgrid",
    name: "SG",
    api_key: "SG.k",
    from_email: "a@b.co",
  });
  integrationId = i.id;
});

/** Every JSON-bodied route: [method, path, key kind]. */
const writeRoutes = (): [string, string, "org" | "admin"][] => [
  ["POST", "/api/integrations", "org"],
  ["PUT", `/api/integrations/${integrationId}`, "org"],
  ["PATCH", `/api/integrations/${integrationId}`, "org"],
  ["POST", `/api/integrations/${integrationId}/configure/email`, "org"],
  ["POST", "/api/integrations/sendgrid/connect", "org"],
  ["POST", "/create-organization-integration", "org"],
  ["POST", "/update-organization-integration", "org"],
  ["POST", "/toggle-organization-integration", "org"],
  ["POST", "/delete-organization-integration", "org"],
  ["POST", "/admin/organizations", "admin"],
  ["POST", `/admin/organizations/${org.orgId}/api-keys`, "admin"],
];

const keyFor = (kind: "org" | "admin") => (kind === "admin" ? ADMIN_TOKEN : org.adminKey);

describe("bad input writes nothing and never 500s", () => {
  it("malformed JSON is 400 on every JSON route", async () => {
    const before = await snapshot();
    for (const [method, path, kind] of writeRoutes()) {
      const r = await call(method, path, {
        key: keyFor(kind),
        raw: '{"name": "x",',
        contentType: "application/json",
      });
      expectJsonError(r, 400);
      expect(r.json.code, path).toBe("MALFORMED_JSON");
    }
    expect(await snapshot()).toEqual(before);
  });

  it("a non-JSON content type is 415 on every JSON route", async () => {
    const before = await snapshot();
    for (const [method, path, kind] of writeRoutes()) {
      for (const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
      ]) {
        const r = await call(method, path, { key: keyFor(kind), raw: "name=x", contentType: type });
        expectJsonError(r, 415);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("a body over 1 MiB is 413", async () => {
    const before = await snapshot();
    const big = JSON.stringify({
      name: "x",
      provider: "other",
      config: { blob: "a".repeat(1024 * 1024 + 10) },
    });
    for (const [method, path, kind] of writeRoutes()) {
      const r = await call(method, path, { key: keyFor(kind), raw: big, contentType: "application/json" });
      expectJsonError(r, 413);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("no key is 401 and a member key writing is 403", async () => {
    const before = await snapshot();
    for (const [method, path, kind] of writeRoutes()) {
      expectJsonError(await call(method, path, { body: { name: "x" } }), 401);
      if (kind === "org")
        expectJsonError(
          await call(method, path, { key: org.memberKey, body: { name: "x", id: integrationId } }),
          403,
        );
    }
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    [{ provider: "nope", name: "x" }, "provider"],
    [{ integration_type: "fax", name: "x" }, "integration_type"],
    [{ provider: "sendgrid" }, "name"],
    [{ provider: "sendgrid", name: "" }, "name"],
    [{ provider: "sendgrid", name: "x", from_email: "not-an-email" }, "from_email"],
    [{ provider: "sendgrid", name: "x", unknown_field: 1 }, "unknown_field"],
    [{ provider: "sendgrid", name: "x", api_key: 42 }, "api_key"],
    [{ provider: "sendgrid", name: "x", is_active: "yes" }, "is_active"],
    [{ provider: "sendgrid", name: "x", config: "nope" }, "config"],
    [{ provider: "sendgrid", name: "x", status: "broken" }, "status"],
    [{ provider: "twilio", name: "x", from_phone_number: "555-1234" }, "from_phone_number"],
    [{ provider: "smtp", name: "x", port: "abc" }, "port"],
    [{ provider: "other", name: "x", api_base_url: "http://169.254.169.254/" }, "api_base_url"],
    [{ provider: "other", name: "x", api_base_url: "ftp://example.com" }, "api_base_url"],
    [{ provider: "sendgrid", name: "x", integration_type: "sms" }, "integration_type"],
  ])("create %j is 400 naming %s", async (body, field) => {
    const before = await snapshot();
    const r = await call("POST", "/api/integrations", { key: org.adminKey, body });
    expectJsonError(r, 400);
    expect(r.json.issues.map((i: { path: string }) => i.path).join(" ")).toContain(field);
    expect(r.json.error).toContain(field);
    expect(await snapshot()).toEqual(before);
  });

  it("a customer-supplied SMTP host on a private address is refused (outside the sandbox)", async () => {
    const before = await snapshot();
    for (const host of ["127.0.0.1", "10.1.2.3", "169.254.169.254", "localhost", "::1"]) {
      const r = await call("POST", "/api/integrations", {
        key: org.adminKey,
        env: { SANDBOX_ENABLED: "false" },
        body: {
          provider: "smtp",
          name: `smtp ${host}`,
          host,
          port: 587,
          security: "starttls",
          from_email: "a@b.co",
        },
      });
      expectJsonError(r, 400);
      expect(r.json.issues[0].path).toBe("host");
    }
    expect(await snapshot()).toEqual(before);
  });

  it("update with an invalid field is 400 and changes nothing", async () => {
    const before = await snapshot();
    const got = await call("GET", `/api/integrations/${integrationId}`, { key: org.adminKey });
    for (const body of [{ from_email: "bad" }, { name: 5 }, { token_expires_at: "tomorrow" }, { nope: 1 }]) {
      expectJsonError(
        await call("PATCH", `/api/integrations/${integrationId}`, { key: org.adminKey, body }),
        400,
      );
    }
    expect(await snapshot()).toEqual(before);
    expect((await call("GET", `/api/integrations/${integrationId}`, { key: org.adminKey })).json).toEqual(
      got.json,
    );
  });

  it("missing objects are 404, and connect/disconnect of unknown providers are 400", async () => {
    const missing = "01a20000-0000-7000-8000-000000000000";
    for (const [method, path] of [
      ["GET", `/api/integrations/${missing}`],
      ["GET", "/api/integrations/not-a-uuid"],
      ["PUT", `/api/integrations/${missing}`],
      ["DELETE", `/api/integrations/${missing}`],
      ["GET", `/api/integrations/${missing}/logs`],
      ["POST", `/api/integrations/${missing}/configure/email`],
      ["GET", `/organization-integration/${missing}`],
      ["GET", "/organization-integration/123"],
      ["GET", "/admin/organizations/nope"],
      ["GET", "/api/nothing-here"],
    ] as const) {
      const key = path.startsWith("/admin") ? ADMIN_TOKEN : org.adminKey;
      expectJsonError(
        await call(method, path, { key, body: method === "GET" || method === "DELETE" ? undefined : {} }),
        404,
      );
    }
    for (const body of [{ id: missing, active: true }]) {
      for (const path of [
        "/update-organization-integration",
        "/toggle-organization-integration",
        "/delete-organization-integration",
      ]) {
        expectJsonError(await call("POST", path, { key: org.adminKey, body }), 404);
      }
    }
    expectJsonError(
      await call("POST", "/api/integrations/myspace/connect", { key: org.adminKey, body: { token: "t" } }),
      400,
    );
    expectJsonError(await call("DELETE", "/api/integrations/myspace", { key: org.adminKey }), 400);
    expectJsonError(await call("POST", "/api/integrations/telegram/disconnect", { key: org.adminKey }), 404);
  });

  it("query parameters are validated", async () => {
    for (const q of [
      "limit=0",
      "limit=201",
      "limit=abc",
      "cursor=%%%",
      "cursor=bm9wZQ",
      "active_only=maybe",
    ]) {
      expectJsonError(await call("GET", `/api/integrations?${q}`, { key: org.adminKey }), 400);
    }
  });

  it("operator bad input: slug taken 409, bad role 400, wrong token 401", async () => {
    const before = await snapshot();
    const slug = (await call("GET", `/admin/organizations/${org.orgId}`, { key: ADMIN_TOKEN })).json
      .organization.slug;
    expectJsonError(
      await call("POST", "/admin/organizations", { key: ADMIN_TOKEN, body: { name: "Dup", slug } }),
      409,
    );
    expectJsonError(
      await call("POST", "/admin/organizations", {
        key: ADMIN_TOKEN,
        body: { name: "x", slug: "Not A Slug" },
      }),
      400,
    );
    expectJsonError(
      await call("POST", `/admin/organizations/${org.orgId}/api-keys`, {
        key: ADMIN_TOKEN,
        body: { role: "root" },
      }),
      400,
    );
    expectJsonError(
      await call("POST", "/admin/organizations", { key: "wrong-token-wrong-token", body: { name: "x" } }),
      401,
    );
    expectJsonError(
      await call("POST", "/admin/organizations", { key: org.adminKey, body: { name: "x" } }),
      401,
    );
    expect(await snapshot()).toEqual(before);
  });

  it("garbage of every JSON shape on every route never answers 500", async () => {
    const shapes: unknown[] = [
      null,
      0,
      -1,
      1e308,
      "",
      "x",
      [],
      [1, 2],
      {},
      { id: [] },
      { id: {} },
      { name: {} },
      { config: [] },
      { active: "true" },
      { token: null },
      { extra: "x" },
      { role: 1 },
      { __proto__: { a: 1 } },
      { name: "\u0000\uffff" },
      { org_id: 5 },
    ];
    for (const [method, path, kind] of writeRoutes()) {
      for (const body of shapes) {
        const r = await call(method, path, {
          key: keyFor(kind),
          raw: JSON.stringify(body),
          contentType: "application/json",
        });
        expect(r.status, `${method} ${path} ${JSON.stringify(body)} → ${r.text}`).toBeLessThan(500);
        expect(r.json, r.text).not.toBeNull();
      }
    }
  });
});

/**
 * The API proxy against the sandbox: credentials injected per auth kind, the response passed
 * through, retries on 429, refused paths, tenancy, roles, and no secret in answers or logs.
 */
import { describe, expect, it } from "vitest";
import { SANDBOX_ACCESS_KEY_ID, SANDBOX_SECRET_ACCESS_KEY } from "../src/sandbox/providers/aws_ses.ts";
import { checkProxyPath } from "../src/services/proxy.ts";
import { call, newIntegration, newOrg, type TestOrg } from "./harness.ts";

const SID = `AC${"0123456789abcdef".repeat(2)}`;
const TWILIO_TOKEN = "f00dfacecafe0123456789abcdef0123";
const SENDGRID_KEY = "SG.proxytestkey.0123456789abcdefXYZ";
const BOT_TOKEN = "123456:ABCdef_proxy-token";
const OTHER_KEY = "other-proxy-key-0123456789";

const proxy = (
  org: TestOrg,
  id: string,
  path: string,
  opts: Parameters<typeof call>[2] = {},
  method = "GET",
) => call(method, `/api/integrations/${id}/proxy${path}`, { key: org.adminKey, ...opts });

async function logsOf(org: TestOrg, id: string) {
  const r = await call("GET", `/api/integrations/${id}/logs`, { key: org.adminKey });
  expect(r.status).toBe(200);
  return {
    text: r.text,
    logs: r.json.logs as { action: string; message: string; details: Record<string, unknown> }[],
  };
}

async function otherIntegration(org: TestOrg) {
  return newIntegration(org, {
    provider: "other",
    name: `Custom ${crypto.randomUUID().slice(0, 8)}`,
    api_base_url: "https://hub.test/sandbox/other",
    api_key: OTHER_KEY,
  });
}

describe("proxy: credentials per auth kind", () => {
  it("bearer (SendGrid): injects the API key and passes the answer through", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "sendgrid",
      name: "Mail",
      api_key: SENDGRID_KEY,
      from_email: "hello@example.com",
    });
    const r = await proxy(org, i.id, "/v3/scopes");
    expect(r.status).toBe(200);
    expect(r.json.scopes).toContain("mail.send");
    expect(r.headers.get("content-type")).toMatch(/json/);
    expect(r.headers.get("x-switchboard-proxy-attempts")).toBe("1");
    expect(r.text).not.toContain(SENDGRID_KEY);
    const { logs, text } = await logsOf(org, i.id);
    expect(logs[0]).toMatchObject({
      action: "proxy",
      details: { method: "GET", path: "/v3/scopes", status: 200, attempts: 1 },
    });
    expect(typeof logs[0]?.details.latency_ms).toBe("number");
    expect(text).not.toContain(SENDGRID_KEY);
  });

  it("basic (Twilio): Account SID and Auth Token; the token the Account carries is scrubbed", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "twilio",
      name: "SMS",
      account_sid: SID,
      auth_token: TWILIO_TOKEN,
      from_phone_number: "+15005550006",
    });
    const r = await proxy(org, i.id, `/2010-04-01/Accounts/${SID}.json`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ sid: SID, status: "active", auth_token: "[redacted]" });
    expect(r.text).not.toContain(TWILIO_TOKEN);
    expect((await logsOf(org, i.id)).text).not.toContain(TWILIO_TOKEN);
  });

  it("OAuth provider (HubSpot): the private-app or access token as Bearer", async () => {
    const org = await newOrg();
    const token = "pat-na1-proxy-0123456789";
    const i = await newIntegration(org, { provider: "hubspot", name: "CRM", private_app_token: token });
    const r = await proxy(org, i.id, "/account-info/v3/details");
    expect(r.status, r.text).toBe(200);
    expect(r.json.portalId).toBe(24681357);
    expect(r.text).not.toContain(token);
  });

  it("token in the path (Telegram): /proxy/getMe calls /bot<token>/getMe", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: BOT_TOKEN });
    const r = await proxy(org, i.id, "/getMe");
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, result: { id: 123456, is_bot: true } });
    expect(r.text).not.toContain(BOT_TOKEN);
    const { logs, text } = await logsOf(org, i.id);
    expect(logs[0]?.details).toMatchObject({ path: "/getMe", status: 200 });
    expect(text).not.toContain(BOT_TOKEN);
  });

  it("SigV4 (Amazon SES): the simulator verifies the signature", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "aws_ses",
      name: "SES",
      access_key_id: SANDBOX_ACCESS_KEY_ID,
      secret_access_key: SANDBOX_SECRET_ACCESS_KEY,
      region: "eu-west-1",
      from_email: "hello@example.com",
    });
    const r = await proxy(org, i.id, "/v2/email/account");
    expect(r.status, r.text).toBe(200);
    expect(r.json.SendingEnabled).toBe(true);
    expect(r.text).not.toContain(SANDBOX_SECRET_ACCESS_KEY);
  });

  it("api key (custom API): forwards method, query, body of any type and only safe headers", async () => {
    const org = await newOrg();
    const i = await otherIntegration(org);
    const r = await proxy(
      org,
      i.id,
      "/_echo?a=1&b=two",
      {
        raw: "<xml>hello</xml>",
        contentType: "application/xml",
        headers: { "idempotency-key": "abc", cookie: "session=1", "x-org-id": org.orgId },
      },
      "PUT",
    );
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      method: "PUT",
      path: "/other/_echo",
      query: "?a=1&b=two",
      content_type: "application/xml",
      body: "<xml>hello</xml>",
    });
    expect(r.json.headers).toContain("authorization");
    expect(r.json.headers).toContain("idempotency-key");
    expect(r.json.headers).not.toContain("cookie");
    expect(r.json.headers).not.toContain("x-org-id");
  });

  it("refuses providers whose API cannot be proxied (SMTP, Odoo JSON-RPC, sign-up pages)", async () => {
    const org = await newOrg();
    const smtp = await newIntegration(org, {
      provider: "smtp",
      name: "SMTP",
      host: "smtp.example.com",
      port: 587,
      username: "user",
      password: "secret-password",
      from_email: "hello@example.com",
    });
    const odoo = await newIntegration(org, {
      provider: "odoo_crm",
      name: "Odoo",
      api_base_url: "https://odoo.example.com",
      database: "db",
      username: "admin",
      api_key: "odoo-key-0123456789",
    });
    const page = await newIntegration(org, { provider: "signup_page", name: "Page" });
    for (const i of [smtp, odoo, page]) {
      const r = await proxy(org, i.id, "/anything");
      expect(r.status, r.text).toBe(400);
      expect(r.json.error).toMatch(/not available for this provider/);
    }
  });
});

describe("proxy: retries", () => {
  it("retries a 429 for GET after Retry-After and reports the attempts", async () => {
    const org = await newOrg();
    const i = await otherIntegration(org);
    const key = crypto.randomUUID();
    const started = Date.now();
    const r = await proxy(org, i.id, `/_flaky?key=${key}&status=429&times=1&retry_after=1`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, calls: 2 });
    expect(r.headers.get("x-switchboard-proxy-attempts")).toBe("2");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const { logs } = await logsOf(org, i.id);
    expect(logs[0]?.details).toMatchObject({ status: 200, attempts: 2 });
  });

  it("gives up after two retries and passes the last 503 through", async () => {
    const org = await newOrg();
    const i = await otherIntegration(org);
    const key = crypto.randomUUID();
    const r = await proxy(org, i.id, `/_flaky?key=${key}&status=503&times=5&retry_after=0`);
    expect(r.status).toBe(503);
    expect(r.headers.get("x-switchboard-proxy-attempts")).toBe("3");
    expect(r.headers.get("retry-after")).toBe("0");
  });

  it("does not retry a POST, nor a wait longer than the cap", async () => {
    const org = await newOrg();
    const i = await otherIntegration(org);
    const post = await proxy(
      org,
      i.id,
      `/_flaky?key=${crypto.randomUUID()}&status=503&times=1&retry_after=0`,
      {
        body: { a: 1 },
      },
      "POST",
    );
    expect(post.status).toBe(503);
    expect(post.headers.get("x-switchboard-proxy-attempts")).toBe("1");
    const long = await proxy(
      org,
      i.id,
      `/_flaky?key=${crypto.randomUUID()}&status=429&times=1&retry_after=60`,
    );
    expect(long.status).toBe(429);
    expect(long.headers.get("retry-after")).toBe("60");
    expect(long.headers.get("x-switchboard-proxy-attempts")).toBe("1");
  });
});

describe("proxy: paths that would leave the provider's API", () => {
  it.each([
    "/%2E%2E%2Fx",
    "/v3/%252e%252e/x",
    "/a/..%2f..%2fx",
    "//evil.com/x",
    "/%2f%2fevil.com/x",
    "/http://evil.com/x",
    "/https:%2f%2fevil.com",
    "/a%5cb",
    "/a/%00b",
  ])("%s is 400", async (path) => {
    const org = await newOrg();
    const i = await otherIntegration(org);
    const r = await proxy(org, i.id, path);
    expect(r.status, r.text).toBe(400);
    expect(r.json.error).toMatch(/Proxy path refused/);
  });

  it.each(["/../../../admin/organizations", "/%2e%2e/telegram/x", "/.%2E/x"])(
    "%s is normalized by the URL parser and never reaches the provider",
    async (path) => {
      const org = await newOrg();
      const i = await otherIntegration(org);
      const r = await proxy(org, i.id, path);
      expect(r.status).toBeGreaterThanOrEqual(400);
      const { logs } = await logsOf(org, i.id);
      expect(logs.some((l) => l.action === "proxy")).toBe(false);
    },
  );

  it("the path check refuses raw dot segments too", () => {
    expect(() => checkProxyPath("/%2e%2e/x")).toThrow(/refused/);
    expect(() => checkProxyPath("/v3/../../admin")).toThrow(/refused/);
    expect(() => checkProxyPath("/./x")).toThrow(/refused/);
    expect(() => checkProxyPath("/a\\b")).toThrow(/refused/);
    expect(() => checkProxyPath("/a//b")).toThrow(/refused/);
    expect(checkProxyPath("/v3/scopes")).toBe("/v3/scopes");
    expect(checkProxyPath("")).toBe("/");
  });
});

describe("proxy: tenancy, roles and state", () => {
  it("another organization's integration is 404", async () => {
    const owner = await newOrg();
    const other = await newOrg();
    const i = await otherIntegration(owner);
    const r = await proxy(other, i.id, "/_echo");
    expect(r.status).toBe(404);
  });

  it("a member key may GET but not write", async () => {
    const org = await newOrg();
    const i = await otherIntegration(org);
    const get = await proxy(org, i.id, "/_echo", { key: org.memberKey });
    expect(get.status).toBe(200);
    const post = await proxy(org, i.id, "/_echo", { key: org.memberKey, body: {} }, "POST");
    expect(post.status).toBe(403);
  });

  it("a disconnected integration is 409", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: BOT_TOKEN });
    const d = await call("POST", `/api/integrations/telegram/disconnect?integration_id=${i.id}`, {
      key: org.adminKey,
    });
    expect(d.status).toBe(200);
    const r = await proxy(org, i.id, "/getMe");
    expect(r.status).toBe(409);
    expect(r.json.error).toMatch(/disconnected/);
  });

  it("does not shadow the integration routes", async () => {
    const org = await newOrg();
    const i = await otherIntegration(org);
    expect((await call("GET", `/api/integrations/${i.id}`, { key: org.adminKey })).status).toBe(200);
    expect((await call("GET", `/api/integrations/${i.id}/logs`, { key: org.adminKey })).status).toBe(200);
  });
});

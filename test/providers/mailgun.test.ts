/** Mailgun through the sandbox: test connection (GET /v4/domains/{domain}) and sending (POST /v3/{domain}/messages). */
import { describe, expect, it } from "vitest";
import { test as testConnection } from "../../src/providers/mailgun/client.ts";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const KEY = "key-0123456789abcdef0123456789abcdef";
const settings = {
  domain: "mg.example.com",
  region: "us",
  from_email: "noreply@mg.example.com",
  from_name: "Example Shop, Inc.",
  reply_to: "help@example.com",
};

describe("mailgun", () => {
  it("test connection reads the sending domain and records success", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider: "mailgun", name: "Mail", api_key: KEY, ...settings });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, message: "Connected: sending domain mg.example.com is active" });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(KEY);
  });

  it("an invalid key fails the test with Mailgun's reason, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const bad = "key-invalid-0123456789";
    const i = await newIntegration(org, { provider: "mailgun", name: "Mail", api_key: bad, ...settings });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.json).toMatchObject({ ok: false, message: "Mailgun: Forbidden (HTTP 401)" });
    expect(r.json.integration).toMatchObject({
      status: "error",
      last_error: "Mailgun: Forbidden (HTTP 401)",
      error_count: 1,
    });
    expect(r.text).not.toContain(bad);
    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: { api_key: KEY } });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("a domain the account does not have fails the test with Mailgun's 404", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, {
      provider: "mailgun",
      name: "Mail",
      api_key: KEY,
      ...settings,
      domain: "localhost",
    });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.json).toMatchObject({ ok: false, message: "Mailgun: Domain not found (HTTP 404)" });
  });

  it("sends an email: 202 queued, then sent with Mailgun's Message-Id; the sandbox got the exact form fields", async () => {
    const org = await newOrg();
    await newIntegration(org, { provider: "mailgun", name: "Mail", api_key: KEY, ...settings });
    const subject = `Order confirmed ${crypto.randomUUID()}`;
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to: "alice@example.org", subject, text: "Thanks!", html: "<p>Thanks!</p>" },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "email", provider: "mailgun" });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(/^\d{14}\.[0-9a-f]{16}@mg\.example\.com$/);
    const got = (await sandboxInbox("mailgun")).find((m) => m.body.subject === subject);
    expect(got?.id).toBe(`<${sent.provider_message_id}>`);
    expect(got?.body).toEqual({
      from: '"Example Shop, Inc." <noreply@mg.example.com>',
      to: "alice@example.org",
      subject,
      text: "Thanks!",
      html: "<p>Thanks!</p>",
      "h:Reply-To": "help@example.com",
      "v:switchboard_message_id": r.json.message.id,
    });
  });

  it("an EU integration calls api.eu.mailgun.net when the base URL is the default", async () => {
    const urls: string[] = [];
    const ctx = (baseUrl: string) => ({
      baseUrl,
      config: { ...settings, region: "eu" },
      secrets: { api_key: KEY },
      timeoutMs: 1000,
      http: async (req: Request) => {
        urls.push(req.url);
        expect(req.headers.get("authorization")).toBe(`Basic ${btoa(`api:${KEY}`)}`);
        return Response.json({ domain: { name: "mg.example.com", state: "active" } });
      },
    });
    await testConnection(ctx("https://api.mailgun.net"));
    await testConnection(ctx("https://mailgun-proxy.example.com"));
    expect(urls).toEqual([
      "https://api.eu.mailgun.net/v4/domains/mg.example.com",
      "https://mailgun-proxy.example.com/v4/domains/mg.example.com",
    ]);
  });

  it("the simulator is strict: basic auth as api, form fields, Mailgun's error bodies", async () => {
    const path = "/sandbox/mailgun/v3/mg.example.com/messages";
    const bearer = await call("POST", path, {
      headers: { authorization: `Bearer ${KEY}` },
      raw: "from=a@b.co",
    });
    expect(bearer.status).toBe(401);
    expect(bearer.text).toBe("Forbidden");

    const auth = { authorization: `Basic ${btoa(`api:${KEY}`)}` };
    const json = await call("POST", path, {
      headers: auth,
      body: { from: "a@mg.example.com", to: "alice@example.org", subject: "Hi", text: "Hello" },
    });
    expect(json.status).toBe(400);
    expect(json.json).toEqual({ message: "'from' parameter is missing" });

    const noBody = await call("POST", path, {
      headers: auth,
      raw: new URLSearchParams({
        from: "a@mg.example.com",
        to: "alice@example.org",
        subject: "Hi",
      }).toString(),
      contentType: "application/x-www-form-urlencoded",
    });
    expect(noBody.status).toBe(400);
    expect(noBody.json).toEqual({
      message: "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified",
    });
  });
});

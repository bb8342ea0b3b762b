/** SendGrid through the sandbox: test connection (GET /v3/scopes) and sending (POST /v3/mail/send). */
import { describe, expect, it } from "vitest";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const KEY = "SG.sandboxkey123.abcDEF_ghi-jkl";
const sender = { from_email: "noreply@example.com", from_name: "Example Shop", reply_to: "help@example.com" };

describe("sendgrid", () => {
  it("test connection reads the key's scopes and records success", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider: "sendgrid", name: "Mail", api_key: KEY, ...sender });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      message: "Connected: the API key has the Mail Send permission (6 scopes)",
    });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(KEY);
  });

  it("an invalid key fails the test with SendGrid's reason, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const bad = "SG.invalid-key.abcdef";
    const i = await newIntegration(org, { provider: "sendgrid", name: "Mail", api_key: bad, ...sender });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    const reason = "SendGrid: The provided authorization grant is invalid, expired, or revoked (HTTP 401)";
    expect(r.json).toMatchObject({ ok: false, message: reason });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain(bad);
    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: { api_key: KEY } });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends an email: 202 queued, then sent with SendGrid's X-Message-Id; the sandbox got the exact v3 body", async () => {
    const org = await newOrg();
    await newIntegration(org, { provider: "sendgrid", name: "Mail", api_key: KEY, ...sender });
    const subject = `Order confirmed ${crypto.randomUUID()}`;
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to: "alice@example.org", subject, text: "Thanks!", html: "<p>Thanks!</p>" },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "email", provider: "sendgrid" });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(/^[\w-]{22}$/);
    const got = (await sandboxInbox("sendgrid")).find((m) => m.body.subject === subject);
    expect(got?.id).toBe(sent.provider_message_id);
    expect(got?.body).toEqual({
      personalizations: [{ to: [{ email: "alice@example.org" }] }],
      from: { email: "noreply@example.com", name: "Example Shop" },
      reply_to: { email: "help@example.com" },
      subject,
      content: [
        { type: "text/plain", value: "Thanks!" },
        { type: "text/html", value: "<p>Thanks!</p>" },
      ],
      custom_args: { switchboard_message_id: r.json.message.id },
    });
  });

  it("retries after a 429 using X-RateLimit-Reset, and fails for good on a rejected address", async () => {
    const org = await newOrg();
    await newIntegration(org, { provider: "sendgrid", name: "Mail", api_key: KEY, ...sender });
    const limited = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to: "bob@example.org", subject: "Hi [sandbox:429x1]", text: "Hello" },
    });
    const rejected = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to: "carol@example.org", subject: "Hi [sandbox:400]", text: "Hello" },
    });
    const retried = await waitForMessage(org, limited.json.message.id);
    expect(retried).toMatchObject({ status: "sent", attempts: 2 });
    const failed = await waitForMessage(org, rejected.json.message.id);
    expect(failed.status).toBe("failed");
    expect(failed.last_error).toBe(
      "SendGrid: Does not contain a valid address. (personalizations.0.to.0.email) (HTTP 400)",
    );
  });

  it("the simulator is strict: Bearer auth, JSON only, SendGrid's validation errors", async () => {
    const path = "/sandbox/sendgrid/v3/mail/send";
    const basic = await call("POST", path, {
      headers: { authorization: `Basic ${btoa(`apikey:${KEY}`)}` },
      body: {},
    });
    expect(basic.status).toBe(401);
    expect(basic.json).toEqual({ errors: [{ field: null, message: "authorization required" }] });

    const auth = { authorization: `Bearer ${KEY}` };
    const form = await call("POST", path, {
      headers: auth,
      raw: "to=alice@example.org&subject=Hi",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(415);

    const bad = await call("POST", path, {
      headers: auth,
      body: {
        personalizations: [{ to: [{ email: "not-an-address" }] }],
        content: [
          { type: "text/html", value: "<p>Hi</p>" },
          { type: "text/plain", value: "Hi" },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { field: string }) => e.field)).toEqual([
      "personalizations.0.to.0.email",
      "from",
      "subject",
      "content",
    ]);
    expect(bad.json.errors[2]).toEqual({
      message:
        "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
      field: "subject",
      help: "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.subject",
    });
  });
});

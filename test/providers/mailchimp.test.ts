/** Mailchimp Transactional (Mandrill) through the sandbox: users/ping (test) and messages/send (send). */
import { describe, expect, it } from "vitest";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const KEY = "md-Sandbox0123456789abcdef";
const sender = { from_email: "noreply@example.com", from_name: "Example Shop", reply_to: "help@example.com" };

describe("mailchimp (Transactional)", () => {
  it("test connection pings with the key in the body and records success", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { provider: "mailchimp", name: "Mail", api_key: KEY, ...sender });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      message: "Connected: Mailchimp Transactional accepted the API key (users/ping answered PONG!)",
    });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(KEY);
  });

  it("an invalid key (Invalid_Key, HTTP 500) fails the test as auth, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const bad = "md-invalid-key-0123";
    const i = await newIntegration(org, { provider: "mailchimp", name: "Mail", api_key: bad, ...sender });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    const reason = "Mailchimp Transactional: Invalid API key (HTTP 500)";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain(bad);
    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: { api_key: KEY } });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends an email: 202 queued, then sent with Mandrill's _id; the sandbox got the exact message", async () => {
    const org = await newOrg();
    await newIntegration(org, { provider: "mailchimp", name: "Mail", api_key: KEY, ...sender });
    const subject = `Order confirmed ${crypto.randomUUID()}`;
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to: "alice@example.org", subject, text: "Thanks!", html: "<p>Thanks!</p>" },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "email", provider: "mailchimp" });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(/^[0-9a-f]{32}$/);
    const got = (await sandboxInbox("mailchimp")).find((m) => m.id === sent.provider_message_id);
    // The simulator records the body without the key (which it checked).
    expect(got?.body).toEqual({
      message: {
        from_email: "noreply@example.com",
        from_name: "Example Shop",
        subject,
        text: "Thanks!",
        html: "<p>Thanks!</p>",
        to: [{ email: "alice@example.org", type: "to" }],
        headers: { "Reply-To": "help@example.com" },
        metadata: { switchboard_message_id: r.json.message.id },
      },
    });
  });

  it("a rejected recipient fails the message for good, without retries", async () => {
    const org = await newOrg();
    await newIntegration(org, { provider: "mailchimp", name: "Mail", api_key: KEY, ...sender });
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to: "bounce@example.org", subject: "Hi [sandbox:400]", text: "Hello" },
    });
    const failed = await waitForMessage(org, r.json.message.id);
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: "Mailchimp Transactional: bounce@example.org was rejected (hard-bounce)",
    });
  });

  it("the simulator is strict: key in a JSON body, Mandrill's error objects", async () => {
    const path = "/sandbox/mailchimp/api/1.3/messages/send";
    const bearer = await call("POST", path, {
      headers: { authorization: `Bearer ${KEY}` },
      body: { message: { from_email: "a@example.com", to: [{ email: "b@example.org" }] } },
    });
    expect(bearer.status).toBe(500);
    expect(bearer.json).toEqual({
      status: "error",
      code: -1,
      name: "ValidationError",
      message: "You must specify a key value",
    });

    const form = await call("POST", path, {
      raw: new URLSearchParams({ key: KEY }).toString(),
      contentType: "application/x-www-form-urlencoded",
    });
    expect(form.json).toMatchObject({ status: "error", message: "You must specify a key value" });

    const noTo = await call("POST", path, { body: { key: KEY, message: { from_email: "a@example.com" } } });
    expect(noTo.status).toBe(500);
    expect(noTo.json).toEqual({
      status: "error",
      code: -2,
      name: "ValidationError",
      message: 'Validation error: {"message":{"to":"Sorry, this field can\'t be left blank."}}',
    });

    const invalidTo = await call("POST", path, {
      body: {
        key: KEY,
        message: { from_email: "a@example.com", to: [{ email: "nobody@localhost", type: "to" }] },
      },
    });
    expect(invalidTo.status).toBe(200);
    expect(invalidTo.json).toEqual([
      {
        email: "nobody@localhost",
        status: "invalid",
        _id: expect.any(String),
        reject_reason: null,
        queued_reason: null,
      },
    ]);
  });
});

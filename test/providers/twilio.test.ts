/** Twilio SMS through the sandbox: test connection (Account fetch), sending (Messages create), errors. */
import { describe, expect, it } from "vitest";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const SID = `AC${"0123456789abcdef".repeat(2)}`;
const TOKEN = "f00dfacecafe0123456789abcdef0123";
const FROM = "+15005550006";

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

async function twilioOrg(authToken = TOKEN) {
  const org = await newOrg();
  const integration = await newIntegration(org, {
    provider: "twilio",
    name: "SMS",
    account_sid: SID,
    auth_token: authToken,
    from_phone_number: FROM,
  });
  return { org, integration };
}

async function sendSms(org: Awaited<ReturnType<typeof newOrg>>, text: string, to = "+15551234567") {
  const r = await call("POST", "/api/messages", { key: org.adminKey, body: { channel: "sms", to, text } });
  expect(r.status).toBe(202);
  return waitForMessage(org, r.json.message.id);
}

describe("twilio", () => {
  it("test connection fetches the Account with Basic auth and never echoes the token", async () => {
    const { org, integration } = await twilioOrg();
    const r = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      message: 'Connected to Twilio account "Sandbox Account" (active)',
      details: { account_sid: SID, status: "active" },
    });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    // The simulated Account resource carries the auth token, as Twilio's does.
    expect(r.text).not.toContain(TOKEN);
  });

  it("a refused Auth Token fails the test with Twilio's error 20003, marks the integration, and recovers", async () => {
    const { org, integration } = await twilioOrg("invalid-token-0123456789");
    const r = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    const reason = "Twilio: Authenticate (error 20003, HTTP 401)";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain("invalid-token-0123456789");
    await call("PATCH", `/api/integrations/${integration.id}`, {
      key: org.adminKey,
      body: { auth_token: TOKEN },
    });
    const ok = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends an SMS: queued, then sent with the SM sid; Twilio got exactly To, From, Body, StatusCallback as a form", async () => {
    const { org, integration } = await twilioOrg();
    const sent = await sendSms(org, "Hello from Switchboard via Twilio");
    expect(sent).toMatchObject({ status: "sent", provider: "twilio", channel: "sms" });
    expect(sent.provider_message_id).toMatch(/^SM[0-9a-f]{32}$/);
    const got = (await sandboxInbox("twilio")).find((m) => m.id === sent.provider_message_id);
    expect(got).toMatchObject({ kind: "sms", to: "+15551234567" });
    expect(got?.body).toEqual({
      To: "+15551234567",
      From: FROM,
      Body: "Hello from Switchboard via Twilio",
      // Status changes go to the integration's own webhook URL.
      StatusCallback: `https://hub.test/webhooks/twilio/${integration.id}`,
    });
    expect(integration.webhook_url).toBe(`https://hub.test/webhooks/twilio/${integration.id}`);
  });

  it("a permanent rejection fails the message at once with Twilio's reason", async () => {
    const { org } = await twilioOrg();
    const failed = await sendSms(org, "Unsubscribed [sandbox:400]");
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: "Twilio: Attempt to send to unsubscribed recipient (error 21610, HTTP 400)",
    });
  });

  it("a 429 (error 20429) is retried after Retry-After and then sent", async () => {
    const { org } = await twilioOrg();
    const sent = await sendSms(org, "Busy [sandbox:429x1]");
    expect(sent).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("a refused token on send fails the message and marks the integration", async () => {
    const { org, integration } = await twilioOrg("invalid-token-on-send");
    const failed = await sendSms(org, "Hello");
    expect(failed).toMatchObject({
      status: "failed",
      last_error: "Twilio: Authenticate (error 20003, HTTP 401)",
    });
    const view = await call("GET", `/api/integrations/${integration.id}`, { key: org.adminKey });
    expect(view.json.integration.status).toBe("error");
  });

  describe("the simulator is strict like Twilio", () => {
    const path = `/sandbox/twilio/2010-04-01/Accounts/${SID}/Messages.json`;
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

    it("rejects a Bearer token with 401 and error 20003", async () => {
      const r = await call("POST", path, {
        headers: { authorization: `Bearer ${TOKEN}` },
        raw: form({ To: "+15551234567", From: FROM, Body: "x" }),
        contentType: "application/x-www-form-urlencoded",
      });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({
        code: 20003,
        message: "Authenticate",
        more_info: "https://www.twilio.com/docs/errors/20003",
        status: 401,
      });
    });

    it("reads form parameters only: a JSON body is missing its To (error 21604)", async () => {
      const r = await call("POST", path, {
        headers: { authorization: basic(SID, TOKEN) },
        body: { To: "+15551234567", From: FROM, Body: "x" },
      });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ code: 21604, message: "A 'To' phone number is required.", status: 400 });
    });

    it("requires a Body (21602) and a valid To (21211)", async () => {
      const headers = { authorization: basic(SID, TOKEN) };
      const contentType = "application/x-www-form-urlencoded";
      const noBody = await call("POST", path, {
        headers,
        contentType,
        raw: form({ To: "+15551234567", From: FROM }),
      });
      expect(noBody.status).toBe(400);
      expect(noBody.json).toMatchObject({ code: 21602, message: "Message body is required." });
      const badTo = await call("POST", path, {
        headers,
        contentType,
        raw: form({ To: "12345", From: FROM, Body: "x" }),
      });
      expect(badTo.status).toBe(400);
      expect(badTo.json).toMatchObject({
        code: 21211,
        message: "The 'To' number 12345 is not a valid phone number.",
      });
    });
  });
});

/** Vonage through the sandbox: test connection (get-balance), SMS API sends and their in-body statuses. */
import { describe, expect, it } from "vitest";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const API_KEY = "a1b2c3d4";
const API_SECRET = "Sup3rS3cretValue";

async function vonageOrg(apiSecret = API_SECRET) {
  const org = await newOrg();
  const integration = await newIntegration(org, {
    provider: "vonage",
    name: "Vonage SMS",
    api_key: API_KEY,
    api_secret: apiSecret,
    from_phone_number: "+447700900001",
  });
  return { org, integration };
}

async function sendSms(org: Awaited<ReturnType<typeof newOrg>>, text: string, to = "+447700900123") {
  const r = await call("POST", "/api/messages", { key: org.adminKey, body: { channel: "sms", to, text } });
  expect(r.status).toBe(202);
  return { id: r.json.message.id as string, message: await waitForMessage(org, r.json.message.id) };
}

describe("vonage", () => {
  it("test connection reads the balance with Basic auth", async () => {
    const { org, integration } = await vonageOrg();
    const r = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      message: `Connected to Vonage account ${API_KEY} (balance 10.28 EUR)`,
      details: { api_key: API_KEY, balance: 10.28, auto_reload: false },
    });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(API_SECRET);
  });

  it("a refused secret fails the test with Vonage's reason, marks the integration, and recovers", async () => {
    const { org, integration } = await vonageOrg("invalid-secret");
    const r = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    const reason = "Vonage: authentication failed (HTTP 401)";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain("invalid-secret");
    await call("PATCH", `/api/integrations/${integration.id}`, {
      key: org.adminKey,
      body: { api_secret: API_SECRET },
    });
    const ok = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends an SMS: sent with Vonage's message-id; the SMS API got exactly from, to, text, client-ref, callback", async () => {
    const { org, integration } = await vonageOrg();
    const { id, message } = await sendSms(org, "Hello from Switchboard via Vonage");
    expect(message).toMatchObject({ status: "sent", provider: "vonage" });
    expect(message.provider_message_id).toMatch(/^[0-9a-f-]{36}$/);
    const got = (await sandboxInbox("vonage")).find((m) => m.id === message.provider_message_id);
    expect(got).toMatchObject({ kind: "sms", to: "447700900123" });
    expect(got?.body).toEqual({
      from: "447700900001",
      to: "447700900123",
      text: "Hello from Switchboard via Vonage",
      "client-ref": id,
      // The delivery receipt goes to the integration's own webhook URL.
      callback: `https://hub.test/webhooks/vonage/${integration.id}`,
    });
  });

  it("text outside the GSM alphabet goes as type unicode", async () => {
    const { org } = await vonageOrg();
    const { message } = await sendSms(org, "Grüße aus 東京 👋");
    expect(message.status).toBe("sent");
    const got = (await sandboxInbox("vonage")).find((m) => m.id === message.provider_message_id);
    expect(got?.body).toMatchObject({ text: "Grüße aus 東京 👋", type: "unicode" });
  });

  it("status 1 (Throttled) inside a 200 is retried, then sent", async () => {
    const { org } = await vonageOrg();
    const { message } = await sendSms(org, "Throttle me [sandbox:429x1]");
    expect(message).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("a refused destination (status 29) fails the message at once", async () => {
    const { org } = await vonageOrg();
    const { message } = await sendSms(org, "Not whitelisted [sandbox:400]");
    expect(message).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: "Vonage: Non White-listed Destination - rejected (status 29)",
    });
  });

  it("status 4 (Bad Credentials) on send fails the message and marks the integration", async () => {
    const { org, integration } = await vonageOrg("invalid-secret-on-send");
    const { message } = await sendSms(org, "Hello");
    expect(message).toMatchObject({ status: "failed", last_error: "Vonage: Bad Credentials (status 4)" });
    const view = await call("GET", `/api/integrations/${integration.id}`, { key: org.adminKey });
    expect(view.json.integration.status).toBe("error");
  });

  describe("the simulator answers like Vonage", () => {
    it("the SMS API refuses a request without credentials inside a 200 (status 2, Missing api_key)", async () => {
      const r = await call("POST", "/sandbox/vonage/sms/json", {
        body: { from: "447700900001", to: "447700900123", text: "x" },
      });
      expect(r.status).toBe(200);
      expect(r.json).toEqual({
        "message-count": "1",
        messages: [{ status: "2", "error-text": "Missing api_key" }],
      });
    });

    it("the SMS API names a missing parameter (status 2, Missing to param)", async () => {
      const r = await call("POST", "/sandbox/vonage/sms/json", {
        headers: { authorization: `Basic ${btoa(`${API_KEY}:${API_SECRET}`)}` },
        body: { from: "447700900001", text: "x" },
      });
      expect(r.status).toBe(200);
      expect(r.json.messages).toEqual([{ status: "2", "error-text": "Missing to param" }]);
    });

    it("the Account API answers a Bearer token with 401 authentication failed", async () => {
      const r = await call("GET", "/sandbox/vonage/account/get-balance", {
        headers: { authorization: `Bearer ${API_SECRET}` },
      });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ "error-code": "401", "error-code-label": "authentication failed" });
    });
  });
});

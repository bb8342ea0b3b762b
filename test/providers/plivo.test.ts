/** Plivo through the sandbox: test connection (Account fetch) and sending (JSON Message create). */
import { describe, expect, it } from "vitest";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const AUTH_ID = "MAZTCXYJFKZJK3N2Q3YT";
const AUTH_TOKEN = "OWY2ZjUyYzA3NTZlOTg0MTYxZjdiYzg4MDhkZjlj";
const FROM = "+14151234567";

async function plivoOrg(authToken = AUTH_TOKEN) {
  const org = await newOrg();
  const integration = await newIntegration(org, {
    provider: "plivo",
    name: "Plivo SMS",
    auth_id: AUTH_ID,
    auth_token: authToken,
    from_phone_number: FROM,
  });
  return { org, integration };
}

async function sendSms(org: Awaited<ReturnType<typeof newOrg>>, text: string, to = "+14157654321") {
  const r = await call("POST", "/api/messages", { key: org.adminKey, body: { channel: "sms", to, text } });
  expect(r.status).toBe(202);
  return waitForMessage(org, r.json.message.id);
}

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

describe("plivo", () => {
  it("test connection fetches the Account with Basic auth", async () => {
    const { org, integration } = await plivoOrg();
    const r = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      message: `Connected to Plivo account "Sandbox Account" (${AUTH_ID}), credits 9.61875`,
      details: { auth_id: AUTH_ID, account_type: "standard" },
    });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(AUTH_TOKEN);
  });

  it("a refused Auth Token fails the test with Plivo's reason, marks the integration, and recovers", async () => {
    const { org, integration } = await plivoOrg("invalid-plivo-token");
    const r = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    const reason = "Plivo: authentication failed (HTTP 401)";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain("invalid-plivo-token");
    await call("PATCH", `/api/integrations/${integration.id}`, {
      key: org.adminKey,
      body: { auth_token: AUTH_TOKEN },
    });
    const ok = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends an SMS: sent with the message_uuid; Plivo got exactly src, dst, text, url, method as JSON", async () => {
    const { org, integration } = await plivoOrg();
    const sent = await sendSms(org, "Hello from Switchboard via Plivo");
    expect(sent).toMatchObject({ status: "sent", provider: "plivo" });
    expect(sent.provider_message_id).toMatch(/^[0-9a-f-]{36}$/);
    const got = (await sandboxInbox("plivo")).find((m) => m.id === sent.provider_message_id);
    expect(got).toMatchObject({ kind: "sms", to: "+14157654321" });
    expect(got?.body).toEqual({
      src: FROM,
      dst: "+14157654321",
      text: "Hello from Switchboard via Plivo",
      // The message's status goes to the integration's own webhook URL.
      url: `https://hub.test/webhooks/plivo/${integration.id}`,
      method: "POST",
    });
  });

  it("a 400 fails the message at once with Plivo's error; a 429 is retried after Retry-After", async () => {
    const { org } = await plivoOrg();
    const failed = await sendSms(org, "Blocked [sandbox:400]");
    expect(failed).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: "Plivo: destination number is blocked (DND) (HTTP 400)",
    });
    const retried = await sendSms(org, "Flaky [sandbox:429x1]");
    expect(retried).toMatchObject({ status: "sent", attempts: 2 });
  });

  describe("the simulator is strict like Plivo", () => {
    const path = `/sandbox/plivo/v1/Account/${AUTH_ID}/Message/`;

    it("takes JSON only: a form body is a 400 with {api_id, error}", async () => {
      const r = await call("POST", path, {
        headers: { authorization: basic(AUTH_ID, AUTH_TOKEN) },
        contentType: "application/x-www-form-urlencoded",
        raw: new URLSearchParams({ src: FROM, dst: "+14157654321", text: "x" }).toString(),
      });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ api_id: expect.any(String), error: "the request body must be JSON" });
    });

    it("requires dst", async () => {
      const r = await call("POST", path, {
        headers: { authorization: basic(AUTH_ID, AUTH_TOKEN) },
        body: { src: FROM, text: "x" },
      });
      expect(r.status).toBe(400);
      expect(r.json.error).toBe("dst is a required parameter");
    });

    it("refuses Basic auth for another account than the path's with 401", async () => {
      const r = await call("POST", path, {
        headers: { authorization: basic("MAAAAAAAAAAAAAAAAAAA", AUTH_TOKEN) },
        body: { src: FROM, dst: "+14157654321", text: "x" },
      });
      expect(r.status).toBe(401);
    });
  });
});

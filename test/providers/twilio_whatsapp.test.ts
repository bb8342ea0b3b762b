/** WhatsApp via Twilio through the sandbox: test connection, free-text and template sends, channel checks. */
import { describe, expect, it } from "vitest";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const SID = `AC${"fedcba9876543210".repeat(2)}`;
const TOKEN = "0123456789abcdef0123456789abcdef";
const FROM = "+14155238886";
const CONTENT_SID = `HX${"b5".repeat(16)}`;

async function whatsappOrg(authToken = TOKEN) {
  const org = await newOrg();
  const integration = await newIntegration(org, {
    provider: "twilio_whatsapp",
    name: "WhatsApp",
    account_sid: SID,
    auth_token: authToken,
    from_whatsapp: FROM,
  });
  return { org, integration };
}

async function sendWhatsapp(org: Awaited<ReturnType<typeof newOrg>>, body: Record<string, unknown>) {
  const r = await call("POST", "/api/messages", {
    key: org.adminKey,
    body: { channel: "whatsapp", ...body },
  });
  expect(r.status).toBe(202);
  return waitForMessage(org, r.json.message.id);
}

describe("twilio_whatsapp", () => {
  it("test connection fetches the Twilio Account", async () => {
    const { org, integration } = await whatsappOrg();
    const r = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    expect(r.json).toMatchObject({
      ok: true,
      message: 'Connected to Twilio account "Sandbox Account" (active)',
    });
    expect(r.json.integration).toMatchObject({ status: "active", error_count: 0 });
    expect(r.text).not.toContain(TOKEN);
  });

  it("a refused Auth Token fails the test with Twilio's reason and marks the integration", async () => {
    const { org, integration } = await whatsappOrg("invalid-whatsapp-token");
    const r = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    const reason = "Twilio: Authenticate (error 20003, HTTP 401)";
    expect(r.json).toMatchObject({ ok: false, message: reason });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain("invalid-whatsapp-token");
  });

  it("sends free text with whatsapp:-prefixed To and From; Twilio got exactly those form fields", async () => {
    const { org, integration } = await whatsappOrg();
    const sent = await sendWhatsapp(org, { to: "+15557654321", text: "Hello on WhatsApp" });
    expect(sent).toMatchObject({ status: "sent", provider: "twilio_whatsapp" });
    expect(sent.provider_message_id).toMatch(/^SM[0-9a-f]{32}$/);
    const got = (await sandboxInbox("twilio_whatsapp")).find((m) => m.id === sent.provider_message_id);
    expect(got).toMatchObject({ kind: "whatsapp", to: "whatsapp:+15557654321" });
    expect(got?.body).toEqual({
      To: "whatsapp:+15557654321",
      From: `whatsapp:${FROM}`,
      Body: "Hello on WhatsApp",
      StatusCallback: `https://hub.test/webhooks/twilio_whatsapp/${integration.id}`,
    });
  });

  it("sends a template by Content SID with numbered ContentVariables", async () => {
    const { org, integration } = await whatsappOrg();
    const sent = await sendWhatsapp(org, {
      to: "whatsapp:+15557654322",
      template: { name: CONTENT_SID, language: "en", params: ["Ada", "12:30"] },
    });
    expect(sent.status).toBe("sent");
    const got = (await sandboxInbox("twilio_whatsapp")).find((m) => m.id === sent.provider_message_id);
    expect(got?.body).toEqual({
      To: "whatsapp:+15557654322",
      From: `whatsapp:${FROM}`,
      ContentSid: CONTENT_SID,
      ContentVariables: '{"1":"Ada","2":"12:30"}',
      StatusCallback: `https://hub.test/webhooks/twilio_whatsapp/${integration.id}`,
    });
  });

  it("a template named by anything but a Content SID fails without calling Twilio", async () => {
    const { org } = await whatsappOrg();
    const failed = await sendWhatsapp(org, {
      to: "+15557654323",
      template: { name: "order_update", language: "en", params: [] },
    });
    expect(failed.status).toBe("failed");
    expect(failed.last_error).toMatch(/Content SID/);
  });

  it("the simulator refuses a whatsapp: From with a plain SMS To (error 21910)", async () => {
    const r = await call("POST", `/sandbox/twilio_whatsapp/2010-04-01/Accounts/${SID}/Messages.json`, {
      headers: { authorization: `Basic ${btoa(`${SID}:${TOKEN}`)}` },
      contentType: "application/x-www-form-urlencoded",
      raw: new URLSearchParams({ To: "+15557654321", From: `whatsapp:${FROM}`, Body: "x" }).toString(),
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: 21910,
      message: "Invalid From and To pair. From and To should be of the same channel",
      status: 400,
    });
  });
});

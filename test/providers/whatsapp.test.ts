/**
 * WhatsApp Cloud API through the sandbox: test connection (GET /{phone-number-id}), text and
 * template sends (POST /{phone-number-id}/messages), and the Cloud API's errors.
 */
import { describe, expect, it } from "vitest";
import { GRAPH_VERSION } from "../../src/providers/facebook/graph.ts";
import { send } from "../../src/providers/whatsapp/client.ts";
import { whatsapp } from "../../src/sandbox/providers/whatsapp.ts";
import { call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const TOKEN = "EAAGsystemUserToken123";
const PHONE_NUMBER_ID = "106540352242922";
const number = (access_token: string) => ({
  provider: "whatsapp",
  name: "Support line",
  access_token,
  phone_number_id: PHONE_NUMBER_ID,
  business_account_id: "102290129340398",
});

describe("whatsapp", () => {
  it("test connection reads the phone number's verified name and display number", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, number(TOKEN));
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, message: "Connected as Sandbox Business (+1 555-010-0000)" });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(TOKEN);
  });

  it("an invalid token fails the test with code 190 (HTTP 401 on WhatsApp) and marks the integration", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, number("EAAGinvalid-token"));
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    const reason = "WhatsApp: Invalid OAuth access token - Cannot parse access token (code 190, HTTP 401)";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain("EAAGinvalid-token");
    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: { access_token: TOKEN } });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("sends a text message: 202 queued, then sent with the wamid; the sandbox got the exact request", async () => {
    const org = await newOrg();
    await newIntegration(org, number(TOKEN));
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "whatsapp", to: "+14155550123", text: "Hello from Switchboard on WhatsApp" },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "whatsapp", provider: "whatsapp" });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(/^wamid\./);
    const got = (await sandboxInbox("whatsapp")).find((m) => m.id === sent.provider_message_id);
    expect(got?.body).toEqual({
      messaging_product: "whatsapp",
      to: "14155550123",
      type: "text",
      text: { body: "Hello from Switchboard on WhatsApp" },
    });
  });

  it("sends a template message with its params as body parameters", async () => {
    const org = await newOrg();
    await newIntegration(org, number(TOKEN));
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: {
        channel: "whatsapp",
        to: "+14155550124",
        template: { name: "order_update", language: "en_US", params: ["Ada", "#1042"] },
      },
    });
    expect(r.status).toBe(202);
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    const got = (await sandboxInbox("whatsapp")).find((m) => m.id === sent.provider_message_id);
    expect(got).toMatchObject({ kind: "template", to: "14155550124" });
    expect(got?.body).toEqual({
      messaging_product: "whatsapp",
      to: "14155550124",
      type: "template",
      template: {
        name: "order_update",
        language: { code: "en_US" },
        components: [
          {
            type: "body",
            parameters: [
              { type: "text", text: "Ada" },
              { type: "text", text: "#1042" },
            ],
          },
        ],
      },
    });
  });

  it("the simulator answers like the Cloud API: no token, missing messaging_product or body, unknown number", async () => {
    const path = `/sandbox/whatsapp/${GRAPH_VERSION}/${PHONE_NUMBER_ID}/messages`;
    const text = { messaging_product: "whatsapp", to: "14155550123", type: "text", text: { body: "hi" } };
    const noToken = await call("POST", path, { body: text, headers: { authorization: `Token ${TOKEN}` } });
    expect(noToken.status).toBe(400);
    expect(noToken.json.error).toMatchObject({
      message: "An access token is required to request this resource.",
      type: "OAuthException",
      code: 104,
    });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const noProduct = await call("POST", path, { headers, body: { ...text, messaging_product: undefined } });
    expect(noProduct.status).toBe(400);
    expect(noProduct.json.error).toMatchObject({
      message: "(#100) The parameter messaging_product is required.",
      code: 100,
    });
    const noBody = await call("POST", path, { headers, body: { ...text, text: {} } });
    expect(noBody.json.error).toMatchObject({
      code: 131008,
      error_data: { messaging_product: "whatsapp", details: "The parameter text['body'] is required." },
    });
    const unknown = await call("GET", `/sandbox/whatsapp/${GRAPH_VERSION}/not-a-number`, { headers });
    expect(unknown.json.error).toMatchObject({ type: "GraphMethodException", code: 100, error_subcode: 33 });
  });

  it("classifies the Cloud API's throttling (80007, HTTP 429) and recipient rejection", async () => {
    const ctx = {
      baseUrl: "https://graph.test",
      config: { phone_number_id: PHONE_NUMBER_ID },
      secrets: { access_token: TOKEN },
      http: async (req: Request) => whatsapp.fetch(req),
      timeoutMs: 5_000,
    };
    const message = (text: string) => ({ id: "msg_1", channel: "whatsapp", to: "+14155550123", text });
    await expect(send(ctx, message("busy [sandbox:429]"))).rejects.toMatchObject({
      kind: "rate_limited",
      opts: { status: 429, code: 80007, retryAfterSeconds: 60 },
    });
    await expect(send(ctx, message("who [sandbox:400]"))).rejects.toMatchObject({
      kind: "permanent",
      message:
        "WhatsApp: (#131030) Recipient phone number not in allowed list: Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again. (code 131030, HTTP 400)",
    });
    await expect(send(ctx, message("boom [sandbox:500]"))).rejects.toMatchObject({ kind: "transient" });
  });
});

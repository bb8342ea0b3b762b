/**
 * The hub's SMS and WhatsApp-via-Twilio requests against what each provider's official SDK sends
 * for the same operation (send, and test connection): method, path, query, auth scheme, content
 * type and body. The SDK's request is intercepted on the provider's host (nock), the hub's with a
 * capturing HttpClient; the SDK is given the same parameters the hub sends, the per-message
 * delivery callback included. Where they differ on purpose, the test says why.
 */
import { Accounts } from "@vonage/accounts";
import { Auth } from "@vonage/auth";
import { SMS } from "@vonage/sms";
import plivoLib from "plivo";
import twilioLib from "twilio";
import { describe, expect, it } from "vitest";
import { provider as plivo } from "../../src/providers/plivo/index.ts";
import { provider as twilio } from "../../src/providers/twilio/index.ts";
import { provider as twilioWhatsapp } from "../../src/providers/twilio_whatsapp/index.ts";
import { provider as vonage } from "../../src/providers/vonage/index.ts";
import { hubWire, message, sdkWire } from "./wire.ts";

const HOOK = (id: string) => `https://hub.example/webhooks/${id}/3f1c2a9e-5b7d-4e21-9c0a-1d2e3f4a5b6c`;

describe("twilio (twilio-node)", () => {
  const SID = `AC${"0123456789abcdef".repeat(2)}`;
  const TOKEN = "twilio-auth-token-0123456789abcd";
  const client = twilioLib(SID, TOKEN);
  const MESSAGE = { status: 201, body: { sid: `SM${"a".repeat(32)}`, status: "queued" } };
  const ACCOUNT = { status: 200, body: { sid: SID, friendly_name: "Main", status: "active", type: "Full" } };
  const ctx = (id: string, config: Record<string, unknown>) => ({
    baseUrl: "https://api.twilio.com",
    config: { account_sid: SID, ...config },
    secrets: { auth_token: TOKEN },
    webhookUrl: HOOK(id),
  });

  it("send SMS: Messages create with To, From, Body, StatusCallback, form-encoded, Basic", async () => {
    const c = ctx("twilio", { from_phone_number: "+15005550006" });
    const hub = await hubWire(
      (x) => twilio.send(x, message({ channel: "sms", to: "+15551234567", text: "Hello & welcome = 100%" })),
      c,
      MESSAGE,
    );
    const sdk = await sdkWire(
      "https://api.twilio.com",
      () =>
        client.messages.create({
          to: "+15551234567",
          from: "+15005550006",
          body: "Hello & welcome = 100%",
          statusCallback: HOOK("twilio"),
        }),
      MESSAGE,
    );
    expect(hub).toEqual(sdk);
    expect(hub.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
  });

  it("send WhatsApp text and template: whatsapp: addresses, ContentSid + ContentVariables", async () => {
    const c = ctx("twilio_whatsapp", { from_whatsapp: "+15005550006" });
    const text = await hubWire(
      (x) => twilioWhatsapp.send(x, message({ channel: "whatsapp", to: "+15551234567", text: "Hi" })),
      c,
      MESSAGE,
    );
    const sdkText = await sdkWire(
      "https://api.twilio.com",
      () =>
        client.messages.create({
          to: "whatsapp:+15551234567",
          from: "whatsapp:+15005550006",
          body: "Hi",
          statusCallback: HOOK("twilio_whatsapp"),
        }),
      MESSAGE,
    );
    expect(text).toEqual(sdkText);
    const contentSid = `HX${"0".repeat(32)}`;
    const template = await hubWire(
      (x) =>
        twilioWhatsapp.send(
          x,
          message({
            channel: "whatsapp",
            to: "+15551234567",
            template: { name: contentSid, language: "en", params: ["Ada", "12:30"] },
          }),
        ),
      c,
      MESSAGE,
    );
    const sdkTemplate = await sdkWire(
      "https://api.twilio.com",
      () =>
        client.messages.create({
          to: "whatsapp:+15551234567",
          from: "whatsapp:+15005550006",
          contentSid,
          contentVariables: JSON.stringify({ 1: "Ada", 2: "12:30" }),
          statusCallback: HOOK("twilio_whatsapp"),
        }),
      MESSAGE,
    );
    expect(template).toEqual(sdkTemplate);
  });

  it("test connection: the Account fetch", async () => {
    const hub = await hubWire((x) => twilio.test(x), ctx("twilio", {}), ACCOUNT);
    const sdk = await sdkWire(
      "https://api.twilio.com",
      () => client.api.v2010.accounts(SID).fetch(),
      ACCOUNT,
    );
    expect(hub).toEqual(sdk);
  });
});

describe("plivo (plivo-node)", () => {
  const AUTH_ID = "MAXXXXXXXXXXXXXXXXXX";
  const TOKEN = "plivo-auth-token-0123456789";
  const client = new plivoLib.Client(AUTH_ID, TOKEN);
  const ctx = {
    baseUrl: "https://api.plivo.com",
    config: { auth_id: AUTH_ID, from_phone_number: "+14155550100" },
    secrets: { auth_token: TOKEN },
    webhookUrl: HOOK("plivo"),
  };

  it("send: Message create with src, dst, text and the status url (method POST), JSON, Basic", async () => {
    const QUEUED = {
      status: 202,
      body: { api_id: "x", message: "message(s) queued", message_uuid: ["u-1"] },
    };
    const hub = await hubWire(
      (x) => plivo.send(x, message({ channel: "sms", to: "+14157654321", text: "Hello" })),
      ctx,
      QUEUED,
    );
    const sdk = await sdkWire(
      "https://api.plivo.com",
      () =>
        // plivo-node takes one object too (`create({src, dst, text, url, method})`); its types list only the positional form.
        (client.messages.create as unknown as (p: Record<string, string>) => Promise<unknown>)({
          src: "+14155550100",
          dst: "+14157654321",
          text: "Hello",
          url: HOOK("plivo"),
          method: "POST",
        }),
      QUEUED,
    );
    expect(hub).toEqual(sdk);
  });

  it("test connection: the Account fetch", async () => {
    const ACCOUNT = {
      status: 200,
      body: { api_id: "x", auth_id: AUTH_ID, name: "Main", cash_credits: "1.0" },
    };
    const hub = await hubWire((x) => plivo.test(x), ctx, ACCOUNT);
    const sdk = await sdkWire("https://api.plivo.com", () => client.accounts.get(), ACCOUNT);
    // Deliberate: plivo-node joins its base `…/Account/{auth_id}/` with `/` and asks for `…//`,
    // and labels this bodiless GET as JSON; the hub calls the documented `…/Account/{auth_id}/`
    // with no content type. Everything else is the same.
    expect(sdk.path).toBe(`/v1/Account/${AUTH_ID}//`);
    expect(sdk.contentType).toBe("application/json");
    expect(hub).toEqual({ ...sdk, path: `/v1/Account/${AUTH_ID}/`, contentType: undefined });
  });
});

describe("vonage (@vonage/sms, @vonage/accounts)", () => {
  const auth = new Auth({ apiKey: "a1b2c3d4", apiSecret: "vonage-api-secret" });
  const ctx = {
    baseUrl: "https://rest.nexmo.com",
    config: { api_key: "a1b2c3d4", from_phone_number: "+447700900001" },
    secrets: { api_secret: "vonage-api-secret" },
    webhookUrl: HOOK("vonage"),
  };
  const SENT = {
    status: 200,
    body: { "message-count": "1", messages: [{ to: "447700900123", "message-id": "m-1", status: "0" }] },
  };

  it("send: SMS API with from, to, text, client-ref and the receipt callback, JSON, Basic", async () => {
    const hub = await hubWire(
      (x) => vonage.send(x, message({ channel: "sms", to: "+447700900123", text: "Hello" })),
      ctx,
      SENT,
    );
    // The hub writes numbers as Vonage does, without the `+`; the SDK sends what it is given.
    const sdk = await sdkWire(
      "https://rest.nexmo.com",
      () =>
        new SMS(auth).send({
          from: "447700900001",
          to: "447700900123",
          text: "Hello",
          clientRef: "msg_0123456789",
          callback: HOOK("vonage"),
        }),
      SENT,
    );
    expect(hub).toEqual(sdk);
  });

  it("send outside GSM: type unicode", async () => {
    const text = "Grüße aus 東京";
    const hub = await hubWire(
      (x) => vonage.send(x, message({ channel: "sms", to: "+447700900123", text })),
      ctx,
      SENT,
    );
    const sdk = await sdkWire(
      "https://rest.nexmo.com",
      () =>
        new SMS(auth).send({
          from: "447700900001",
          to: "447700900123",
          text,
          type: "unicode" as never,
          clientRef: "msg_0123456789",
          callback: HOOK("vonage"),
        }),
      SENT,
    );
    expect(hub).toEqual(sdk);
  });

  it("test connection: the balance", async () => {
    const BALANCE = { status: 200, body: { value: 10.28, autoReload: false } };
    const hub = await hubWire((x) => vonage.test(x), ctx, BALANCE);
    const sdk = await sdkWire("https://rest.nexmo.com", () => new Accounts(auth).getBalance(), BALANCE);
    expect(hub).toEqual(sdk);
  });
});

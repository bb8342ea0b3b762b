/**
 * The hub's WhatsApp Cloud API sends against what Meta's WhatsApp Business Platform Node.js SDK
 * (`whatsapp`, Meta's own, archived as an alpha) sends for the same text and template message:
 * method, path, auth scheme, content type and body, intercepted on graph.facebook.com. The SDK
 * reads its settings from the environment, so they are set before it loads (and it loads dotenv,
 * which its package does not declare: a dev dependency here). Messenger and
 * Instagram have no official Node SDK for sending, and the SDK has no phone-number read (the
 * hub's test connection), so those are not compared here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { provider as whatsapp } from "../../src/providers/whatsapp/index.ts";
import { hubWire, message, sdkWire } from "./wire.ts";

const PHONE_NUMBER_ID = "106540352242922";
const TOKEN = "EAAofficial-whatsapp-token";
const ctx = {
  baseUrl: "https://graph.facebook.com",
  config: { phone_number_id: PHONE_NUMBER_ID },
  secrets: { access_token: TOKEN },
};
const SENT = { status: 200, body: { messaging_product: "whatsapp", messages: [{ id: "wamid.1" }] } };

interface Messages {
  text(body: unknown, to: number): Promise<unknown>;
  template(body: unknown, to: number): Promise<unknown>;
}
let messages: Messages;

beforeAll(async () => {
  Object.assign(process.env, {
    CLOUD_API_VERSION: "v25.0",
    CLOUD_API_ACCESS_TOKEN: TOKEN,
    WA_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
  });
  const { default: WhatsApp } = (await import("whatsapp")) as unknown as {
    default: new (sender: number) => { messages: Messages };
  };
  messages = new WhatsApp(Number(PHONE_NUMBER_ID)).messages;
});

/** Meta's SDK writes `recipient_type`; the Cloud API documents it as optional, "individual" by default. */
const withoutRecipientType = (body: unknown) => {
  const { recipient_type, ...rest } = body as Record<string, unknown>;
  expect(recipient_type).toBe("individual");
  return rest;
};

describe("whatsapp cloud api (Meta's whatsapp SDK)", () => {
  it("send text: POST /v25.0/{phone_number_id}/messages, JSON, Bearer", async () => {
    const hub = await hubWire(
      (x) => whatsapp.send(x, message({ channel: "whatsapp", to: "+15551234567", text: "Hello" })),
      ctx,
      SENT,
    );
    const sdk = await sdkWire(
      "https://graph.facebook.com",
      () => messages.text({ body: "Hello" }, 15551234567),
      SENT,
    );
    // Deliberate: the hub leaves out `recipient_type`, whose default is the only value it would send.
    expect(hub).toEqual({ ...sdk, body: withoutRecipientType(sdk.body) });
  });

  it("send template: name, language code and body parameters", async () => {
    const template = { name: "order_update", language: "en_US", params: ["Ada", "12:30"] };
    const hub = await hubWire(
      (x) => whatsapp.send(x, message({ channel: "whatsapp", to: "+15551234567", template })),
      ctx,
      SENT,
    );
    const sdk = await sdkWire(
      "https://graph.facebook.com",
      () =>
        messages.template(
          {
            name: "order_update",
            language: { code: "en_US" },
            components: [
              {
                type: "body",
                parameters: [
                  { type: "text", text: "Ada" },
                  { type: "text", text: "12:30" },
                ],
              },
            ],
          },
          15551234567,
        ),
      SENT,
    );
    expect(hub).toEqual({ ...sdk, body: withoutRecipientType(sdk.body) });
  });
});
